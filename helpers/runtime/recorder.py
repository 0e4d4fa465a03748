"""The record of every hop in the lab, each stamped with its virtual time and its flow's trace."""
from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from typing import Any

from ..motoext.core import current_trace
from .clock import VirtualClock


@dataclass(frozen=True)
class Hop:
    """One thing that happened: an API call, a delivery, a Lambda attempt, a state transition..."""

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
