"""The asynchronous invocation model: queue, retries on the clock, max age, destinations, DLQs."""
from __future__ import annotations

import datetime as dt
import json
import re
import time

import boto3
import pytest
from botocore.exceptions import ClientError, ParamValidationError

import helpers
from helpers.runtime.clock import EPOCH

FAILING = "def handler(event, context):\n    raise ValueError('no stock for ' + event['item'])\n"
ECHO = "def handler(event, context):\n    return {'done': event['item']}\n"
#: Sends what it receives to the queue named in its environment: a function destination's witness.
FORWARD = """
import json, os, boto3
def handler(event, context):
    boto3.client("sqs").send_message(QueueUrl=os.environ["QUEUE_URL"], MessageBody=json.dumps(event))
"""


def deploy(lab: helpers.Lab, code: str, name: str = "fn", **config) -> str:
    return boto3.client("lambda").create_function(
        FunctionName=name, Runtime="python3.12", Role=lab.role_arn, Handler="lambda_function.handler",
        Code={"ZipFile": helpers.zip_code(code)}, **config)["FunctionArn"]


def queue(name: str) -> tuple[str, str]:
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def received(url: str) -> list[dict]:
    return boto3.client("sqs").receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]).get("Messages", [])


def invoke_event(name: str = "fn", payload: object = None) -> dict:
    response = boto3.client("lambda").invoke(FunctionName=name, InvocationType="Event",
                                             Payload=json.dumps(payload or {"item": "tea"}))
    response["Body"] = response["Payload"].read()
    return response


def attempt_times(lab: helpers.Lab, name: str = "fn") -> list[float]:
    """Seconds after the epoch at which each attempt of `name` ran."""
    return [(hop.time - EPOCH).total_seconds() for hop in lab.recorder.hops
            if (hop.service, hop.action, hop.resource) == ("lambda", "invoke", name)]


def on_failure(queue_arn: str, **config) -> None:
    boto3.client("lambda").put_function_event_invoke_config(
        FunctionName="fn", DestinationConfig={"OnFailure": {"Destination": queue_arn}}, **config)


def test_event_is_accepted_with_202_and_runs_after_the_call(lab):
    """aws-semantics.md 1.2 [L2]: Event returns 202 with an empty body; the queue runs it at once."""
    deploy(lab, ECHO)
    response = invoke_event()
    assert response["StatusCode"] == 202
    assert response["Body"] == b""
    assert attempt_times(lab) == [0.0]
    invoke_hop = next(h for h in lab.recorder.hops if h.action == "invoke")
    assert invoke_hop.detail["invocation_type"] == "Event"


def test_errors_are_retried_after_one_then_two_minutes_then_sent_on_failure(lab):
    """aws-semantics.md 1.2 [L1][L2]: attempts at t, t+60 s, t+180 s; then the record, RetriesExhausted."""
    deploy(lab, FAILING)
    url, arn = queue("failures")
    on_failure(arn)
    invoke_event(payload={"item": "tea"})
    lab.advance(seconds=179)
    assert attempt_times(lab) == [0.0, 60.0]
    assert received(url) == []
    lab.advance(seconds=1)
    assert attempt_times(lab) == [0.0, 60.0, 180.0]
    [message] = received(url)
    record = json.loads(message["Body"])
    request_ids = {h.detail["report"].request_id for h in lab.recorder.hops if h.action == "invoke"}
    assert request_ids == {record["requestContext"]["requestId"]}  # every attempt keeps the event's ID
    assert record["version"] == "1.0"
    assert record["timestamp"] == "2026-01-05T09:03:00.000Z"
    assert record["requestContext"] == {
        "requestId": record["requestContext"]["requestId"],
        "functionArn": f"arn:aws:lambda:{lab.region}:{lab.account_id}:function:fn:$LATEST",
        "condition": "RetriesExhausted", "approximateInvokeCount": 3}
    assert record["requestPayload"] == {"item": "tea"}
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST",
                                         "functionError": "Unhandled"}
    assert record["responsePayload"]["errorType"] == "ValueError"
    assert record["responsePayload"]["errorMessage"] == "no stock for tea"
    lab.run_until_idle()
    assert attempt_times(lab) == [0.0, 60.0, 180.0]


def test_maximum_retry_attempts_zero_fails_after_one_attempt(lab):
    """aws-semantics.md 1.2 [L3]: MaximumRetryAttempts 0 means no retries."""
    deploy(lab, FAILING)
    url, arn = queue("failures")
    on_failure(arn, MaximumRetryAttempts=0)
    invoke_event()
    [message] = received(url)
    assert json.loads(message["Body"])["requestContext"]["approximateInvokeCount"] == 1
    lab.run_until_idle()
    assert attempt_times(lab) == [0.0]


def test_events_older_than_the_maximum_age_are_not_run_again(lab):
    """aws-semantics.md 1.2 [L2][L3]: an event older than MaximumEventAgeInSeconds goes on-failure.

    The condition `EventAgeExceeded` is not confirmed on an AWS page (aws-semantics.md 1.2).
    """
    deploy(lab, FAILING)
    url, arn = queue("failures")
    on_failure(arn, MaximumEventAgeInSeconds=60)
    invoke_event()
    lab.run_until_idle()
    assert attempt_times(lab) == [0.0, 60.0]  # the third attempt would be 180 s old
    [message] = received(url)
    record = json.loads(message["Body"])
    assert record["requestContext"]["condition"] == "EventAgeExceeded"
    assert record["requestContext"]["approximateInvokeCount"] == 2
    assert record["timestamp"] == "2026-01-05T09:03:00.000Z"
    assert [h.action for h in lab.recorder.hops if h.action in ("expire", "destination")] == \
        ["expire", "destination"]


def test_on_success_destination_gets_the_result(lab):
    """aws-semantics.md 1.2 [L2][L3b]: OnSuccess receives the record with condition Success."""
    deploy(lab, ECHO)
    url, arn = queue("successes")
    boto3.client("lambda").put_function_event_invoke_config(
        FunctionName="fn", DestinationConfig={"OnSuccess": {"Destination": arn}})
    invoke_event(payload={"item": "tea"})
    [message] = received(url)
    record = json.loads(message["Body"])
    assert record["requestContext"]["condition"] == "Success"
    assert record["requestContext"]["approximateInvokeCount"] == 1
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST"}
    assert record["responsePayload"] == {"done": "tea"}


def test_lambda_destination_receives_the_record_as_its_payload(lab):
    """aws-semantics.md 1.2 [L2]: a Lambda destination is invoked (asynchronously) with the record."""
    url, _ = queue("witness")
    target = deploy(lab, FORWARD, name="audit", Environment={"Variables": {"QUEUE_URL": url}})
    deploy(lab, ECHO)
    boto3.client("lambda").put_function_event_invoke_config(
        FunctionName="fn", DestinationConfig={"OnSuccess": {"Destination": target}})
    invoke_event()
    [message] = received(url)
    assert json.loads(message["Body"])["responsePayload"] == {"done": "tea"}
    assert attempt_times(lab, "audit") == [0.0]


def test_sns_destination_publishes_the_record(lab):
    """aws-semantics.md 1.2 [L2]: an SNS destination receives the record as the message."""
    sns = boto3.client("sns")
    topic = sns.create_topic(Name="results")["TopicArn"]
    url, queue_arn = queue("subscriber")
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})
    deploy(lab, FAILING)
    on_failure(topic, MaximumRetryAttempts=0)
    invoke_event()
    [message] = received(url)
    assert json.loads(message["Body"])["requestContext"]["condition"] == "RetriesExhausted"


def test_eventbridge_destination_sends_the_record_as_detail(lab):
    """aws-semantics.md 1.2 [L2]: an event bus receives source "lambda" and the result detail-type."""
    events = boto3.client("events")
    bus = events.create_event_bus(Name="results")["EventBusArn"]
    url, queue_arn = queue("failures")
    events.put_rule(Name="lambda-results", EventBusName="results", EventPattern=json.dumps({"source": ["lambda"]}))
    events.put_targets(Rule="lambda-results", EventBusName="results", Targets=[{"Id": "q", "Arn": queue_arn}])
    deploy(lab, FAILING)
    on_failure(bus, MaximumRetryAttempts=0)
    invoke_event()
    [message] = received(url)
    event = json.loads(message["Body"])
    assert event["source"] == "lambda"
    assert event["detail-type"] == "Lambda Function Invocation Result - Failure"
    assert event["detail"]["requestContext"]["condition"] == "RetriesExhausted"


def test_dead_letter_queue_gets_the_event_with_error_attributes(lab):
    """aws-semantics.md 1.2 [L2]: without OnFailure, the DLQ gets the event, RequestID, ErrorCode,
    and the first 1 KB of ErrorMessage."""
    url, arn = queue("dlq")
    code = "def handler(event, context):\n    raise RuntimeError('x' * 3000)\n"
    deploy(lab, code, DeadLetterConfig={"TargetArn": arn})
    config = boto3.client("lambda").get_function_configuration(FunctionName="fn")
    assert config["DeadLetterConfig"] == {"TargetArn": arn}
    invoke_event(payload={"item": "tea"})
    lab.advance(minutes=2, seconds=59)
    assert received(url) == []
    lab.advance(seconds=1)
    [message] = received(url)
    assert json.loads(message["Body"]) == {"item": "tea"}
    attributes = message["MessageAttributes"]
    request_id = next(h.detail["request_id"] for h in lab.recorder.hops if h.action == "queue")
    assert attributes["RequestID"] == {"StringValue": request_id, "DataType": "String"}
    assert attributes["ErrorCode"] == {"StringValue": "200", "DataType": "Number"}
    assert attributes["ErrorMessage"]["StringValue"] == "x" * 1024


def test_dead_letter_topic_gets_the_event_with_error_attributes(lab):
    """aws-semantics.md 1.2 [L2]: the DLQ may be an SNS topic; it publishes the event as-is with
    RequestID, ErrorCode and ErrorMessage as message attributes."""
    sns = boto3.client("sns")
    topic = sns.create_topic(Name="failed-events")["TopicArn"]
    url, queue_arn = queue("subscriber")
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})
    deploy(lab, FAILING, DeadLetterConfig={"TargetArn": topic})
    boto3.client("lambda").put_function_event_invoke_config(FunctionName="fn", MaximumRetryAttempts=0)
    invoke_event(payload={"item": "tea"})
    [message] = received(url)
    assert json.loads(message["Body"]) == {"item": "tea"}
    attributes = message["MessageAttributes"]
    assert attributes["ErrorCode"] == {"StringValue": "200", "DataType": "Number"}
    assert attributes["ErrorMessage"]["StringValue"] == "no stock for tea"
    assert set(attributes) == {"RequestID", "ErrorCode", "ErrorMessage"}


def test_dead_letter_config_can_be_set_and_removed_by_update(lab):
    """aws-semantics.md 1.2 [L2]: UpdateFunctionConfiguration sets the DLQ; an empty TargetArn removes it."""
    lambda_ = boto3.client("lambda")
    _, arn = queue("dlq")
    deploy(lab, ECHO)
    lambda_.update_function_configuration(FunctionName="fn", DeadLetterConfig={"TargetArn": arn})
    assert lambda_.get_function_configuration(FunctionName="fn")["DeadLetterConfig"] == {"TargetArn": arn}
    lambda_.update_function_configuration(FunctionName="fn", DeadLetterConfig={"TargetArn": ""})
    assert "DeadLetterConfig" not in lambda_.get_function_configuration(FunctionName="fn")


def test_put_event_invoke_config_replaces_and_update_merges(lab):
    """aws-semantics.md 1.2 [L3]: a second Put overwrites (omitted settings are removed); Update merges."""
    lambda_ = boto3.client("lambda")
    _, arn = queue("failures")
    deploy(lab, ECHO)
    lambda_.put_function_event_invoke_config(FunctionName="fn", MaximumRetryAttempts=1,
                                             DestinationConfig={"OnFailure": {"Destination": arn}})
    lambda_.put_function_event_invoke_config(FunctionName="fn", MaximumEventAgeInSeconds=300)
    configs = lambda_.list_function_event_invoke_configs(FunctionName="fn")["FunctionEventInvokeConfigs"]
    assert len(configs) == 1
    config = lambda_.get_function_event_invoke_config(FunctionName="fn")
    assert config["MaximumEventAgeInSeconds"] == 300
    assert "MaximumRetryAttempts" not in config and "DestinationConfig" not in config
    lambda_.update_function_event_invoke_config(FunctionName="fn", MaximumRetryAttempts=0)
    config = lambda_.get_function_event_invoke_config(FunctionName="fn")
    assert (config["MaximumEventAgeInSeconds"], config["MaximumRetryAttempts"]) == (300, 0)


@pytest.mark.parametrize("setting, value, message", [
    ("MaximumRetryAttempts", 3, "Value '3' at 'maximumRetryAttempts' failed to satisfy constraint: "
                                "Member must have value less than or equal to 2"),
    ("MaximumEventAgeInSeconds", 21601, "Value '21601' at 'maximumEventAgeInSeconds' failed to satisfy "
                                        "constraint: Member must have value less than or equal to 21600"),
])
def test_event_invoke_config_ranges(lab, setting, value, message):
    """aws-semantics.md 1.2 [L3]: MaximumRetryAttempts 0-2, MaximumEventAgeInSeconds 60-21600."""
    deploy(lab, ECHO)
    with pytest.raises(ClientError) as caught:
        boto3.client("lambda").put_function_event_invoke_config(FunctionName="fn", **{setting: value})
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert caught.value.response["Error"]["Message"] == f"1 validation error detected: {message}"
    with pytest.raises(ParamValidationError):  # below the minimum: refused by the SDK, as on AWS
        boto3.client("lambda").put_function_event_invoke_config(FunctionName="fn", MaximumEventAgeInSeconds=59)


def test_reserved_concurrency_zero_sends_new_events_straight_on_failure(lab):
    """aws-semantics.md 1.2 [L2]: reserved concurrency 0: no attempt, no retries, on-failure at once."""
    deploy(lab, ECHO)
    url, arn = queue("failures")
    on_failure(arn)
    boto3.client("lambda").put_function_concurrency(FunctionName="fn", ReservedConcurrentExecutions=0)
    assert invoke_event()["StatusCode"] == 202
    [message] = received(url)
    record = json.loads(message["Body"])
    assert record["requestContext"]["approximateInvokeCount"] == 0
    assert record["requestPayload"] == {"item": "tea"}
    lab.run_until_idle()
    assert attempt_times(lab) == []


def test_throttled_events_back_off_from_one_second_to_five_minutes(lab):
    """aws-semantics.md 1.2 [L1]: throttled events are retried with backoff from 1 s up to 5 min."""
    deploy(lab, ECHO)
    url, arn = queue("successes")
    boto3.client("lambda").put_function_event_invoke_config(
        FunctionName="fn", DestinationConfig={"OnSuccess": {"Destination": arn}})
    lab.faults.throttle("fn", times=11)
    invoke_event()
    lab.run_until_idle()
    delays = [h.detail["delay_s"] for h in lab.recorder.hops if h.action == "retry"]
    assert delays == [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300]
    assert attempt_times(lab) == [float(sum(delays))]
    [message] = received(url)
    assert json.loads(message["Body"])["requestContext"]["approximateInvokeCount"] == 1


def test_three_hours_of_throttling_passes_in_well_under_a_second(lab):
    """aws-semantics.md 1.2 [L1][L3] and design.md (instant): an event throttled until its maximum
    age of 3 h expires on the virtual clock, in well under a second of real time."""
    deploy(lab, ECHO)
    url, arn = queue("failures")
    on_failure(arn, MaximumEventAgeInSeconds=3 * 3600)
    lab.faults.throttle("fn")
    invoke_event()
    started = time.perf_counter()
    lab.run_until_idle()
    assert time.perf_counter() - started < 0.5
    assert lab.now() - EPOCH > dt.timedelta(hours=3)
    [message] = received(url)
    record = json.loads(message["Body"])
    assert record["requestContext"]["condition"] == "EventAgeExceeded"
    assert record["requestContext"]["approximateInvokeCount"] == 0


def _timeline(lab: helpers.Lab) -> list[tuple]:
    deploy(lab, FAILING)
    url, arn = queue("failures")
    on_failure(arn)
    lab.faults.fail("fn", rate=0.5)
    for item in ("tea", "cake", "jam"):
        invoke_event(payload={"item": item})
    lab.run_until_idle()
    hops = [(h.time, h.service, h.action, h.resource, h.detail.get("request_id"), h.detail.get("attempt"))
            for h in lab.recorder.hops]
    return hops + [tuple(m["Body"] for m in received(url))]


def test_the_same_scenario_gives_the_same_timeline(lab):
    """design.md principle 4 (deterministic), aws-semantics.md 1.2 [L1]: two runs, one timeline."""
    first = _timeline(lab)
    second = _timeline(helpers.start(reset=True))
    assert first == second
    assert any(action == "retry" for _, _, action, *_ in first[:-1])


def test_dead_letter_topic_gets_the_event_with_error_attributes(lab):
    """aws-semantics.md 1.2 [L2]: an SNS dead-letter topic publishes the event with the error attributes."""
    sns = boto3.client("sns")
    topic = sns.create_topic(Name="dlq")["TopicArn"]
    url, queue_arn = queue("subscriber")
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    deploy(lab, FAILING, DeadLetterConfig={"TargetArn": topic})
    boto3.client("lambda").put_function_event_invoke_config(FunctionName="fn", MaximumRetryAttempts=0)
    invoke_event(payload={"item": "tea"})
    [message] = received(url)
    envelope = json.loads(message["Body"])
    assert json.loads(envelope["Message"]) == {"item": "tea"}
    assert envelope["MessageAttributes"]["ErrorCode"] == {"Type": "Number", "Value": "200"}
    assert envelope["MessageAttributes"]["ErrorMessage"] == {"Type": "String", "Value": "no stock for tea"}


def test_failed_event_without_destination_or_dlq_is_dropped(lab):
    """aws-semantics.md 1.2 [L1][L2]: with neither OnFailure nor DLQ, Lambda discards the event."""
    deploy(lab, FAILING)
    invoke_event()
    lab.run_until_idle()
    assert attempt_times(lab) == [0.0, 60.0, 180.0]
    [drop] = [h for h in lab.recorder.hops if h.action == "drop"]
    assert drop.detail["condition"] == "RetriesExhausted"
    assert (drop.time - EPOCH).total_seconds() == 180.0


def test_events_of_a_deleted_function_are_dropped(lab):
    """aws-semantics.md 1.2 (sandbox choice, not confirmed on an AWS page): a queued retry of a
    function deleted meanwhile never runs."""
    deploy(lab, FAILING)
    invoke_event()
    boto3.client("lambda").delete_function(FunctionName="fn")
    lab.run_until_idle()
    assert attempt_times(lab) == [0.0]
    assert [h.detail.get("reason") for h in lab.recorder.hops if h.action == "drop"] == ["function deleted"]


def test_s3_on_failure_destination_stores_the_record_under_lambdas_key(lab):
    """Lambda stores the invocation record as a JSON object in an S3 on-failure destination, named
    `aws/lambda/async/<function-name>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<random UUID>`
    (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html); S3 takes
    failures only."""
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="failures")
    deploy(lab, FAILING)
    on_failure("arn:aws:s3:::failures", MaximumRetryAttempts=0)
    invoke_event()
    lab.advance(minutes=1)
    [key] = [o["Key"] for o in s3.list_objects_v2(Bucket="failures")["Contents"]]
    assert re.fullmatch(r"aws/lambda/async/fn/2026/01/05/2026-01-05T09\.00\.00-[0-9a-f-]{36}", key)
    record = json.loads(s3.get_object(Bucket="failures", Key=key)["Body"].read())
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestPayload"] == {"item": "tea"}
    assert record["responsePayload"]["errorMessage"] == "no stock for tea"
    assert [h.action for h in lab.recorder.hops if h.service == "lambda" and h.action == "destination"] == [
        "destination"]


def test_a_missing_s3_destination_bucket_drops_the_record_and_says_why(lab):
    """A record Lambda cannot deliver is dropped (a DestinationDeliveryFailures metric on AWS,
    invocation-async-retain-records); the trace names the reason and the lab goes on."""
    deploy(lab, FAILING)
    on_failure("arn:aws:s3:::no-such-bucket", MaximumRetryAttempts=0)
    invoke_event()
    lab.advance(minutes=1)
    [drop] = [h for h in lab.recorder.hops if h.action == "drop"]
    assert "destination delivery failed" in drop.detail["reason"]
