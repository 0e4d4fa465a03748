"""SQS event source mappings: Lambda's poller delivers batches, partial failures, visibility, redrive."""
from __future__ import annotations

import hashlib
import json

import boto3
import pytest
from botocore.exceptions import ClientError

import helpers
from helpers.runtime.clock import EPOCH

#: Logs each event it receives; fails the messages whose body says so, per the response mode below.
WORKER = """
import json
def handler(event, context):
    print("EVENT " + json.dumps(event))
    return {"batchItemFailures": [{"itemIdentifier": r["messageId"]}
                                  for r in event["Records"] if r["body"].startswith("bad")]}
"""


def deploy(lab: helpers.Lab, code: str, name: str = "worker", timeout: int = 3) -> None:
    boto3.client("lambda").create_function(
        FunctionName=name, Runtime="python3.12", Role=lab.role_arn, Handler="lambda_function.handler",
        Code={"ZipFile": helpers.zip_code(code)}, Timeout=timeout, MemorySize=1769)


def queue(name: str, **attributes: str) -> tuple[str, str]:
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def map_queue(queue_arn: str, name: str = "worker", **config) -> str:
    return boto3.client("lambda").create_event_source_mapping(
        EventSourceArn=queue_arn, FunctionName=name, **config)["UUID"]


def send(url: str, *bodies: str, **params) -> list[str]:
    sqs = boto3.client("sqs")
    return [sqs.send_message(QueueUrl=url, MessageBody=body, **params)["MessageId"] for body in bodies]


def events(name: str = "worker") -> list[dict]:
    """The events the function logged, in order."""
    logs = boto3.client("logs")
    group = f"/aws/lambda/{name}"
    if not logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]:
        return []
    found = logs.filter_log_events(logGroupName=group)["events"]
    return [json.loads(e["message"][len("EVENT "):]) for e in found if e["message"].startswith("EVENT ")]


def bodies(event: dict) -> list[str]:
    return [record["body"] for record in event["Records"]]


def invoke_times(lab: helpers.Lab, name: str = "worker") -> list[float]:
    return [(hop.time - EPOCH).total_seconds() for hop in lab.recorder.hops
            if (hop.service, hop.action, hop.resource) == ("lambda", "invoke", name)]


def counts(url: str) -> tuple[int, int]:
    """(visible, in flight) messages of the queue."""
    attrs = boto3.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"]), int(attrs["ApproximateNumberOfMessagesNotVisible"])


def test_batch_arrives_after_the_send_returns_with_real_record_fields(lab):
    """aws-semantics.md 1.3 [L9][L14]: a poller reads the queue; records carry SQS's real fields."""
    deploy(lab, WORKER)
    url, arn = queue("orders")
    map_queue(arn)
    sqs = boto3.client("sqs")
    sent = sqs.send_message(QueueUrl=url, MessageBody='{"order": 1}', MessageAttributes={
        "channel": {"DataType": "String", "StringValue": "web"},
        "blob": {"DataType": "Binary", "BinaryValue": b"\x01\x02"}})
    send_hop = next(h for h in lab.recorder.hops if (h.service, h.action) == ("sqs", "send"))
    invoke_hop = next(h for h in lab.recorder.hops if (h.service, h.action) == ("lambda", "invoke"))
    assert send_hop.seq < invoke_hop.seq and invoke_hop.detail["invocation_type"] == "poll"
    assert invoke_hop.detail["source"] == arn and invoke_hop.detail["batch_size"] == 1
    [event] = events()
    [record] = event["Records"]
    sent_ms = str(int(EPOCH.timestamp() * 1000))
    assert record["messageId"] == sent["MessageId"] and record["body"] == '{"order": 1}'
    assert record["receiptHandle"]
    assert record["attributes"] == {
        "ApproximateReceiveCount": "1", "SentTimestamp": sent_ms, "SenderId": record["attributes"]["SenderId"],
        "ApproximateFirstReceiveTimestamp": sent_ms, "AWSTraceHeader": send_hop.trace}
    assert record["messageAttributes"] == {
        "channel": {"stringValue": "web", "stringListValues": [], "binaryListValues": [], "dataType": "String"},
        "blob": {"binaryValue": "AQI=", "stringListValues": [], "binaryListValues": [], "dataType": "Binary"}}
    assert record["md5OfBody"] == hashlib.md5(b'{"order": 1}').hexdigest() == sent["MD5OfMessageBody"]
    assert (record["eventSource"], record["eventSourceARN"], record["awsRegion"]) == ("aws:sqs", arn, lab.region)
    assert counts(url) == (0, 0)  # processed messages are deleted


def test_invocation_joins_the_senders_trace(lab):
    """aws-semantics.md 1.3 [L14]: the AWSTraceHeader system attribute carries the sender's trace."""
    deploy(lab, WORKER)
    url, arn = queue("orders")
    map_queue(arn)
    send(url, "a")
    by_action = {(h.service, h.action): h.trace for h in lab.recorder.hops}
    assert by_action[("lambda", "invoke")] == by_action[("sqs", "send")] is not None


def test_batches_respect_batch_size(lab):
    """aws-semantics.md 1.3 [L9]: BatchSize caps each batch; a backlog is drained batch by batch."""
    deploy(lab, WORKER)
    url, arn = queue("orders")
    send(url, *[f"m{i}" for i in range(25)])
    map_queue(arn, BatchSize=10)
    assert [len(e["Records"]) for e in events()] == [10, 10, 5]
    assert sorted(b for e in events() for b in bodies(e)) == sorted(f"m{i}" for i in range(25))
    assert invoke_times(lab) == [0, 0, 0]


def test_batching_window_waits_on_the_clock_unless_the_batch_is_full(lab):
    """aws-semantics.md 1.3 [L9]: MaximumBatchingWindowInSeconds gathers records unless BatchSize is reached."""
    deploy(lab, WORKER)
    url, arn = queue("orders")
    map_queue(arn, BatchSize=20, MaximumBatchingWindowInSeconds=20)
    send(url, "a", "b", "c")
    lab.advance(seconds=19)
    assert events() == []
    lab.advance(seconds=1)
    assert [bodies(e) for e in events()] == [["a", "b", "c"]] and invoke_times(lab) == [20]
    sqs = boto3.client("sqs")
    for start in (0, 10):
        sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": f"e{i}", "MessageBody": f"x{i}"}
                                                      for i in range(start, start + 10)])
    assert [len(e["Records"]) for e in events()] == [3, 20] and invoke_times(lab) == [20, 20]


def test_backlog_is_processed_when_a_mapping_is_created_or_enabled(lab):
    """aws-semantics.md 1.3 [L9]: a disabled mapping delivers nothing; enabling it drains the backlog."""
    deploy(lab, WORKER)
    url, arn = queue("orders")
    send(url, "a", "b")
    uuid = map_queue(arn, Enabled=False)
    send(url, "c")
    lab.advance(minutes=5)
    assert events() == [] and counts(url) == (3, 0)
    boto3.client("lambda").update_event_source_mapping(UUID=uuid, Enabled=True)
    assert [bodies(e) for e in events()] == [["a", "b", "c"]] and counts(url) == (0, 0)


RESPONSES = {  # handler return expression -> ids (by index) that must come back
    "None": [], "{}": [], "{'batchItemFailures': []}": [], "{'batchItemFailures': None}": [],
    "{'batchItemFailures': [{'itemIdentifier': ids[1]}]}": [1],
    "{'batchItemFailures': [{'itemIdentifier': ''}]}": [0, 1, 2],
    "{'batchItemFailures': [{'itemIdentifier': None}]}": [0, 1, 2],
    "{'batchItemFailures': [{'messageId': ids[1]}]}": [0, 1, 2],
    "{'batchItemFailures': [{'itemIdentifier': 'not-in-this-batch'}]}": [0, 1, 2],
    "1 / 0": [0, 1, 2],
}


@pytest.mark.parametrize("response", RESPONSES)
def test_report_batch_item_failures_rules(lab, response):
    """aws-semantics.md 1.3 [L12][L16]: success and failure rules of batchItemFailures, row by row."""
    deploy(lab, "import json\ndef handler(event, context):\n    print('EVENT ' + json.dumps(event))\n"
                "    ids = [r['messageId'] for r in event['Records']]\n"
                f"    return {response}\n")
    url, arn = queue("orders", VisibilityTimeout="40")
    ids = send(url, "a", "b", "c")
    map_queue(arn, FunctionResponseTypes=["ReportBatchItemFailures"])
    expected = [ids[i] for i in RESPONSES[response]]
    assert counts(url) == (0, len(expected))
    lab.advance(seconds=40)
    retried = [r for e in events()[1:] for r in e["Records"]]
    assert [r["messageId"] for r in retried] == expected
    assert all(r["attributes"]["ApproximateReceiveCount"] == "2" for r in retried)
    assert invoke_times(lab) == ([0, 40] if expected else [0])


def test_batch_item_failures_are_ignored_without_the_response_type(lab):
    """aws-semantics.md 1.3 [L12]: without ReportBatchItemFailures a returned list means nothing."""
    deploy(lab, WORKER)
    url, arn = queue("orders")
    send(url, "bad-1", "ok")
    map_queue(arn)
    assert counts(url) == (0, 0)


def test_failed_messages_reappear_after_the_visibility_timeout_then_go_to_the_dlq(lab):
    """aws-semantics.md 1.3 [L12][L13][L14]: failures return after the queue's visibility timeout;
    after maxReceiveCount receives the queue's RedrivePolicy moves them to the DLQ."""
    deploy(lab, WORKER)
    dlq_url, dlq_arn = queue("orders-dlq")
    url, arn = queue("orders", VisibilityTimeout="45", RedrivePolicy=json.dumps(
        {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "3"}))
    [bad] = send(url, "bad-order")
    send(url, "good-order")
    map_queue(arn, FunctionResponseTypes=["ReportBatchItemFailures"])
    lab.advance(seconds=44)
    assert invoke_times(lab) == [0]
    lab.advance(minutes=5)
    assert invoke_times(lab) == [0, 45, 90]
    assert [r["attributes"]["ApproximateReceiveCount"] for e in events()[1:] for r in e["Records"]] == ["2", "3"]
    redrive = [h for h in lab.recorder.hops if (h.service, h.action) == ("sqs", "redrive")]
    assert [((h.time - EPOCH).total_seconds(), h.detail["message_id"]) for h in redrive] == [(135, bad)]
    assert counts(url) == (0, 0)
    [dead] = boto3.client("sqs").receive_message(QueueUrl=dlq_url)["Messages"]
    assert (dead["MessageId"], dead["Body"]) == (bad, "bad-order")


def test_filter_criteria_drop_and_delete_unmatched_messages(lab):
    """aws-semantics.md 1.3 [L9]: FilterCriteria select records; messages that don't match are deleted."""
    deploy(lab, WORKER)
    url, arn = queue("orders")
    map_queue(arn, FilterCriteria={"Filters": [
        {"Pattern": json.dumps({"body": {"kind": ["order"], "total": [{"numeric": [">", 10]}]}})},
        {"Pattern": json.dumps({"messageAttributes": {"urgent": {"stringValue": ["yes"]}}})}]})
    send(url, '{"kind": "order", "total": 12}', '{"kind": "order", "total": 3}', "plain text",
         '{"kind": "refund", "total": 50}')
    send(url, "plain but urgent", MessageAttributes={"urgent": {"DataType": "String", "StringValue": "yes"}})
    assert [b for e in events() for b in bodies(e)] == ['{"kind": "order", "total": 12}', "plain but urgent"]
    assert counts(url) == (0, 0)


def test_fifo_keeps_group_order_and_blocks_a_group_in_flight(lab):
    """aws-semantics.md 1.3 [L12][L16], 5 [Q6]: FIFO order within a MessageGroupId; on a failure the
    handler stops and returns the failed and unprocessed messages; the group waits while they are in flight."""
    deploy(lab, """
import json
def handler(event, context):
    print("EVENT " + json.dumps(event))
    for i, r in enumerate(event["Records"]):
        if r["body"] == "a2" and r["attributes"]["ApproximateReceiveCount"] == "1":
            return {"batchItemFailures": [{"itemIdentifier": x["messageId"]} for x in event["Records"][i:]]}
""")
    url, arn = queue("orders.fifo", FifoQueue="true", ContentBasedDeduplication="true", VisibilityTimeout="30")
    map_queue(arn, FunctionResponseTypes=["ReportBatchItemFailures"])
    sqs = boto3.client("sqs")
    sqs.send_message_batch(QueueUrl=url, Entries=[
        {"Id": body, "MessageBody": body, "MessageGroupId": body[0]} for body in ("a1", "b1", "a2", "b2", "a3")])
    lab.advance(seconds=10)
    send(url, "a4", MessageGroupId="a")
    send(url, "c1", MessageGroupId="c")
    lab.advance(seconds=30)
    delivered = [(invoke_times(lab)[i], bodies(e)) for i, e in enumerate(events())]
    assert delivered == [(0, ["a1", "b1", "a2", "b2", "a3"]), (10, ["c1"]), (30, ["a2", "b2", "a3", "a4"])]
    record = events()[0]["Records"][0]["attributes"]
    assert record["MessageGroupId"] == "a" and record["SequenceNumber"] and record["MessageDeduplicationId"]


def test_a_handler_feeding_its_own_queue_does_not_recurse(lab):
    """design.md, The virtual clock: a queue that feeds itself is drained from a queue, never recursively."""
    deploy(lab, """
import boto3
sqs = boto3.client("sqs")
def handler(event, context):
    n = int(event["Records"][0]["body"])
    if n < 100:
        sqs.send_message(QueueUrl=sqs.get_queue_url(QueueName="orders")["QueueUrl"], MessageBody=str(n + 1))
""")
    url, arn = queue("orders")
    map_queue(arn)
    # An intended 100-step loop: without Allow, Lambda's recursive loop detection stops it at 16.
    boto3.client("lambda").put_function_recursion_config(FunctionName="worker", RecursiveLoop="Allow")
    send(url, "1")
    assert len(invoke_times(lab)) == 100 and counts(url) == (0, 0)


@pytest.mark.parametrize("config, message", [
    ({"BatchSize": 11, "queue": "jobs.fifo"}, "BatchSize must be between 1 and 10"),
    ({"BatchSize": 100}, "Maximum batch window in seconds must be greater than 0 if maximum batch size "
                         "is greater than 10"),
    ({"BatchSize": 10001, "MaximumBatchingWindowInSeconds": 1}, "BatchSize must be between 1 and 10000"),
    ({"MaximumBatchingWindowInSeconds": 5, "queue": "jobs.fifo"}, "Batching window is not supported"),
    ({"MaximumBatchingWindowInSeconds": 301}, "MaximumBatchingWindowInSeconds must be between 0 and 300"),
])
def test_mapping_parameters_are_validated(lab, config, message):
    """aws-semantics.md 1.3 [L9]: BatchSize ranges (10,000 standard, 10 FIFO) and the batching window."""
    deploy(lab, WORKER)
    name = config.pop("queue", "jobs")
    _, arn = queue(name, **({"FifoQueue": "true"} if name.endswith(".fifo") else {}))
    with pytest.raises(ClientError) as raised:
        map_queue(arn, **config)
    assert raised.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert message in raised.value.response["Error"]["Message"]


def test_function_timeout_must_not_exceed_the_visibility_timeout(lab):
    """aws-semantics.md 1.3 [L13]: checked at CreateEventSourceMapping, with AWS's wording."""
    deploy(lab, WORKER, timeout=60)
    _, arn = queue("orders", VisibilityTimeout="30")
    with pytest.raises(ClientError) as raised:
        map_queue(arn)
    assert raised.value.response["Error"] == {
        "Code": "InvalidParameterValueException",
        "Message": "Queue visibility timeout: 30 seconds is less than Function timeout: 60 seconds"}


def test_a_throttled_function_leaves_the_batch_on_the_queue(lab):
    """aws-semantics.md 1.3 [L12][L19]: when the function is throttled the poller's batch fails:
    the messages become visible again after the visibility timeout and are retried later."""
    sqs, client = boto3.client("sqs"), boto3.client("lambda")
    url = sqs.create_queue(QueueName="throttled", Attributes={"VisibilityTimeout": "30"})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    client.create_function(FunctionName="worker", Runtime="python3.12", Role=lab.role_arn,
                           Handler="lambda_function.handler",
                           Code={"ZipFile": helpers.zip_code("def handler(event, context):\n    return None\n")})
    client.put_function_concurrency(FunctionName="worker", ReservedConcurrentExecutions=0)
    client.create_event_source_mapping(EventSourceArn=arn, FunctionName="worker", BatchSize=10)
    sqs.send_message(QueueUrl=url, MessageBody="order")
    trace = lab.trace()
    assert trace.query("action == 'throttle'").shape[0] == 1
    assert trace.query("service == 'lambda' and action == 'invoke'").empty
    client.delete_function_concurrency(FunctionName="worker")
    lab.advance(seconds=30)
    invokes = lab.trace().query("service == 'lambda' and action == 'invoke'")
    assert len(invokes) == 1 and invokes.iloc[0]["t"] == 30
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])[
        "Attributes"]["ApproximateNumberOfMessages"] == "0"


def test_a_mapping_whose_function_was_deleted_stays_reports_the_problem_and_keeps_the_messages(lab):
    """On AWS a mapping outlives its function: it stays, LastProcessingResult reports the problem
    (the API's EventSourceMappingConfiguration field; the string is the console's, not confirmed on
    an AWS page) and the messages stay in the queue. The clock keeps running other work."""
    sqs, lambda_ = boto3.client("sqs"), boto3.client("lambda")
    deploy(lab, WORKER)
    deploy(lab, "def handler(event, context):\n    raise ValueError('again')\n", name="flaky")
    url, arn = queue("orphaned")
    uuid = map_queue(arn)
    send(url, "first")
    assert lambda_.get_event_source_mapping(UUID=uuid)["LastProcessingResult"] == "OK"
    lambda_.delete_function(FunctionName="worker")
    send(url, "one", "two")
    lambda_.invoke(FunctionName="flaky", InvocationType="Event")  # async retries keep their schedule
    lab.advance(minutes=5)
    mapping = lambda_.get_event_source_mapping(UUID=uuid)
    assert mapping["State"] == "Enabled" and mapping["LastProcessingResult"] == "PROBLEM: Function not found"
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == "2"
    assert len([h for h in lab.recorder.hops if h.action == "invoke" and h.resource == "flaky"]) == 3
    assert [h.action for h in lab.recorder.hops if h.action == "mapping-problem"] == ["mapping-problem"]
    deploy(lab, WORKER)  # the function is back: the next wake delivers the backlog
    lambda_.update_event_source_mapping(UUID=uuid, BatchSize=10)
    assert sorted(b for e in events() for b in bodies(e)) == ["first", "one", "two"]  # the log group stays too
    assert lambda_.get_event_source_mapping(UUID=uuid)["LastProcessingResult"] == "OK"
