"""The lab's virtual clock and the scheduler of work due now or later.

AWS delays (a 1-minute async retry, a 30 s visibility timeout, a one-hour Wait state) pass on this
clock, never in real time. Work due *now* runs before the outermost API call that caused it returns;
work due *later* runs when the learner advances the clock.

Background work that runs in threads of its own (Step Functions executions) registers a *settler*:
the clock calls it before each job and once the due work is done, and the settler returns when that
work is finished or parked on a future time. The clock's lock is never held while a job or a settler
runs, so such threads can schedule work (and read the time) while the clock waits for them.
"""
from __future__ import annotations

import datetime as dt
import heapq
import itertools
import threading
from dataclasses import dataclass
from typing import Callable

from ..motoext.core import bound_trace, current_trace

#: Where every lab's clock starts: a fixed instant, so timelines are the same on every run.
EPOCH = dt.datetime(2026, 1, 5, 9, 0, 0, tzinfo=dt.timezone.utc)


@dataclass(eq=False)
class ScheduledJob:
    """One piece of work waiting for its time; `VirtualClock.cancel` takes it off the queue."""

    due: dt.datetime
    seq: int
    action: Callable[[], None]
    label: str = ""
    trace: str | None = None


#: The queue holds (due, seq, job): a heap ordered by due time, then scheduling order, compared as
#: plain tuples (seq is unique, so the job itself is never compared).
_Entry = tuple[dt.datetime, int, ScheduledJob]


class VirtualClock:
    """A clock that only moves when told to, with a queue of work keyed by due time.

    Jobs due at the same instant run in the order they were scheduled (FIFO), which makes every
    timeline deterministic. Running a job never recurses: jobs a job schedules join the queue.
    """

    def __init__(self, start: dt.datetime = EPOCH) -> None:
        self._start = start
        self._now = start
        self._queue: list[_Entry] = []
        self._seq = itertools.count()
        self._lock = threading.Lock()
        self._draining = False
        self._settlers: list[Callable[[], None]] = []

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
            return self._queue[0][0] if self._queue else None

    # -- scheduling --------------------------------------------------------------------------
    def call_at(self, due: dt.datetime, action: Callable[[], None], label: str = "") -> ScheduledJob:
        """Run `action` when the clock reaches `due` (at once if `due` is not in the future).

        The job stays part of the flow (trace) that scheduled it. Returns it, for `cancel`.
        """
        with self._lock:
            job = ScheduledJob(max(due, self._now), next(self._seq), action, label, current_trace())
            heapq.heappush(self._queue, (job.due, job.seq, job))
            return job

    def call_later(self, seconds: float, action: Callable[[], None], label: str = "") -> ScheduledJob:
        """Run `action` after `seconds` of virtual time."""
        return self.call_at(self._now + dt.timedelta(seconds=seconds), action, label)

    def call_soon(self, action: Callable[[], None], label: str = "") -> ScheduledJob:
        """Run `action` now, once the current API call has returned its result to AWS's caller."""
        return self.call_at(self._now, action, label)

    def cancel(self, job: ScheduledJob) -> bool:
        """Take `job` off the queue; False if it already ran (or was cancelled)."""
        with self._lock:
            entry = (job.due, job.seq, job)
            if entry not in self._queue:
                return False
            self._queue.remove(entry)
            heapq.heapify(self._queue)
            return True

    def discard_due(self) -> int:
        """Drop every job due now (a loop the learner stopped); jobs due later stay. Returns how many."""
        with self._lock:
            keep = [entry for entry in self._queue if entry[0] > self._now]
            dropped = len(self._queue) - len(keep)
            self._queue[:] = keep
            heapq.heapify(self._queue)
            return dropped

    def add_settler(self, settle: Callable[[], None]) -> None:
        """Call `settle()` before each job and after the last: it returns once background work
        (threads of Step Functions executions) has caught up with the clock."""
        self._settlers.append(settle)

    # -- running -----------------------------------------------------------------------------
    def run_due(self) -> int:
        """Run every job due at or before now, including jobs they schedule for now.

        Re-entrant calls (from inside a job, or from background work the clock is waiting for)
        return at once: the outer loop picks up new work. Returns the number of jobs run.
        """
        with self._lock:
            if self._draining:
                return 0
            self._draining = True
        ran = 0
        try:
            while True:
                for settle in self._settlers:
                    settle()
                with self._lock:
                    if not self._queue or self._queue[0][0] > self._now:
                        break
                    job = heapq.heappop(self._queue)[2]
                with bound_trace(job.trace):
                    job.action()
                ran += 1
        finally:
            with self._lock:
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
        if self._draining:
            raise RuntimeError("The clock cannot be advanced from inside work it is running.")
        ran = self.run_due()
        while True:
            with self._lock:
                if not self._queue or self._queue[0][0] > target:
                    break
                self._now = self._queue[0][0]
            ran += self.run_due()
        if not stop_when_idle:
            with self._lock:
                self._now = max(self._now, target)
        return ran

    def reset(self) -> None:
        """Back to the epoch with nothing queued."""
        with self._lock:
            self._now = self._start
            self._queue.clear()
