"""Kinesis and DynamoDB Streams mappings: ordered batches per shard, retries that block, bisect, destinations."""
from __future__ import annotations

import base64
import json

import boto3

import helpers
from helpers.runtime.clock import EPOCH

#: Logs each batch; fails while the module-level budget of failures lasts, or on records marked "poison".
HANDLER = """
import base64, json, os
failures_left = int(os.environ.get("FAIL_FIRST", "0"))
def payload(record):
    if "kinesis" in record:
        return base64.b64decode(record["kinesis"]["data"]).decode()
    return record["dynamodb"]["Keys"]["id"]["S"]
def handler(event, context):
    global failures_left
    print("EVENT " + json.dumps(event))
    if failures_left > 0:
        failures_left -= 1
        raise RuntimeError("downstream unavailable")
    if any(payload(r).startswith("poison") for r in event["Records"]):
        raise ValueError("poison record")
"""


def deploy(lab: helpers.Lab, code: str = HANDLER, fail_first: int = 0) -> None:
    boto3.client("lambda").create_function(
        FunctionName="reader", Runtime="python3.12", Role=lab.role_arn, Handler="lambda_function.handler",
        Code={"ZipFile": helpers.zip_code(code)}, MemorySize=1769,
        Environment={"Variables": {"FAIL_FIRST": str(fail_first)}})


def kinesis_stream(name: str = "clicks") -> str:
    kinesis = boto3.client("kinesis")
    kinesis.create_stream(StreamName=name, ShardCount=1)
    return kinesis.describe_stream(StreamName=name)["StreamDescription"]["StreamARN"]


def put(*payloads: str, stream: str = "clicks") -> list[str]:
    """Write the records in one PutRecords call; returns their sequence numbers."""
    records = [{"Data": p.encode(), "PartitionKey": "user-1"} for p in payloads]
    written = boto3.client("kinesis").put_records(StreamName=stream, Records=records)["Records"]
    return [r["SequenceNumber"] for r in written]


def map_stream(arn: str, **config) -> str:
    config.setdefault("StartingPosition", "TRIM_HORIZON")
    return boto3.client("lambda").create_event_source_mapping(
        EventSourceArn=arn, FunctionName="reader", **config)["UUID"]


def failure_queue() -> tuple[str, str]:
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="stream-failures")["QueueUrl"]
    return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def batches() -> list[list[str]]:
    """The payloads of each batch the function saw, in order."""
    logs = boto3.client("logs")
    if not logs.describe_log_groups(logGroupNamePrefix="/aws/lambda/reader")["logGroups"]:
        return []
    found = logs.filter_log_events(logGroupName="/aws/lambda/reader")["events"]
    events = [json.loads(e["message"][len("EVENT "):]) for e in found if e["message"].startswith("EVENT ")]
    return [[base64.b64decode(r["kinesis"]["data"]).decode() if "kinesis" in r else r["dynamodb"]["Keys"]["id"]["S"]
             for r in event["Records"]] for event in events]


def invoke_times(lab: helpers.Lab) -> list[float]:
    return [(hop.time - EPOCH).total_seconds() for hop in lab.recorder.hops
            if (hop.service, hop.action, hop.resource) == ("lambda", "invoke", "reader")]


def failures(url: str) -> list[dict]:
    messages = boto3.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(m["Body"]) for m in messages]


def test_kinesis_batches_arrive_in_order_with_real_record_fields(lab):
    """aws-semantics.md 1.3 [L15]: a shard's records go in order, BatchSize at a time, after PutRecord returns."""
    deploy(lab)
    arn = kinesis_stream()
    sequences = put("a", "b", "c", "d", "e")
    assert batches() == []  # nothing polls the stream before a mapping exists
    map_stream(arn, BatchSize=2)
    assert batches() == [["a", "b"], ["c", "d"], ["e"]]
    put("f")
    assert batches()[-1] == ["f"]
    hop = next(h for h in lab.recorder.hops if (h.service, h.action) == ("lambda", "invoke"))
    assert (hop.detail["invocation_type"], hop.detail["source"], hop.detail["batch_size"]) == ("poll", arn, 2)
    logs = boto3.client("logs").filter_log_events(logGroupName="/aws/lambda/reader")["events"]
    record = json.loads(next(e["message"] for e in logs if e["message"].startswith("EVENT "))[6:])["Records"][0]
    assert record == {
        "kinesis": {"kinesisSchemaVersion": "1.0", "partitionKey": "user-1", "sequenceNumber": sequences[0],
                    "data": base64.b64encode(b"a").decode(), "approximateArrivalTimestamp": EPOCH.timestamp()},
        "eventSource": "aws:kinesis", "eventVersion": "1.0", "eventID": f"shardId-000000000000:{sequences[0]}",
        "eventName": "aws:kinesis:record", "invokeIdentityArn": lab.role_arn, "awsRegion": lab.region,
        "eventSourceARN": arn}


def test_latest_starting_position_skips_existing_records(lab):
    """aws-semantics.md 1.3 [L15]: StartingPosition LATEST reads only records written after the mapping."""
    deploy(lab)
    arn = kinesis_stream()
    put("old")
    map_stream(arn, StartingPosition="LATEST")
    put("new")
    assert batches() == [["new"]]


def test_a_failing_batch_is_retried_and_blocks_its_shard_until_it_succeeds(lab):
    """aws-semantics.md 1.3 [L19]: a failing batch is retried whole and blocks its shard (modeled backoff
    1 s, 2 s, 4 s ...); later records wait behind it, then follow in order."""
    deploy(lab, fail_first=3)
    arn = kinesis_stream()
    map_stream(arn, BatchSize=2)
    put("a", "b")
    put("c")
    assert batches() == [["a", "b"]]
    lab.advance(seconds=10)
    assert batches() == [["a", "b"]] * 4 + [["c"]]
    assert invoke_times(lab) == [0, 1, 3, 7, 7]


def test_retries_exhausted_go_to_the_on_failure_destination(lab):
    """aws-semantics.md 1.3 [L15][L17]: after MaximumRetryAttempts the batch is discarded, described to the
    OnFailure destination (KinesisBatchInfo), and the shard moves on."""
    deploy(lab)
    url, queue_arn = failure_queue()
    arn = kinesis_stream()
    map_stream(arn, BatchSize=2, MaximumRetryAttempts=2, DestinationConfig={"OnFailure": {"Destination": queue_arn}})
    sequences = put("poison-1", "ok-1", "ok-2")
    lab.advance(minutes=1)
    assert batches() == [["poison-1", "ok-1"]] * 3 + [["ok-2"]]
    assert invoke_times(lab) == [0, 1, 3, 3]
    [record] = failures(url)
    function_arn = boto3.client("lambda").get_function(FunctionName="reader")["Configuration"]["FunctionArn"]
    assert record["requestContext"]["functionArn"] == function_arn
    assert {k: v for k, v in record["requestContext"].items() if k != "requestId"} == {
        "functionArn": function_arn, "condition": "RetryAttemptsExhausted", "approximateInvokeCount": 3}
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"}
    assert (record["version"], record["timestamp"]) == ("1.0", "2026-01-05T09:00:03.000Z")
    assert record["KinesisBatchInfo"] == {
        "shardId": "shardId-000000000000", "startSequenceNumber": sequences[0], "endSequenceNumber": sequences[1],
        "approximateArrivalOfFirstRecord": "2026-01-05T09:00:00.000Z",
        "approximateArrivalOfLastRecord": "2026-01-05T09:00:00.000Z", "batchSize": 2, "streamArn": arn}


def test_bisect_isolates_the_bad_record(lab):
    """aws-semantics.md 1.3 [L15]: BisectBatchOnFunctionError splits a failed batch in halves (without using
    retries) until the bad record is alone; only it is discarded."""
    deploy(lab)
    url, queue_arn = failure_queue()
    arn = kinesis_stream()
    map_stream(arn, BatchSize=4, MaximumRetryAttempts=0, BisectBatchOnFunctionError=True,
               DestinationConfig={"OnFailure": {"Destination": queue_arn}})
    sequences = put("a", "b", "poison-c", "d")
    lab.advance(seconds=5)
    assert batches() == [["a", "b", "poison-c", "d"], ["a", "b"], ["poison-c", "d"], ["poison-c"], ["d"]]
    [record] = failures(url)
    info = record["KinesisBatchInfo"]
    assert (info["startSequenceNumber"], info["endSequenceNumber"], info["batchSize"]) == (sequences[2],) * 2 + (1,)


def test_partial_batch_response_checkpoints_at_the_lowest_failure(lab):
    """aws-semantics.md 1.3 [L16]: with ReportBatchItemFailures, Lambda retries from the lowest reported
    sequence number: the records before it are done."""
    deploy(lab, code="""
import base64, json
seen = set()
def handler(event, context):
    print("EVENT " + json.dumps(event))
    failed = [r["kinesis"]["sequenceNumber"] for r in event["Records"]
              if base64.b64decode(r["kinesis"]["data"]).decode() in ("c", "e")
              and r["kinesis"]["sequenceNumber"] not in seen]
    seen.update(failed)
    return {"batchItemFailures": [{"itemIdentifier": s} for s in reversed(failed)]}
""")
    arn = kinesis_stream()
    map_stream(arn, BatchSize=5, FunctionResponseTypes=["ReportBatchItemFailures"])
    put("a", "b", "c", "d", "e")
    lab.advance(seconds=5)
    assert batches() == [["a", "b", "c", "d", "e"], ["c", "d", "e"]]
    assert invoke_times(lab) == [0, 1]


def test_records_older_than_the_maximum_age_are_discarded(lab):
    """aws-semantics.md 1.3 [L15]: MaximumRecordAgeInSeconds ends the retries of an old batch
    (condition RecordAgeExceeded), even with unlimited retry attempts."""
    deploy(lab)
    url, queue_arn = failure_queue()
    arn = kinesis_stream()
    map_stream(arn, MaximumRecordAgeInSeconds=60, DestinationConfig={"OnFailure": {"Destination": queue_arn}})
    put("poison-1")
    lab.advance(minutes=5)
    times = invoke_times(lab)
    assert times == [0, 1, 3, 7, 15, 31]  # the next retry, at 63 s, finds the record too old
    [record] = failures(url)
    assert record["requestContext"]["condition"] == "RecordAgeExceeded"
    assert record["requestContext"]["approximateInvokeCount"] == 6


def test_dynamodb_stream_records_are_kept_and_delivered_in_order(lab):
    """aws-semantics.md 1.3 [L15][L19]: DynamoDB stream batches in order with their images; a failing batch
    is retried, not dropped."""
    deploy(lab, fail_first=1)
    dynamodb = boto3.client("dynamodb")
    table = dynamodb.create_table(
        TableName="orders", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
    stream_arn = table["TableDescription"]["LatestStreamArn"]
    map_stream(stream_arn, BatchSize=10)
    dynamodb.put_item(TableName="orders", Item={"id": {"S": "o1"}, "status": {"S": "new"}})
    dynamodb.put_item(TableName="orders", Item={"id": {"S": "o1"}, "status": {"S": "paid"}})
    lab.advance(seconds=5)
    assert batches() == [["o1"], ["o1"], ["o1"]]  # first batch failed once, retried at +1 s
    assert invoke_times(lab) == [0, 1, 1]
    logs = boto3.client("logs").filter_log_events(logGroupName="/aws/lambda/reader")["events"]
    last = json.loads([e["message"] for e in logs if e["message"].startswith("EVENT ")][-1][6:])["Records"][0]
    assert (last["eventName"], last["eventSource"], last["eventSourceARN"]) == ("MODIFY", "aws:dynamodb", stream_arn)
    assert last["dynamodb"]["OldImage"]["status"] == {"S": "new"}
    assert last["dynamodb"]["NewImage"]["status"] == {"S": "paid"}
    assert last["dynamodb"]["ApproximateCreationDateTime"] == int(EPOCH.timestamp())


def test_each_retry_of_a_stream_batch_is_a_numbered_attempt(lab):
    """aws-semantics.md 1.3 [L19]: a failing stream batch is retried; the trace numbers the attempts."""
    deploy(lab, fail_first=2)
    map_stream(kinesis_stream())
    put("a")
    lab.advance(minutes=5)
    attempts = lab.trace().query("service == 'lambda' and action == 'invoke'")["attempt"].tolist()
    assert attempts == [1, 2, 3]


def test_the_dynamodb_streams_api_reads_a_tables_stream(lab):
    """A learner reads a stream as AWS's DynamoDB Streams API serves it: DescribeStream,
    GetShardIterator, GetRecords (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/
    API_Operations_Amazon_DynamoDB_Streams.html); botocore sends these to the account-based endpoint."""
    dynamodb, streams = boto3.client("dynamodb"), boto3.client("dynamodbstreams")
    table = dynamodb.create_table(
        TableName="orders", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})["TableDescription"]
    for key in ("a", "b"):
        dynamodb.put_item(TableName="orders", Item={"id": {"S": key}})
    arn = table["LatestStreamArn"]
    assert [s["StreamArn"] for s in streams.list_streams(TableName="orders")["Streams"]] == [arn]
    description = streams.describe_stream(StreamArn=arn)["StreamDescription"]
    assert description["StreamStatus"] == "ENABLED" and description["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=description["Shards"][0]["ShardId"],
                                          ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    records = streams.get_records(ShardIterator=iterator)["Records"]
    assert [(r["eventName"], r["dynamodb"]["Keys"]["id"]["S"]) for r in records] == [("INSERT", "a"), ("INSERT", "b")]


def test_a_stream_mapping_whose_function_was_deleted_keeps_its_records(lab):
    """The mapping outlives its function and reports it (LastProcessingResult); the records wait in
    the shard and are delivered, in order, once the function is back."""
    lambda_ = boto3.client("lambda")
    deploy(lab)
    uuid = map_stream(kinesis_stream())
    lambda_.delete_function(FunctionName="reader")
    put("one", "two")
    lab.advance(minutes=1)
    assert lambda_.get_event_source_mapping(UUID=uuid)["LastProcessingResult"] == "PROBLEM: Function not found"
    deploy(lab)
    lambda_.update_event_source_mapping(UUID=uuid, BatchSize=100)
    assert batches() == [["one", "two"]]


def test_s3_on_failure_destination_gets_the_record_and_the_batch(lab):
    """For an S3 on-failure destination Lambda writes the invocation record with the whole batch
    (`payload`) under `aws/lambda/<mapping UUID>/<shard ID>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<UUID>`
    (https://docs.aws.amazon.com/lambda/latest/dg/kinesis-on-failure-destination.html)."""
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="stream-failures")
    deploy(lab)
    uuid = map_stream(kinesis_stream(), BatchSize=2, MaximumRetryAttempts=0,
                      DestinationConfig={"OnFailure": {"Destination": "arn:aws:s3:::stream-failures"}})
    put("poison-1", "ok-1")
    lab.advance(minutes=1)
    [key] = [o["Key"] for o in s3.list_objects_v2(Bucket="stream-failures")["Contents"]]
    assert key.startswith(f"aws/lambda/{uuid}/shardId-000000000000/2026/01/05/2026-01-05T09.00.00-")
    record = json.loads(s3.get_object(Bucket="stream-failures", Key=key)["Body"].read())
    assert record["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert record["KinesisBatchInfo"]["batchSize"] == 2
    payloads = [base64.b64decode(r["kinesis"]["data"]).decode() for r in json.loads(record["payload"])["Records"]]
    assert payloads == ["poison-1", "ok-1"]
