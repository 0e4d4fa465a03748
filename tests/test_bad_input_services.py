"""Bad input to SQS, SNS, EventBridge, DynamoDB and Kinesis: AWS's error, then a lab that still works.

Each case makes one call AWS refuses and checks the error code and message shape AWS answers with
(the source column says where that comes from: an AWS API reference page, or the wording that
emulators validated against AWS record, when AWS documents only the code). Then it proves the lab
stays usable: a fresh function deploys and answers, the message that was waiting in a queue is
still there, and the asynchronous retry that was scheduled still runs on time.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Callable

import boto3
import pytest
from botocore.exceptions import ClientError

import helpers

ACCOUNT = "123456789012"
FAILING = "def handler(event, context):\n    raise RuntimeError('downstream unavailable')\n"
ANSWERS = "def handler(event, context):\n    return 'ok'\n"

SQS_API = "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_{}.html"
SNS_API = "https://docs.aws.amazon.com/sns/latest/api/API_{}.html"
EVENTS_API = "https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_{}.html"
DYNAMODB_API = "https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_{}.html"
KINESIS_API = "https://docs.aws.amazon.com/kinesis/latest/APIReference/API_{}.html"
#: Wording AWS returns that its pages do not print, as LocalStack's AWS-validated snapshot tests record it.
LOCALSTACK = "LocalStack AWS-validated snapshots (localstack/localstack tests/aws/services/{})"


@dataclass
class Sandbox:
    """What each case may break: resources made before the bad call, and work in flight."""

    waiting_url: str
    queue_url: str
    fifo_url: str
    queue_arn: str
    topic_arn: str
    fifo_topic_arn: str
    subscription_arn: str

    @property
    def sqs(self) -> Any:
        return boto3.client("sqs")

    @property
    def sns(self) -> Any:
        return boto3.client("sns")

    @property
    def events(self) -> Any:
        return boto3.client("events")

    @property
    def dynamodb(self) -> Any:
        return boto3.client("dynamodb")

    @property
    def kinesis(self) -> Any:
        return boto3.client("kinesis")


def _deploy(lab: helpers.Lab, name: str, code: str) -> None:
    boto3.client("lambda").create_function(FunctionName=name, Runtime="python3.12", Role=lab.role_arn,
                                           Handler="lambda_function.handler", Code={"ZipFile": helpers.zip_code(code)})


@pytest.fixture
def sandbox(lab: helpers.Lab) -> Sandbox:
    sqs, sns = boto3.client("sqs"), boto3.client("sns")
    waiting = sqs.create_queue(QueueName="waiting")["QueueUrl"]
    sqs.send_message(QueueUrl=waiting, MessageBody="still here")
    queue = sqs.create_queue(QueueName="orders")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    fifo = sqs.create_queue(QueueName="orders.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    topic = sns.create_topic(Name="orders")["TopicArn"]
    fifo_topic = sns.create_topic(Name="orders.fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
    subscription = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn,
                                 ReturnSubscriptionArn=True)["SubscriptionArn"]
    boto3.client("events").put_rule(Name="orders", EventPattern=json.dumps({"source": ["shop"]}))
    boto3.client("dynamodb").create_table(
        TableName="orders", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    boto3.client("kinesis").create_stream(StreamName="clicks", ShardCount=1)
    _deploy(lab, "flaky", FAILING)
    boto3.client("lambda").invoke(FunctionName="flaky", InvocationType="Event", Payload=b"{}")  # retry at +60 s
    return Sandbox(waiting, queue, fifo, queue_arn, topic, fifo_topic, subscription)


def _api_destination(box: Sandbox, endpoint: str) -> str:
    events = box.events
    connection = events.create_connection(Name="c", AuthorizationType="API_KEY", AuthParameters={
        "ApiKeyAuthParameters": {"ApiKeyName": "k", "ApiKeyValue": "v"}})["ConnectionArn"]
    return events.create_api_destination(Name="d", ConnectionArn=connection, InvocationEndpoint=endpoint,
                                         HttpMethod="POST")["ApiDestinationArn"]


@dataclass(frozen=True)
class Case:
    """One bad call, the error AWS answers it with (`message` is a regular expression), and the source."""

    name: str
    call: Callable[[Sandbox], Any]
    code: str
    message: str
    source: str


CASES = [
    # -- SQS -----------------------------------------------------------------------------------
    Case("sqs-send-to-missing-queue",
         lambda b: b.sqs.send_message(QueueUrl=b.queue_url.replace("orders", "nope"), MessageBody="x"),
         "AWS.SimpleQueueService.NonExistentQueue", r"The specified queue does not exist\.",
         SQS_API.format("SendMessage") + " (QueueDoesNotExist)"),
    Case("sqs-receive-eleven", lambda b: b.sqs.receive_message(QueueUrl=b.queue_url, MaxNumberOfMessages=11),
         "InvalidParameterValue",
         r"Value 11 for parameter MaxNumberOfMessages is invalid\. Reason: Must be between 1 and 10, if provided\.",
         "aws-semantics.md 5 [Q8]"),
    Case("sqs-wait-21", lambda b: b.sqs.receive_message(QueueUrl=b.queue_url, WaitTimeSeconds=21),
         "InvalidParameterValue",
         r"Value 21 for parameter WaitTimeSeconds is invalid\. Reason: Must be >= 0 and <= 20, if provided\.",
         "aws-semantics.md 5 [Q7]"),
    Case("sqs-delay-901", lambda b: b.sqs.send_message(QueueUrl=b.queue_url, MessageBody="x", DelaySeconds=901),
         "InvalidParameterValue", r"Value 901 for parameter DelaySeconds is invalid\. Reason: .*900\.",
         SQS_API.format("SendMessage") + " (DelaySeconds 0 to 900)"),
    Case("sqs-fifo-without-group",
         lambda b: b.sqs.send_message(QueueUrl=b.fifo_url, MessageBody="x", MessageDeduplicationId="d"),
         "MissingParameter", r"The request must contain the parameter MessageGroupId\.",
         SQS_API.format("SendMessage") + " (MessageGroupId is required for FIFO queues)"),
    Case("sqs-fifo-name-without-suffix",
         lambda b: b.sqs.create_queue(QueueName="plain", Attributes={"FifoQueue": "true"}),
         "InvalidParameterValue", r".*\.fifo.*", SQS_API.format("CreateQueue") + " (a FIFO queue name ends in .fifo)"),
    Case("sqs-unknown-receipt-handle", lambda b: b.sqs.delete_message(QueueUrl=b.queue_url, ReceiptHandle="bad"),
         "ReceiptHandleIsInvalid", r".*receipt handle.*", SQS_API.format("DeleteMessage")),
    Case("sqs-batch-of-eleven", lambda b: b.sqs.send_message_batch(
        QueueUrl=b.queue_url, Entries=[{"Id": str(i), "MessageBody": "x"} for i in range(11)]),
         "AWS.SimpleQueueService.TooManyEntriesInBatchRequest", r"Maximum number of entries per request are 10\..*",
         SQS_API.format("SendMessageBatch") + " (TooManyEntriesInBatchRequest)"),
    Case("sqs-batch-repeated-id", lambda b: b.sqs.send_message_batch(
        QueueUrl=b.queue_url, Entries=[{"Id": "a", "MessageBody": "x"}, {"Id": "a", "MessageBody": "y"}]),
         "AWS.SimpleQueueService.BatchEntryIdsNotDistinct", r"Id a repeated\.",
         SQS_API.format("SendMessageBatch") + " (BatchEntryIdsNotDistinct)"),
    Case("sqs-redrive-policy-not-json",
         lambda b: b.sqs.set_queue_attributes(QueueUrl=b.queue_url, Attributes={"RedrivePolicy": "not json"}),
         "InvalidParameterValue", r"Value not json for parameter RedrivePolicy is invalid\. Reason: .+",
         SQS_API.format("SetQueueAttributes") + " (the 'Value ... for parameter ... is invalid. Reason:' shape)"),
    # -- SNS -----------------------------------------------------------------------------------
    Case("sns-publish-to-missing-topic",
         lambda b: b.sns.publish(TopicArn=f"arn:aws:sns:us-east-1:{ACCOUNT}:nope", Message="x"),
         "NotFound", r"Topic does not exist", SNS_API.format("Publish") + " (NotFound)"),
    Case("sns-empty-message", lambda b: b.sns.publish(TopicArn=b.topic_arn, Message=""),
         "InvalidParameter", r"Invalid parameter: Empty message", LOCALSTACK.format("sns")),
    Case("sns-fifo-without-group", lambda b: b.sns.publish(TopicArn=b.fifo_topic_arn, Message="x",
                                                            MessageDeduplicationId="d"),
         "InvalidParameter", r"Invalid parameter: The MessageGroupId parameter is required for FIFO topics",
         LOCALSTACK.format("sns")),
    Case("sns-subscribe-filter-policy-not-json", lambda b: b.sns.subscribe(
        TopicArn=b.topic_arn, Protocol="sqs", Endpoint=b.queue_arn, Attributes={"FilterPolicy": "not json"}),
         "InvalidParameter", r"Invalid parameter: Attributes Reason: FilterPolicy: failed to parse JSON\.",
         LOCALSTACK.format("sns")),
    Case("sns-filter-policy-not-json", lambda b: b.sns.set_subscription_attributes(
        SubscriptionArn=b.subscription_arn, AttributeName="FilterPolicy", AttributeValue="not json"),
         "InvalidParameter", r"Invalid parameter: FilterPolicy: failed to parse JSON\.", LOCALSTACK.format("sns")),
    Case("sns-filter-policy-scope-nope", lambda b: b.sns.set_subscription_attributes(
        SubscriptionArn=b.subscription_arn, AttributeName="FilterPolicyScope", AttributeValue="Nope"),
         "InvalidParameter",
         r"Invalid parameter: FilterPolicyScope: Invalid value \[Nope\]\. Please use either MessageBody or "
         r"MessageAttributes", LOCALSTACK.format("sns")),
    Case("sns-redrive-policy-not-json", lambda b: b.sns.set_subscription_attributes(
        SubscriptionArn=b.subscription_arn, AttributeName="RedrivePolicy", AttributeValue="not json"),
         "InvalidParameter", r"Invalid parameter: RedrivePolicy: failed to parse JSON\.", LOCALSTACK.format("sns")),
    # -- EventBridge ---------------------------------------------------------------------------
    Case("events-unknown-operator", lambda b: b.events.put_rule(
        Name="bad", EventPattern=json.dumps({"detail": {"x": [{"foo": 1}]}})),
         "InvalidEventPatternException", r"Event pattern is not valid\. Reason: Unrecognized match type foo",
         EVENTS_API.format("PutRule") + " (InvalidEventPatternException); reason: " + LOCALSTACK.format("events")),
    Case("events-numeric-not-a-number", lambda b: b.events.put_rule(
        Name="bad", EventPattern=json.dumps({"detail": {"x": [{"numeric": [">", "abc"]}]}})),
         "InvalidEventPatternException", r"Event pattern is not valid\. Reason: Value of > must be numeric",
         EVENTS_API.format("PutRule") + " (InvalidEventPatternException); reason: " + LOCALSTACK.format("events")),
    Case("events-pattern-not-json", lambda b: b.events.put_rule(Name="bad", EventPattern="{nope"),
         "InvalidEventPatternException", r"Event pattern is not valid\. Reason: .+",
         EVENTS_API.format("PutRule") + " (InvalidEventPatternException)"),
    Case("events-template-undefined-variable", lambda b: b.events.put_targets(Rule="orders", Targets=[{
        "Id": "t1", "Arn": b.queue_arn,
        "InputTransformer": {"InputPathsMap": {}, "InputTemplate": '{"who": <nobody>}'}}]),
         "ValidationException", r"InputTemplate for target t1 contains invalid placeholder nobody\.",
         LOCALSTACK.format("events")),
    Case("events-eleven-entries", lambda b: b.events.put_events(
        Entries=[{"Source": "shop", "DetailType": "x", "Detail": "{}"}] * 11),
         "ValidationException", r".*less than or equal to 10", "aws-semantics.md 4 [E3]"),
    Case("events-targets-of-missing-rule", lambda b: b.events.put_targets(
        Rule="nope", Targets=[{"Id": "t1", "Arn": b.queue_arn}]),
         "ResourceNotFoundException", r"Rule nope does not exist on EventBus default\.",
         EVENTS_API.format("PutTargets") + " (ResourceNotFoundException)"),
    Case("events-rule-on-missing-bus", lambda b: b.events.put_rule(
        Name="r", EventBusName="nope", EventPattern=json.dumps({"source": ["shop"]})),
         "ResourceNotFoundException", r"Event bus nope does not exist\.",
         EVENTS_API.format("PutRule") + " (ResourceNotFoundException)"),
    Case("events-target-arn-malformed", lambda b: b.events.put_targets(
        Rule="orders", Targets=[{"Id": "t1", "Arn": "nope"}]),
         "ValidationException", r"Parameter nope is not valid\. Reason: Provided Arn is not in correct format\.",
         EVENTS_API.format("PutTargets") + " (ValidationException)"),
    Case("events-api-destination-off-this-machine", lambda b: b.events.put_targets(Rule="orders", Targets=[{
        "Id": "t1", "Arn": _api_destination(b, "https://api.example.com/x"),
        "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/r"}]),
         "ValidationException", r"Target t1: the lab delivers API destinations only to this machine.*",
         "the lab's own rule: nothing leaves the machine (design.md, Principles 3)"),
    # -- DynamoDB and DynamoDB Streams ---------------------------------------------------------
    Case("dynamodb-put-to-missing-table", lambda b: b.dynamodb.put_item(TableName="nope", Item={"id": {"S": "1"}}),
         "ResourceNotFoundException", r"Requested resource not found.*",
         DYNAMODB_API.format("PutItem") + " (ResourceNotFoundException)"),
    Case("dynamodb-item-without-its-key", lambda b: b.dynamodb.put_item(TableName="orders", Item={"x": {"S": "1"}}),
         "ValidationException", r"One or more parameter values were invalid: Missing the key id in the item",
         DYNAMODB_API.format("PutItem") + " (ValidationException)"),
    Case("dynamodb-key-of-the-wrong-type", lambda b: b.dynamodb.put_item(TableName="orders", Item={"id": {"N": "1"}}),
         "ValidationException",
         r"One or more parameter values were invalid: Type mismatch for key id expected: S actual: N",
         DYNAMODB_API.format("PutItem") + " (ValidationException)"),
    Case("dynamodb-table-exists", lambda b: b.dynamodb.create_table(
        TableName="orders", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST"),
         "ResourceInUseException", r"Table already exists: orders",
         DYNAMODB_API.format("CreateTable") + " (ResourceInUseException)"),
    Case("dynamodb-condition-fails", lambda b: [b.dynamodb.put_item(
        TableName="orders", Item={"id": {"S": "1"}}, ConditionExpression="attribute_not_exists(id)")
        for _ in range(2)],
         "ConditionalCheckFailedException", r"The conditional request failed",
         DYNAMODB_API.format("PutItem") + " (ConditionalCheckFailedException)"),
    Case("dynamodb-streams-missing-stream", lambda b: boto3.client("dynamodbstreams").describe_stream(
        StreamArn=f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/nope/stream/2026-01-05T09:00:00.000"),
         "ResourceNotFoundException", r"Requested resource not found.*",
         "https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_streams_DescribeStream.html"),
    # -- Kinesis -------------------------------------------------------------------------------
    Case("kinesis-put-to-missing-stream", lambda b: b.kinesis.put_record(StreamName="nope", Data=b"x",
                                                                          PartitionKey="p"),
         "ResourceNotFoundException", rf"Stream nope under account {ACCOUNT} not found\.",
         KINESIS_API.format("PutRecord") + " (ResourceNotFoundException)"),
    Case("kinesis-stream-exists", lambda b: b.kinesis.create_stream(StreamName="clicks", ShardCount=1),
         "ResourceInUseException", rf"Stream clicks under account {ACCOUNT} already exists\.",
         KINESIS_API.format("CreateStream") + " (ResourceInUseException)"),
    Case("kinesis-iterator-never-issued", lambda b: b.kinesis.get_records(ShardIterator="bad"),
         "InvalidArgumentException", r"Invalid ShardIterator.*",
         KINESIS_API.format("GetRecords") + " (InvalidArgumentException)"),
]


def _still_usable(lab: helpers.Lab, box: Sandbox) -> None:
    """A fresh function deploys and answers; the waiting message and the scheduled retry are intact."""
    _deploy(lab, "fresh", ANSWERS)
    assert boto3.client("lambda").invoke(FunctionName="fresh")["Payload"].read() == b'"ok"'
    attributes = box.sqs.get_queue_attributes(QueueUrl=box.waiting_url, AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == "1"
    attempts = lambda: [h for h in lab.recorder.hops if h.action == "invoke" and h.resource == "flaky"]  # noqa: E731
    assert len(attempts()) == 1
    lab.advance(minutes=1)
    assert len(attempts()) == 2  # the first retry, one minute later (aws-semantics.md 1.2 [L1])
    [message] = box.sqs.receive_message(QueueUrl=box.waiting_url)["Messages"]
    assert message["Body"] == "still here"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_gets_awss_error_and_the_lab_stays_usable(lab, sandbox, case):
    """Each case's docstring-equivalent is its `source`: the AWS page (or AWS-validated record) for the
    error code and message; the second half checks that nothing in flight was lost."""
    with pytest.raises(ClientError) as err:
        case.call(sandbox)
    error = err.value.response["Error"]
    assert error["Code"] == case.code, case.source
    assert re.fullmatch(case.message, error["Message"]), (error["Message"], case.source)
    _still_usable(lab, sandbox)


def test_the_catalogue_covers_every_service_at_least_25_times():
    """The brief: at least 25 bad inputs across SQS, SNS, EventBridge, DynamoDB and Kinesis."""
    services = {case.name.split("-")[0] for case in CASES}
    assert len(CASES) >= 25 and services == {"sqs", "sns", "events", "dynamodb", "kinesis"}


def test_a_refused_subscribe_creates_no_subscription(lab, sandbox):
    """AWS refuses Subscribe as a whole: the bad attribute leaves no half-made subscription behind."""
    with pytest.raises(ClientError):
        sandbox.sns.subscribe(TopicArn=sandbox.topic_arn, Protocol="sqs", Endpoint=sandbox.queue_arn,
                              Attributes={"FilterPolicyScope": "Nope"})
    assert [s["SubscriptionArn"] for s in sandbox.sns.list_subscriptions()["Subscriptions"]] == [
        sandbox.subscription_arn]
