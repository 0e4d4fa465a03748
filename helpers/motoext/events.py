"""EventBridge: PutEvents, rule matching and target delivery on the lab's clock, as on AWS.

moto 5.2.5 delivers inside PutEvents, lets disabled rules deliver, ignores `Input`/`InputPath`,
raises on an unquoted string placeholder, cannot target Lambda, SNS, Step Functions or Kinesis,
stores RetryPolicy and DeadLetterConfig without using them, answers TestEventPattern with nothing
and replays a whole archive whatever the time window. These patches close those gaps
(aws-semantics.md 4):

- PutEvents takes up to 10 entries whose total size is under 1 MB [E3][E2][E2c][P1]; an invalid
  entry gets its own `ErrorCode`/`ErrorMessage` and the others go through [E2b].
- Each event gets the envelope of [E1] (id from the seeded RNG, `time` from the clock, `account`).
- Enabled rules whose pattern matches deliver to every target after PutEvents has returned.
- A throttled or failing target is retried per its `RetryPolicy` (default 185 retries within
  86,400 s) with exponential backoff and jitter [E7]; the lab models the backoff as
  min(480 s, 2^(n-1) s), half of it fixed and half random. A missing target or a permission error is
  not retried. Then the event goes to the target's `DeadLetterConfig` queue with the attributes of
  [E8], or is dropped.
- Archives keep every matching event; StartReplay delivers those in its time window, in time order,
  with `replay-name` [E9][E9c], to the destination bus's rules (or its `FilterArns`).
- TestEventPattern answers `Result` true or false with the matcher rules use.
- PutTargets refuses an input template with a placeholder that is neither in `InputPathsMap` nor
  reserved; API destinations are delivered over HTTP to a loopback endpoint (`api_destinations`).

Hops: ("events", "match", rule, bus=...), ("events", "deliver" | "retry" | "dead-letter" | "drop",
target ARN, rule=..., attempt=n).
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Callable

from moto.events.exceptions import ValidationException
from moto.moto_api._internal import mock_random
from moto.utilities.arns import parse_arn

from . import api_destinations, targets
from .core import notify, scheduler
from .events_input import RuleContext, check_template, minified, select, target_input
from .patching import Patch

MAX_ENTRIES = 10
#: PutEvents entries must total less than 1 MB (aws-semantics.md 4 [E2][P1]).
MAX_REQUEST_BYTES = 1024 * 1024
DEFAULT_MAXIMUM_RETRY_ATTEMPTS = 185
DEFAULT_MAXIMUM_EVENT_AGE_SECONDS = 86_400
#: Modeled backoff: min(cap, 2^(n-1) s), half fixed and half random ("equal jitter").
BACKOFF_CAP_SECONDS = 480.0
#: Who manages the rule moto creates to fill an archive (`Events-Archive-<name>`).
ARCHIVE_RULE_OWNER = "prod.vhs.events.aws.internal"
_REQUIRED_EVENT_FIELDS = ("id", "account", "source", "time", "region", "resources", "detail-type")


def iso_time(moment: dt.datetime) -> str:
    """`time` as EventBridge writes it: `2026-01-05T09:00:00Z`."""
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _epoch(value: Any) -> float:
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, dt.datetime):
        return value.timestamp()
    text = str(value).replace("Z", "+00:00")
    try:
        return float(text)
    except ValueError:
        return dt.datetime.fromisoformat(text).timestamp()


# -- PutEvents ---------------------------------------------------------------------------------
def entry_size(entry: dict[str, Any]) -> int:
    """Bytes an entry counts for (aws-semantics.md 4 [E2c]): UTF-8 of its strings, 14 for Time."""
    texts = [entry.get("Source") or "", entry.get("DetailType") or "", entry.get("Detail") or "",
             *(entry.get("Resources") or [])]
    return sum(len(text.encode("utf-8")) for text in texts) + (14 if entry.get("Time") is not None else 0)


def _entry_error(entry: dict[str, Any]) -> dict[str, str] | None:
    for param in ("Source", "DetailType", "Detail"):
        if not entry.get(param):
            return {"ErrorCode": "InvalidArgument",
                    "ErrorMessage": f"Parameter {param} is not valid. Reason: {param} is a required argument."}
    if str(entry["Source"]).startswith("aws."):
        return {"ErrorCode": "NotAuthorizedForSourceException", "ErrorMessage": "Not authorized for the source."}
    try:
        detail = json.loads(entry["Detail"])
    except ValueError:
        detail = None
    if not isinstance(detail, dict):
        return {"ErrorCode": "MalformedDetail", "ErrorMessage": "Detail is malformed."}
    return None


def envelope(backend: Any, entry: dict[str, Any]) -> dict[str, Any]:
    """The event as rules see it and targets receive it (aws-semantics.md 4 [E1])."""
    now = scheduler().now()
    time = dt.datetime.fromtimestamp(_epoch(entry["Time"]), dt.timezone.utc) if entry.get("Time") else now
    return {"version": "0", "id": str(mock_random.uuid4()), "detail-type": entry["DetailType"],
            "source": entry["Source"], "account": backend.account_id, "time": iso_time(time),
            "region": backend.region_name, "resources": list(entry.get("Resources") or []),
            "detail": json.loads(entry["Detail"])}


def _make_put_events(original: Callable[..., Any]) -> Callable[..., Any]:
    def put_events(self: Any, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if len(events) > MAX_ENTRIES:
            raise ValidationException(
                "1 validation error detected: Value '[PutEventsRequestEntry]' at 'entries' failed to "
                "satisfy constraint: Member must have length less than or equal to 10")
        if sum(entry_size(entry) for entry in events) > MAX_REQUEST_BYTES:
            raise ValidationException("Total size of the entries in the request is over the limit.")
        results: list[dict[str, Any]] = []
        for entry in events:
            error = _entry_error(entry)
            if error:
                results.append(error)
                continue
            bus = self.describe_event_bus(self._normalize_event_bus_arn(entry.get("EventBusName")))
            event = envelope(self, entry)
            results.append({"EventId": event["id"]})
            route(self, bus.name, event)
        return results

    return put_events


# -- rules and targets -------------------------------------------------------------------------
def route(backend: Any, bus_name: str, event: dict[str, Any], rule_arns: list[str] | None = None) -> None:
    """Archive `event` and schedule a delivery to each target of every enabled rule it matches."""
    ingested = scheduler().now()
    bus = backend.describe_event_bus(bus_name)
    for rule in list(bus.rules.values()):
        if not str(rule.state).startswith("ENABLED") or not rule.event_pattern.get_pattern():
            continue  # disabled, or a scheduled rule: neither matches events
        if not rule.event_pattern.matches_event(event):
            continue
        if rule.managed_by == ARCHIVE_RULE_OWNER:
            _archive(backend, rule, event)
            continue
        if rule_arns and rule.arn not in rule_arns:
            continue
        notify("events", "match", rule.name, bus=bus_name, event_id=event["id"])
        for target in list(rule.targets):
            delivery = Delivery(rule.name, rule.arn, dict(target), event, ingested)
            scheduler().call_soon(delivery.attempt, label=f"events {rule.name} -> {target['Arn']}")


def _archive(backend: Any, rule: Any, event: dict[str, Any]) -> None:
    for archive in backend.archives.values():
        if archive.rule is rule:
            archive.events.append(event)


@dataclass
class Delivery:
    """One event on its way to one target: attempts, retries, then the dead-letter queue."""

    rule_name: str
    rule_arn: str
    target: dict[str, Any]
    event: dict[str, Any]
    ingested: dt.datetime
    number: int = field(default=1)

    @property
    def target_arn(self) -> str:
        return self.target["Arn"]

    @property
    def bus_name(self) -> str:
        """The rule's bus, read from its ARN (`rule/<bus>/<name>`; `rule/<name>` on the default bus)."""
        path = self.rule_arn.split(":", 5)[-1].split("/")
        return path[1] if len(path) > 2 else "default"

    def attempt(self) -> None:
        try:
            self._send()
        except Exception as err:  # noqa: BLE001 - every failure is classified, as AWS does
            self._failed(targets.classify(err))
            return
        notify("events", "deliver", self.target_arn, rule=self.rule_name, bus=self.bus_name, attempt=self.number,
               target_id=self.target.get("Id"), event_id=self.event["id"])

    def _send(self) -> None:
        payload = target_input(self.target, self.event,
                               RuleContext(self.rule_name, self.rule_arn, iso_time(self.ingested)))
        arn = parse_arn(self.target_arn)
        if arn.service == "lambda":
            targets.invoke_lambda_async(self.target_arn, payload.encode("utf-8"), source=self.rule_arn)
        elif arn.service == "sqs":
            group_id = (self.target.get("SqsParameters") or {}).get("MessageGroupId")
            targets.send_sqs(self.target_arn, payload, group_id=group_id)
        elif arn.service == "sns":
            targets.publish_sns(self.target_arn, payload)
        elif arn.service == "states":
            targets.start_execution(self.target_arn, payload)
        elif arn.service == "kinesis":
            targets.put_kinesis_record(self.target_arn, self._partition_key(), payload.encode("utf-8"))
        elif api_destinations.is_api_destination(self.target_arn):
            api_destinations.invoke(self.target, payload)
        elif arn.service == "events" and arn.resource_type == "event-bus":
            _forward_to_bus(self.target_arn, self.event)
        elif arn.service == "logs":
            _write_log_event(self.target_arn, payload)
        else:
            raise targets.DeliveryError("INVALID_PARAMETER",
                                        f"The lab does not deliver to {arn.service} targets.", retryable=False)

    def _partition_key(self) -> str:
        """KinesisParameters.PartitionKeyPath picks the key from the event; default: the event id."""
        path = (self.target.get("KinesisParameters") or {}).get("PartitionKeyPath")
        value = select(self.event, path) if path else self.event["id"]
        return value if isinstance(value, str) else minified(value)

    def _failed(self, error: targets.DeliveryError) -> None:
        policy = self.target.get("RetryPolicy") or {}
        max_retries = int(policy.get("MaximumRetryAttempts", DEFAULT_MAXIMUM_RETRY_ATTEMPTS))
        max_age = float(policy.get("MaximumEventAgeInSeconds", DEFAULT_MAXIMUM_EVENT_AGE_SECONDS))
        exhausted = None
        if error.retryable:
            delay = backoff_seconds(self.number)
            age = (scheduler().now() - self.ingested).total_seconds() + delay
            if self.number - 1 >= max_retries:
                exhausted = "MaximumRetryAttempts"
            elif age > max_age:
                exhausted = "MaximumEventAgeInSeconds"
            else:
                notify("events", "retry", self.target_arn, rule=self.rule_name, bus=self.bus_name, attempt=self.number,
                       error=error.code, delay=delay)
                retry = Delivery(self.rule_name, self.rule_arn, self.target, self.event, self.ingested,
                                 self.number + 1)
                scheduler().call_later(delay, retry.attempt, label=f"events retry -> {self.target_arn}")
                return
        self._dead_letter(error, exhausted)

    def _dead_letter(self, error: targets.DeliveryError, exhausted: str | None) -> None:
        dlq = (self.target.get("DeadLetterConfig") or {}).get("Arn")
        detail = {"rule": self.rule_name, "bus": self.bus_name, "attempt": self.number, "error": error.code,
                  "error_message": error.message}
        if dlq:
            try:
                targets.send_sqs(dlq, minified(self.event), attributes=self._dlq_attributes(error, exhausted))
            except Exception as err:  # noqa: BLE001 - a missing DLQ loses the event, as on AWS
                notify("events", "drop", self.target_arn, **detail, dlq_error=str(targets.classify(err)))
                return
            notify("events", "dead-letter", self.target_arn, **detail, dlq=dlq)
        else:
            notify("events", "drop", self.target_arn, **detail)

    def _dlq_attributes(self, error: targets.DeliveryError, exhausted: str | None) -> dict[str, Any]:
        """The message attributes of aws-semantics.md 4 [E8]."""
        values = {"RULE_ARN": self.rule_arn, "TARGET_ARN": self.target_arn, "ERROR_CODE": error.code,
                  "ERROR_MESSAGE": error.message}
        if exhausted:
            values["EXHAUSTED_RETRY_CONDITION"] = exhausted
        attributes = {name: {"DataType": "String", "StringValue": value} for name, value in values.items()}
        attributes["RETRY_ATTEMPTS"] = {"DataType": "Number", "StringValue": str(self.number - 1)}
        return attributes


def backoff_seconds(attempt: int) -> float:
    """Modeled delay before retry `attempt` (exponential, capped, with jitter from the seeded RNG)."""
    ceiling = min(BACKOFF_CAP_SECONDS, 2.0 ** (attempt - 1))
    return round(ceiling / 2 + mock_random.uniform(0, ceiling / 2), 3)


def _forward_to_bus(bus_arn: str, event: dict[str, Any]) -> None:
    from moto.events.models import events_backends

    arn = parse_arn(bus_arn)
    events_backends[arn.account][arn.region].put_events([{
        "Source": event["source"], "DetailType": event["detail-type"], "Detail": minified(event["detail"]),
        "Resources": event["resources"], "EventBusName": bus_arn}])


def _write_log_event(log_group_arn: str, payload: str) -> None:
    from moto.core.utils import unix_time_millis
    from moto.logs.models import logs_backends

    arn = parse_arn(log_group_arn)
    group = arn.resource_id.split(":")[0]
    stream = str(mock_random.uuid4())
    backend = logs_backends[arn.account][arn.region]
    backend.create_log_stream(group, stream)
    backend.put_log_events(group, stream, [{"timestamp": int(unix_time_millis()), "message": payload}])


# -- PutTargets --------------------------------------------------------------------------------
def _make_put_targets(original: Callable[..., Any]) -> Callable[..., Any]:
    def put_targets(self: Any, name: str, event_bus_arn: str | None, targets: list[dict[str, Any]]) -> None:
        for target in targets:
            transformer = target.get("InputTransformer")
            if transformer:
                check_template(target.get("Id", ""), transformer)
            if api_destinations.is_api_destination(target.get("Arn", "")):
                api_destinations.check_target(target)
        original(self, name, event_bus_arn, targets)

    return put_targets


# -- archive and replay ------------------------------------------------------------------------
def _make_replay_events(original: Callable[..., Any]) -> Callable[..., Any]:
    def replay_events(self: Any, archive: Any) -> None:
        from moto.events.models import ReplayState, events_backends

        start, end = _epoch(self.event_start_time), _epoch(self.event_end_time)
        window = sorted((event for event in archive.events if start <= _epoch(event["time"]) <= end),
                        key=lambda event: _epoch(event["time"]))
        backend = events_backends[self.account_id][self.region]
        bus_name = self.destination["Arn"].split("/")[-1]
        self.state = ReplayState.RUNNING
        for event in window:
            replayed = {**event, "replay-name": self.name}
            scheduler().call_soon(partial(route, backend, bus_name, replayed, self.destination.get("FilterArns")),
                                  label=f"replay {self.name}")
        scheduler().call_soon(partial(_complete_replay, self), label=f"replay {self.name} completed")

    return replay_events


def _complete_replay(replay: Any) -> None:
    from moto.core.utils import unix_time
    from moto.events.models import ReplayState

    replay.state = ReplayState.COMPLETED
    replay.end_time = unix_time()


# -- TestEventPattern --------------------------------------------------------------------------
def _make_test_event_pattern(original: Callable[..., Any]) -> Callable[..., Any]:
    def test_event_pattern(self: Any) -> tuple[str, dict[str, Any]]:
        from moto.events.models import EventPattern

        try:
            event = json.loads(self._get_param("Event") or "")
        except ValueError:
            event = None
        if not isinstance(event, dict) or any(name not in event for name in _REQUIRED_EVENT_FIELDS):
            raise ValidationException("Parameter Event is not valid.")
        result = EventPattern.load(self._get_param("EventPattern")).matches_event(event)
        return self._create_response({"Result": result})

    return test_event_pattern


PUT_EVENTS = Patch(
    target="moto.events.models:EventsBackend.put_events",
    signature="(self, events: 'list[dict[str, Any]]') -> 'list[dict[str, Any]]'",
    rule="PutEvents: 10 entries, 1 MB, per-entry errors; enabled matching rules deliver after the call "
    "returns, with retries and DLQ (aws-semantics.md 4 [E1][E2][E7][E8])",
    make=_make_put_events,
)
PUT_TARGETS = Patch(
    target="moto.events.models:EventsBackend.put_targets",
    signature="(self, name: 'str', event_bus_arn: 'str | None', targets: 'list[dict[str, Any]]') -> 'None'",
    rule="PutTargets refuses an InputTemplate naming a variable InputPathsMap does not define (AWS: "
    "ValidationException), and an API destination the lab cannot reach without leaving the machine",
    make=_make_put_targets,
)
REPLAY_EVENTS = Patch(
    target="moto.events.models:Replay.replay_events",
    signature="(self, archive: 'Archive') -> 'None'",
    rule="StartReplay delivers the archived events of its time window with replay-name (aws-semantics.md 4 [E9])",
    make=_make_replay_events,
)
TEST_EVENT_PATTERN = Patch(
    target="moto.events.responses:EventsHandler.test_event_pattern",
    signature="(self) -> None",
    rule="TestEventPattern answers Result true/false (TestEventPattern API reference)",
    make=_make_test_event_pattern,
)
PATCHES = [PUT_EVENTS, PUT_TARGETS, REPLAY_EVENTS, TEST_EVENT_PATTERN]
