"""The virtual clock: order, no recursion, advancing, cancelling, settling background work.

design.md, "The virtual clock": work due now runs before the outermost call returns, drained from a
queue (no recursion); work due later runs when the clock is advanced; the same scenario gives the
same timeline every run.
"""
from __future__ import annotations

import datetime as dt

import pytest

from helpers.runtime.clock import EPOCH, VirtualClock


def test_jobs_due_at_the_same_time_run_in_the_order_scheduled() -> None:
    """design.md, The virtual clock: equal due times run first in, first out."""
    clock, ran = VirtualClock(), []
    for name in "abc":
        clock.call_later(5, lambda name=name: ran.append(name))
    clock.call_soon(lambda: ran.append("now"))

    clock.advance(seconds=5)

    assert ran == ["now", "a", "b", "c"]


def test_a_job_that_schedules_jobs_does_not_recurse() -> None:
    """design.md, The virtual clock: a queue that feeds itself is drained, not recursed into."""
    clock, ran = VirtualClock(), []

    def step(n: int) -> None:
        ran.append(n)
        if n < 5000:
            clock.call_soon(lambda: step(n + 1))
        clock.run_due()  # re-entrant: returns at once, the outer loop picks the job up

    clock.call_soon(lambda: step(1))
    assert clock.run_due() == 5000
    assert ran[-1] == 5000


def test_advance_runs_each_job_at_its_due_time_and_stops_at_the_target() -> None:
    """design.md, The virtual clock: advancing runs due work at its time, in order."""
    clock, seen = VirtualClock(), []
    clock.call_later(60, lambda: seen.append(clock.elapsed().total_seconds()))
    clock.call_later(180, lambda: seen.append(clock.elapsed().total_seconds()))

    assert clock.advance(minutes=2) == 1
    assert seen == [60] and clock.now() == EPOCH + dt.timedelta(minutes=2)
    assert clock.next_due() == EPOCH + dt.timedelta(seconds=180) and clock.pending == 1
    clock.advance(minutes=1)
    assert seen == [60, 180]
    with pytest.raises(ValueError):
        clock.advance(seconds=-1)


def test_run_until_idle_stops_at_the_last_job() -> None:
    """design.md, The virtual clock: run until nothing is left, and no further."""
    clock = VirtualClock()
    clock.call_later(30, lambda: clock.call_later(90, lambda: None))

    assert clock.run_until_idle() == 2
    assert clock.now() == EPOCH + dt.timedelta(seconds=120) and clock.pending == 0


def test_a_cancelled_job_never_runs_and_does_not_hold_the_clock() -> None:
    """design.md, The virtual clock: a timeout that no longer matters is taken off the queue."""
    clock, ran = VirtualClock(), []
    job = clock.call_later(99_999_999, lambda: ran.append("timeout"))
    clock.call_later(10, lambda: ran.append("work"))

    assert clock.cancel(job) and not clock.cancel(job)
    clock.run_until_idle()

    assert ran == ["work"] and clock.now() == EPOCH + dt.timedelta(seconds=10)


def test_settlers_run_before_each_job_and_after_the_last() -> None:
    """design.md, The virtual clock: background work catches up before the next job runs."""
    clock, log = VirtualClock(), []
    clock.add_settler(lambda: log.append("settle"))
    clock.call_soon(lambda: log.append("job"))

    clock.run_due()

    assert log == ["settle", "job", "settle"]
