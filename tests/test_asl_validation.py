"""The definition checks CreateStateMachine makes: nothing AWS accepts is refused, and what AWS
refuses is located where AWS locates it (sources in helpers/motoext/asl_validation.py)."""
from __future__ import annotations

import json

import boto3
import pytest

import helpers
from helpers.motoext.asl_validation import invalid_definition_message

_LAMBDA = "arn:aws:states:::lambda:invoke"

#: A definition using the forms the developer guide documents; AWS accepts all of it.
ACCEPTED = {
    "Comment": "an order saga",
    "StartAt": "Record",
    "States": {
        "Record": {"Type": "Pass", "Parameters": {"id.$": "$.detail['order-id']", "at.$": "$$.Execution.StartTime",
                                                  "name.$": "States.Format('order {}', $.detail.id)"},
                   "ResultPath": "$.order", "Next": "Both"},
        "Both": {"Type": "Parallel", "ResultSelector": {"tax.$": "$[0].tax"}, "ResultPath": "$.totals",
                 "Next": "Lines", "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 2}],
                 "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Cancelled"}],
                 "Branches": [
                     {"StartAt": "Tax", "States": {"Tax": {"Type": "Pass", "Result": {"tax": 7}, "End": True}}},
                     {"StartAt": "Ask", "States": {"Ask": {
                         "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                         "HeartbeatSeconds": 60, "TimeoutSeconds": 600, "End": True,
                         "Parameters": {"QueueUrl": "q", "MessageBody": {"token.$": "$$.Task.Token"}}}}}]},
        "Lines": {"Type": "Map", "ItemsPath": "$.lines", "MaxConcurrency": 2, "ResultPath": None, "Next": "Decide",
                  "ItemSelector": {"line.$": "$$.Map.Item.Value", "index.$": "$$.Map.Item.Index"},
                  "ItemProcessor": {"StartAt": "Cook", "States": {"Cook": {
                      "Type": "Task", "Resource": _LAMBDA, "OutputPath": "$.Payload", "End": True,
                      "Parameters": {"FunctionName": "kitchen", "Payload.$": "$"}}}}},
        "Decide": {"Type": "Choice", "Default": "Hold", "Choices": [
            {"And": [{"Variable": "$.totals.tax", "IsPresent": True},
                     {"Variable": "$.totals.tax", "NumericGreaterThanPath": "$.limit"}], "Next": "Done"},
            {"Not": {"Variable": "$.order.id", "StringMatches": "test-*"}, "Next": "Hold"}]},
        "Hold": {"Type": "Wait", "TimestampPath": "$.order.at", "Next": "Done"},
        "Done": {"Type": "Succeed"},
        "Cancelled": {"Type": "Fail", "ErrorPath": "$.error.Error",
                      "CausePath": "States.Format('{}: {}', $.error.Error, $.error.Cause)"},
    },
}


def test_a_definition_aws_accepts_is_accepted() -> None:
    """Every form above is documented by AWS (paths, context object, intrinsic functions, Parallel,
    Map, Choice rules, Wait, Fail's CausePath as an intrinsic call): no diagnostic."""
    assert invalid_definition_message(json.dumps(ACCEPTED)) is None


def test_create_state_machine_accepts_it(lab: helpers.Lab) -> None:
    """The same definition through CreateStateMachine (the lab's checks and moto's parser) succeeds."""
    created = boto3.client("stepfunctions").create_state_machine(
        name="saga", definition=json.dumps(ACCEPTED), roleArn=lab.role_arn)

    assert created["stateMachineArn"].endswith(":stateMachine:saga")


@pytest.mark.parametrize("states, start_at, expected", [
    ({"P": {"Type": "Parallel", "End": True, "Branches": [
        {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Gone"}}}]}}, "P",
     "MISSING_TRANSITION_TARGET: Missing 'Next' target: Gone at /States/P/Branches[0]/States/A/Next"),
    ({"M": {"Type": "Map", "End": True, "ItemProcessor": {"StartAt": "Nope", "States": {"A": {"Type": "Succeed"}}}}},
     "M", "MISSING_TRANSITION_TARGET: Missing 'Next' target: Nope at /States/M/ItemProcessor/StartAt"),
    ({"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Parallel", "End": True, "Branches": [
        {"StartAt": "A", "States": {"A": {"Type": "Succeed"}}}]}}, "A",
     "DUPLICATE_STATE_NAME: Duplicate State name: A at /States/B/Branches[0]/States/A"),
    ({"C": {"Type": "Choice", "Choices": [{"Variable": "$.x", "BooleanEquals": True, "Next": "Missing"}],
            "Default": "D"}, "D": {"Type": "Succeed"}}, "C",
     "MISSING_TRANSITION_TARGET: Missing 'Next' target: Missing at /States/C/Choices[0]/Next"),
    ({"T": {"Type": "Task", "Resource": _LAMBDA, "End": True,
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Nowhere"}]}}, "T",
     "MISSING_TRANSITION_TARGET: Missing 'Next' target: Nowhere at /States/T/Catch[0]/Next"),
    ({"x" * 81: {"Type": "Succeed"}}, "x" * 81,
     f"INVALID_STATE_NAME: Invalid State name: State '{'x' * 81}' exceeds the 80-character limit allowed by "
     f"the service at /States/{'x' * 81}"),
])
def test_nested_problems_are_located_as_aws_locates_them(states: dict, start_at: str, expected: str) -> None:
    """A branch or ItemProcessor is its own scope of transitions, located under its state; state names
    are unique in the whole machine (ASL spec, "States"; diagnostics as in asl_validation's sources)."""
    message = invalid_definition_message(json.dumps({"StartAt": start_at, "States": states}))

    assert message is not None and expected in message


def test_missing_top_level_fields() -> None:
    """LocalStack's AWS-recorded snapshot: `{}` gives "These fields are required: [States, StartAt]" at `/`."""
    assert invalid_definition_message("{}") == \
        "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: These fields are required: [States, StartAt] at /'"
