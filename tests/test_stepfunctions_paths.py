"""Step Functions JSONPath, checked against the examples of AWS's developer guide.

Each test runs the guide's own input and definition fragment and asserts the output the guide
shows. Pages: "Using JSONPath paths" (amazon-states-language-paths.html), "Manipulate parameters"
(input-output-inputpath-params.html), "Specifying state output using ResultPath"
(input-output-resultpath.html), "Choice workflow state" (state-choice.html), "Map workflow state"
(state-map.html), "Intrinsic functions" (intrinsic-functions.html), all under
https://docs.aws.amazon.com/step-functions/latest/dg/.
"""
from __future__ import annotations

import json
import uuid
from typing import Any

import boto3
import pytest

import helpers
from helpers.motoext import asl_paths

_GUIDE = "https://docs.aws.amazon.com/step-functions/latest/dg/"


@pytest.fixture
def run(lab: helpers.Lab) -> Any:
    """Run a one-machine definition on `input` and return the execution's description."""
    sfn = boto3.client("stepfunctions")
    count = iter(range(1000))

    def _run(states: dict, start_at: str, document: Any) -> dict:
        machine = sfn.create_state_machine(
            name=f"paths-{next(count)}", roleArn=lab.role_arn,
            definition=json.dumps({"StartAt": start_at, "States": states}))["stateMachineArn"]
        execution = sfn.start_execution(stateMachineArn=machine, input=json.dumps(document))["executionArn"]
        lab.run_until_idle()
        return sfn.describe_execution(executionArn=execution)

    return _run


def _output(described: dict) -> Any:
    assert described["status"] == "SUCCEEDED", described
    return json.loads(described["output"])


def test_definite_path_after_parallel_is_the_scalar(run: Any) -> None:
    """Using JSONPath paths (amazon-states-language-paths.html): a path that selects one node, like
    `$[0].tax` on a Parallel state's array of branch outputs, gives that node's value (107), not a
    list; `$[*].tax` is indefinite and gives the list."""
    states = {
        "Both": {"Type": "Parallel", "Next": "Total", "Branches": [
            {"StartAt": "Tax", "States": {"Tax": {"Type": "Pass", "Result": {"tax": 107}, "End": True}}},
            {"StartAt": "Ship", "States": {"Ship": {"Type": "Pass", "Result": {"ship": 5}, "End": True}}}],
            "ResultSelector": {"tax.$": "$[0].tax", "ship.$": "$[1].ship", "first.$": "$[0]"}},
        "Total": {"Type": "Pass", "Parameters": {"tax.$": "$.tax", "all.$": "$..ship"}, "End": True}}

    assert _output(run(states, "Both", {})) == {"tax": 107, "all": [5]}
    assert asl_paths.extract("$[*].tax", [{"tax": 107}, {"ship": 5}]) == [107]


def test_input_path_selects_a_node(run: Any) -> None:
    """input-output-inputpath-params.html, InputPath: `$.dataset2` passes `{"val1": "a", ...}`;
    `$.a[0:2]` on `{"a": [1, 2, 3, 4]}` yields `[1, 2]`."""
    document = {"comment": "Example for InputPath.", "dataset1": {"val1": 1, "val2": 2, "val3": 3},
                "dataset2": {"val1": "a", "val2": "b", "val3": "c"}}
    assert _output(run({"P": {"Type": "Pass", "InputPath": "$.dataset2", "End": True}}, "P", document)) == \
        {"val1": "a", "val2": "b", "val3": "c"}
    assert _output(run({"P": {"Type": "Pass", "InputPath": "$.a[0:2]", "End": True}}, "P", {"a": [1, 2, 3, 4]})) \
        == [1, 2]


def test_parameters_select_with_dollar_keys(run: Any) -> None:
    """input-output-inputpath-params.html, Parameters: keys ending in `.$` take the value their path
    selects, other keys are static."""
    document = {"comment": "Example for Parameters.", "product": {
        "details": {"color": "blue", "size": "small", "material": "cotton"},
        "availability": "in stock", "sku": "2317", "cost": "$23"}}
    states = {"P": {"Type": "Pass", "End": True, "Parameters": {
        "comment": "Selecting what I care about.",
        "MyDetails": {"size.$": "$.product.details.size", "exists.$": "$.product.availability",
                      "StaticValue": "foo"}}}}

    assert _output(run(states, "P", document)) == {
        "comment": "Selecting what I care about.",
        "MyDetails": {"size": "small", "exists": "in stock", "StaticValue": "foo"}}


def test_context_object_path_in_parameters(run: Any) -> None:
    """input-output-inputpath-params.html, Accessing the Context object: `$$.` paths read the
    execution's context, e.g. its start input."""
    states = {"P": {"Type": "Pass", "End": True, "Parameters": {"original.$": "$$.Execution.Input.order"}}}
    assert _output(run(states, "P", {"order": 7})) == {"original": 7}


def test_result_path_places_the_result(run: Any) -> None:
    """input-output-resultpath.html: `$.taskresult` adds the result beside the input; a nested
    path creates its parents; `null` discards the result and passes the input on; `$` (the
    default) replaces the input."""
    document = {"comment": "This is a test of the input and output of a Task state.",
                "details": "Default example", "who": "AWS Step Functions"}
    hello = "Hello, AWS Step Functions!"

    def result_at(path: Any) -> Any:
        return _output(run({"P": {"Type": "Pass", "Result": hello, "ResultPath": path, "End": True}}, "P", document))

    assert result_at("$.taskresult") == {**document, "taskresult": hello}
    assert result_at("$.strings.lambdaresult") == {**document, "strings": {"lambdaresult": hello}}
    assert result_at(None) == document
    assert result_at("$") == hello


def test_output_path_filters_the_output(run: Any) -> None:
    """input-output-example.html: OutputPath selects the part of the state output passed on."""
    states = {"P": {"Type": "Pass", "Result": {"Payload": {"ok": True}, "StatusCode": 200},
                    "OutputPath": "$.Payload", "End": True}}
    assert _output(run(states, "P", {})) == {"ok": True}


def test_items_path_and_item_selector(run: Any) -> None:
    """state-map.html: ItemsPath selects the array to iterate; ItemSelector builds each iteration's
    input from `$$.Map.Item.Value` and the state input."""
    document = {"ship-date": "2016-03-14T01:59:00Z", "detail": {"delivery-partner": "UQS", "shipped": [
        {"prod": "R31", "dest-code": 9511, "quantity": 1344},
        {"prod": "S39", "dest-code": 9511, "quantity": 40}]}}
    states = {"Each": {
        "Type": "Map", "ItemsPath": "$.detail.shipped", "End": True,
        "ItemSelector": {"parcel.$": "$$.Map.Item.Value", "courier.$": "$.detail.delivery-partner"},
        "ItemProcessor": {"StartAt": "Ship", "States": {"Ship": {
            "Type": "Pass", "Parameters": {"prod.$": "$.parcel.prod", "courier.$": "$.courier"}, "End": True}}}}}

    assert _output(run(states, "Each", document)) == [{"prod": "R31", "courier": "UQS"},
                                                      {"prod": "S39", "courier": "UQS"}]


@pytest.mark.parametrize("document, expected", [
    ({"type": "Private", "value": 22}, "ValueInTwenties"),
    ({"type": "Public", "value": 5}, "Public"),
    ({"type": "Private", "value": 50}, "Fallback")])
def test_choice_rules_read_variables(run: Any, document: dict, expected: str) -> None:
    """state-choice.html: the guide's rules (Not StringEquals, And of two numeric comparisons)
    read `Variable` paths of the input and route to their Next, else the Default."""
    states = {
        "Choose": {"Type": "Choice", "Default": "Fallback", "Choices": [
            {"Not": {"Variable": "$.type", "StringEquals": "Private"}, "Next": "Public"},
            {"And": [{"Variable": "$.value", "NumericGreaterThanEquals": 20},
                     {"Variable": "$.value", "NumericLessThan": 30}], "Next": "ValueInTwenties"}]},
        **{name: {"Type": "Pass", "Result": name, "End": True} for name in ("Public", "ValueInTwenties", "Fallback")}}

    assert _output(run(states, "Choose", document)) == expected


def test_intrinsic_functions(run: Any) -> None:
    """intrinsic-functions.html: States.Format, States.JsonToString, States.Array and
    States.MathAdd on the guide's inputs; States.UUID gives a version 4 UUID."""
    document = {"name": "Arnav", "someJson": {"name": "My name", "zebra": "raccoon"}, "value1": 111, "step": -1}
    states = {"P": {"Type": "Pass", "End": True, "Parameters": {
        "greeting.$": "States.Format('Hello, my name is {}.', $.name)",
        "compactJson.$": "States.JsonToString($.someJson)",
        "array.$": "States.Array('Foo', 2020, $.someJson)",
        "value.$": "States.MathAdd($.value1, $.step)",
        "id.$": "States.UUID()"}}}

    output = _output(run(states, "P", document))

    assert output["greeting"] == "Hello, my name is Arnav."
    assert json.loads(output["compactJson"]) == {"name": "My name", "zebra": "raccoon"}
    assert output["array"] == ["Foo", 2020, {"name": "My name", "zebra": "raccoon"}]
    assert output["value"] == 110
    assert uuid.UUID(output["id"]).version == 4


def test_definite_path_that_selects_nothing_fails_the_execution(run: Any) -> None:
    """amazon-states-language-paths.html and the ASL spec (Paths): a definite path that selects
    nothing is a runtime error, `States.Runtime`; an indefinite one gives an empty list."""
    described = run({"P": {"Type": "Pass", "InputPath": "$.missing", "End": True}}, "P", {"order": 7})
    assert (described["status"], described["error"]) == ("FAILED", "States.Runtime")
    assert _output(run({"P": {"Type": "Pass", "InputPath": "$.items[*].id", "End": True}}, "P", {"items": []})) == []


@pytest.mark.parametrize("path, definite", [
    ("$", True), ("$.a.b", True), ("$['a b']", True), ("$.order-id", True), ("$[0].tax", True),
    ("$[-1]", True), ("$.a[*]", False), ("$..b", False), ("$.a[0:2]", False), ("$.a[0,1]", False),
    ("$.a[?(@.x == 1)]", False)])
def test_definite_and_indefinite_paths(path: str, definite: bool) -> None:
    """amazon-states-language-paths.html (Jayway JsonPath): only `.name`, `['name']` and single
    index steps make a definite path; wildcards, deep scans, slices, unions and filters do not."""
    assert asl_paths.is_valid(path)
    assert asl_paths.is_reference_path(path) is definite
