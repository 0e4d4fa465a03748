"""FilterCriteria of an event source mapping: EventBridge-style patterns over each record.

A record is delivered when any filter's pattern matches it (aws-semantics.md 1.3; Lambda event
filtering). The JSON payload is matched as an object: an SQS `body`, a Kinesis `data` (base64-decoded),
a DynamoDB record as it is. moto's EventBridge matcher does the matching (design.md: 30 of 30
operator cases match AWS).
"""
from __future__ import annotations

import base64
import json
from typing import Any

from moto.events.models import EventPattern, EventPatternParser


def _patterns(filter_criteria: dict[str, Any] | None) -> list[EventPattern]:
    raws = [f.get("Pattern") for f in (filter_criteria or {}).get("Filters") or []]
    return [EventPattern(raw, EventPatternParser(raw).parse()) for raw in raws if raw]


def _as_json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def filter_view(record: dict[str, Any]) -> dict[str, Any]:
    """The record as filters see it: the message or data payload parsed when it is JSON."""
    if "body" in record:
        return {**record, "body": _as_json(record["body"])}
    if "kinesis" in record:
        data = base64.b64decode(record["kinesis"]["data"]).decode("utf-8", errors="replace")
        return {**record, "data": _as_json(data)}
    return record


class RecordFilter:
    """A mapping's FilterCriteria, parsed once per batch."""

    def __init__(self, filter_criteria: dict[str, Any] | None) -> None:
        self._patterns = _patterns(filter_criteria)

    def matches(self, record: dict[str, Any]) -> bool:
        """Whether `record` gets through (no filters: every record does)."""
        if not self._patterns:
            return True
        view = filter_view(record)
        return any(pattern.matches_event(view) for pattern in self._patterns)
