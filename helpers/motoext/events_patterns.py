"""EventBridge: an event pattern AWS would refuse is refused with InvalidEventPatternException.

moto 5.2.5 checks only that a pattern is JSON whose leaves are objects or non-empty arrays, so an
unknown operator (`{"foo": 1}`) or `{"numeric": [">", "abc"]}` is stored and then never matches.
AWS (its Event Ruler grammar) refuses them at PutRule / TestEventPattern. The reasons below follow
Event Ruler's wording as LocalStack reproduces it from AWS's responses
(localstack-core/localstack/services/events/event_rule_engine.py); AWS appends the JSON position
(`at [Source: ...; line: 1, column: 30]`), which the lab leaves out.
"""
from __future__ import annotations

import ipaddress
from typing import Any, Callable

from moto.events.exceptions import InvalidEventPatternException

from .patching import Patch

_OPERATORS = ("prefix", "suffix", "anything-but", "numeric", "exists", "cidr", "equals-ignore-case", "wildcard")
_ANYTHING_BUT_INNER = ("prefix", "suffix", "equals-ignore-case", "wildcard")
_COMPARISONS = ("<", "<=", "=", ">", ">=")


def _invalid(reason: str) -> InvalidEventPatternException:
    return InvalidEventPatternException(reason=reason)


def check_pattern(pattern: dict[str, Any]) -> None:
    """Raise InvalidEventPatternException for the first rule AWS would refuse."""
    for key, value in pattern.items():
        if key == "$or" and isinstance(value, list):
            for branch in value:
                if isinstance(branch, dict):
                    check_pattern(branch)
        elif isinstance(value, dict):
            check_pattern(value)
        elif isinstance(value, list):
            for rule in value:
                _check_rule(rule)


def _check_rule(rule: Any) -> None:
    if rule is None or isinstance(rule, (str, bool, int, float)):
        return
    if not isinstance(rule, dict):
        raise _invalid("Match value must be String, number, true, false, or null")
    if len(rule) != 1:
        raise _invalid("Only one key allowed in match expression")
    [(operator, value)] = rule.items()
    if operator not in _OPERATORS:
        raise _invalid(f"Unrecognized match type {operator}")
    if operator == "numeric":
        _check_numeric(value)
    elif operator == "exists" and not isinstance(value, bool):
        raise _invalid("exists match pattern must be either true or false.")
    elif operator == "cidr":
        _check_cidr(value)
    elif operator == "anything-but":
        _check_anything_but(value)
    elif operator in ("prefix", "suffix") and isinstance(value, dict):
        if set(value) != {"equals-ignore-case"} or not isinstance(value["equals-ignore-case"], str):
            raise _invalid(f"{operator} match pattern must be a string")
    elif operator in ("prefix", "suffix", "equals-ignore-case", "wildcard") and not isinstance(value, str):
        raise _invalid(f"{operator} match pattern must be a string")


def _check_anything_but(value: Any) -> None:
    if isinstance(value, list):
        for item in value:
            if not (item is None or isinstance(item, (str, bool, int, float))):
                raise _invalid("Match value must be String, number, true, false, or null")
    elif isinstance(value, dict):
        for inner in value:
            if inner not in _ANYTHING_BUT_INNER:
                raise _invalid(f"Unsupported anything-but pattern: {inner}")
    elif value is not None and not isinstance(value, (str, bool, int, float)):
        raise _invalid("Value of anything-but must be an array or single string/number value.")


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_numeric(value: Any) -> None:
    """One comparison (`[">", 0]`) or a range, lower bound first (`[">", 0, "<=", 5]`)."""
    if not isinstance(value, list):
        raise _invalid("Value of numeric must be an array.")
    if not value:
        raise _invalid("Invalid member in numeric match: ]")
    pairs = [value[i:i + 2] for i in range(0, len(value), 2)]
    for operator, *bound in pairs:
        if not isinstance(operator, str):
            raise _invalid(f"Invalid member in numeric match: {operator}")
        if operator not in _COMPARISONS:
            raise _invalid(f"Unrecognized numeric range operator: {operator}")
        if not bound or not _number(bound[0]):
            raise _invalid(f"Value of {'equals' if operator == '=' else operator} must be numeric")
    if len(pairs) > 2:
        raise _invalid("Too many terms in numeric range expression")
    if len(pairs) == 2:
        (low_op, low), (high_op, high) = pairs
        if low_op not in (">", ">="):
            raise _invalid("Too many elements in numeric expression")
        if high_op not in ("<", "<="):
            raise _invalid(f"Bad numeric range operator: {high_op}")
        if high <= low:
            raise _invalid("Bottom must be less than top")


def _check_cidr(value: Any) -> None:
    if not isinstance(value, str):
        raise _invalid("prefix match pattern must be a string")
    if value.count("/") != 1:
        raise _invalid("Malformed CIDR, one '/' required")
    address, mask = value.split("/")
    if not mask.isdigit():
        raise _invalid("Malformed CIDR, mask bits must be an integer")
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise _invalid(f"Nonstandard IP address: {address}") from None


def _make_parse(original: Callable[..., Any]) -> Callable[..., Any]:
    def parse(self: Any) -> dict[str, Any]:
        pattern = original(self)
        check_pattern(pattern)
        return pattern

    return parse


VALIDATE_PATTERN = Patch(
    target="moto.events.models:EventPatternParser.parse",
    signature="(self) -> 'dict[str, Any]'",
    rule="PutRule and TestEventPattern refuse an unknown operator or a malformed numeric, exists, "
    "prefix, cidr or anything-but rule with InvalidEventPatternException (aws-semantics.md 4 [E4][E5])",
    make=_make_parse,
)
PATCHES = [VALIDATE_PATTERN]
