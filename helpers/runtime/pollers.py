"""Lambda's pollers for poll-based event source mappings: SQS queues, Kinesis and DynamoDB streams.

The moto extension wakes them (`helpers.motoext.lambda_esm.set_poller`) whenever a source may have
records for a mapping; they read on the virtual clock, after the API call that woke them returns.
"""
from __future__ import annotations

from typing import Any

from ..motoext.lambda_esm import source_type
from .clock import VirtualClock
from .sqs_poller import QueuePoller
from .stream_poller import StreamPoller


class Pollers:
    """Every poller of the lab (implements `helpers.motoext.lambda_esm.EventSourcePoller`)."""

    def __init__(self, clock: VirtualClock, runtime: Any) -> None:
        self.queues = QueuePoller(clock, runtime)
        self.streams = StreamPoller(clock, runtime)

    def wake(self, source_arn: str) -> None:
        """`source_arn` may have records for its mappings."""
        if source_type(source_arn).startswith("sqs"):
            self.queues.wake(source_arn)
        else:
            self.streams.wake(source_arn)

    def reset(self) -> None:
        """Forget every poller's state (the lab was reset)."""
        self.queues.reset()
        self.streams.reset()
