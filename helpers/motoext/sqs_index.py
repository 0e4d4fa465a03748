"""The lab's index of one SQS queue: available messages in order, in-flight ones by receipt handle.

moto 5.2.5 keeps a queue's messages in one list and scans all of it (in-flight messages included)
for every receive, delete and count, so a queue holding thousands of failed messages makes every
call slow. The index replaces that list: receiving, deleting and counting cost in proportion to the
batch, not to the queue's depth.

A message is in one of three states. *Delayed* (DelaySeconds not yet over) and *in flight*
(received, its visibility timeout running) messages wait on a timed heap for the instant they
become *available*; available messages wait on a heap in the order they first arrived, so a
message that reappears is received before younger ones, as in moto. Entries are invalidated
lazily: each state change gives the message a new token and stale entries are skipped.
"""
from __future__ import annotations

import heapq
import itertools
from collections import Counter
from typing import Any, Callable, Iterable

from .deduplication import DeduplicationWindow

DELAYED, AVAILABLE, IN_FLIGHT, GONE = "delayed", "available", "in flight", "gone"

#: Times are compared with this tolerance (ms): a job scheduled for the instant a visibility timeout
#: ends reads the clock back through float arithmetic, which may fall a few nanoseconds short.
EDGE_MS = 0.01

_Entry = tuple  # (seq, token, message) on the available heap; (due_ms, seq, token, message) on the timed one


class QueueIndex:
    """Every message of one queue, by state. `now_ms()` reads the lab's clock; `visible_again(message)`
    hears of each in-flight message whose visibility timeout ran out."""

    def __init__(self, now_ms: Callable[[], float], visible_again: Callable[[Any], None]) -> None:
        self._now_ms = now_ms
        self._visible_again = visible_again
        self._arrivals = itertools.count()
        self._tokens = itertools.count()
        self._available: list[_Entry] = []
        self._timed: list[_Entry] = []
        self._counts: Counter[str] = Counter()
        self.handles: dict[str, Any] = {}
        self.in_flight_groups: Counter[str] = Counter()
        self.deduplication = DeduplicationWindow()

    # -- adding and moving ---------------------------------------------------------------------
    def add(self, message: Any) -> None:
        """Take in a message (sent, or moved here from another queue)."""
        message._lab_index = self
        message._lab_seq = next(self._arrivals)
        message._lab_state = None
        if message.delayed_until > self._now_ms() + EDGE_MS:
            self._wait(message, DELAYED, message.delayed_until)
        else:
            self._make_available(message)

    def received(self, message: Any) -> None:
        """The message was just received (moto's `mark_received`): in flight until `visible_at`."""
        self.handles[message.receipt_handle] = message
        self._wait(message, IN_FLIGHT, message.visible_at)

    def change_visibility(self, message: Any, visible_at: float) -> None:
        """ChangeMessageVisibility: the message becomes available at `visible_at` (now: at once)."""
        message.visible_at = visible_at
        if visible_at <= self._now_ms() + EDGE_MS:
            self._make_available(message)
        else:
            self._wait(message, IN_FLIGHT, visible_at)

    def remove(self, message: Any) -> None:
        """The message leaves this queue (deleted, expired, or moved to a dead-letter queue)."""
        if message._lab_index is not self or message._lab_state == GONE:
            return
        self._set_state(message, GONE)
        for handle in message.all_receipt_handles:
            self.handles.pop(handle, None)

    def clear(self) -> None:
        """PurgeQueue: forget every message (deduplication ids are kept, as AWS keeps them)."""
        for entry in self._available + self._timed:
            entry[-1]._lab_state = GONE
        self._available.clear()
        self._timed.clear()
        self._counts.clear()
        self.handles.clear()
        self.in_flight_groups.clear()

    # -- reading -------------------------------------------------------------------------------
    def catch_up(self) -> None:
        """Make every message whose delay or visibility timeout is over available."""
        now = self._now_ms() + EDGE_MS
        timed = self._timed
        while timed and timed[0][0] <= now:
            _, _, token, message = heapq.heappop(timed)
            if self._current(message, token):
                was_in_flight = message._lab_state == IN_FLIGHT
                self._make_available(message)
                if was_in_flight:
                    self._visible_again(message)

    def count(self, state: str) -> int:
        """How many messages are `state` now."""
        self.catch_up()
        return self._counts[state]

    def available(self) -> list[Any]:
        """The available messages, oldest arrival first."""
        self.catch_up()
        return [entry[2] for entry in sorted(self._available) if self._current(entry[2], entry[1])]

    def take(self) -> _Entry | None:
        """Pop the oldest available message's entry (None when there is none); `put_back` undoes."""
        while self._available:
            entry = heapq.heappop(self._available)
            if self._current(entry[2], entry[1]):
                return entry
        return None

    def put_back(self, entries: Iterable[_Entry]) -> None:
        """Return entries `take` gave out and the caller skipped."""
        for entry in entries:
            heapq.heappush(self._available, entry)

    # -- internals -----------------------------------------------------------------------------
    def _current(self, message: Any, token: int) -> bool:
        return message._lab_index is self and message._lab_token == token

    def _set_state(self, message: Any, state: str) -> int:
        previous = message._lab_state
        if previous is not None:
            self._counts[previous] -= 1
        if previous == IN_FLIGHT and message.group_id is not None:
            self.in_flight_groups[message.group_id] -= 1
            if not self.in_flight_groups[message.group_id]:
                del self.in_flight_groups[message.group_id]
        if state == IN_FLIGHT and message.group_id is not None:
            self.in_flight_groups[message.group_id] += 1
        if state != GONE:
            self._counts[state] += 1
        message._lab_state = state
        message._lab_token = token = next(self._tokens)
        return token

    def _make_available(self, message: Any) -> None:
        token = self._set_state(message, AVAILABLE)
        heapq.heappush(self._available, (message._lab_seq, token, message))

    def _wait(self, message: Any, state: str, due_ms: float) -> None:
        token = self._set_state(message, state)
        heapq.heappush(self._timed, (due_ms, message._lab_seq, token, message))
