"""GetExecutionHistory in pages, as on AWS (GetExecutionHistory API reference,
https://docs.aws.amazon.com/step-functions/latest/apireference/API_GetExecutionHistory.html): 100 events
per call by default (0 means the default), at most 1,000, the latest first with reverseOrder, the rest
behind a nextToken that only the service's own tokens pass."""
from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError

import helpers


@pytest.fixture
def long_execution(lab: helpers.Lab) -> tuple[object, str, list[dict]]:
    """An execution of 40 items through a Map of Pass states: 4 events per item and 7 around them."""
    sfn = boto3.client("stepfunctions")
    definition = {"StartAt": "Each", "States": {"Each": {
        "Type": "Map", "ItemsPath": "$.items", "End": True,
        "ItemProcessor": {"StartAt": "Touch", "States": {"Touch": {"Type": "Pass", "End": True}}}}}}
    machine = sfn.create_state_machine(name="pages", definition=json.dumps(definition),
                                       roleArn=lab.role_arn)["stateMachineArn"]
    arn = sfn.start_execution(stateMachineArn=machine, input=json.dumps({"items": list(range(40))}))["executionArn"]
    lab.run_until_idle()
    every = [event for page in sfn.get_paginator("get_execution_history").paginate(executionArn=arn)
             for event in page["events"]]
    return sfn, arn, every


def test_one_call_returns_the_first_100_events_and_a_token_for_the_rest(long_execution):
    sfn, arn, every = long_execution
    assert len(every) > 150 and [e["id"] for e in every] == list(range(1, len(every) + 1))
    first = sfn.get_execution_history(executionArn=arn)
    assert [e["id"] for e in first["events"]] == list(range(1, 101)) and first["nextToken"]
    assert sfn.get_execution_history(executionArn=arn, maxResults=0)["events"] == first["events"]
    rest = sfn.get_execution_history(executionArn=arn, nextToken=first["nextToken"])
    assert rest["events"] == every[100:200] and ("nextToken" in rest) == (len(every) > 200)
    assert every[-1]["type"] == "ExecutionSucceeded"


def test_reverse_order_and_page_size(long_execution):
    sfn, arn, every = long_execution
    latest = sfn.get_execution_history(executionArn=arn, reverseOrder=True, maxResults=5)
    assert latest["events"] == every[::-1][:5] and latest["events"][0]["type"] == "ExecutionSucceeded"
    whole = sfn.get_execution_history(executionArn=arn, maxResults=1000)
    assert whole["events"] == every and "nextToken" not in whole


@pytest.mark.parametrize("arguments, code", [
    ({"maxResults": 1001}, "ValidationException"),
    ({"nextToken": "not-a-token"}, "InvalidToken"),
])
def test_bad_paging_is_refused_in_aws_s_words(long_execution, arguments, code):
    sfn, arn, _ = long_execution
    with pytest.raises(ClientError) as refused:
        sfn.get_execution_history(executionArn=arn, **arguments)
    assert refused.value.response["Error"]["Code"] == code


def test_a_token_of_another_listing_is_refused(long_execution):
    sfn, arn, _ = long_execution
    token = sfn.get_execution_history(executionArn=arn)["nextToken"]
    with pytest.raises(ClientError) as refused:
        sfn.get_execution_history(executionArn=arn, nextToken=token, reverseOrder=True)
    assert refused.value.response["Error"]["Code"] == "InvalidToken"
