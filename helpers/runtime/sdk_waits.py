"""The AWS SDK's own waits pass on the virtual clock: retry backoff after a throttle, waiters' polls.

boto3 retries a throttled call (429) after a backoff and its waiters poll every few seconds. On
real AWS that time passes for real; in the lab it passes on the virtual clock, so a retried call
sees the world as it will be after the backoff. Inside a handler, the wait counts against the
function's timeout, as it would on AWS.
"""
from __future__ import annotations

import time
import types
from typing import Any

import botocore.endpoint
import botocore.waiter

from .clock import VirtualClock


class _ClockTime(types.SimpleNamespace):
    """Stands in for the `time` module inside botocore: `sleep` is virtual, the rest is real."""

    def __init__(self, clock: VirtualClock) -> None:
        super().__init__()
        self._clock = clock

    def sleep(self, seconds: float) -> None:
        try:
            self._clock.advance(seconds=seconds)
        except RuntimeError:  # inside the clock's own work: the wait passes without moving it
            pass

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)


def install(clock: VirtualClock) -> None:
    """Make botocore's retry backoff and waiters sleep on `clock`."""
    shim = _ClockTime(clock)
    botocore.endpoint.time = shim
    botocore.waiter.time = shim
