"""The checks Step Functions makes on a definition at CreateStateMachine, with AWS's codes and messages.

AWS refuses a definition it cannot run with `InvalidDefinition` and the message
``Invalid State Machine Definition: '<CODE>: <message> at <location>, ...'``, one diagnostic after
another, the codes those of ValidateStateMachineDefinition
(https://docs.aws.amazon.com/step-functions/latest/apireference/API_ValidateStateMachineDefinitionDiagnostic.html).
The messages are AWS's as recorded from the service: "These fields are required: [StartAt]" at
`/` (LocalStack's AWS-recorded snapshot, tests/aws/services/stepfunctions/v2/
test_sfn_api_validation.snapshot.json); "Missing 'Next' target: X" at `/States/A/Next`,
`/States/C/Choices[0]/Next`, `/States/C/Default`, `/States/T/Catch[0]/Next` or `/StartAt`, and
`State "X" is not reachable.` at `/States/X` (a CreateStateMachine answer quoted in
https://github.com/localstack/localstack/pull/12487 and serverless-step-functions issue 250);
"Workflow has no terminal state" (MISSING_END_STATE, location null) and "Field 'Retry' is not
supported" at the state (measured and quoted in https://github.com/floci-io/floci/issues/2735);
"Invalid State name: State '...' exceeds the 80-character limit allowed by the service"
(INVALID_STATE_NAME, quoted in https://github.com/ChristopheBougere/asl-validator/issues/69).
The JSONPath and `States.ALL` rules are the ASL specification's (https://states-language.net/,
"Paths", "Reference Paths", "Errors").
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Iterator

from . import asl_paths

STATE_TYPES = ("Task", "Parallel", "Map", "Pass", "Wait", "Choice", "Succeed", "Fail")
#: Fields that only some state types accept (AWS: "Field 'X' is not supported" at the state).
_ONLY_ON = {"Retry": ("Task", "Parallel", "Map"), "Catch": ("Task", "Parallel", "Map"),
            "TimeoutSeconds": ("Task",), "HeartbeatSeconds": ("Task",)}
#: Fields whose value is a Path (may select several nodes) and a Reference Path (one node).
_PATH_FIELDS = ("InputPath", "OutputPath")
_REFERENCE_PATH_FIELDS = ("ResultPath", "ItemsPath", "SecondsPath", "TimestampPath", "TimeoutSecondsPath",
                          "HeartbeatSecondsPath", "ErrorPath", "CausePath")
#: A Fail state's ErrorPath and CausePath may also call an intrinsic function (Fail workflow state,
#: https://docs.aws.amazon.com/step-functions/latest/dg/state-fail.html).
_INTRINSIC_ALLOWED = ("ErrorPath", "CausePath")
_CHOICE_PATH_OPERATORS = ("Variable",)


@dataclass(frozen=True)
class Diagnostic:
    """One problem AWS reports: its code, message and location (a JSON pointer, or None)."""

    code: str
    message: str
    location: str | None

    def __str__(self) -> str:
        return f"{self.code}: {self.message} at {self.location if self.location is not None else 'null'}"


def invalid_definition_message(definition: str) -> str | None:
    """AWS's InvalidDefinition message for `definition`, or None when AWS would accept it."""
    found = list(diagnose(definition))
    if not found:
        return None
    return "Invalid State Machine Definition: '" + ", ".join(str(d) for d in found) + "'"


def diagnose(definition: str) -> Iterator[Diagnostic]:
    """Every diagnostic of `definition`, in the order AWS lists them."""
    try:
        document = json.loads(definition)
    except ValueError as error:
        yield Diagnostic("INVALID_JSON_DESCRIPTION", str(error), f"line {error.lineno}, column {error.colno}")
        return
    if not isinstance(document, dict):
        yield Diagnostic("SCHEMA_VALIDATION_FAILED", "Definition must be a valid JSON object", None)
        return
    yield from _workflow(document, "", top_level=True, seen=set())


def _required(node: dict, fields: tuple[str, ...], location: str) -> Iterator[Diagnostic]:
    missing = [field for field in fields if field not in node]
    if missing:
        yield Diagnostic("SCHEMA_VALIDATION_FAILED", f"These fields are required: [{', '.join(missing)}]",
                         location or "/")


def _workflow(workflow: dict, prefix: str, top_level: bool, seen: set[str]) -> Iterator[Diagnostic]:
    """A state machine, a Parallel branch or a Map's ItemProcessor (its own scope of state names)."""
    missing = list(_required(workflow, ("States", "StartAt"), prefix))
    if missing:
        yield from missing
        return
    states = workflow["States"]
    if not isinstance(states, dict) or not states:
        yield Diagnostic("SCHEMA_VALIDATION_FAILED", "Expected value of type [OBJECT] with at least one state",
                         f"{prefix}/States")
        return
    for name, state in states.items():
        location = f"{prefix}/States/{name}"
        if name in seen:
            yield Diagnostic("DUPLICATE_STATE_NAME", f"Duplicate State name: {name}", location)
        seen.add(name)
        if len(name) > 80:
            yield Diagnostic("INVALID_STATE_NAME", f"Invalid State name: State '{name}' exceeds the 80-character "
                             "limit allowed by the service", location)
        yield from _state(name, state, location, states, seen)
    start_at = workflow["StartAt"]
    if start_at not in states:
        yield Diagnostic("MISSING_TRANSITION_TARGET", f"Missing 'Next' target: {start_at}", f"{prefix}/StartAt")
    if top_level and not any(_is_terminal(state) for state in states.values()):
        yield Diagnostic("MISSING_END_STATE", "Workflow has no terminal state", None)
        return
    reachable = _reachable(states, start_at)
    for name in states:
        if name not in reachable:
            yield Diagnostic("MISSING_TRANSITION_TARGET", f'State "{name}" is not reachable.',
                             f"{prefix}/States/{name}")


def _is_terminal(state: Any) -> bool:
    return isinstance(state, dict) and (state.get("Type") in ("Succeed", "Fail") or state.get("End") is True)


def _targets(state: Any) -> Iterator[tuple[str, str]]:
    """(target state name, location suffix) of every transition a state names."""
    if not isinstance(state, dict):
        return
    for field in ("Next", "Default"):
        if isinstance(state.get(field), str):
            yield state[field], f"/{field}"
    for list_field in ("Choices", "Catch"):
        for index, rule in enumerate(state.get(list_field) or []):
            if isinstance(rule, dict) and isinstance(rule.get("Next"), str):
                yield rule["Next"], f"/{list_field}[{index}]/Next"


def _reachable(states: dict, start_at: Any) -> set[str]:
    reachable: set[str] = set()
    pending = [start_at] if start_at in states else []
    while pending:
        name = pending.pop()
        if name in reachable:
            continue
        reachable.add(name)
        pending.extend(target for target, _ in _targets(states[name]) if target in states)
    return reachable


def _state(name: str, state: Any, location: str, siblings: dict, seen: set[str]) -> Iterator[Diagnostic]:
    if not isinstance(state, dict):
        yield Diagnostic("SCHEMA_VALIDATION_FAILED", "Expected value of type [OBJECT]", location)
        return
    if "Type" not in state:
        yield from _required(state, ("Type",), location)
        return
    kind = state["Type"]
    if kind not in STATE_TYPES:
        yield Diagnostic("SCHEMA_VALIDATION_FAILED",
                         f"Value should be one of the following: [{', '.join(STATE_TYPES)}]", f"{location}/Type")
        return
    if kind not in ("Choice", "Succeed", "Fail") and "Next" not in state and state.get("End") is not True:
        yield Diagnostic("SCHEMA_VALIDATION_FAILED", "These fields are required: [Next]", location)
    if kind == "Choice":
        yield from _required(state, ("Choices",), location)
    if kind == "Task":
        yield from _required(state, ("Resource",), location)
    for field, kinds in _ONLY_ON.items():
        if field in state and kind not in kinds:
            yield Diagnostic("SCHEMA_VALIDATION_FAILED", f"Field '{field}' is not supported", location)
    for target, suffix in _targets(state):
        if target not in siblings:
            yield Diagnostic("MISSING_TRANSITION_TARGET", f"Missing 'Next' target: {target}", location + suffix)
    yield from _paths(state, location)
    for field in ("Retry", "Catch"):
        yield from _states_all_last(state.get(field), f"{location}/{field}")
    if kind == "Parallel":
        for index, branch in enumerate(state.get("Branches") or []):
            if isinstance(branch, dict):
                yield from _workflow(branch, f"{location}/Branches[{index}]", top_level=False, seen=seen)
    if kind == "Map":
        processor = "ItemProcessor" if "ItemProcessor" in state else "Iterator"
        if isinstance(state.get(processor), dict):
            yield from _workflow(state[processor], f"{location}/{processor}", top_level=False, seen=seen)


def _paths(state: dict, location: str) -> Iterator[Diagnostic]:
    for field in _PATH_FIELDS:
        value = state.get(field)
        if isinstance(value, str) and not _is_path(value, reference=False):
            yield Diagnostic("SCHEMA_VALIDATION_FAILED", "Value is not a valid JSONPath", f"{location}/{field}")
    for field in _REFERENCE_PATH_FIELDS:
        value = state.get(field)
        if field in _INTRINSIC_ALLOWED and isinstance(value, str) and value.startswith("States."):
            continue
        if isinstance(value, str) and not _is_path(value, reference=True):
            yield Diagnostic("SCHEMA_VALIDATION_FAILED", "Value is not a Reference Path", f"{location}/{field}")
    for field in ("Parameters", "ResultSelector", "ItemSelector"):
        yield from _payload_template(state.get(field), f"{location}/{field}")
    for index, rule in enumerate(state.get("Choices") or []):
        yield from _choice_rule(rule, f"{location}/Choices[{index}]")


def _is_path(value: str, reference: bool) -> bool:
    path = value[1:] if value.startswith("$$") else value  # the context object: `$$.Execution.Id`
    return asl_paths.is_reference_path(path) if reference else asl_paths.is_valid(path)


def _payload_template(template: Any, location: str) -> Iterator[Diagnostic]:
    """A Parameters/ResultSelector object: each `key.$` must hold a JSONPath or an intrinsic function."""
    if not isinstance(template, dict):
        return
    for key, value in template.items():
        if key.endswith(".$"):
            if not (isinstance(value, str) and (value.startswith("States.") or _is_path(value, reference=False))):
                yield Diagnostic("SCHEMA_VALIDATION_FAILED",
                                 f"The value for the field '{key}' must be a valid JSONPath or a valid intrinsic "
                                 "function call", location)
        else:
            yield from _payload_template(value, f"{location}/{key}")


def _choice_rule(rule: Any, location: str) -> Iterator[Diagnostic]:
    if not isinstance(rule, dict):
        return
    for key, value in rule.items():
        if (key == "Variable" or key.endswith("Path")) and isinstance(value, str) \
                and not _is_path(value, reference=True):
            yield Diagnostic("SCHEMA_VALIDATION_FAILED", "Value is not a Reference Path", f"{location}/{key}")
    for combinator in ("And", "Or"):
        for index, inner in enumerate(rule.get(combinator) or []):
            yield from _choice_rule(inner, f"{location}/{combinator}[{index}]")
    if isinstance(rule.get("Not"), dict):
        yield from _choice_rule(rule["Not"], f"{location}/Not")


def _states_all_last(handlers: Any, location: str) -> Iterator[Diagnostic]:
    """ASL "Errors": States.ALL must appear alone in its ErrorEquals, in the last retrier or catcher."""
    if not isinstance(handlers, list):
        return
    for index, handler in enumerate(handlers):
        errors = handler.get("ErrorEquals") if isinstance(handler, dict) else None
        if not isinstance(errors, list):
            yield from _required(handler if isinstance(handler, dict) else {}, ("ErrorEquals",),
                                 f"{location}[{index}]")
            continue
        if "States.ALL" in errors and (len(errors) > 1 or index != len(handlers) - 1):
            yield Diagnostic("SCHEMA_VALIDATION_FAILED",
                             "States.ALL must appear alone in its ErrorEquals array and in the last "
                             f"{'retrier' if location.endswith('Retry') else 'catcher'}",
                             f"{location}[{index}]/ErrorEquals")
