"""EventBridge delivery semantics: envelope, rules, input transformation, targets, retries, DLQ, replay."""
from __future__ import annotations

import datetime as dt
import json

import boto3
import pytest
from botocore.exceptions import ClientError

import helpers
from queues import bodies, drain, fail_sends_to, make_queue

ACCOUNT = "123456789012"
FORWARD_TO_QUEUE = """
import json, os, boto3
def handler(event, context):
    boto3.client("sqs").send_message(QueueUrl=os.environ["OUT"], MessageBody=json.dumps(event))
"""


@pytest.fixture
def events():
    return boto3.client("events")


@pytest.fixture
def sqs():
    return boto3.client("sqs")


def rule_to(events, target: dict, pattern: dict | None = None, name: str = "orders", **rule) -> str:
    arn = events.put_rule(Name=name, EventPattern=json.dumps(pattern or {"source": ["shop"]}), **rule)["RuleArn"]
    bus = {"EventBusName": rule["EventBusName"]} if "EventBusName" in rule else {}
    events.put_targets(Rule=name, Targets=[{"Id": "t1", **target}], **bus)
    return arn


def put(events, detail: dict | None = None, **entry) -> dict:
    entry = {"Source": "shop", "DetailType": "OrderPlaced", "Detail": json.dumps(detail or {"id": 1}), **entry}
    return events.put_events(Entries=[entry])


def hops(lab, service: str, action: str | None = None) -> list:
    return [h for h in lab.recorder.hops if h.service == service and (action is None or h.action == action)]


def deploy_forwarder(lab, name: str, out_url: str) -> str:
    return boto3.client("lambda").create_function(
        FunctionName=name, Runtime="python3.12", Role=lab.role_arn, Handler="lambda_function.handler",
        Code={"ZipFile": helpers.zip_code(FORWARD_TO_QUEUE)},
        Environment={"Variables": {"OUT": out_url}})["FunctionArn"]


# -- envelope and rules ------------------------------------------------------------------------
def test_delivered_event_has_the_documented_envelope(lab, events):
    """aws-semantics.md 4 [E1]: version, id (the EventId PutEvents returned), detail-type, source,
    account, time (from the clock), region, resources, detail."""
    url, arn = make_queue("inbox")
    rule_to(events, {"Arn": arn})
    lab.advance(seconds=90)
    response = put(events, {"id": 7}, Resources=["arn:aws:shop:order/7"])
    assert response["FailedEntryCount"] == 0
    [event] = bodies(url)
    assert event == {"version": "0", "id": response["Entries"][0]["EventId"], "detail-type": "OrderPlaced",
                     "source": "shop", "account": ACCOUNT, "time": "2026-01-05T09:01:30Z",
                     "region": "us-east-1", "resources": ["arn:aws:shop:order/7"], "detail": {"id": 7}}


def test_time_parameter_sets_the_event_time(lab, events):
    """aws-semantics.md 4 [E1][E2]: an entry's Time becomes the event's `time`."""
    url, arn = make_queue("inbox")
    rule_to(events, {"Arn": arn})
    put(events, Time=dt.datetime(2025, 12, 24, 18, 30, tzinfo=dt.timezone.utc))
    assert bodies(url)[0]["time"] == "2025-12-24T18:30:00Z"


def test_delivery_happens_after_put_events_returns(lab, events):
    """design.md, The virtual clock; aws-semantics.md 4 [E13]: PutEvents only accepts the event; the
    rule matches and the target is reached afterwards (before the learner's call returns)."""
    url, arn = make_queue("inbox")
    rule_to(events, {"Arn": arn})
    put(events)
    actions = [(h.service, h.action) for h in lab.recorder.hops if h.service == "events"]
    assert actions[-3:] == [("events", "PutEvents"), ("events", "match"), ("events", "deliver")]
    match = hops(lab, "events", "match")[0]
    assert match.resource == "orders" and match.detail["bus"] == "default"
    deliver = hops(lab, "events", "deliver")[0]
    assert deliver.resource == arn and deliver.detail["rule"] == "orders" and deliver.detail["attempt"] == 1
    assert len(bodies(url)) == 1


def test_disabled_rule_delivers_nothing(lab, events):
    """aws-semantics.md 4; design.md gap 'disabled rules still deliver': a DISABLED rule matches nothing."""
    url, arn = make_queue("inbox")
    rule_to(events, {"Arn": arn}, State="DISABLED")
    put(events)
    assert bodies(url) == [] and hops(lab, "events", "match") == []
    events.enable_rule(Name="orders")
    put(events)
    assert len(bodies(url)) == 1


def test_only_matching_rules_deliver_and_each_rule_fans_out(lab, events):
    """aws-semantics.md 4 [E4]: each matching rule delivers to all of its targets; others don't."""
    a_url, a_arn = make_queue("a")
    b_url, b_arn = make_queue("b")
    c_url, c_arn = make_queue("c")
    events.put_rule(Name="shop", EventPattern=json.dumps({"source": ["shop"]}))
    events.put_targets(Rule="shop", Targets=[{"Id": "a", "Arn": a_arn}, {"Id": "b", "Arn": b_arn}])
    rule_to(events, {"Arn": c_arn}, {"source": ["billing"]}, name="billing")
    put(events)
    assert (len(bodies(a_url)), len(bodies(b_url)), len(bodies(c_url))) == (1, 1, 0)


def test_custom_bus_rules_see_only_their_bus(lab, events):
    """aws-semantics.md 4 [E2]: EventBusName routes the event to that bus's rules only."""
    events.create_event_bus(Name="orders-bus")
    url, arn = make_queue("inbox")
    rule_to(events, {"Arn": arn}, EventBusName="orders-bus")
    put(events)
    assert bodies(url) == []
    put(events, EventBusName="orders-bus")
    assert len(bodies(url)) == 1


# -- PutEvents validation ----------------------------------------------------------------------
def test_put_events_accepts_at_most_ten_entries(lab, events):
    """aws-semantics.md 4 [E3]: up to 10 entries per PutEvents call."""
    entry = {"Source": "shop", "DetailType": "t", "Detail": "{}"}
    assert events.put_events(Entries=[entry] * 10)["FailedEntryCount"] == 0
    with pytest.raises(ClientError) as err:
        events.put_events(Entries=[entry] * 11)
    assert err.value.response["Error"]["Code"] == "ValidationException"


def test_invalid_entries_fail_alone(lab, events):
    """aws-semantics.md 4 [E2b]: invalid entries get ErrorCode/ErrorMessage; the valid ones are delivered."""
    url, arn = make_queue("inbox")
    rule_to(events, {"Arn": arn})
    response = events.put_events(Entries=[
        {"Source": "shop", "DetailType": "ok", "Detail": "{}"},
        {"Source": "shop", "Detail": "{}"},
        {"Source": "shop", "DetailType": "bad", "Detail": "not json"},
        {"Source": "aws.s3", "DetailType": "spoof", "Detail": "{}"},
    ])
    assert response["FailedEntryCount"] == 3
    assert "EventId" in response["Entries"][0]
    assert [e.get("ErrorCode") for e in response["Entries"][1:]] == [
        "InvalidArgument", "MalformedDetail", "NotAuthorizedForSourceException"]
    assert all(e["ErrorMessage"] for e in response["Entries"][1:])
    assert [b["detail-type"] for b in bodies(url)] == ["ok"]


def test_entries_up_to_one_megabyte_are_accepted(lab, events):
    """aws-semantics.md 4 [E2][E2c][P1]: entries are measured in UTF-8 bytes and may total just under 1 MB
    (the old 256 KB limit no longer applies); more is refused."""
    rule_to(events, {"Arn": f"arn:aws:sqs:us-east-1:{ACCOUNT}:inbox"})
    fits = json.dumps({"pad": "é" * ((1024 * 1024 - len("shop") - len("OrderPlaced") - 20) // 2)},
                      ensure_ascii=False)  # é is 2 bytes in UTF-8
    assert put(events, Detail=fits)["FailedEntryCount"] == 0
    with pytest.raises(ClientError) as err:
        put(events, Detail=fits.replace('"pad"', '"pad"' + " " * 20))
    assert err.value.response["Error"]["Code"] == "ValidationException"
    assert len(hops(lab, "events", "match")) == 1


# -- input ---------------------------------------------------------------------------------------
ORDER = {"order": {"id": "o-1", "total": 42.5, "items": ["a", "b"]}, "customer": "Ada"}


def test_constant_input_replaces_the_event(lab, events):
    """aws-semantics.md 4 [E6]: `Input` is sent as is; nothing from the event is passed."""
    url, arn = make_queue("inbox")
    rule_to(events, {"Arn": arn, "Input": '{"fixed": true}'})
    put(events, ORDER)
    assert bodies(url) == [{"fixed": True}]


def test_input_path_sends_part_of_the_event(lab, events):
    """aws-semantics.md 4 [E6]: `InputPath` sends the part of the event a JSON path selects."""
    url, arn = make_queue("inbox")
    rule_to(events, {"Arn": arn, "InputPath": "$.detail.order"})
    put(events, ORDER)
    assert bodies(url) == [ORDER["order"]]


def test_input_transformer_json_template_quoted_and_unquoted(lab, events):
    """aws-semantics.md 4 [E6][E6b]: unquoted string placeholders become JSON strings, quoted ones are
    inserted as is, numbers and arrays stay JSON; the JSON is minified."""
    url, arn = make_queue("inbox")
    template = ('{"order": <id>, "label": "order <id> for <who>", "total": <total>, "items": <items>, '
                '"static": [9, <who>, true]}')
    rule_to(events, {"Arn": arn, "InputTransformer": {
        "InputPathsMap": {"id": "$.detail.order.id", "who": "$.detail.customer",
                          "total": "$.detail.order.total", "items": "$.detail.order.items"},
        "InputTemplate": template}})
    put(events, ORDER)
    [message] = drain(url)
    assert message["Body"] == ('{"order":"o-1","label":"order o-1 for Ada","total":42.5,"items":["a","b"],'
                               '"static":[9,"Ada",true]}')


def test_input_transformer_string_template(lab, events):
    """aws-semantics.md 4 [E6]: a string template passes text; quotes in the template stay."""
    url, arn = make_queue("inbox")
    rule_to(events, {"Arn": arn, "InputTransformer": {
        "InputPathsMap": {"id": "$.detail.order.id", "who": "$.detail.customer"},
        "InputTemplate": '"order <id> placed by <who>"'}})
    put(events, ORDER)
    assert drain(url)[0]["Body"] == '"order o-1 placed by Ada"'


def test_input_transformer_reserved_variables(lab, events):
    """aws-semantics.md 4 [E6]: aws.events.rule-arn, rule-name, event.ingestion-time (ISO 8601),
    event (without detail) and event.json (the whole event)."""
    url, arn = make_queue("inbox")
    rule_arn = rule_to(events, {"Arn": arn, "InputTransformer": {"InputTemplate": (
        '{"arn": <aws.events.rule-arn>, "name": "<aws.events.rule-name>", '
        '"at": <aws.events.event.ingestion-time>, "meta": <aws.events.event>, "all": <aws.events.event.json>}')}})
    lab.advance(minutes=5)
    event_id = put(events, ORDER)["Entries"][0]["EventId"]
    [body] = bodies(url)
    assert body["arn"] == rule_arn and body["name"] == "orders"
    assert body["at"] == "2026-01-05T09:05:00Z"
    assert body["meta"]["id"] == event_id and "detail" not in body["meta"]
    assert body["all"]["id"] == event_id and body["all"]["detail"] == ORDER


# -- targets -------------------------------------------------------------------------------------
def test_lambda_target_is_invoked_asynchronously_with_the_event(lab, events):
    """aws-semantics.md 1.2, 4 [E1]: EventBridge invokes Lambda asynchronously; the handler gets the event."""
    out_url, _ = make_queue("out")
    fn_arn = deploy_forwarder(lab, "on-order", out_url)
    rule_arn = rule_to(events, {"Arn": fn_arn})
    event_id = put(events, ORDER)["Entries"][0]["EventId"]
    [event] = bodies(out_url)
    assert event["id"] == event_id and event["detail"] == ORDER and event["account"] == ACCOUNT
    [attempt] = hops(lab, "lambda", "invoke")
    assert attempt.detail["invocation_type"] == "Event" and attempt.detail["source"] == rule_arn


def test_sns_target_publishes_the_event(lab, events):
    """aws-semantics.md 4, 5 [Q3]: an SNS target publishes the event JSON as the message."""
    sns = boto3.client("sns")
    topic = sns.create_topic(Name="orders")["TopicArn"]
    url, arn = make_queue("inbox")
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    rule_to(events, {"Arn": topic})
    event_id = put(events, ORDER)["Entries"][0]["EventId"]
    [event] = bodies(url)
    assert event["id"] == event_id and event["detail"] == ORDER


def test_step_functions_target_starts_an_execution_with_the_event(lab, events):
    """aws-semantics.md 4, 6 [S9]: a state machine target gets StartExecution with the event as input."""
    sfn = boto3.client("stepfunctions")
    machine = sfn.create_state_machine(name="fulfil", roleArn=lab.role_arn, definition=json.dumps(
        {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}))["stateMachineArn"]
    rule_to(events, {"Arn": machine, "RoleArn": lab.role_arn})
    event_id = put(events, ORDER)["Entries"][0]["EventId"]
    [execution] = sfn.list_executions(stateMachineArn=machine)["executions"]
    started = json.loads(sfn.describe_execution(executionArn=execution["executionArn"])["input"])
    assert started["id"] == event_id and started["detail"] == ORDER


def test_kinesis_target_uses_the_partition_key_path(lab, events):
    """aws-semantics.md 4: a Kinesis target gets PutRecord with the key at KinesisParameters.PartitionKeyPath."""
    kinesis = boto3.client("kinesis")
    kinesis.create_stream(StreamName="orders", ShardCount=1)
    stream = kinesis.describe_stream(StreamName="orders")["StreamDescription"]
    rule_to(events, {"Arn": stream["StreamARN"], "KinesisParameters": {"PartitionKeyPath": "$.detail.customer"}})
    event_id = put(events, ORDER)["Entries"][0]["EventId"]
    iterator = kinesis.get_shard_iterator(StreamName="orders", ShardId=stream["Shards"][0]["ShardId"],
                                          ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    [record] = kinesis.get_records(ShardIterator=iterator)["Records"]
    assert record["PartitionKey"] == "Ada"
    assert json.loads(record["Data"])["id"] == event_id


# -- retries and dead-letter queues --------------------------------------------------------------
def test_transient_failures_are_retried_with_backoff_on_the_clock(lab, events, monkeypatch):
    """aws-semantics.md 4 [E7]: a failed delivery (a 5xx) is retried with exponential backoff and jitter
    (the lab's model: min(480 s, 2^(n-1) s), half fixed, half random), then delivered."""
    url, arn = make_queue("inbox")
    rule_to(events, {"Arn": arn})
    fail_sends_to(monkeypatch, "inbox", times=3)
    start = lab.now()
    put(events)
    assert len(hops(lab, "events", "retry")) == 1 and bodies(url) == []  # the first retry waits on the clock
    lab.run_until_idle()
    retries = hops(lab, "events", "retry")
    assert [r.detail["attempt"] for r in retries] == [1, 2, 3]
    assert all(r.detail["error"] == "INTERNAL_ERROR" for r in retries)
    delays = [r.detail["delay"] for r in retries]
    assert 0.5 <= delays[0] <= 1 and 1 <= delays[1] <= 2 and 2 <= delays[2] <= 4
    [deliver] = hops(lab, "events", "deliver")
    assert deliver.detail["attempt"] == 4
    assert deliver.time - start == dt.timedelta(seconds=sum(delays))
    assert len(bodies(url)) == 1


def test_exhausted_retries_go_to_the_dead_letter_queue_with_attributes(lab, events, monkeypatch):
    """aws-semantics.md 4 [E7][E8]: after MaximumRetryAttempts the event goes to the target's DLQ with
    RULE_ARN, TARGET_ARN, ERROR_CODE, ERROR_MESSAGE, EXHAUSTED_RETRY_CONDITION and RETRY_ATTEMPTS."""
    url, arn = make_queue("inbox")
    dlq_url, dlq_arn = make_queue("inbox-dlq")
    rule_arn = rule_to(events, {"Arn": arn, "RetryPolicy": {"MaximumRetryAttempts": 2},
                                "DeadLetterConfig": {"Arn": dlq_arn}})
    fail_sends_to(monkeypatch, "inbox", times=100)
    event_id = put(events)["Entries"][0]["EventId"]
    lab.run_until_idle()
    [message] = drain(dlq_url)
    assert json.loads(message["Body"])["id"] == event_id
    attributes = {k: v["StringValue"] for k, v in message["MessageAttributes"].items()}
    assert attributes == {"RULE_ARN": rule_arn, "TARGET_ARN": arn, "ERROR_CODE": "INTERNAL_ERROR",
                          "ERROR_MESSAGE": "Service is unavailable.",
                          "EXHAUSTED_RETRY_CONDITION": "MaximumRetryAttempts", "RETRY_ATTEMPTS": "2"}
    assert message["MessageAttributes"]["RETRY_ATTEMPTS"]["DataType"] == "Number"
    assert [h.detail["attempt"] for h in hops(lab, "events", "dead-letter")] == [3]


def test_maximum_event_age_ends_the_retries(lab, events, monkeypatch):
    """aws-semantics.md 4 [E7][E8]: retries stop when the next would exceed MaximumEventAgeInSeconds."""
    url, arn = make_queue("inbox")
    dlq_url, dlq_arn = make_queue("inbox-dlq")
    rule_to(events, {"Arn": arn, "RetryPolicy": {"MaximumEventAgeInSeconds": 60},
                     "DeadLetterConfig": {"Arn": dlq_arn}})
    fail_sends_to(monkeypatch, "inbox", times=1000)
    start = lab.now()
    put(events)
    lab.run_until_idle()
    [message] = drain(dlq_url)
    assert message["MessageAttributes"]["EXHAUSTED_RETRY_CONDITION"]["StringValue"] == "MaximumEventAgeInSeconds"
    [dead] = hops(lab, "events", "dead-letter")
    assert (dead.time - start).total_seconds() <= 60
    assert 1 < int(message["MessageAttributes"]["RETRY_ATTEMPTS"]["StringValue"]) < 185


def test_default_retry_policy_is_185_attempts_within_24_hours(lab, events, monkeypatch):
    """aws-semantics.md 4 [E7]: by default EventBridge retries for up to 24 hours and 185 times."""
    url, arn = make_queue("inbox")
    rule_to(events, {"Arn": arn})
    fail_sends_to(monkeypatch, "inbox", times=10_000)
    start = lab.now()
    put(events)
    lab.run_until_idle()
    retries = hops(lab, "events", "retry")
    [drop] = hops(lab, "events", "drop")
    age = (drop.time - start).total_seconds()
    assert len(retries) <= 185 and age <= 86_400
    assert len(retries) == 185 or age > 86_400 - 480  # whichever limit comes first


def test_missing_target_goes_to_the_dlq_without_retries(lab, events):
    """aws-semantics.md 4 [E8]: a target that no longer exists is not retried; the event goes straight to
    the DLQ with RETRY_ATTEMPTS 0."""
    url, arn = make_queue("inbox")
    dlq_url, dlq_arn = make_queue("inbox-dlq")
    rule_to(events, {"Arn": arn, "DeadLetterConfig": {"Arn": dlq_arn}})
    boto3.client("sqs").delete_queue(QueueUrl=url)
    put(events)
    assert hops(lab, "events", "retry") == []
    [message] = drain(dlq_url)
    attributes = {k: v["StringValue"] for k, v in message["MessageAttributes"].items()}
    assert attributes["ERROR_CODE"] == "NO_RESOURCE" and attributes["RETRY_ATTEMPTS"] == "0"
    assert "EXHAUSTED_RETRY_CONDITION" not in attributes


def test_missing_lambda_target_goes_to_the_dlq(lab, events):
    """aws-semantics.md 4 [E8]: a deleted function is a missing target: DLQ at once, no retries."""
    dlq_url, dlq_arn = make_queue("dlq")
    fn_arn = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:gone"
    rule_arn = rule_to(events, {"Arn": fn_arn, "DeadLetterConfig": {"Arn": dlq_arn}})
    put(events)
    [message] = drain(dlq_url)
    assert message["MessageAttributes"]["TARGET_ARN"]["StringValue"] == fn_arn
    assert message["MessageAttributes"]["RULE_ARN"]["StringValue"] == rule_arn
    assert message["MessageAttributes"]["ERROR_CODE"]["StringValue"] == "NO_RESOURCE"


def test_failed_event_without_a_dlq_is_dropped(lab, events):
    """aws-semantics.md 4 [E7]: without a DLQ an undeliverable event is dropped."""
    url, arn = make_queue("inbox")
    rule_to(events, {"Arn": arn})
    boto3.client("sqs").delete_queue(QueueUrl=url)
    put(events)
    [drop] = hops(lab, "events", "drop")
    assert drop.resource == arn and drop.detail["error"] == "NO_RESOURCE"


# -- TestEventPattern and every operator -------------------------------------------------------
EVENT = {
    "id": "e-1", "account": ACCOUNT, "source": "com.shop.orders", "time": "2026-01-05T09:00:00Z",
    "region": "us-east-1", "resources": ["arn:aws:shop:order/1"], "detail-type": "Order Placed",
    "detail": {"state": "Placed", "total": 42, "city": "Paris", "ip": "10.0.0.17", "note": "",
               "coupon": None, "file": "invoice.PDF", "tags": ["vip", "new"]},
}
OPERATOR_CASES = [
    # (operator, pattern, matching detail change or None, not-matching detail change)
    ("exact", {"detail": {"state": ["Placed"]}}, {"state": "Shipped"}),
    ("exact list is OR", {"detail": {"state": ["Shipped", "Placed"]}}, {"state": "Cancelled"}),
    ("fields are ANDed", {"detail": {"state": ["Placed"], "city": ["Paris"]}}, {"city": "Lyon"}),
    ("array value", {"detail": {"tags": ["vip"]}}, {"tags": ["new"]}),
    ("prefix", {"detail": {"city": [{"prefix": "Par"}]}}, {"city": "Lyon"}),
    ("prefix equals-ignore-case", {"detail": {"city": [{"prefix": {"equals-ignore-case": "par"}}]}}, {"city": "Lyon"}),
    ("suffix", {"detail": {"file": [{"suffix": ".PDF"}]}}, {"file": "invoice.png"}),
    ("suffix equals-ignore-case", {"detail": {"file": [{"suffix": {"equals-ignore-case": ".pdf"}}]}},
     {"file": "invoice.png"}),
    ("anything-but value", {"detail": {"state": [{"anything-but": "Cancelled"}]}}, {"state": "Cancelled"}),
    ("anything-but list", {"detail": {"state": [{"anything-but": ["Cancelled", "Refunded"]}]}}, {"state": "Refunded"}),
    ("anything-but prefix", {"detail": {"city": [{"anything-but": {"prefix": "Ly"}}]}}, {"city": "Lyon"}),
    ("anything-but suffix", {"detail": {"file": [{"anything-but": {"suffix": ".png"}}]}}, {"file": "a.png"}),
    ("anything-but equals-ignore-case", {"detail": {"city": [{"anything-but": {"equals-ignore-case": "lyon"}}]}},
     {"city": "LYON"}),
    ("anything-but wildcard", {"detail": {"file": [{"anything-but": {"wildcard": "*.png"}}]}}, {"file": "x.png"}),
    ("equals-ignore-case", {"detail": {"city": [{"equals-ignore-case": "PARIS"}]}}, {"city": "Lyon"}),
    ("wildcard", {"detail": {"file": [{"wildcard": "invoice.*"}]}}, {"file": "receipt.PDF"}),
    ("numeric range", {"detail": {"total": [{"numeric": [">", 0, "<=", 50]}]}}, {"total": 51}),
    ("numeric equals", {"detail": {"total": [{"numeric": ["=", 42]}]}}, {"total": 43}),
    ("exists true", {"detail": {"city": [{"exists": True}]}}, {"city": None, "_drop": "city"}),
    ("exists false", {"detail": {"discount": [{"exists": False}]}}, {"discount": 5}),
    ("cidr", {"detail": {"ip": [{"cidr": "10.0.0.0/24"}]}}, {"ip": "10.0.1.17"}),
    ("empty string", {"detail": {"note": [""]}}, {"note": "hi"}),
    ("null", {"detail": {"coupon": [None]}}, {"coupon": "SAVE10"}),
    ("$or", {"detail": {"$or": [{"city": ["Lyon"]}, {"total": [{"numeric": [">", 40]}]}]}}, {"total": 10}),
]


def _event_with(change: dict) -> dict:
    event = json.loads(json.dumps(EVENT))
    change = dict(change)
    dropped = change.pop("_drop", None)
    event["detail"].update(change)
    if dropped:
        del event["detail"][dropped]
    return event


@pytest.mark.parametrize("operator,pattern,mismatch", OPERATOR_CASES, ids=[c[0] for c in OPERATOR_CASES])
def test_event_pattern_operators(lab, events, operator, pattern, mismatch):
    """aws-semantics.md 4 [E4][E5]: each comparison operator matches and fails to match as documented;
    TestEventPattern answers Result true/false."""
    assert events.test_event_pattern(EventPattern=json.dumps(pattern), Event=json.dumps(EVENT))["Result"] is True
    assert events.test_event_pattern(EventPattern=json.dumps(pattern),
                                     Event=json.dumps(_event_with(mismatch)))["Result"] is False


def test_operators_work_in_rules_too(lab, events):
    """aws-semantics.md 4 [E4][E5]: a rule combining operators delivers only the events they admit."""
    url, arn = make_queue("inbox")
    rule_to(events, {"Arn": arn}, {"source": [{"prefix": "com.shop"}], "detail": {
        "total": [{"numeric": [">", 100]}], "city": [{"anything-but": "Lyon"}], "coupon": [{"exists": False}]}})
    for detail in ({"total": 150, "city": "Paris"}, {"total": 50, "city": "Paris"},
                   {"total": 150, "city": "Lyon"}, {"total": 150, "city": "Paris", "coupon": "X"}):
        events.put_events(Entries=[{"Source": "com.shop.orders", "DetailType": "o", "Detail": json.dumps(detail)}])
    assert [b["detail"] for b in bodies(url)] == [{"total": 150, "city": "Paris"}]


def test_test_event_pattern_rejects_an_incomplete_event(lab, events):
    """TestEventPattern API reference: the event must carry id, account, source, time, region,
    resources and detail-type."""
    with pytest.raises(ClientError) as err:
        events.test_event_pattern(EventPattern='{"source": ["shop"]}', Event='{"source": "shop"}')
    assert err.value.response["Error"]["Code"] == "ValidationException"


INVALID_PATTERNS = [
    ({"detail": {"x": [{"foo": 1}]}}, "Unrecognized match type foo"),
    ({"detail": {"x": [{"numeric": [">", "abc"]}]}}, "Value of > must be numeric"),
    ({"detail": {"x": [{"numeric": ["~", 1]}]}}, "Unrecognized numeric range operator: ~"),
    ({"detail": {"x": [{"numeric": [">", 5, "<", 1]}]}}, "Bottom must be less than top"),
    ({"detail": {"x": [{"exists": "yes"}]}}, "exists match pattern must be either true or false."),
    ({"detail": {"x": [{"prefix": 1}]}}, "prefix match pattern must be a string"),
    ({"detail": {"x": [{"anything-but": {"numeric": [">", 1]}}]}}, "Unsupported anything-but pattern: numeric"),
    ({"detail": {"x": [{"cidr": "10.0.0.0"}]}}, "Malformed CIDR, one '/' required"),
    ({"detail": {"x": [{"prefix": "a", "suffix": "b"}]}}, "Only one key allowed in match expression"),
]


@pytest.mark.parametrize("pattern,reason", INVALID_PATTERNS, ids=[r for _, r in INVALID_PATTERNS])
def test_a_pattern_aws_refuses_is_invalid_event_pattern(lab, events, pattern, reason):
    """PutRule and TestEventPattern answer InvalidEventPatternException "Event pattern is not valid.
    Reason: ..." for an unknown operator or a malformed rule (Event Ruler's reasons, as LocalStack
    records them from AWS; AWS adds the JSON position). The lab stays usable: a valid rule still works."""
    for call in (lambda: events.put_rule(Name="bad", EventPattern=json.dumps(pattern)),
                 lambda: events.test_event_pattern(EventPattern=json.dumps(pattern), Event=json.dumps(EVENT))):
        with pytest.raises(ClientError) as err:
            call()
        assert err.value.response["Error"]["Code"] == "InvalidEventPatternException"
        assert err.value.response["Error"]["Message"] == f"Event pattern is not valid. Reason: {reason}"
    assert events.list_rules()["Rules"] == []
    assert events.test_event_pattern(EventPattern=json.dumps({"detail": {"x": [1]}}),
                                     Event=json.dumps({**EVENT, "detail": {"x": 1}}))["Result"] is True


def test_an_input_template_naming_an_undefined_variable_is_refused_at_put_targets(lab, events):
    """PutTargets answers ValidationException "InputTemplate for target <id> contains invalid placeholder
    <name>." (AWS's wording as LocalStack reproduces it); PutEvents is never reached by the error."""
    url, arn = make_queue("inbox")
    events.put_rule(Name="orders", EventPattern=json.dumps({"source": ["shop"]}))
    transformer = {"InputPathsMap": {"id": "$.detail.id"}, "InputTemplate": '{"id": <id>, "who": <nobody>}'}
    with pytest.raises(ClientError) as err:
        events.put_targets(Rule="orders", Targets=[{"Id": "t1", "Arn": arn, "InputTransformer": transformer}])
    assert err.value.response["Error"]["Code"] == "ValidationException"
    assert err.value.response["Error"]["Message"] == "InputTemplate for target t1 contains invalid placeholder nobody."
    assert events.list_targets_by_rule(Rule="orders")["Targets"] == []
    transformer["InputTemplate"] = '{"id": <id>, "rule": <aws.events.rule-name>}'
    events.put_targets(Rule="orders", Targets=[{"Id": "t1", "Arn": arn, "InputTransformer": transformer}])
    assert put(events)["FailedEntryCount"] == 0
    assert bodies(url) == [{"id": 1, "rule": "orders"}]


@pytest.fixture
def local_endpoint():
    """A small HTTP server on 127.0.0.1 that answers `status` and remembers each request."""
    import http.server
    import threading

    seen: list[dict] = []
    state = {"status": 200}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the http.server API
            body = self.rfile.read(int(self.headers["Content-Length"]))
            seen.append({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                         "body": json.loads(body)})
            self.send_response(state["status"])
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen, state
    server.shutdown()


def _api_destination(events, endpoint: str) -> str:
    connection = events.create_connection(Name="kitchen", AuthorizationType="API_KEY", AuthParameters={
        "ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "secret"}})["ConnectionArn"]
    return events.create_api_destination(Name="kitchen", ConnectionArn=connection, InvocationEndpoint=endpoint,
                                         HttpMethod="POST")["ApiDestinationArn"]


def test_an_api_destination_on_this_machine_gets_the_event_over_http(lab, events, local_endpoint):
    """API destinations (eb-api-destinations): the event is the body, the connection's API key a header,
    HttpParameters add headers and query string; 429 and 5xx are retried, other 4xx are not."""
    base, seen, state = local_endpoint
    destination = _api_destination(events, f"{base}/orders")
    rule_to(events, {"Arn": destination, "RoleArn": lab.role_arn, "HttpParameters": {
        "HeaderParameters": {"x-shop": "paris"}, "QueryStringParameters": {"v": "2"}}})
    put(events, {"id": 7})
    [request] = seen
    assert request["path"] == "/orders?v=2" and request["body"]["detail"] == {"id": 7}
    assert request["headers"]["x-api-key"] == "secret" and request["headers"]["x-shop"] == "paris"
    assert [h.resource for h in hops(lab, "events", "deliver")] == [destination]
    state["status"] = 503
    put(events, {"id": 8})
    assert [h.action for h in hops(lab, "events") if h.action in ("retry", "drop")] == ["retry"]
    state["status"] = 400
    lab.advance(minutes=1)
    assert hops(lab, "events", "drop")[0].detail["error"] == "INVALID_PARAMETER"


def test_an_api_destination_off_this_machine_is_refused_at_put_targets(lab, events):
    """Nothing leaves the machine: PutTargets refuses an API destination whose endpoint is not loopback,
    in one sentence that says what to do."""
    destination = _api_destination(events, "https://api.example.com/orders")
    events.put_rule(Name="orders", EventPattern=json.dumps({"source": ["shop"]}))
    with pytest.raises(ClientError) as err:
        events.put_targets(Rule="orders", Targets=[{"Id": "t1", "Arn": destination, "RoleArn": lab.role_arn}])
    assert err.value.response["Error"]["Code"] == "ValidationException"
    assert "only to this machine" in err.value.response["Error"]["Message"]
    assert "http://127.0.0.1:<port>" in err.value.response["Error"]["Message"]


# -- archive and replay --------------------------------------------------------------------------
def test_replay_delivers_the_events_of_its_window_with_replay_name(lab, events):
    """aws-semantics.md 4 [E9][E9b][E9c]: an archive keeps matching events; StartReplay sends those
    between EventStartTime and EventEndTime, in time order, to the bus's rules, with `replay-name`."""
    bus_arn = events.describe_event_bus()["Arn"]
    events.create_archive(ArchiveName="all-orders", EventSourceArn=bus_arn,
                          EventPattern=json.dumps({"source": ["shop"]}))
    url, arn = make_queue("inbox")
    rule_to(events, {"Arn": arn})
    ids = []
    for n in range(3):
        ids.append(put(events, {"n": n})["Entries"][0]["EventId"])
        lab.advance(minutes=10)
    assert [b.get("replay-name") for b in bodies(url)] == [None, None, None]
    assert events.describe_archive(ArchiveName="all-orders")["EventCount"] == 3
    start = dt.datetime(2026, 1, 5, 9, 5, tzinfo=dt.timezone.utc)
    events.start_replay(ReplayName="fix-1", EventSourceArn=f"arn:aws:events:us-east-1:{ACCOUNT}:archive/all-orders",
                        EventStartTime=start, EventEndTime=start + dt.timedelta(minutes=20),
                        Destination={"Arn": bus_arn})
    replayed = bodies(url)
    assert [(b["detail"]["n"], b["replay-name"]) for b in replayed] == [(1, "fix-1"), (2, "fix-1")]
    assert [b["id"] for b in replayed] == ids[1:]
    assert events.describe_replay(ReplayName="fix-1")["State"] == "COMPLETED"
    assert events.describe_archive(ArchiveName="all-orders")["EventCount"] == 3  # replays are not re-archived
