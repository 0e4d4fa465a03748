"""FIFO deduplication: a deduplication id seen within the last 5 minutes marks a duplicate.

SQS FIFO queues and SNS FIFO topics accept a duplicate successfully but do not deliver it, and keep
tracking the id for the whole interval, even after the first copy was received and deleted
(aws-semantics.md 5; Q6).
"""
from __future__ import annotations

import itertools
from typing import Hashable

#: The deduplication interval, in milliseconds.
INTERVAL_MS = 5 * 60 * 1000


class DeduplicationWindow:
    """The deduplication ids first seen in the last 5 minutes, oldest first."""

    def __init__(self) -> None:
        self._first_seen: dict[Hashable, float] = {}

    def first_copy(self, key: Hashable, at_ms: float) -> bool:
        """Whether a message with deduplication `key` sent at `at_ms` is the first in the interval."""
        seen = self._first_seen
        expired = [k for k, _ in itertools.takewhile(lambda item: item[1] + INTERVAL_MS <= at_ms, seen.items())]
        for old in expired:
            del seen[old]
        if key in seen:
            return False
        seen[key] = at_ms
        return True
