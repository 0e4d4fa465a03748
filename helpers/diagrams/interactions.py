"""A trace's rows read as interactions between participants: who sent what to whom, when, and did it fail."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..trace import CLIENT, invocation_type
from .style import kind_of_arn, short_name

if TYPE_CHECKING:
    import pandas as pd

Participant = tuple[str, str]  # (a `style.SERVICES` key, a name)
_POLLED = ("sqs", "kinesis", "dynamodb")
_API_KINDS = {"lambda": "lambda", "sqs": "sqs", "sns": "sns", "events": "events-bus", "states": "states",
              "dynamodb": "dynamodb", "kinesis": "kinesis", "logs": "logs"}


@dataclass(frozen=True)
class Interaction:
    """One arrow (or, when `target` is None, one note on `source`'s lifeline)."""

    t: float
    source: Participant
    target: Participant | None
    label: str
    link: str
    error: bool = False


def interactions(frame: pd.DataFrame) -> list[Interaction]:
    """Read each row of a trace (see `helpers.trace.COLUMNS`) as an interaction, oldest first."""
    result = []
    openers: dict[str, str] = {}  # function -> caller of its latest synchronous Invoke
    for row in frame.to_dict("records"):
        row = {k: v for k, v in row.items() if not _missing(v)}
        item = _read(row, openers)
        if item is not None:
            result.append(item)
    return result


def _read(row: dict[str, Any], openers: dict[str, str]) -> Interaction | None:
    t, service, action, resource = row["t"], row["service"], row["action"], row.get("resource", "")
    error = bool(row.get("error"))
    if row["kind"] in ("call", "setup"):
        caller = _caller(row.get("caller", CLIENT))
        target = _api_target(service, resource)
        if (service, action) == ("lambda", "Invoke"):
            kind = invocation_type((row.get("detail") or {}).get("params"))
            if kind == "Event":
                target = ("lambda-async", target[1])
            else:
                openers[target[1]] = row.get("caller", CLIENT)
        return Interaction(t, caller, target, action, "sync", error)
    if row["kind"] == "invoke":
        return _attempt(row, openers, error)
    if service == "lambda":
        queue = ("lambda-async", resource)
        if action == "destination":
            failed = row.get("condition", "Success") != "Success"
            return Interaction(t, queue, _receiver(row.get("destination", "")), f"destination ({row.get('condition')})",
                               "failure" if failed else "success", failed)
        if action == "dead-letter":
            return Interaction(t, queue, _of_arn(row.get("target", "")), "dead-letter queue", "failure", True)
        return Interaction(t, queue, None, action, "async", error)
    if service == "sns":
        topic = _api_target("sns", resource)
        if action == "deliver" and row.get("endpoint"):
            return Interaction(t, topic, _receiver(row["endpoint"]), _attempt_label(action, row), "async", error)
        if action == "dead-letter" and row.get("target"):
            return Interaction(t, topic, _of_arn(row["target"]), "dead-letter queue", "failure", True)
        return Interaction(t, topic, None, _attempt_label(action, row), "async", error)
    if service == "events":
        rule = ("events-rule", rule_name(str(row.get("rule") or resource), str(row.get("bus", "default"))))
        if action == "match":
            return Interaction(t, ("events-bus", short_name(str(row.get("bus", "default")))), rule, "match",
                               "contains")
        if action in ("deliver", "dead-letter"):
            return Interaction(t, rule, _receiver(resource), _attempt_label(action, row),
                               "failure" if action == "dead-letter" else "async", error)
        return Interaction(t, rule, None, _attempt_label(action, row), "async", error)
    if service == "states":
        machine = ("states", short_name(resource))
        if action == "execution":
            return Interaction(t, machine, None, f"execution {row.get('status', '')}", "sync", error)
        if row.get("phase") == "exited":
            return None
        note = f"{row.get('state', '')} {row.get('phase', action)}"
        return Interaction(t, machine, None, note + (f": {row['error_type']}" if "error_type" in row else ""),
                           "sync", error)
    if service == "sqs" and action == "redrive":
        dlq = row.get("target") or row.get("destination")
        if dlq:
            return Interaction(t, _of_arn(resource), _of_arn(dlq), "redrive to DLQ", "failure", True)
    return Interaction(t, _api_target(service, resource), None, _attempt_label(action, row), "async", error)


def _attempt(row: dict[str, Any], openers: dict[str, str], error: bool) -> Interaction:
    function = row.get("function") or row["resource"]
    timing = f"{row.get('duration_ms', 0):.0f} ms" + (" · cold" if row.get("cold") else "")
    outcome = f"\n✗ {row.get('error_type') or row.get('outcome')}" if error else ""
    source, kind = row.get("source"), row.get("invocation_type", "RequestResponse")
    if kind == "Event":  # whoever queued the event (Invoke, SNS, EventBridge, a destination): the queue runs it
        return Interaction(row["t"], ("lambda-async", function), ("lambda", function),
                           f"attempt {int(row.get('attempt', 1))} · {timing}{outcome}", "async", error)
    if source:
        origin = _of_arn(source)
        return Interaction(row["t"], origin, ("lambda", function), f"invoke #{int(row.get('attempt', 1))} · {timing}{outcome}",
                           "poll" if origin[0] in _POLLED else "async", error)
    caller = _caller(openers.pop(function, CLIENT))
    return Interaction(row["t"], ("lambda", function), caller, f"{'error' if error else 'ok'} · {timing}{outcome}",
                       "return", error)


def _attempt_label(action: str, row: dict[str, Any]) -> str:
    return f"{action} #{int(row['attempt'])}" if "attempt" in row and action in ("deliver", "retry") else action


def _caller(name: str) -> Participant:
    if name.startswith("states:"):
        return ("states", name.removeprefix("states:"))
    return ("client", CLIENT) if name == CLIENT else ("lambda", name)


def _api_target(service: str, resource: str) -> Participant:
    kind = _API_KINDS.get(service, "other")
    if not resource:
        return (kind, "default" if kind == "events-bus" else service)
    if resource.startswith("arn:") or "://" in resource:
        return (kind, short_name(resource))
    return (kind, resource)


def rule_name(rule: str, bus: str = "default") -> str:
    """How a rule is named as a participant, the same as `short_name` of its ARN (a Lambda attempt's
    `source`): `order-placed` on the default bus, `bistro/order-placed` on bus `bistro`."""
    bus = short_name(bus)
    return rule if bus == "default" or "/" in rule else f"{bus}/{rule}"


def _of_arn(arn: str) -> Participant:
    return (kind_of_arn(arn), short_name(arn)) if arn else ("other", "?")


def _receiver(arn: str) -> Participant:
    """Where a delivery to `arn` arrives. SNS, EventBridge and Lambda destinations invoke a function
    asynchronously: they hand the event to the function's event queue, whose attempts (`_attempt`, invocation
    type "Event") run the function, so deliveries and attempts are drawn and counted apart."""
    participant = _of_arn(arn)
    return ("lambda-async", participant[1]) if participant[0] == "lambda" else participant


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))
