"""SQS: messages wait for a poller, reappear after their visibility timeout, and redrive to a DLQ.

moto 5.2.5 invokes a queue's event source mapping inside SendMessage. Here a message only lands in
the queue; the pollers are woken when it becomes available (at once, or after its delay) and again
when a received message's visibility timeout runs out without a delete (aws-semantics.md 1.3, 5).
Every step is a hop: ("sqs", "send" | "receive" | "delete" | "visible-again" | "redrive", queue
name, message_id=...). A sent message carries its flow's trace as the `AWSTraceHeader` system
attribute, as AWS sets it for traced senders. Long polling cannot wait inside a call on the virtual
clock, so `WaitTimeSeconds` returns at once (moto would spin forever on a clock that stands still).
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Callable

import moto.core.utils as moto_utils
from moto.moto_api._internal import mock_random

from . import core, lambda_esm
from .patching import Patch

#: moto treats a message as visible only strictly *after* `visible_at`; AWS makes it visible once the
#: timeout has elapsed, so visibility starts this many milliseconds earlier (10 µs, below any timestamp).
_VISIBLE_EDGE_MS = 0.01


_UNIX_EPOCH = dt.datetime(1970, 1, 1)
_UNIX_EPOCH_UTC = _UNIX_EPOCH.replace(tzinfo=dt.timezone.utc)
#: The last virtual instant read and its Unix time: SQS reads the time for every message it scans.
_last_read: list[Any] = [None, 0.0]


def _seconds(moment: dt.datetime) -> float:
    delta = moment - (_UNIX_EPOCH_UTC if moment.tzinfo else _UNIX_EPOCH)
    return (delta.days * 86400) + (delta.seconds + (delta.microseconds / 1e6))


def unix_time(moment: dt.datetime | None = None) -> float:
    """moto's `unix_time`, computed once per virtual instant (the clock only moves when advanced)."""
    if moment is not None:
        return _seconds(moment)
    try:
        now = core.scheduler().now()
    except RuntimeError:  # no lab running: moto's own clock
        return _seconds(moto_utils.utcnow())
    if now is not _last_read[0]:
        _last_read[:] = [now, _seconds(now)]
    return _last_read[1]


def unix_time_millis(moment: dt.datetime | None = None) -> float:
    """moto's `unix_time_millis`, on the fast `unix_time`."""
    return unix_time(moment) * 1000.0


def trace_header(message: Any) -> str | None:
    """The message's `AWSTraceHeader` system attribute, if it has one."""
    return ((message.system_attributes or {}).get("AWSTraceHeader") or {}).get("StringValue")


def _handles(queue: Any) -> dict[str, str]:
    """Receipt handle -> message id, kept on the queue (so it goes when moto resets)."""
    if not hasattr(queue, "_lab_handles"):
        queue._lab_handles = {}
    return queue._lab_handles


def _wake_when_available(queue: Any, message: Any) -> None:
    delay_ms = message.delayed_until - unix_time_millis()
    if delay_ms > 0:
        core.scheduler().call_later(delay_ms / 1000, lambda: lambda_esm.wake(queue.queue_arn),
                                    label=f"sqs delay {queue.name}")
    else:
        lambda_esm.wake(queue.queue_arn)


def _watch_visibility(queue: Any, message: Any) -> None:
    """When the message's visibility timeout runs out, report it and wake the pollers."""
    handle = message.receipt_handle
    wait_ms = message.visible_at - unix_time_millis()
    if wait_ms <= 0:
        return

    def reappear() -> None:
        if message.receipt_handle != handle or handle in queue.deleted_messages or not message.visible:
            return  # deleted, received again, or its visibility was extended
        core.notify("sqs", "visible-again", queue.name, message_id=message.id,
                    receive_count=message.approximate_receive_count)
        lambda_esm.wake(queue.queue_arn)

    core.scheduler().call_later(wait_ms / 1000 + _VISIBLE_EDGE_MS / 1000, reappear,
                                label=f"sqs visibility {queue.name}")


def _release_expired(queue: Any) -> None:
    """Forget in-flight state of messages whose visibility timeout ran out.

    moto clears it lazily while it scans, so a FIFO group could stay blocked by a message that is
    already visible again; AWS unblocks the group as soon as the timeout expires.
    """
    for message in [m for m in queue.pending_messages if m.visible]:
        queue.pending_messages.discard(message)


def _redrive(queue: Any) -> None:
    """Move messages received `maxReceiveCount` times to the DLQ, as the next receive does on AWS."""
    dlq, policy = queue.dead_letter_queue, queue.redrive_policy
    if dlq is None or not policy:
        return
    limit = int(policy["maxReceiveCount"])
    for message in [m for m in queue._messages
                    if m.approximate_receive_count >= limit and m.visible and not m.delayed]:
        queue._messages.remove(message)
        queue.pending_messages.discard(message)
        dlq.add_message(message)
        core.notify("sqs", "redrive", queue.name, message_id=message.id, dead_letter_queue=dlq.name,
                    receive_count=message.approximate_receive_count)


def _make_add_message(original: Callable[..., Any]) -> Callable[..., Any]:
    def add_message(self: Any, message: Any) -> None:
        with lambda_esm.inline_dispatch_silenced(self):
            original(self, message)
        if self._messages and self._messages[-1] is message:  # not dropped as a FIFO duplicate
            _wake_when_available(self, message)

    return add_message


def _make_send_message(original: Callable[..., Any]) -> Callable[..., Any]:
    def send_message(self: Any, queue_name: str, message_body: str,
                     message_attributes: dict[str, Any] | None = None, delay_seconds: int | None = None,
                     deduplication_id: str | None = None, group_id: str | None = None,
                     system_attributes: dict[str, Any] | None = None, validate_group_id: bool = True) -> Any:
        header = core.current_trace()
        if header and not (system_attributes or {}).get("AWSTraceHeader"):
            system_attributes = {**(system_attributes or {}),
                                 "AWSTraceHeader": {"StringValue": header, "DataType": "String"}}
        message = original(self, queue_name, message_body, message_attributes, delay_seconds,
                           deduplication_id, group_id, system_attributes, validate_group_id)
        if self.get_queue(queue_name).fifo_queue and message.sequence_number is None:  # FIFO numbers all
            message.sequence_number = "".join(str(mock_random.randint(0, 9)) for _ in range(20))
        core.notify("sqs", "send", queue_name, message_id=message.id)
        return message

    return send_message


def _make_receive_message(original: Callable[..., Any]) -> Callable[..., Any]:
    def receive_message(self: Any, queue_name: str, count: int, wait_seconds_timeout: int,
                        visibility_timeout: int, message_attribute_names: list[str] | None = None) -> list[Any]:
        queue = self.get_queue(queue_name)
        _release_expired(queue)
        _redrive(queue)
        received = original(self, queue_name, count, 0, visibility_timeout, message_attribute_names)
        if not received:
            return received
        wanted = {m.id for m in received}
        handles = _handles(queue)
        for message in (m for m in queue._messages if m.id in wanted):
            handles[message.receipt_handle] = message.id
            core.notify("sqs", "receive", queue_name, message_id=message.id,
                        receive_count=message.approximate_receive_count)
            _watch_visibility(queue, message)
        return received

    return receive_message


def _make_delete_message(original: Callable[..., Any]) -> Callable[..., Any]:
    def delete_message(self: Any, queue_name: str, receipt_handle: str) -> None:
        queue = self.get_queue(queue_name)
        already = receipt_handle in queue.deleted_messages
        original(self, queue_name, receipt_handle)
        if not already:
            core.notify("sqs", "delete", queue_name, message_id=_handles(queue).get(receipt_handle))

    return delete_message


def _make_change_visibility(original: Callable[..., Any]) -> Callable[..., Any]:
    def change_visibility(self: Any, visibility_timeout: int) -> None:
        original(self, visibility_timeout)
        self.visible_at -= _VISIBLE_EDGE_MS

    return change_visibility


def _make_change_message_visibility(original: Callable[..., Any]) -> Callable[..., Any]:
    def change_message_visibility(self: Any, queue_name: str, receipt_handle: str,
                                  visibility_timeout: int) -> None:
        original(self, queue_name, receipt_handle, visibility_timeout)
        queue = self.get_queue(queue_name)
        message = next(m for m in queue._messages if m.had_receipt_handle(receipt_handle))
        if message.visible:
            lambda_esm.wake(queue.queue_arn)
        else:
            _watch_visibility(queue, message)

    return change_message_visibility


def _make_retention_check(original: Callable[..., Any]) -> Callable[..., Any]:
    def is_message_valid_based_on_retention_period(self: Any, queue_name: str, message: Any) -> bool:
        retention_s = int(self.get_queue(queue_name).message_retention_period)
        return retention_s + message.sent_timestamp / 1000 > unix_time()

    return is_message_valid_based_on_retention_period


ADD_MESSAGE = Patch(
    target="moto.sqs.models:Queue.add_message",
    signature="(self, message: moto.sqs.models.Message) -> None",
    rule="A message waits in the queue for Lambda's poller; SendMessage never runs the consumer "
    "(aws-semantics.md 1.3)",
    make=_make_add_message,
)
SEND_MESSAGE = Patch(
    target="moto.sqs.models:SQSBackend.send_message",
    signature="(self, queue_name: str, message_body: str, message_attributes: dict[str, typing.Any] | None = None, "
    "delay_seconds: int | None = None, deduplication_id: str | None = None, group_id: str | None = None, "
    "system_attributes: dict[str, typing.Any] | None = None, validate_group_id: bool = True) -> "
    "moto.sqs.models.Message",
    rule="A traced sender's message carries the AWSTraceHeader system attribute",
    make=_make_send_message,
)
RECEIVE_MESSAGE = Patch(
    target="moto.sqs.models:SQSBackend.receive_message",
    signature="(self, queue_name: str, count: int, wait_seconds_timeout: int, visibility_timeout: int, "
    "message_attribute_names: list[str] | None = None) -> list[moto.sqs.models.Message]",
    rule="A received message reappears after the visibility timeout and moves to the DLQ after "
    "maxReceiveCount receives (aws-semantics.md 1.3, 5; L12, L14)",
    make=_make_receive_message,
)
DELETE_MESSAGE = Patch(
    target="moto.sqs.models:SQSBackend.delete_message",
    signature="(self, queue_name: str, receipt_handle: str) -> None",
    rule="Deleting a received message is a hop of its flow",
    make=_make_delete_message,
)
CHANGE_VISIBILITY = Patch(
    target="moto.sqs.models:Message.change_visibility",
    signature="(self, visibility_timeout: int) -> None",
    rule="A message is visible again once its visibility timeout has elapsed (aws-semantics.md 5; Q5)",
    make=_make_change_visibility,
)
CHANGE_MESSAGE_VISIBILITY = Patch(
    target="moto.sqs.models:SQSBackend.change_message_visibility",
    signature="(self, queue_name: str, receipt_handle: str, visibility_timeout: int) -> None",
    rule="ChangeMessageVisibility reschedules when the message reappears (aws-semantics.md 5; Q5)",
    make=_make_change_message_visibility,
)
RETENTION_CHECK = Patch(
    target="moto.sqs.models:SQSBackend.is_message_valid_based_on_retention_period",
    signature="(self, queue_name: str, message: moto.sqs.models.Message) -> bool",
    rule="A message expires after the queue's MessageRetentionPeriod (aws-semantics.md 5; Q4); read in "
    "O(1) (moto computes every queue attribute for each message it receives)",
    make=_make_retention_check,
)
SQS_UNIX_TIME = Patch(
    target="moto.sqs.models:unix_time",
    signature="(dt: 'datetime.datetime | None' = None) -> 'float'",
    rule="SQS times follow the virtual clock, read cheaply (design.md, The virtual clock)",
    make=lambda original: unix_time,
)
SQS_UNIX_TIME_MILLIS = Patch(
    target="moto.sqs.models:unix_time_millis",
    signature="(dt: 'datetime.datetime | None' = None) -> 'float'",
    rule="SQS times follow the virtual clock, read cheaply (design.md, The virtual clock)",
    make=lambda original: unix_time_millis,
)
PATCHES = [SQS_UNIX_TIME, SQS_UNIX_TIME_MILLIS, RETENTION_CHECK, ADD_MESSAGE, SEND_MESSAGE, RECEIVE_MESSAGE,
           DELETE_MESSAGE, CHANGE_VISIBILITY, CHANGE_MESSAGE_VISIBILITY]
