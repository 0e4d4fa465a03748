"""The record of every hop in the lab, each stamped with its virtual time and its flow's trace.

Hop vocabulary (service, action, resource, detail) that every part of the lab reports through
`helpers.motoext.core.notify` and that the trace and diagrams read:

- every boto3 API call: (endpoint prefix, operation name, the resource it names, params=...)
  e.g. ("lambda", "Invoke", "hello"), ("sqs", "SendMessage", queue URL), ("events", "PutEvents", bus)
- a Lambda attempt: ("lambda", "invoke", function name, report=InvocationReport, attempt=n,
  invocation_type="RequestResponse"|"Event"|"poll", source=<ARN of the trigger, if any>,
  batch_size=n for polls, message_ids=[...] for SQS polls: every message of the batch, in order);
  a throttled poll: ("lambda", "throttle", function name, source=..., batch_size=n, message_ids=[...]);
  a throttled synchronous call: ("lambda", "throttle", function name, invocation_type="RequestResponse")
- async invocation: ("lambda", "queue" | "retry" | "expire" | "drop", function name, request_id=...,
  delay_s=..., reason=..., age_s=...),
  ("lambda", "destination", function name, condition=..., destination=ARN),
  ("lambda", "dead-letter", function name, target=ARN)
- SQS: ("sqs", "send" | "receive" | "delete" | "visible-again" | "redrive", queue name, message_id=...)
- SNS: ("sns", "deliver" | "filtered-out" | "retry" | "dead-letter", topic name, endpoint=..., protocol=...)
- EventBridge: ("events", "match", rule name, bus=bus name), ("events", "deliver" | "retry" | "dead-letter" |
  "drop", target ARN, rule=rule name, bus=bus name, attempt=n)
- Step Functions: ("states", "transition", execution ARN, state=..., state_type=..., phase="entered" |
  "exited" | "failed" | "caught" | "retry", error=..., attempt=n (retry), next=... (caught),
  iteration=n (Map)), ("states", "execution", execution ARN, status=..., error=..., cause=...)
"""
from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from typing import Any

from ..motoext.core import current_trace
from .clock import VirtualClock


@dataclass(frozen=True, slots=True)
class Hop:
    """One thing that happened: an API call, a delivery, a Lambda attempt, a state transition...

    Slotted: a trace holds many of them (about 70 bytes each before its `detail`)."""

    seq: int
    time: dt.datetime
    trace: str | None
    service: str
    action: str
    resource: str
    detail: dict[str, Any] = field(default_factory=dict)


class Recorder:
    """Collects hops (the moto extension's observer). Appending is all it does on the hot path."""

    def __init__(self, clock: VirtualClock) -> None:
        self._clock = clock
        self._seq = itertools.count()
        self.hops: list[Hop] = []

    def __call__(self, service: str, action: str, resource: str, **detail: Any) -> None:
        self.hops.append(Hop(next(self._seq), self._clock.now(), current_trace(), service, action,
                             resource, detail))

    def clear(self) -> None:
        """Forget every hop recorded so far."""
        self.hops.clear()
