"""Bad input to Step Functions: AWS's error code and message shape, and the lab still works after.

Each case is refused with the code AWS answers and a message in AWS's shape (sources in each
case's `source`; the definition checks are documented in helpers/motoext/asl_validation.py). Before
the catalogue runs, an execution is left waiting on a Wait of an hour and another on a task token;
after every bad call both are still RUNNING, and at the end both complete.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable

import boto3
import pytest
from botocore.exceptions import ClientError

import helpers

_DIAGNOSTICS = "https://docs.aws.amazon.com/step-functions/latest/apireference/API_ValidateStateMachineDefinitionDiagnostic.html"
_START = "https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html"
_PASS = {"Type": "Pass", "End": True}


@dataclass(frozen=True)
class BadInput:
    """One bad call: what it sends, the error AWS answers, and where that is documented."""

    name: str
    call: Callable[[Any, dict], Any]
    code: str
    message: str
    source: str


def _create(states: dict, start_at: str = "A") -> Callable[[Any, dict], Any]:
    def call(sfn: Any, ctx: dict) -> Any:
        return sfn.create_state_machine(name="bad", roleArn=ctx["role"],
                                        definition=json.dumps({"StartAt": start_at, "States": states}))
    return call


def _start(**fields: Any) -> Callable[[Any, dict], Any]:
    return lambda sfn, ctx: sfn.start_execution(stateMachineArn=ctx["machine"], **fields)


CATALOGUE = [
    BadInput("state without Next or End", _create({"A": {"Type": "Pass"}, "B": _PASS}),
             "InvalidDefinition", "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: These fields are "
             "required: [Next] at /States/A, MISSING_TRANSITION_TARGET: State \"B\" is not reachable. at /States/B'",
             _DIAGNOSTICS),
    BadInput("Next names a missing state", _create({"A": {"Type": "Pass", "Next": "Nope"}, "B": _PASS}),
             "InvalidDefinition", "Invalid State Machine Definition: 'MISSING_TRANSITION_TARGET: Missing 'Next' "
             "target: Nope at /States/A/Next, MISSING_TRANSITION_TARGET: State \"B\" is not reachable. at /States/B'",
             "https://github.com/localstack/localstack/pull/12487 (AWS's answer quoted)"),
    BadInput("StartAt names a missing state", _create({"A": _PASS}, start_at="Z"),
             "InvalidDefinition", "Invalid State Machine Definition: 'MISSING_TRANSITION_TARGET: Missing 'Next' "
             "target: Z at /StartAt, MISSING_TRANSITION_TARGET: State \"A\" is not reachable. at /States/A'",
             "https://github.com/serverless-operations/serverless-step-functions/issues/250 (AWS's answer)"),
    BadInput("Choice Default names a missing state",
             _create({"A": {"Type": "Choice", "Default": "Gone",
                            "Choices": [{"Variable": "$.x", "IsPresent": True, "Next": "B"}]}, "B": _PASS}),
             "InvalidDefinition", "Invalid State Machine Definition: 'MISSING_TRANSITION_TARGET: Missing 'Next' "
             "target: Gone at /States/A/Default'", "https://github.com/floci-io/floci/pull/2786 (measured on AWS)"),
    BadInput("no terminal state", _create({"A": {"Type": "Pass", "Next": "A"}}),
             "InvalidDefinition", "Invalid State Machine Definition: 'MISSING_END_STATE: Workflow has no terminal "
             "state at null'", "https://github.com/floci-io/floci/issues/2735 (measured on AWS)"),
    BadInput("unknown state Type", _create({"A": {"Type": "Sleep", "End": True}}),
             "InvalidDefinition", "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: Value should be one "
             "of the following: [Task, Parallel, Map, Pass, Wait, Choice, Succeed, Fail] at /States/A/Type'",
             _DIAGNOSTICS),
    BadInput("malformed JSONPath in InputPath", _create({"A": {"Type": "Pass", "InputPath": "$.items[", "End": True}}),
             "InvalidDefinition", "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: Value is not a "
             "valid JSONPath at /States/A/InputPath'", "https://states-language.net/#path"),
    BadInput("malformed path in Parameters",
             _create({"A": {"Type": "Pass", "Parameters": {"id.$": "order.id"}, "End": True}}),
             "InvalidDefinition", "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: The value for the "
             "field 'id.$' must be a valid JSONPath or a valid intrinsic function call at /States/A/Parameters'",
             "https://states-language.net/#parameters"),
    BadInput("ResultPath that is not a Reference Path",
             _create({"A": {"Type": "Pass", "ResultPath": "$.items[*]", "End": True}}),
             "InvalidDefinition", "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: Value is not a "
             "Reference Path at /States/A/ResultPath'", "https://states-language.net/#ref-paths"),
    BadInput("States.ALL not last",
             _create({"A": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": True,
                            "Parameters": {"FunctionName": "f"},
                            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "B"},
                                      {"ErrorEquals": ["Oops"], "Next": "B"}]}, "B": _PASS}),
             "InvalidDefinition", "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: States.ALL must "
             "appear alone in its ErrorEquals array and in the last catcher at /States/A/Catch[0]/ErrorEquals'",
             "https://states-language.net/#appendix-a-predefined-error-codes"),
    BadInput("Retry on a Pass state",
             _create({"A": {"Type": "Pass", "Retry": [{"ErrorEquals": ["States.ALL"]}], "End": True}}),
             "InvalidDefinition", "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: Field 'Retry' is "
             "not supported at /States/A'", "https://github.com/floci-io/floci/issues/2735 (measured on AWS)"),
    BadInput("definition that is not JSON", lambda sfn, ctx: sfn.create_state_machine(
        name="bad", roleArn=ctx["role"], definition="{StartAt: A}"),
             "InvalidDefinition", "Invalid State Machine Definition: 'INVALID_JSON_DESCRIPTION: Expecting property "
             "name enclosed in double quotes: line 1 column 2 (char 1) at line 1, column 2'", _DIAGNOSTICS),
    BadInput("execution input that is not JSON", _start(input="{order: 7}"),
             "InvalidExecutionInput", "Invalid State Machine Execution Input: 'Expecting property name enclosed in "
             "double quotes: line 1 column 2 (char 1)'", _START),
    BadInput("execution name of 81 characters", _start(name="x" * 81),
             "ValidationException", f"1 validation error detected: Value '{'x' * 81}' at 'name' failed to satisfy "
             "constraint: Member must have length less than or equal to 80",
             "https://github.com/getmoto/moto/issues/6438 (AWS's answer quoted)"),
    BadInput("execution name with a space", _start(name="order 7"),
             "InvalidName", "Invalid Name: 'order 7'", _START),
    BadInput("execution name with a slash", _start(name="orders/7"),
             "InvalidName", "Invalid Name: 'orders/7'", _START),
    BadInput("SendTaskSuccess output that is not JSON",
             lambda sfn, ctx: sfn.send_task_success(taskToken=ctx["token"], output="approved"),
             "InvalidOutput", "Invalid Output: 'Expecting value: line 1 column 1 (char 0)'",
             "https://docs.aws.amazon.com/step-functions/latest/apireference/API_SendTaskSuccess.html"),
]


@pytest.fixture(scope="module")
def waiting() -> dict:
    """A lab with an execution waiting an hour and one waiting for its task token."""
    lab = helpers.start(reset=True)
    sfn, sqs = boto3.client("stepfunctions"), boto3.client("sqs")
    queue = sqs.create_queue(QueueName="approvals")["QueueUrl"]

    def machine(name: str, states: dict) -> str:
        return sfn.create_state_machine(name=name, roleArn=lab.role_arn, definition=json.dumps(
            {"StartAt": "A", "States": states}))["stateMachineArn"]

    hour = machine("hour", {"A": {"Type": "Wait", "Seconds": 3600, "End": True}})
    token_machine = machine("approval", {"A": {
        "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken", "End": True,
        "Parameters": {"QueueUrl": queue, "MessageBody": {"token.$": "$$.Task.Token"}}}})
    executions = [sfn.start_execution(stateMachineArn=arn, input='{"order": 7}')["executionArn"]
                  for arn in (hour, token_machine)]
    token = json.loads(sqs.receive_message(QueueUrl=queue)["Messages"][0]["Body"])["token"]
    return {"lab": lab, "role": lab.role_arn, "machine": hour, "token": token, "executions": executions}


def _statuses(sfn: Any, executions: list[str]) -> list[str]:
    return [sfn.describe_execution(executionArn=arn)["status"] for arn in executions]


@pytest.mark.parametrize("case", CATALOGUE, ids=[case.name for case in CATALOGUE])
def test_bad_input_is_refused_in_awss_words(waiting: dict, case: BadInput) -> None:
    """Each case: AWS's error code and message (source in the case), and the waiting executions are
    untouched (design.md: bad input gets a clear error and the lab stays usable)."""
    sfn = boto3.client("stepfunctions")

    with pytest.raises(ClientError) as raised:
        case.call(sfn, waiting)

    assert raised.value.response["Error"]["Code"] == case.code, case.source
    assert raised.value.response["Error"]["Message"] == case.message, case.source
    assert _statuses(sfn, waiting["executions"]) == ["RUNNING", "RUNNING"]


def test_the_lab_stays_usable_after_the_catalogue(waiting: dict) -> None:
    """After every bad call: a new state machine runs, the task token is answered with JSON and the
    hour-long Wait ends on the clock (aws-semantics.md 6 [S7][S9])."""
    sfn = boto3.client("stepfunctions")
    for case in CATALOGUE:
        with pytest.raises(ClientError):
            case.call(sfn, waiting)
    fresh = sfn.create_state_machine(name="fresh", roleArn=waiting["role"], definition=json.dumps(
        {"StartAt": "A", "States": {"A": {"Type": "Pass", "Result": {"ok": True}, "End": True}}}))["stateMachineArn"]
    assert json.loads(sfn.describe_execution(executionArn=sfn.start_execution(
        stateMachineArn=fresh)["executionArn"])["output"]) == {"ok": True}

    sfn.send_task_success(taskToken=waiting["token"], output='{"approved": true}')
    waiting["lab"].advance(hours=1)

    assert _statuses(sfn, waiting["executions"]) == ["SUCCEEDED", "SUCCEEDED"]
