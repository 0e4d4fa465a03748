"""Reading Amazon States Language: the states of a definition, what its Task states call, Choice conditions."""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

#: Choice comparison operators, as they read in a diagram.
_OPERATORS = {"GreaterThanEquals": "≥", "LessThanEquals": "≤", "GreaterThan": ">", "LessThan": "<",
              "Equals": "==", "Matches": "matches"}  # longest first


def load(definition: str | dict[str, Any]) -> dict[str, Any]:
    """An ASL definition as a dict."""
    return json.loads(definition) if isinstance(definition, str) else definition


def sub_machines(state: dict[str, Any]) -> list[dict[str, Any]]:
    """The nested state machines of a Parallel (its branches) or Map (its iterator) state."""
    if state.get("Type") == "Parallel":
        return list(state.get("Branches", []))
    if state.get("Type") == "Map":
        inner = state.get("ItemProcessor") or state.get("Iterator")
        return [inner] if inner else []
    return []


def walk(machine: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every (name, state) of a machine, nested branches and iterators included."""
    for name, state in machine.get("States", {}).items():
        yield name, state
        for inner in sub_machines(state):
            yield from walk(inner)


def task_target(state: dict[str, Any], account: str, region: str) -> tuple[str, str] | None:
    """What a Task state calls: (ARN or "service:action", how: "sync" | "async"), or None for other states."""
    if state.get("Type") != "Task":
        return None
    resource = str(state.get("Resource", ""))
    params = state.get("Parameters") or state.get("Arguments") or {}
    how = "async" if resource.endswith(".waitForTaskToken") else "sync"
    if not resource.startswith("arn:aws:states:::"):
        return resource, how
    api = resource.removeprefix("arn:aws:states:::").split(".")[0]
    service = api.split(":")[0]
    prefix = f"arn:aws:{service}:{region}:{account}"
    named = {
        "lambda": ("FunctionName", lambda v: v if v.startswith("arn:") else f"{prefix}:function:{v}"),
        "sqs": ("QueueUrl", lambda v: f"arn:aws:sqs:{region}:{account}:{v.rstrip('/').rsplit('/', 1)[-1]}"),
        "sns": ("TopicArn", lambda v: v),
        "dynamodb": ("TableName", lambda v: v if v.startswith("arn:") else f"{prefix}:table/{v}"),
        "states": ("StateMachineArn", lambda v: v),
        "kinesis": ("StreamName", lambda v: f"{prefix}:stream/{v}"),
    }
    if service == "events":
        entries = params.get("Entries") or [{}]
        bus = str(entries[0].get("EventBusName", "default")) if isinstance(entries, list) else "default"
        return (bus if bus.startswith("arn:") else f"{prefix}:event-bus/{bus}"), "async"
    if service in named:
        key, to_arn = named[service]
        value = params.get(key)
        if isinstance(value, str):
            return to_arn(value), "async" if service in ("sqs", "sns") else how
    return api, how


def condition_text(rule: dict[str, Any]) -> str:
    """A Choice rule as a short expression: `$.amount > 100`, `not ($.vip == true)`, `$.x present`..."""
    if "Condition" in rule:  # JSONata
        return str(rule["Condition"]).strip("{}% ")
    if "And" in rule or "Or" in rule:
        joiner = " and " if "And" in rule else " or "
        return "(" + joiner.join(condition_text(r) for r in rule.get("And", rule.get("Or", []))) + ")"
    if "Not" in rule:
        return f"not {condition_text(rule['Not'])}"
    variable = rule.get("Variable", "?")
    for key, value in rule.items():
        if key in ("Variable", "Next"):
            continue
        if key.startswith("Is"):
            return f"{variable} {'is' if value else 'is not'} {key[2:].lower()}"
        path = key.endswith("Path")
        base = key.removesuffix("Path")
        op = next((sym for name, sym in _OPERATORS.items() if base.endswith(name)), base)
        shown = value if path else json.dumps(value)
        return f"{variable} {op} {shown}"
    return variable
