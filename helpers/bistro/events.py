"""The Bistro's events as contracts: one JSON Schema per event and version, in notebooks/bistro/events/.

    schema("OrderPlaced")               # the parsed schema of OrderPlaced v1
    problems(event)                     # [] if the event honours its contract, else what is wrong

The files are JSON Schema draft 4, the dialect the EventBridge schema registry stores
(`JSONSchemaDraft4`), and describe the whole event: `detail-type`, `source` and `detail`.
"""
from __future__ import annotations

import functools
import json
from typing import Any

from jsonschema import Draft4Validator

from ..source import NOTEBOOK_DIR

#: Where the schemas live: `<EventName>.v<version>.json`.
SCHEMA_DIR = NOTEBOOK_DIR / "bistro" / "events"


def names() -> list[str]:
    """Every event with a schema, e.g. ["OrderCancelled", "OrderDispatched", ...]."""
    return sorted({path.name.split(".")[0] for path in SCHEMA_DIR.glob("*.v*.json")})


@functools.lru_cache(maxsize=None)
def schema(name: str, version: int = 1) -> dict[str, Any]:
    """The schema of event `name` at `version`."""
    path = SCHEMA_DIR / f"{name}.v{version}.json"
    if not path.is_file():
        raise KeyError(f"No schema for {name} v{version}; known events: {', '.join(names())}.")
    return json.loads(path.read_text())


def problems(event: dict[str, Any]) -> list[str]:
    """What is wrong with `event` (an EventBridge event, or a PutEvents entry) against its contract.

    The version comes from `detail.version` (1 if absent). An empty list means the event is valid."""
    event = _as_event(event)
    name = event.get("detail-type")
    detail = event.get("detail")
    version = detail.get("version", 1) if isinstance(detail, dict) else 1
    try:
        contract = schema(str(name), int(version))
    except (KeyError, TypeError, ValueError):
        return [f"no contract for detail-type {name!r} version {version!r}"]
    return [_describe(error) for error in sorted(Draft4Validator(contract).iter_errors(event), key=str)]


def _as_event(event: dict[str, Any]) -> dict[str, Any]:
    """A PutEvents entry (`DetailType`, `Source`, `Detail` as text) read as an event."""
    if "DetailType" not in event:
        return event
    return {"detail-type": event["DetailType"], "source": event.get("Source"), "detail": json.loads(event["Detail"])}


def _describe(error: Any) -> str:
    where = ".".join(str(part) for part in error.absolute_path) or "the event"
    return f"{where}: {error.message}"
