"""Does an event match an EventBridge pattern, and why? The matcher the lab's rules use.

    from helpers.patterns import matches, explain
    matches({"source": ["shop"], "detail": {"total": [{"numeric": [">", 100]}]}}, event)   # True
    for check in explain(pattern, event):
        print(check.field, check.operator, check.ok, check.why)

A pattern matches when every field matches (AND); a field matches when any of its values or
operators does (OR); `$or` takes any of its alternatives (aws-semantics.md 4 [E4][E5]).
"""
from __future__ import annotations

import json
from typing import Any, NamedTuple

from moto.events.models import UNDEFINED, EventPattern


class Check(NamedTuple):
    """One field of a pattern tested against an event."""

    field: str
    operator: str
    ok: bool
    why: str


class InvalidEventPattern(ValueError):
    """A pattern EventBridge refuses (PutRule and TestEventPattern fail with InvalidEventPatternException)."""

    code = "InvalidEventPatternException"

    def __init__(self, reason: str) -> None:
        super().__init__(f"{self.code}: Event pattern is not valid. Reason: {reason}")


def validate(pattern: dict[str, Any] | str) -> None:
    """Raise `InvalidEventPattern` where EventBridge would refuse the pattern and moto accepts it:
    a `numeric` operand that is not a number, such as the string "50" (aws-semantics.md 4 [E4])."""
    _check_numeric(json.loads(pattern) if isinstance(pattern, str) else pattern)


def _check_numeric(node: Any) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "numeric" and isinstance(value, list):
                for operator, operand in zip(value[::2], value[1::2]):
                    if isinstance(operand, bool) or not isinstance(operand, (int, float)):
                        raise InvalidEventPattern(f"Value of {operator} must be numeric, not {json.dumps(operand)}")
            else:
                _check_numeric(value)
    elif isinstance(node, list):
        for item in node:
            _check_numeric(item)


def _load(pattern: dict[str, Any] | str) -> EventPattern:
    validate(pattern)
    return EventPattern.load(pattern if isinstance(pattern, str) else json.dumps(pattern))


def matches(pattern: dict[str, Any] | str, event: dict[str, Any]) -> bool:
    """Whether `event` matches `pattern` (a dict or its JSON), exactly as a rule decides."""
    return _load(pattern).matches_event(event)


def explain(pattern: dict[str, Any] | str, event: dict[str, Any]) -> list[Check]:
    """One Check per field the pattern tests, in pattern order.

    The event matches when every check whose field does not start with `$or[` is ok; those rows
    detail each alternative of a `$or` (whose own row says whether any alternative matched).
    """
    matcher = _load(pattern)
    flat = EventPattern._flatten_dict(json.loads(json.dumps(event)))
    return _walk(matcher, matcher.get_pattern(), flat, "")


def _walk(matcher: EventPattern, node: dict[str, Any], flat: dict[str, Any], prefix: str) -> list[Check]:
    checks: list[Check] = []
    for key, value in node.items():
        if key == "$or":
            branches = [_walk(matcher, branch, flat, prefix) for branch in value]
            passing = [i for i, branch in enumerate(branches) if all(check.ok for check in branch)]
            checks.append(Check(prefix or "$or", "$or", bool(passing),
                                f"alternative(s) {passing} match" if passing
                                else f"none of the {len(branches)} alternatives matches"))
            checks.extend(check._replace(field=f"$or[{i}] {check.field}")
                          for i, branch in enumerate(branches) for check in branch)
            continue
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            checks.extend(_walk(matcher, value, flat, path))
        else:
            checks.append(_check_field(matcher, path, value, flat.get(path, UNDEFINED)))
    return checks


def _check_field(matcher: EventPattern, path: str, filters: list[Any], item: Any) -> Check:
    operators = " | ".join(dict.fromkeys(_operator(f) for f in filters))
    passing = [f for f in filters if matcher._does_item_match_filters(item, [f])]
    shown = "absent" if item is UNDEFINED else json.dumps(item)
    if passing:
        return Check(path, operators, True, f"{shown} matches {_describe(passing[0])}")
    wanted = " or ".join(_describe(f) for f in filters)
    return Check(path, operators, False, f"{shown} does not match {wanted}")


def _operator(rule: Any) -> str:
    return next(iter(rule)) if isinstance(rule, dict) else "exact"


def _describe(rule: Any) -> str:
    if isinstance(rule, dict):
        name, value = next(iter(rule.items()))
        return f"{name} {json.dumps(value)}"
    return f"exactly {json.dumps(rule)}"
