"""Step Functions on the virtual clock: waits, retries, catches, callbacks, child executions.

Each test asserts what AWS would show (status, output, error, timestamps, the path taken) and cites
its row in aws-semantics.md section 6.
"""
from __future__ import annotations

import datetime as dt
import json
import threading
import time
from typing import Any

import boto3
import pytest

import helpers
from helpers.runtime.clock import EPOCH

FAILING = "def handler(event, context):\n    raise ValueError('card declined')\n"
ECHO = "def handler(event, context):\n    return {'seen': event}\n"
SLOW = "import time\n\ndef handler(event, context):\n    time.sleep(10)\n"


@pytest.fixture
def sfn(lab: helpers.Lab) -> Any:
    return boto3.client("stepfunctions")


def _function(lab: helpers.Lab, name: str, code: str, timeout: int = 3) -> str:
    return boto3.client("lambda").create_function(
        FunctionName=name, Runtime="python3.12", Role=lab.role_arn, Handler="lambda_function.handler",
        Code={"ZipFile": helpers.zip_code(code)}, Timeout=timeout)["FunctionArn"]


def _machine(lab: helpers.Lab, sfn: Any, name: str, states: dict, start_at: str, **top: Any) -> str:
    definition = {"StartAt": start_at, "States": states, **top}
    return sfn.create_state_machine(name=name, definition=json.dumps(definition),
                                    roleArn=lab.role_arn)["stateMachineArn"]


def _invoke(function: str, **fields: Any) -> dict:
    return {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": function, "Payload.$": "$"}, **fields}


def _at(seconds: float) -> dt.datetime:
    return EPOCH + dt.timedelta(seconds=seconds)


def _path(lab: helpers.Lab, execution_arn: str) -> list[tuple[float, str, str]]:
    """(seconds after the epoch, state, phase) of every transition hop of one execution."""
    return [((hop.time - EPOCH).total_seconds(), hop.detail["state"], hop.detail["phase"])
            for hop in lab.recorder.hops
            if hop.service == "states" and hop.action == "transition" and hop.resource == execution_arn]


def _lambda_attempts(lab: helpers.Lab, function: str) -> list[float]:
    return [(hop.time - EPOCH).total_seconds() for hop in lab.recorder.hops
            if hop.service == "lambda" and hop.action == "invoke" and hop.resource == function]


def test_wait_of_an_hour_passes_when_the_clock_is_advanced(lab: helpers.Lab, sfn: Any) -> None:
    """aws-semantics.md 6 [S9]: a Wait state holds the execution for its Seconds; on the lab's
    virtual clock an hour passes in no real time (design.md, The virtual clock)."""
    machine = _machine(lab, sfn, "wait-an-hour", {
        "Hold": {"Type": "Wait", "Seconds": 3600, "Next": "Done"},
        "Done": {"Type": "Pass", "End": True}}, "Hold")
    execution = sfn.start_execution(stateMachineArn=machine, input='{"order": 7}')["executionArn"]

    started = time.perf_counter()
    lab.advance(minutes=59, seconds=59)
    assert sfn.describe_execution(executionArn=execution)["status"] == "RUNNING"
    lab.advance(seconds=1)
    assert time.perf_counter() - started < 0.5
    described = sfn.describe_execution(executionArn=execution)

    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"]) == {"order": 7}
    assert (described["startDate"], described["stopDate"]) == (_at(0), _at(3600))
    events = sfn.get_execution_history(executionArn=execution)["events"]
    assert [(e["type"], e["timestamp"]) for e in events] == [
        ("ExecutionStarted", _at(0)), ("WaitStateEntered", _at(0)), ("WaitStateExited", _at(3600)),
        ("PassStateEntered", _at(3600)), ("PassStateExited", _at(3600)), ("ExecutionSucceeded", _at(3600))]
    assert _path(lab, execution) == [(0, "Hold", "entered"), (3600, "Hold", "exited"),
                                     (3600, "Done", "entered"), (3600, "Done", "exited")]


def test_retry_attempts_follow_interval_and_backoff(lab: helpers.Lab, sfn: Any) -> None:
    """aws-semantics.md 6 [S4][S5]: IntervalSeconds 2 and BackoffRate 2 give attempts at +0, +2 and
    +6 s; each retry is a state transition; once retries are exhausted the error fails the execution."""
    _function(lab, "charge", FAILING)
    machine = _machine(lab, sfn, "retrying", {"Charge": _invoke("charge", End=True, Retry=[
        {"ErrorEquals": ["ValueError"], "IntervalSeconds": 2, "BackoffRate": 2, "MaxAttempts": 2}])}, "Charge")

    execution = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    assert sfn.describe_execution(executionArn=execution)["status"] == "RUNNING"
    lab.run_until_idle()

    described = sfn.describe_execution(executionArn=execution)
    assert (described["status"], described["error"]) == ("FAILED", "ValueError")
    assert "card declined" in described["cause"]
    assert described["stopDate"] == _at(6)
    assert _lambda_attempts(lab, "charge") == [0, 2, 6]
    assert [(t, phase) for t, _, phase in _path(lab, execution)] == [
        (0, "entered"), (0, "failed"), (2, "retry"), (2, "failed"), (6, "retry"), (6, "failed")]


def test_max_delay_seconds_caps_the_backoff(lab: helpers.Lab, sfn: Any) -> None:
    """aws-semantics.md 6 [S4][S5]: MaxDelaySeconds caps each interval (2, then min(20, 5), min(200, 5))."""
    _function(lab, "charge", FAILING)
    machine = _machine(lab, sfn, "capped", {"Charge": _invoke("charge", End=True, Retry=[
        {"ErrorEquals": ["States.ALL"], "IntervalSeconds": 2, "BackoffRate": 10, "MaxAttempts": 3,
         "MaxDelaySeconds": 5}])}, "Charge")

    sfn.start_execution(stateMachineArn=machine)
    lab.run_until_idle()

    assert _lambda_attempts(lab, "charge") == [0, 2, 7, 12]


def test_catch_routes_to_the_fallback_after_retries_with_result_path(lab: helpers.Lab, sfn: Any) -> None:
    """aws-semantics.md 6 [S4]: retriers run before catchers; the catcher's ResultPath puts the error
    beside the original input, and the execution continues at the catcher's Next."""
    _function(lab, "charge", FAILING)
    _function(lab, "refund", ECHO)
    machine = _machine(lab, sfn, "saga", {
        "Charge": _invoke("charge", End=True,
                          Retry=[{"ErrorEquals": ["ValueError"], "IntervalSeconds": 1, "MaxAttempts": 1}],
                          Catch=[{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Refund"}]),
        "Refund": _invoke("refund", End=True, OutputPath="$.Payload")}, "Charge")

    execution = sfn.start_execution(stateMachineArn=machine, input='{"order": 7}')["executionArn"]
    lab.run_until_idle()

    described = sfn.describe_execution(executionArn=execution)
    assert described["status"] == "SUCCEEDED"
    seen = json.loads(described["output"])["seen"]
    assert seen["order"] == 7
    assert seen["error"]["Error"] == "ValueError"
    assert json.loads(seen["error"]["Cause"])["errorMessage"] == "card declined"
    assert _path(lab, execution) == [
        (0, "Charge", "entered"), (0, "Charge", "failed"), (1, "Charge", "retry"), (1, "Charge", "failed"),
        (1, "Charge", "caught"), (1, "Charge", "exited"), (1, "Refund", "entered"), (1, "Refund", "exited")]
    caught = [hop for hop in lab.recorder.hops if hop.detail.get("phase") == "caught"]
    assert caught[0].detail["next"] == "Refund" and caught[0].detail["error"] == "ValueError"


def test_lambda_timeout_is_lambda_unknown(lab: helpers.Lab, sfn: Any) -> None:
    """aws-semantics.md 6 [S6]: a function that times out returns no error type, and Step Functions
    reports `Lambda.Unknown` with the returned payload in the cause."""
    _function(lab, "slow", SLOW, timeout=1)
    machine = _machine(lab, sfn, "timing-out", {"Call": _invoke("slow", End=True)}, "Call")

    execution = sfn.start_execution(stateMachineArn=machine)["executionArn"]

    described = sfn.describe_execution(executionArn=execution)
    assert (described["status"], described["error"]) == ("FAILED", "Lambda.Unknown")
    assert described["cause"].startswith("The cause could not be determined because Lambda did not return "
                                         "an error type. Returned payload: ")
    assert "Task timed out after 1.00 seconds" in described["cause"]


def test_wait_for_task_token_resumes_on_send_task_success(lab: helpers.Lab, sfn: Any) -> None:
    """aws-semantics.md 6 [S7]: `.waitForTaskToken` pauses the task until SendTaskSuccess returns
    the token; the execution resumes (and here finishes) before SendTaskSuccess returns."""
    sqs = boto3.client("sqs")
    queue = sqs.create_queue(QueueName="approvals")["QueueUrl"]
    machine = _machine(lab, sfn, "approval", {"Ask": {
        "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        "Parameters": {"QueueUrl": queue, "MessageBody": {"token.$": "$$.Task.Token"}},
        "ResultPath": "$.approval", "End": True}}, "Ask")

    execution = sfn.start_execution(stateMachineArn=machine, input='{"order": 7}')["executionArn"]
    token = json.loads(sqs.receive_message(QueueUrl=queue)["Messages"][0]["Body"])["token"]
    lab.advance(minutes=5)
    assert sfn.describe_execution(executionArn=execution)["status"] == "RUNNING"
    sfn.send_task_success(taskToken=token, output='{"approved": true}')

    described = sfn.describe_execution(executionArn=execution)
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"]) == {"order": 7, "approval": {"approved": True}}
    assert described["stopDate"] == _at(300)


def test_send_task_failure_fails_the_waiting_task(lab: helpers.Lab, sfn: Any) -> None:
    """aws-semantics.md 6 [S7]: SendTaskFailure fails the paused task with the given error."""
    sqs = boto3.client("sqs")
    queue = sqs.create_queue(QueueName="approvals")["QueueUrl"]
    machine = _machine(lab, sfn, "approval", {"Ask": {
        "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        "Parameters": {"QueueUrl": queue, "MessageBody": {"token.$": "$$.Task.Token"}}, "End": True}}, "Ask")

    execution = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    token = json.loads(sqs.receive_message(QueueUrl=queue)["Messages"][0]["Body"])["token"]
    sfn.send_task_failure(taskToken=token, error="Rejected", cause="over budget")

    described = sfn.describe_execution(executionArn=execution)
    assert (described["status"], described["error"], described["cause"]) == ("FAILED", "Rejected", "over budget")


def test_task_timeout_passes_on_the_clock(lab: helpers.Lab, sfn: Any) -> None:
    """aws-semantics.md 6 [S4]: a task that outlives its TimeoutSeconds fails with States.Timeout."""
    sqs = boto3.client("sqs")
    queue = sqs.create_queue(QueueName="approvals")["QueueUrl"]
    machine = _machine(lab, sfn, "impatient", {"Ask": {
        "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken", "TimeoutSeconds": 60,
        "Parameters": {"QueueUrl": queue, "MessageBody": {"token.$": "$$.Task.Token"}}, "End": True}}, "Ask")

    execution = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    lab.advance(seconds=59)
    assert sfn.describe_execution(executionArn=execution)["status"] == "RUNNING"
    lab.advance(seconds=1)

    described = sfn.describe_execution(executionArn=execution)
    assert (described["status"], described["error"], described["stopDate"]) == ("FAILED", "States.Timeout", _at(60))


def test_state_machine_timeout_times_the_execution_out(lab: helpers.Lab, sfn: Any) -> None:
    """aws-semantics.md 6 [S1][S4]: an execution that outlives the machine's TimeoutSeconds ends
    TIMED_OUT, on the virtual clock."""
    machine = _machine(lab, sfn, "bounded", {"Hold": {"Type": "Wait", "Seconds": 3600, "End": True}}, "Hold",
                       TimeoutSeconds=60)

    execution = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    lab.advance(seconds=59)
    assert sfn.describe_execution(executionArn=execution)["status"] == "RUNNING"
    lab.advance(seconds=1)

    assert sfn.describe_execution(executionArn=execution)["status"] == "TIMED_OUT"
    events = sfn.get_execution_history(executionArn=execution)["events"]
    assert (events[-1]["type"], events[-1]["timestamp"]) == ("ExecutionTimedOut", _at(60))


@pytest.mark.parametrize("resource, output_of", [
    ("arn:aws:states:::states:startExecution.sync", json.loads),
    ("arn:aws:states:::states:startExecution.sync:2", lambda output: output)])
def test_start_execution_sync_waits_for_the_child(lab: helpers.Lab, sfn: Any, resource: str,
                                                  output_of: Any) -> None:
    """aws-semantics.md 6 [S7]: `.sync` starts a child execution and resumes when it ends, with the
    child's description (`.sync` keeps its Output as a JSON string, `.sync:2` parses it)."""
    child = _machine(lab, sfn, "child", {
        "Hold": {"Type": "Wait", "Seconds": 600, "Next": "Answer"},
        "Answer": {"Type": "Pass", "Result": {"shipped": True}, "End": True}}, "Hold")
    parent = _machine(lab, sfn, "parent", {"Run": {
        "Type": "Task", "Resource": resource, "End": True,
        "Parameters": {"StateMachineArn": child, "Input": {"order": 7}}}}, "Run")

    execution = sfn.start_execution(stateMachineArn=parent)["executionArn"]
    lab.advance(seconds=599)
    assert sfn.describe_execution(executionArn=execution)["status"] == "RUNNING"
    lab.advance(seconds=1)

    described = sfn.describe_execution(executionArn=execution)
    assert (described["status"], described["stopDate"]) == ("SUCCEEDED", _at(600))
    result = json.loads(described["output"])
    assert result["Status"] == "SUCCEEDED"
    assert result["StateMachineArn"] == child
    assert output_of(result["Output"]) == {"shipped": True}
    assert (result["StartDate"], result["StopDate"]) == (int(_at(0).timestamp() * 1000),
                                                         int(_at(600).timestamp() * 1000))


def test_start_execution_request_response_returns_at_once(lab: helpers.Lab, sfn: Any) -> None:
    """aws-semantics.md 6 [S7]: request-response startExecution returns ExecutionArn and StartDate
    without waiting for the child."""
    child = _machine(lab, sfn, "child", {"Hold": {"Type": "Wait", "Seconds": 600, "End": True}}, "Hold")
    parent = _machine(lab, sfn, "parent", {"Run": {
        "Type": "Task", "Resource": "arn:aws:states:::states:startExecution", "End": True,
        "Parameters": {"StateMachineArn": child}}}, "Run")

    execution = sfn.start_execution(stateMachineArn=parent)["executionArn"]

    described = sfn.describe_execution(executionArn=execution)
    assert described["status"] == "SUCCEEDED"
    result = json.loads(described["output"])
    assert set(result) == {"ExecutionArn", "StartDate"}
    assert sfn.describe_execution(executionArn=result["ExecutionArn"])["status"] == "RUNNING"


def test_parallel_branches_wait_side_by_side(lab: helpers.Lab, sfn: Any) -> None:
    """aws-semantics.md 6 [S9]: Parallel runs its branches concurrently: waits of 30 s and 10 s end
    the state after 30 s, with each branch's states in the path."""
    machine = _machine(lab, sfn, "parallel", {"Both": {"Type": "Parallel", "End": True, "Branches": [
        {"StartAt": "Slow", "States": {"Slow": {"Type": "Wait", "Seconds": 30, "End": True}}},
        {"StartAt": "Fast", "States": {"Fast": {"Type": "Wait", "Seconds": 10, "End": True}}}]}}, "Both")

    execution = sfn.start_execution(stateMachineArn=machine, input='{"n": 1}')["executionArn"]
    lab.run_until_idle()

    described = sfn.describe_execution(executionArn=execution)
    assert (described["status"], described["stopDate"]) == ("SUCCEEDED", _at(30))
    assert json.loads(described["output"]) == [{"n": 1}, {"n": 1}]
    assert _path(lab, execution) == [
        (0, "Both", "entered"), (0, "Slow", "entered"), (0, "Fast", "entered"), (10, "Fast", "exited"),
        (30, "Slow", "exited"), (30, "Both", "exited")]


def test_map_iterations_are_in_the_path(lab: helpers.Lab, sfn: Any) -> None:
    """aws-semantics.md 6 [S8]: an inline Map runs its iterations concurrently; each iteration's
    states are transitions that name their index."""
    machine = _machine(lab, sfn, "map", {"Each": {
        "Type": "Map", "End": True,
        "Iterator": {"StartAt": "Hold", "States": {"Hold": {"Type": "Wait", "SecondsPath": "$", "End": True}}}}},
        "Each")

    execution = sfn.start_execution(stateMachineArn=machine, input="[5, 1, 3]")["executionArn"]
    lab.run_until_idle()

    described = sfn.describe_execution(executionArn=execution)
    assert (described["status"], described["stopDate"]) == ("SUCCEEDED", _at(5))
    exits = [(hop.time, hop.detail["iteration"]) for hop in lab.recorder.hops
             if hop.detail.get("state") == "Hold" and hop.detail.get("phase") == "exited"]
    assert exits == [(_at(1), 1), (_at(3), 2), (_at(5), 0)]


def _scenario(lab: helpers.Lab) -> list[tuple]:
    sfn = boto3.client("stepfunctions")
    _function(lab, "charge", FAILING)
    _function(lab, "refund", ECHO)
    machine = _machine(lab, sfn, "saga", {
        "Both": {"Type": "Parallel", "Next": "Charge", "Branches": [
            {"StartAt": "A", "States": {"A": {"Type": "Wait", "Seconds": 20, "End": True}}},
            {"StartAt": "B", "States": {"B": {"Type": "Wait", "Seconds": 5, "End": True}}}]},
        "Charge": _invoke("charge", End=True, Retry=[{"ErrorEquals": ["States.ALL"], "MaxAttempts": 2}],
                          Catch=[{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Refund"}]),
        "Refund": _invoke("refund", End=True)}, "Both")
    for _ in range(2):
        sfn.start_execution(stateMachineArn=machine)
    lab.run_until_idle()
    return [(hop.time, hop.service, hop.action, hop.resource,
             {k: v for k, v in hop.detail.items() if k not in ("report", "params")})
            for hop in lab.recorder.hops]


def test_identical_runs_give_identical_timelines(lab: helpers.Lab) -> None:
    """design.md Principle 4 and aws-semantics.md 6 [S4]: the same scenario (two executions with
    Parallel waits, retries and a catch) gives the same timeline, hop for hop, every run."""
    first = _scenario(lab)
    second = _scenario(helpers.start(reset=True))

    assert first == second
    assert sum(1 for hop in first if hop[2] == "transition" and hop[4]["phase"] == "retry") == 4


def test_start_execution_without_a_name_twice(lab: helpers.Lab, sfn: Any) -> None:
    """StartExecution API reference (aws-semantics.md 6): `name` is optional; each nameless start
    gets a generated UUID name, so two nameless starts are two executions."""
    machine = _machine(lab, sfn, "nameless", {"Done": {"Type": "Pass", "End": True}}, "Done")

    first = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    second = sfn.start_execution(stateMachineArn=machine)["executionArn"]

    assert first != second
    assert not first.endswith(":None")
    assert {e["status"] for e in sfn.list_executions(stateMachineArn=machine)["executions"]} == {"SUCCEEDED"}


def test_jsonata_state_machine_is_refused_with_a_clear_message(lab: helpers.Lab, sfn: Any) -> None:
    """aws-semantics.md 6 (lab limitation): moto has no JSONata engine, so CreateStateMachine fails
    with InvalidDefinition saying the lab does not support JSONata states."""
    with pytest.raises(sfn.exceptions.InvalidDefinition, match="does not support JSONata"):
        _machine(lab, sfn, "jsonata", {"Done": {"Type": "Pass", "Output": "{% 1 + 1 %}", "End": True}},
                 "Done", QueryLanguage="JSONata")


def test_execution_hops_carry_status(lab: helpers.Lab, sfn: Any) -> None:
    """aws-semantics.md 6 [S1]: an execution starts RUNNING and ends with its final status."""
    machine = _machine(lab, sfn, "failing", {"Stop": {"Type": "Fail", "Error": "Nope", "Cause": "why"}}, "Stop")

    execution = sfn.start_execution(stateMachineArn=machine)["executionArn"]

    statuses = [(hop.detail["status"], hop.detail.get("error")) for hop in lab.recorder.hops
                if hop.action == "execution" and hop.resource == execution]
    assert statuses == [("RUNNING", None), ("FAILED", "Nope")]
    assert _path(lab, execution) == [(0, "Stop", "entered"), (0, "Stop", "failed")]


def test_waiting_executions_park_no_thread(lab: helpers.Lab, sfn: Any) -> None:
    """design.md, The virtual clock (and issue 15, target 5): a waiting execution is a job on the
    clock, not a parked thread: 50 executions in an hour-long Wait add no thread, and all end on time."""
    machine = _machine(lab, sfn, "hold", {"Hold": {"Type": "Wait", "Seconds": 3600, "End": True}}, "Hold")
    threads_before = threading.active_count()

    executions = [sfn.start_execution(stateMachineArn=machine)["executionArn"] for _ in range(50)]

    assert threading.active_count() == threads_before
    assert lab.executions.waiting >= 50
    lab.advance(hours=1)
    assert {sfn.describe_execution(executionArn=arn)["stopDate"] for arn in executions} == {_at(3600)}
