"""The trace (issue 4): hops of known scenarios, in order, at their virtual times, with inferred callers.

The last three scenarios rest on the delivery-semantics work (async retries, EventBridge, Step Functions)
and assert the hop vocabulary documented in helpers/runtime/recorder.py.
"""
from __future__ import annotations

import json

import boto3
import pytest

import helpers
from helpers.runtime.clock import EPOCH

SENDER = """
import json, os
import boto3

def handler(event, context):
    boto3.client("sqs").send_message(QueueUrl=os.environ["QUEUE_URL"], MessageBody=json.dumps(event))
    if event.get("fail"):
        raise ValueError("card declined")
    if event.get("then"):
        boto3.client("lambda").invoke(FunctionName=event["then"], Payload=b"{}")
    return {"ok": True}
"""


def make_function(lab: helpers.Lab, name: str, code: str = SENDER, **config: object) -> str:
    return boto3.client("lambda").create_function(
        FunctionName=name, Runtime="python3.12", Role=lab.role_arn, Handler="lambda_function.handler",
        Code={"ZipFile": helpers.zip_code(code)}, **config)["FunctionArn"]


@pytest.fixture
def queue_url(lab: helpers.Lab) -> str:
    return boto3.client("sqs").create_queue(QueueName="audit")["QueueUrl"]


@pytest.fixture
def sender(lab: helpers.Lab, queue_url: str) -> str:
    return make_function(lab, "sender", Environment={"Variables": {"QUEUE_URL": queue_url}})


def steps(frame) -> list[tuple]:
    return list(zip(frame["service"], frame["action"], frame["caller"].fillna("-")))


def test_sync_invoke_records_the_call_the_handlers_calls_and_the_attempt(lab, sender):
    """aws-semantics 1.1: one synchronous call, one attempt; the handler's own calls belong to its flow."""
    boto3.client("lambda").invoke(FunctionName="sender", Payload=b'{"order": 1}')
    frame = lab.trace()
    assert steps(frame) == [("lambda", "Invoke", "client"), ("sqs", "SendMessage", "sender"),
                            ("sqs", "send", "-"), ("lambda", "invoke", "-")]
    assert frame["trace"].nunique() == 1 and frame["trace"][0].startswith("Root=1-")
    attempt = frame.iloc[-1]
    assert (attempt["function"], attempt["attempt"], attempt["invocation_type"]) == ("sender", 1, "RequestResponse")
    assert attempt["cold"] and attempt["outcome"] == "success" and attempt["duration_ms"] > 0
    assert frame["resource"][0] == "sender"


def test_virtual_time_stamps_each_hop(lab, sender):
    """design.md, The virtual clock: hops carry the lab's time, `t` counts seconds from its start."""
    lab.advance(seconds=30)
    boto3.client("lambda").invoke(FunctionName="sender", Payload=b"{}")
    frame = lab.trace()
    assert set(frame["t"]) == {30.0}
    assert frame["time"][0] == EPOCH.replace(second=30)


def test_failed_attempt_has_error_columns(lab, sender):
    """aws-semantics 1.1: a raised exception is an Unhandled function error of its type."""
    boto3.client("lambda").invoke(FunctionName="sender", Payload=b'{"fail": true}')
    attempt = lab.trace(service="lambda").iloc[-1]
    assert (attempt["outcome"], attempt["error_type"], bool(attempt["error"])) == ("error", "ValueError", True)


def test_nested_synchronous_invoke_attributes_calls_to_the_right_function(lab, sender, queue_url):
    make_function(lab, "auditor", Environment={"Variables": {"QUEUE_URL": queue_url}})
    boto3.client("lambda").invoke(FunctionName="sender", Payload=json.dumps({"then": "auditor"}).encode())
    frame = lab.trace()
    calls = frame[frame["kind"] == "call"]
    assert list(zip(calls["action"], calls["caller"])) == [
        ("Invoke", "client"), ("SendMessage", "sender"), ("Invoke", "sender"), ("SendMessage", "auditor")]
    assert list(frame[frame["kind"] == "invoke"]["function"]) == ["auditor", "sender"]


def test_each_outermost_call_is_a_flow_and_filters_find_it(lab, sender):
    lambda_ = boto3.client("lambda")
    lambda_.invoke(FunctionName="sender", Payload=b"{}")
    lab.advance(seconds=5)
    lambda_.invoke(FunctionName="sender", Payload=b'{"fail": true}')
    frame = lab.trace()
    summary = helpers.flows(frame)
    assert list(summary["start"]) == [0.0, 5.0] and list(summary["errors"]) == [0, 1]
    last = helpers.for_trace(frame, "last")
    assert set(last["t"]) == {5.0} and last["trace"].nunique() == 1
    assert helpers.for_trace(frame, last["trace"].iloc[0][-12:]).equals(last)
    assert set(helpers.by_service(frame, "sqs")["service"]) == {"sqs"}
    assert lab.trace(flow="last").equals(last.reset_index(drop=True))


def test_setup_calls_are_hidden_unless_asked_and_clear_forgets(lab, sender):
    assert lab.trace().empty
    assert "CreateFunction" in set(lab.trace(setup=True)["action"])
    helpers.clear_trace(lab)
    assert lab.trace(setup=True).empty


# -- scenarios on the delivery semantics (extend as those parts grow) -------------------------
def test_async_failure_retries_then_goes_to_the_on_failure_destination(lab, sender):
    """aws-semantics 1.2 [L1][L2]: attempts at +0, +60 s, +180 s, then the on-failure record."""
    sqs = boto3.client("sqs")
    dlq = sqs.create_queue(QueueName="failed-orders")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    lambda_ = boto3.client("lambda")
    lambda_.put_function_event_invoke_config(FunctionName="sender",
                                             DestinationConfig={"OnFailure": {"Destination": dlq_arn}})
    helpers.clear_trace(lab)
    assert lambda_.invoke(FunctionName="sender", InvocationType="Event", Payload=b'{"fail": true}')["StatusCode"] == 202
    lab.run_until_idle()
    frame = lab.trace(service="lambda")
    attempts = frame[frame["kind"] == "invoke"]
    assert list(attempts["t"]) == [0.0, 60.0, 180.0]
    assert list(attempts["attempt"]) == [1, 2, 3] and set(attempts["invocation_type"]) == {"Event"}
    lifecycle = [a for a in frame["action"] if a not in ("invoke", "Invoke")]
    assert lifecycle == ["queue", "retry", "retry", "destination"]
    destination = frame[frame["action"] == "destination"].iloc[0]
    assert destination["destination"] == dlq_arn and destination["t"] == 180.0
    assert lab.trace()["trace"].nunique() == 1


def test_choreographed_order_is_one_flow_across_the_bus(lab, queue_url):
    """Poccia's event exchange: PutEvents -> rule -> function -> PutEvents -> rule -> function, one trace id."""
    publisher = """
import boto3
def handler(event, context):
    boto3.client("events").put_events(Entries=[{"Source": "payments", "DetailType": "PaymentTaken",
        "Detail": "{}", "EventBusName": "shop"}])
    return {}
"""
    pay = make_function(lab, "payments", publisher)
    ship = make_function(lab, "shipping", Environment={"Variables": {"QUEUE_URL": queue_url}})
    events = boto3.client("events")
    events.create_event_bus(Name="shop")
    for rule, source, target in (("on-order", "orders", pay), ("on-payment", "payments", ship)):
        events.put_rule(Name=rule, EventBusName="shop", EventPattern=json.dumps({"source": [source]}))
        events.put_targets(Rule=rule, EventBusName="shop", Targets=[{"Id": "1", "Arn": target}])
    helpers.clear_trace(lab)
    events.put_events(Entries=[{"Source": "orders", "DetailType": "OrderPlaced", "Detail": "{}", "EventBusName": "shop"}])
    lab.run_until_idle()
    frame = lab.trace()
    assert frame["trace"].nunique() == 1
    seen = [(s, a, r) for s, a, r in zip(frame["service"], frame["action"], frame["rule"].fillna(frame["resource"]))
            if a in ("PutEvents", "match", "deliver", "invoke")]
    matches = [r for s, a, r in seen if a == "match"]
    assert matches == ["on-order", "on-payment"]
    assert [r for s, a, r in seen if a == "invoke"] == ["payments", "shipping"]
    puts = frame[frame["action"] == "PutEvents"]
    assert list(puts["caller"]) == ["client", "payments"]


def test_state_machine_with_a_caught_failure(lab, sender):
    """aws-semantics 6 [S4]: Retry (1 s, x2 backoff) runs before Catch; transitions at +0, +1 s, +3 s."""
    machine = boto3.client("stepfunctions").create_state_machine(
        name="checkout", roleArn=lab.role_arn, definition=json.dumps(CHECKOUT))["stateMachineArn"]
    helpers.clear_trace(lab)
    boto3.client("stepfunctions").start_execution(stateMachineArn=machine, input='{"fail": true}')
    lab.run_until_idle()
    frame = lab.trace(service="states")
    transitions = frame[(frame["action"] == "transition") & (frame["phase"] != "exited")]
    assert list(zip(transitions["state"], transitions["phase"], transitions["t"])) == [
        ("Charge", "entered", 0.0), ("Charge", "failed", 0.0), ("Charge", "retry", 1.0), ("Charge", "failed", 1.0),
        ("Charge", "retry", 3.0), ("Charge", "failed", 3.0), ("Charge", "caught", 3.0), ("Refund", "entered", 3.0),
        ("Failed", "entered", 3.0), ("Failed", "failed", 3.0)]
    assert list(frame[frame["action"] == "execution"]["status"]) == ["RUNNING", "FAILED"]
    invokes = lab.trace(service="lambda")
    assert set(invokes[invokes["action"] == "Invoke"]["caller"]) == {"states:checkout"}


CHECKOUT = {"StartAt": "Charge", "States": {
    "Charge": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
               "Parameters": {"FunctionName": "sender", "Payload.$": "$"},
               "Retry": [{"ErrorEquals": ["States.TaskFailed"], "MaxAttempts": 2, "IntervalSeconds": 1,
                          "BackoffRate": 2}],
               "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Refund"}], "Next": "Done"},
    "Done": {"Type": "Succeed"},
    "Refund": {"Type": "Pass", "Next": "Failed"},
    "Failed": {"Type": "Fail", "Error": "PaymentFailed"}}}


def test_an_sqs_batch_invocation_names_every_message_it_processed(lab, queue_url):
    """The poll's `lambda invoke` hop sits in its first message's flow; `message_ids` lists the whole batch,
    so each order can be followed through the batch that processed it."""
    make_function(lab, "worker", code="def handler(event, context):\n    return {}\n")
    sqs = boto3.client("sqs")
    sent = [sqs.send_message(QueueUrl=queue_url, MessageBody=f"order {n}")["MessageId"] for n in range(3)]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    boto3.client("lambda").create_event_source_mapping(EventSourceArn=queue_arn, FunctionName="worker", BatchSize=10)
    lab.run_until_idle()
    frame = lab.trace()
    polls = frame[frame["action"].eq("invoke") & frame["invocation_type"].eq("poll")]
    assert len(polls) == 1
    poll = polls.iloc[0]
    assert poll["message_ids"] == sent and poll["detail"]["batch_size"] == 3
    assert poll["trace"] == frame[frame["action"].eq("SendMessage")]["trace"].iloc[0]
    per_message = frame.explode("message_ids")
    for message_id in sent:
        assert per_message[per_message["message_ids"].eq(message_id)]["function"].tolist() == ["worker"]
    assert frame[frame["action"].ne("invoke")]["message_ids"].isna().all()
