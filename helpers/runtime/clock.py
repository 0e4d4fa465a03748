"""The lab's virtual clock and the scheduler of work due now or later.

AWS delays (a 1-minute async retry, a 30 s visibility timeout, a one-hour Wait state) pass on this
clock, never in real time. Work due *now* runs before the outermost API call that caused it returns;
work due *later* runs when the learner advances the clock.
"""
from __future__ import annotations

import datetime as dt
import heapq
import itertools
import threading
from dataclasses import dataclass, field
from typing import Callable

from ..motoext.core import bound_trace, current_trace

#: Where every lab's clock starts: a fixed instant, so timelines are the same on every run.
EPOCH = dt.datetime(2026, 1, 5, 9, 0, 0, tzinfo=dt.timezone.utc)


@dataclass(order=True)
class _Job:
    due: dt.datetime
    seq: int
    action: Callable[[], None] = field(compare=False)
    label: str = field(compare=False, default="")
    trace: str | None = field(compare=False, default=None)


class VirtualClock:
    """A clock that only moves when told to, with a queue of work keyed by due time.

    Jobs due at the same instant run in the order they were scheduled (FIFO), which makes every
    timeline deterministic. Running a job never recurses: jobs a job schedules join the queue.
    """

    def __init__(self, start: dt.datetime = EPOCH) -> None:
        self._start = start
        self._now = start
        self._queue: list[_Job] = []
        self._seq = itertools.count()
        self._lock = threading.RLock()
        self._draining = False

    # -- reading the clock -------------------------------------------------------------------
    def now(self) -> dt.datetime:
        """The current virtual time (timezone-aware UTC)."""
        return self._now

    def elapsed(self) -> dt.timedelta:
        """Virtual time since the clock started (or was last reset)."""
        return self._now - self._start

    @property
    def pending(self) -> int:
        """How many jobs are waiting, due now or later."""
        return len(self._queue)

    def next_due(self) -> dt.datetime | None:
        """When the earliest waiting job is due, or None."""
        with self._lock:
            return self._queue[0].due if self._queue else None

    # -- scheduling --------------------------------------------------------------------------
    def call_at(self, due: dt.datetime, action: Callable[[], None], label: str = "") -> None:
        """Run `action` when the clock reaches `due` (at once if `due` is not in the future).

        The job stays part of the flow (trace) that scheduled it.
        """
        with self._lock:
            job = _Job(max(due, self._now), next(self._seq), action, label, current_trace())
            heapq.heappush(self._queue, job)

    def call_later(self, seconds: float, action: Callable[[], None], label: str = "") -> None:
        """Run `action` after `seconds` of virtual time."""
        self.call_at(self._now + dt.timedelta(seconds=seconds), action, label)

    def call_soon(self, action: Callable[[], None], label: str = "") -> None:
        """Run `action` now, once the current API call has returned its result to AWS's caller."""
        self.call_at(self._now, action, label)

    # -- running -----------------------------------------------------------------------------
    def run_due(self) -> int:
        """Run every job due at or before now, including jobs they schedule for now.

        Re-entrant calls (from inside a job) return at once: the outer loop picks up new work.
        Returns the number of jobs run.
        """
        with self._lock:
            if self._draining:
                return 0
            self._draining = True
            ran = 0
            try:
                while self._queue and self._queue[0].due <= self._now:
                    job = heapq.heappop(self._queue)
                    with bound_trace(job.trace):
                        job.action()
                    ran += 1
            finally:
                self._draining = False
            return ran

    def advance(self, seconds: float = 0, minutes: float = 0, hours: float = 0) -> int:
        """Move the clock forward, running each job at its due time, in order. Returns jobs run."""
        delta = dt.timedelta(seconds=seconds, minutes=minutes, hours=hours)
        if delta < dt.timedelta(0):
            raise ValueError("The virtual clock only moves forward.")
        return self._run_until(self._now + delta)

    def run_until_idle(self, limit: dt.timedelta = dt.timedelta(days=30)) -> int:
        """Advance until no work is left (or `limit` of virtual time has passed)."""
        return self._run_until(self._now + limit, stop_when_idle=True)

    def _run_until(self, target: dt.datetime, stop_when_idle: bool = False) -> int:
        with self._lock:
            ran = self.run_due()
            while self._queue and self._queue[0].due <= target:
                self._now = self._queue[0].due
                ran += self.run_due()
            if not stop_when_idle:
                self._now = target
            return ran

    def reset(self) -> None:
        """Back to the epoch with nothing queued."""
        with self._lock:
            self._now = self._start
            self._queue.clear()
