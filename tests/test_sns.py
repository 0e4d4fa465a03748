"""SNS delivery semantics: Lambda and SQS envelopes, filter policies, raw delivery, FIFO, retries, DLQ."""
from __future__ import annotations

import hashlib
import json

import boto3
import pytest

import helpers
from queues import drain, fail_sends_to, make_queue

FORWARD_TO_QUEUE = """
import json, os, boto3
def handler(event, context):
    boto3.client("sqs").send_message(QueueUrl=os.environ["OUT"], MessageBody=json.dumps(event))
"""


@pytest.fixture
def sns():
    return boto3.client("sns")


def hops(lab, action: str) -> list:
    return [h for h in lab.recorder.hops if h.service == "sns" and h.action == action]


def subscribe_queue(sns, topic: str, name: str, **attributes: str) -> tuple[str, str, str]:
    url, arn = make_queue(name, **({"FifoQueue": "true"} if name.endswith(".fifo") else {}))
    subscription = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes=attributes,
                                 ReturnSubscriptionArn=True)["SubscriptionArn"]
    return url, arn, subscription


ATTRIBUTES = {"kind": {"DataType": "String", "StringValue": "order"},
              "total": {"DataType": "Number", "StringValue": "42"}}


def test_lambda_subscriber_gets_the_real_envelope(lab, sns):
    """aws-semantics.md 5 [Q3]: a Lambda subscriber is invoked asynchronously with Records[0].Sns carrying
    Type, the MessageId Publish returned, TopicArn, Subject, Message, Timestamp (from the clock),
    signature fields and MessageAttributes {Type, Value}; EventSource aws:sns."""
    out_url, _ = make_queue("out")
    fn = boto3.client("lambda").create_function(
        FunctionName="on-order", Runtime="python3.12", Role=lab.role_arn, Handler="lambda_function.handler",
        Code={"ZipFile": helpers.zip_code(FORWARD_TO_QUEUE)}, Environment={"Variables": {"OUT": out_url}})
    topic = sns.create_topic(Name="orders")["TopicArn"]
    subscription = sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=fn["FunctionArn"])["SubscriptionArn"]
    lab.advance(seconds=42.5)
    message_id = sns.publish(TopicArn=topic, Message="order 7", Subject="New order",
                             MessageAttributes=ATTRIBUTES)["MessageId"]
    [message] = drain(out_url)
    [record] = json.loads(message["Body"])["Records"]
    assert record["EventSource"] == "aws:sns" and record["EventVersion"] == "1.0"
    assert record["EventSubscriptionArn"] == subscription
    body = record["Sns"]
    assert {k: body[k] for k in ("Type", "MessageId", "TopicArn", "Subject", "Message", "Timestamp")} == {
        "Type": "Notification", "MessageId": message_id, "TopicArn": topic, "Subject": "New order",
        "Message": "order 7", "Timestamp": "2026-01-05T09:00:42.500Z"}
    assert body["MessageAttributes"] == {"kind": {"Type": "String", "Value": "order"},
                                         "total": {"Type": "Number", "Value": "42"}}
    assert body["SignatureVersion"] == "1" and body["Signature"]
    assert body["SigningCertUrl"].startswith("https://sns.us-east-1.amazonaws.com/")
    assert subscription in body["UnsubscribeUrl"]
    [attempt] = [h for h in lab.recorder.hops if h.service == "lambda" and h.action == "invoke"]
    assert attempt.detail["invocation_type"] == "Event" and attempt.detail["source"] == topic


def test_subject_is_null_for_lambda_when_not_given(lab, sns):
    """aws-semantics.md 5 [Q3]: without a Subject the Lambda event carries Subject null and {} attributes."""
    out_url, _ = make_queue("out")
    fn = boto3.client("lambda").create_function(
        FunctionName="f", Runtime="python3.12", Role=lab.role_arn, Handler="lambda_function.handler",
        Code={"ZipFile": helpers.zip_code(FORWARD_TO_QUEUE)}, Environment={"Variables": {"OUT": out_url}})
    topic = sns.create_topic(Name="orders")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=fn["FunctionArn"])
    sns.publish(TopicArn=topic, Message="hi")
    sns_part = json.loads(drain(out_url)[0]["Body"])["Records"][0]["Sns"]
    assert sns_part["Subject"] is None and sns_part["MessageAttributes"] == {}


def test_sqs_subscriber_gets_the_json_envelope(lab, sns):
    """aws-semantics.md 5 [Q3]: without raw delivery an SQS subscriber receives the SNS envelope."""
    topic = sns.create_topic(Name="orders")["TopicArn"]
    url, _, _ = subscribe_queue(sns, topic, "inbox")
    message_id = sns.publish(TopicArn=topic, Message="order 7", MessageAttributes=ATTRIBUTES)["MessageId"]
    envelope = json.loads(drain(url)[0]["Body"])
    assert list(envelope) == ["Type", "MessageId", "TopicArn", "Message", "Timestamp", "SignatureVersion",
                              "Signature", "SigningCertURL", "UnsubscribeURL", "MessageAttributes"]
    assert envelope["MessageId"] == message_id and envelope["Message"] == "order 7"
    assert envelope["Timestamp"] == "2026-01-05T09:00:00.000Z"
    assert envelope["MessageAttributes"]["total"] == {"Type": "Number", "Value": "42"}


def test_raw_message_delivery_strips_the_envelope(lab, sns):
    """aws-semantics.md 5 [Q3]: raw message delivery sends the bare message with its attributes."""
    topic = sns.create_topic(Name="orders")["TopicArn"]
    url, _, _ = subscribe_queue(sns, topic, "inbox", RawMessageDelivery="true")
    sns.publish(TopicArn=topic, Message='{"order": 7}', MessageAttributes=ATTRIBUTES)
    [message] = drain(url)
    assert message["Body"] == '{"order": 7}'
    assert message["MessageAttributes"]["kind"] == {"DataType": "String", "StringValue": "order"}
    assert message["MessageAttributes"]["total"] == {"DataType": "Number", "StringValue": "42"}


def test_delivery_happens_after_publish_returns(lab, sns):
    """design.md, The virtual clock: Publish only accepts the message; delivery follows the call."""
    topic = sns.create_topic(Name="orders")["TopicArn"]
    subscribe_queue(sns, topic, "inbox")
    sns.publish(TopicArn=topic, Message="m")
    actions = [h.action for h in lab.recorder.hops if h.service == "sns"]
    assert actions[-2:] == ["Publish", "deliver"]


@pytest.mark.parametrize("value,delivered", [("ORDER", True), ("Order", True), ("refund", False)])
def test_filter_policy_equals_ignore_case(lab, sns, value, delivered):
    """aws-semantics.md 5 [Q2]; design.md gap 'filter equals-ignore-case bug': the operator ignores case."""
    topic = sns.create_topic(Name="orders")["TopicArn"]
    url, arn, _ = subscribe_queue(sns, topic, "inbox",
                                  FilterPolicy=json.dumps({"kind": [{"equals-ignore-case": "order"}]}))
    sns.publish(TopicArn=topic, Message="m", MessageAttributes={"kind": {"DataType": "String", "StringValue": value}})
    assert len(drain(url)) == int(delivered)
    assert len(hops(lab, "filtered-out")) == int(not delivered)


def test_filter_policy_on_attributes_by_default(lab, sns):
    """aws-semantics.md 5 [Q2]: the default scope is MessageAttributes (numeric and prefix shown)."""
    topic = sns.create_topic(Name="orders")["TopicArn"]
    url, _, _ = subscribe_queue(sns, topic, "inbox", FilterPolicy=json.dumps(
        {"total": [{"numeric": [">", 40]}], "kind": [{"prefix": "ord"}]}))
    for kind, total in (("order", "42"), ("order", "10"), ("refund", "42")):
        sns.publish(TopicArn=topic, Message=f"{kind}-{total}", MessageAttributes={
            "kind": {"DataType": "String", "StringValue": kind}, "total": {"DataType": "Number", "StringValue": total}})
    assert [json.loads(m["Body"])["Message"] for m in drain(url)] == ["order-42"]


@pytest.mark.parametrize("scope_first", [True, False])
def test_filter_policy_scope_message_body(lab, sns, scope_first):
    """aws-semantics.md 5 [Q2]: FilterPolicyScope MessageBody filters on the JSON body, whichever attribute
    is set first."""
    topic = sns.create_topic(Name="orders")["TopicArn"]
    url, _, subscription = subscribe_queue(sns, topic, "inbox")
    settings = [("FilterPolicyScope", "MessageBody"),
                ("FilterPolicy", json.dumps({"city": [{"equals-ignore-case": "paris"}]}))]
    for name, value in settings if scope_first else settings[::-1]:
        sns.set_subscription_attributes(SubscriptionArn=subscription, AttributeName=name, AttributeValue=value)
    sns.publish(TopicArn=topic, Message=json.dumps({"city": "PARIS"}))
    sns.publish(TopicArn=topic, Message=json.dumps({"city": "Lyon"}))
    assert [json.loads(json.loads(m["Body"])["Message"]) for m in drain(url)] == [{"city": "PARIS"}]


def test_nested_filter_policy_on_the_message_body(lab, sns):
    """aws-semantics.md 5 [Q2]: with scope MessageBody a policy can reach into nested JSON."""
    topic = sns.create_topic(Name="orders")["TopicArn"]
    url, _, _ = subscribe_queue(sns, topic, "inbox", FilterPolicyScope="MessageBody",
                                FilterPolicy=json.dumps({"order": {"total": [{"numeric": [">=", 100]}]}}))
    sns.publish(TopicArn=topic, Message=json.dumps({"order": {"total": 120}}))
    sns.publish(TopicArn=topic, Message=json.dumps({"order": {"total": 80}}))
    sns.publish(TopicArn=topic, Message="not json")
    assert [json.loads(json.loads(m["Body"])["Message"]) for m in drain(url)] == [{"order": {"total": 120}}]


def test_fifo_topic_passes_group_and_deduplication_ids(lab, sns):
    """aws-semantics.md 5 [Q6]: a FIFO topic delivers to a FIFO queue with the message's MessageGroupId and
    deduplication id; the queue needs no content-based deduplication."""
    topic = sns.create_topic(Name="orders.fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
    url, _, _ = subscribe_queue(sns, topic, "inbox.fifo", RawMessageDelivery="true")
    for n in (1, 2, 1):
        sns.publish(TopicArn=topic, Message=f"m{n}", MessageGroupId="customer-1", MessageDeduplicationId=f"d{n}")
    messages = drain(url)
    assert [m["Body"] for m in messages] == ["m1", "m2"]  # the repeated d1 is deduplicated by the queue
    assert [m["Attributes"]["MessageGroupId"] for m in messages] == ["customer-1"] * 2
    assert [m["Attributes"]["MessageDeduplicationId"] for m in messages] == ["d1", "d2"]


def test_fifo_topic_with_content_based_deduplication(lab, sns):
    """aws-semantics.md 5 [Q6]: with content-based deduplication on the topic the id is the SHA-256 of the
    message, passed on to the queue."""
    topic = sns.create_topic(Name="orders.fifo", Attributes={
        "FifoTopic": "true", "ContentBasedDeduplication": "true"})["TopicArn"]
    url, _, _ = subscribe_queue(sns, topic, "inbox.fifo", RawMessageDelivery="true")
    sns.publish(TopicArn=topic, Message="m1", MessageGroupId="g")
    sns.publish(TopicArn=topic, Message="m1", MessageGroupId="g")
    [message] = drain(url)
    assert message["Attributes"]["MessageDeduplicationId"] == hashlib.sha256(b"m1").hexdigest()


def test_fifo_topic_deduplicates_for_five_minutes_even_when_its_subscribers_cannot(lab, sns):
    """aws-semantics.md 5 [Q6]: a FIFO topic accepts a duplicate published within the 5-minute interval
    but does not deliver it (SNS PublishRequest MessageDeduplicationId: "subsequent messages within the
    deduplication scope and interval ... are accepted successfully but aren't delivered"), here to a
    Lambda subscriber, which has no deduplication of its own."""
    lambda_ = boto3.client("lambda")
    lambda_.create_function(FunctionName="inbox", Runtime="python3.12", Role=lab.role_arn,
                            Handler="lambda_function.handler",
                            Code={"ZipFile": helpers.zip_code("def handler(event, context):\n    return 1\n")})
    topic = sns.create_topic(Name="orders.fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=lambda_.get_function(
        FunctionName="inbox")["Configuration"]["FunctionArn"])
    publish = lambda: sns.publish(TopicArn=topic, Message="m", MessageGroupId="g",  # noqa: E731
                                  MessageDeduplicationId="d1")["MessageId"]
    assert publish() and publish()
    lab.advance(minutes=4)
    publish()
    lab.advance(minutes=1)
    publish()  # five minutes after the first: delivered again
    lab.advance(seconds=1)
    assert len([h for h in lab.recorder.hops if h.action == "invoke" and h.resource == "inbox"]) == 2
    assert len(hops(lab, "deduplicated")) == 2


def test_transient_failures_are_retried_on_the_sns_schedule(lab, sns, monkeypatch):
    """aws-semantics.md 5 [Q1]: to SQS/Lambda, SNS retries 3 times at once, then twice after 1 s, then with
    backoff; the message arrives once the endpoint recovers."""
    topic = sns.create_topic(Name="orders")["TopicArn"]
    url, _, _ = subscribe_queue(sns, topic, "inbox")
    fail_sends_to(monkeypatch, "inbox", times=5)
    start = lab.now()
    sns.publish(TopicArn=topic, Message="m")
    assert [h.detail["delay"] for h in hops(lab, "retry")] == [0, 0, 0, 1]
    assert drain(url) == []
    lab.advance(seconds=2)
    assert [h.detail["delay"] for h in hops(lab, "retry")] == [0, 0, 0, 1, 1]
    [delivered] = hops(lab, "deliver")
    assert delivered.detail["attempt"] == 6 and (delivered.time - start).total_seconds() == 2
    assert len(drain(url)) == 1


def test_deleted_endpoint_goes_to_the_subscription_dlq_without_retries(lab, sns):
    """aws-semantics.md 5 [Q1]: a deleted endpoint is a client-side error: no retries; the message goes
    to the subscription's dead-letter queue (RedrivePolicy)."""
    topic = sns.create_topic(Name="orders")["TopicArn"]
    dlq_url, dlq_arn = make_queue("orders-dlq")
    url, _, _ = subscribe_queue(sns, topic, "inbox", RedrivePolicy=json.dumps({"deadLetterTargetArn": dlq_arn}))
    boto3.client("sqs").delete_queue(QueueUrl=url)
    message_id = sns.publish(TopicArn=topic, Message="m")["MessageId"]
    assert hops(lab, "retry") == []
    [dead] = drain(dlq_url)
    assert json.loads(dead["Body"])["MessageId"] == message_id
    assert hops(lab, "dead-letter")[0].detail["target"] == dlq_arn


def test_deleted_endpoint_without_dlq_drops_the_message(lab, sns):
    """aws-semantics.md 5 [Q1]: without a DLQ an undeliverable message is dropped."""
    topic = sns.create_topic(Name="orders")["TopicArn"]
    url, arn, _ = subscribe_queue(sns, topic, "inbox")
    boto3.client("sqs").delete_queue(QueueUrl=url)
    sns.publish(TopicArn=topic, Message="m")
    [drop] = hops(lab, "drop")
    assert drop.detail["endpoint"] == arn and drop.detail["error"] == "NO_RESOURCE"
