"""SQS: messages wait for a poller, reappear after their visibility timeout, and redrive to a DLQ.

moto 5.2.5 invokes a queue's event source mapping inside SendMessage. Here a message only lands in
the queue; the pollers are woken when it becomes available (at once, or after its delay) and again
when a received message's visibility timeout runs out without a delete (aws-semantics.md 1.3, 5).
Every step is a hop: ("sqs", "send" | "receive" | "delete" | "visible-again" | "redrive", queue
name, message_id=...). A sent message carries its flow's trace as the `AWSTraceHeader` system
attribute, as AWS sets it for traced senders. `WaitTimeSeconds` (long polling) runs the virtual
clock until a message is available or the wait is over, unless the call comes from inside work the
clock is running (a handler): then it returns at once. The messages themselves live in the lab's
index of each queue (`sqs_index`), so every call costs in proportion to its batch.
"""
from __future__ import annotations

import copy
import datetime as dt
import functools
import json
import string
from typing import Any, Callable

import moto.core.utils as moto_utils
from moto.moto_api._internal import mock_random

from . import core, lambda_esm
from .patching import Patch
from .sqs_index import AVAILABLE, DELAYED, EDGE_MS, IN_FLIGHT, QueueIndex

_RECEIPT_HANDLE_LENGTH = 185
#: A message's total visibility timeout is at most 12 hours (aws-semantics.md 5; Q5).
MAXIMUM_VISIBILITY_TIMEOUT = 12 * 3600


def _errors() -> Any:
    """moto's SQS exceptions (imported on first use: importing them loads moto's SQS models)."""
    import moto.sqs.exceptions

    return moto.sqs.exceptions


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


def queue_index(queue: Any) -> QueueIndex:
    """The lab's index of the queue's messages, kept on the queue (so it goes when moto resets)."""
    index = queue.__dict__.get("_lab_index")
    if index is None:
        index = queue._lab_index = QueueIndex(unix_time_millis, lambda message: _visible_again(queue, message))
    return index


def _visible_again(queue: Any, message: Any) -> None:
    """A received message was not deleted in time: report it and wake the pollers."""
    core.notify("sqs", "visible-again", queue.name, message_id=message.id,
                receive_count=message.approximate_receive_count)
    lambda_esm.wake(queue.queue_arn)


def _wake_when_available(queue: Any, message: Any) -> None:
    delay_ms = message.delayed_until - unix_time_millis()
    if delay_ms > EDGE_MS:
        core.scheduler().call_later(delay_ms / 1000, lambda: lambda_esm.wake(queue.queue_arn),
                                    label=f"sqs delay {queue.name}")
    else:
        lambda_esm.wake(queue.queue_arn)


def _watch_visibility(queue: Any, visible_at: float) -> None:
    """Look again when a visibility timeout runs out at `visible_at` (`_visible_again` reports it)."""
    wait_ms = visible_at - unix_time_millis()
    core.scheduler().call_later(max(wait_ms, 0) / 1000, queue_index(queue).catch_up,
                                label=f"sqs visibility {queue.name}")


def _move_to_dead_letter_queue(queue: Any, message: Any) -> None:
    """Move a message received `maxReceiveCount` times to the DLQ, as the next receive does on AWS."""
    dlq = queue.dead_letter_queue
    queue_index(queue).remove(message)
    queue_index(dlq).add(message)
    core.notify("sqs", "redrive", queue.name, message_id=message.id, dead_letter_queue=dlq.name,
                receive_count=message.approximate_receive_count)
    _wake_when_available(dlq, message)


def _receive_now(backend: Any, queue: Any, count: int, visibility_timeout: int,
                 attribute_names: list[str]) -> list[Any]:
    """Receive up to `count` available messages: FIFO groups with a message in flight wait,
    messages past maxReceiveCount move to the DLQ, expired ones are dropped."""
    from moto.sqs.models import _filter_message_attributes

    index = queue_index(queue)
    index.catch_up()
    policy = queue.redrive_policy if queue.dead_letter_queue is not None else None
    limit = int(policy["maxReceiveCount"]) if policy else None
    blocked = set(index.in_flight_groups) if queue.fifo_queue else ()
    received, skipped, redriven = [], [], []
    while len(received) < count and (entry := index.take()) is not None:
        message = entry[-1]
        if message.group_id in blocked:
            skipped.append(entry)
        elif limit is not None and message.approximate_receive_count >= limit:
            redriven.append(message)
        elif not backend.is_message_valid_based_on_retention_period(queue.name, message):
            index.remove(message)
        else:
            message.mark_received(visibility_timeout=visibility_timeout)
            index.received(message)
            shown = copy.copy(message)  # moto deep-copies; the response only reads the copy
            _filter_message_attributes(shown, attribute_names)
            received.append(shown)
    index.put_back(skipped)
    for message in redriven:
        _move_to_dead_letter_queue(queue, message)
    return received


def _wait_for_messages(queue: Any, seconds: int) -> bool:
    """Long polling on the virtual clock: run the clock's jobs, in order, until a message is
    available or `seconds` have passed (aws-semantics.md 5; Q7). False if the clock cannot move:
    the call was made from inside another call (a handler's) or from work the clock is running."""
    if core.call_depth() > 1:
        return False
    clock = core.scheduler()
    deadline = clock.now() + dt.timedelta(seconds=seconds)
    index = queue_index(queue)
    try:
        while not index.count(AVAILABLE):
            due = clock.next_due()
            if due is None or due > deadline:
                clock.advance(seconds=(deadline - clock.now()).total_seconds())
                return False
            clock.advance(seconds=(due - clock.now()).total_seconds())
    except RuntimeError:
        return False
    return True


def _make_add_message(original: Callable[..., Any]) -> Callable[..., Any]:
    def add_message(self: Any, message: Any) -> None:
        index = queue_index(self)
        if self.fifo_queue and message.deduplication_id:
            scope = message.group_id if self.deduplication_scope == "messageGroup" else None
            if not index.deduplication.first_copy((scope, message.deduplication_id), message.sent_timestamp):
                message._lab_duplicate = True
                return
        index.add(message)
        _wake_when_available(self, message)

    return add_message


def _make_queue_delete_message(original: Callable[..., Any]) -> Callable[..., Any]:
    def delete_message(self: Any, receipt_handle: str) -> None:
        if receipt_handle in self.deleted_messages:
            return  # deleting again succeeds (moto and AWS)
        index = queue_index(self)
        message = index.handles.get(receipt_handle)
        if message is None:
            raise _errors().ReceiptHandleIsInvalid()
        index.remove(message)
        self.deleted_messages.update(message.all_receipt_handles)

    return delete_message


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
        if getattr(message, "_lab_duplicate", False):
            core.notify("sqs", "deduplicated", queue_name, message_id=message.id,
                        deduplication_id=message.deduplication_id)
        else:
            core.notify("sqs", "send", queue_name, message_id=message.id)
        return message

    return send_message


def _make_receive_message(original: Callable[..., Any]) -> Callable[..., Any]:
    def receive_message(self: Any, queue_name: str, count: int, wait_seconds_timeout: int,
                        visibility_timeout: int, message_attribute_names: list[str] | None = None) -> list[Any]:
        queue = self.get_queue(queue_name)
        names = message_attribute_names or []
        received = _receive_now(self, queue, count, visibility_timeout, names)
        if not received and wait_seconds_timeout and _wait_for_messages(queue, wait_seconds_timeout):
            received = _receive_now(self, queue, count, visibility_timeout, names)
        for message in received:
            core.notify("sqs", "receive", queue_name, message_id=message.id,
                        receive_count=message.approximate_receive_count)
        for visible_at in sorted({message.visible_at for message in received}):  # one look per instant
            _watch_visibility(queue, visible_at)
        return received

    return receive_message


def _make_delete_message(original: Callable[..., Any]) -> Callable[..., Any]:
    def delete_message(self: Any, queue_name: str, receipt_handle: str) -> None:
        queue = self.get_queue(queue_name)
        message = queue_index(queue).handles.get(receipt_handle)
        original(self, queue_name, receipt_handle)
        if message is not None:
            core.notify("sqs", "delete", queue_name, message_id=message.id)

    return delete_message


def _make_change_message_visibility(original: Callable[..., Any]) -> Callable[..., Any]:
    def change_message_visibility(self: Any, queue_name: str, receipt_handle: str,
                                  visibility_timeout: int) -> None:
        queue = self.get_queue(queue_name)
        index = queue_index(queue)
        index.catch_up()
        message = index.handles.get(receipt_handle)
        if message is None:
            raise _errors().ReceiptHandleIsInvalid()
        visible_at = unix_time_millis() + int(visibility_timeout) * 1000
        if visible_at - message.sent_timestamp > MAXIMUM_VISIBILITY_TIMEOUT * 1000:
            raise _errors().InvalidParameterValue(
                f"Value {visibility_timeout} for parameter VisibilityTimeout is invalid. Reason: Total "
                f"VisibilityTimeout for the message is beyond the limit [{MAXIMUM_VISIBILITY_TIMEOUT} seconds]")
        index.change_visibility(message, visible_at)
        if message._lab_state == AVAILABLE:
            lambda_esm.wake(queue.queue_arn)
        else:
            _watch_visibility(queue, visible_at)

    return change_message_visibility


def _make_purge_queue(original: Callable[..., Any]) -> Callable[..., Any]:
    def purge_queue(self: Any, queue_name: str) -> None:
        original(self, queue_name)
        queue_index(self.get_queue(queue_name)).clear()

    return purge_queue


def _make_retention_check(original: Callable[..., Any]) -> Callable[..., Any]:
    def is_message_valid_based_on_retention_period(self: Any, queue_name: str, message: Any) -> bool:
        retention_s = int(self.get_queue(queue_name).message_retention_period)
        return retention_s + message.sent_timestamp / 1000 > unix_time()

    return is_message_valid_based_on_retention_period


def _make_is_empty_redrive_policy(original: Any) -> Any:
    check = original.__func__ if isinstance(original, staticmethod) else original

    def _is_empty_redrive_policy(policy: Any) -> bool:
        if isinstance(policy, str) and policy:
            try:
                json.loads(policy)
            except ValueError:
                raise _errors().InvalidParameterValue(
                    f"Value {policy} for parameter RedrivePolicy is invalid. "
                    "Reason: Redrive policy is not a valid JSON map.") from None
        return check(policy)

    return staticmethod(_is_empty_redrive_policy)


#: ReceiveMessage's ranges and AWS's reasons ("Value 11 for parameter MaxNumberOfMessages is invalid. ...").
_RECEIVE_RANGES = {"MaxNumberOfMessages": (1, 10, "Must be between 1 and 10, if provided."),
                   "WaitTimeSeconds": (0, 20, "Must be >= 0 and <= 20, if provided.")}


def _make_receive_response(original: Callable[..., Any]) -> Callable[..., Any]:
    def receive_message(self: Any) -> Any:
        for name, (low, high, reason) in _RECEIVE_RANGES.items():
            value = self._get_param(name)
            if value is not None and not low <= int(value) <= high:
                raise _errors().InvalidParameterValue(
                    f"Value {value} for parameter {name} is invalid. Reason: {reason}")
        return original(self)

    return receive_message


def receipt_handle() -> str:
    """moto's `generate_receipt_handle` (185 random lowercase letters) drawing exactly the numbers
    `random.choice` draws from moto's seeded generator, without its per-letter call overhead."""
    bits, letters = mock_random.getrandbits, string.ascii_lowercase
    handle: list[str] = []
    while len(handle) < _RECEIPT_HANDLE_LENGTH:
        drawn = bits(5)
        if drawn < 26:
            handle.append(letters[drawn])
    return "".join(handle)


def _count_property(state: str) -> Callable[[Any], Callable[[Any], int]]:
    return lambda original: lambda self: queue_index(self).count(state)


ADD_MESSAGE = Patch(
    target="moto.sqs.models:Queue.add_message",
    signature="(self, message: moto.sqs.models.Message) -> None",
    rule="A message waits in the queue for Lambda's poller; SendMessage never runs the consumer "
    "(aws-semantics.md 1.3); a FIFO deduplication id is remembered for 5 minutes, even after the "
    "message was deleted (aws-semantics.md 5; Q6)",
    make=_make_add_message,
)
QUEUE_DELETE_MESSAGE = Patch(
    target="moto.sqs.models:Queue.delete_message",
    signature="(self, receipt_handle: str) -> None",
    rule="DeleteMessage finds the message by any receipt handle it was given, in O(1)",
    make=_make_queue_delete_message,
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
    "maxReceiveCount receives (aws-semantics.md 1.3, 5; L12, L14); WaitTimeSeconds waits on the "
    "virtual clock for a message (aws-semantics.md 5; Q7); the cost follows the batch, not the queue",
    make=_make_receive_message,
)
DELETE_MESSAGE = Patch(
    target="moto.sqs.models:SQSBackend.delete_message",
    signature="(self, queue_name: str, receipt_handle: str) -> None",
    rule="Deleting a received message is a hop of its flow",
    make=_make_delete_message,
)
CHANGE_MESSAGE_VISIBILITY = Patch(
    target="moto.sqs.models:SQSBackend.change_message_visibility",
    signature="(self, queue_name: str, receipt_handle: str, visibility_timeout: int) -> None",
    rule="ChangeMessageVisibility reschedules when the message reappears (aws-semantics.md 5; Q5)",
    make=_make_change_message_visibility,
)
PURGE_QUEUE = Patch(
    target="moto.sqs.models:SQSBackend.purge_queue",
    signature="(self, queue_name: str) -> None",
    rule="PurgeQueue deletes every message in the queue",
    make=_make_purge_queue,
)
RETENTION_CHECK = Patch(
    target="moto.sqs.models:SQSBackend.is_message_valid_based_on_retention_period",
    signature="(self, queue_name: str, message: moto.sqs.models.Message) -> bool",
    rule="A message expires after the queue's MessageRetentionPeriod (aws-semantics.md 5; Q4); read in "
    "O(1) (moto computes every queue attribute for each message it receives)",
    make=_make_retention_check,
)
AVAILABLE_MESSAGES = Patch(
    target="moto.sqs.models:Queue.messages",
    signature="(self) -> list[moto.sqs.models.Message]",
    rule="The messages a receive can return, read from the lab's index",
    make=lambda original: lambda self: queue_index(self).available(),
)
COUNTS = [Patch(target=f"moto.sqs.models:Queue.{name}", signature="(self) -> int",
                rule=f"GetQueueAttributes {attribute} counts the lab's index in O(1)",
                make=_count_property(state))
          for name, attribute, state in (
              ("approximate_number_of_messages", "ApproximateNumberOfMessages", AVAILABLE),
              ("approximate_number_of_messages_delayed", "ApproximateNumberOfMessagesDelayed", DELAYED),
              ("approximate_number_of_messages_not_visible", "ApproximateNumberOfMessagesNotVisible",
               IN_FLIGHT))]
ATTRIBUTE_NAMES = Patch(
    target="moto.sqs.models:camelcase_to_underscores",
    signature="(argument: 'str') -> 'str'",
    rule="Queue attribute names are converted once, not on every SendMessage (moto reads every queue "
    "attribute three times per message)",
    make=lambda original: functools.lru_cache(maxsize=256)(original),
)
RECEIVE_PARAMETERS = Patch(
    target="moto.sqs.responses:SQSResponse.receive_message",
    signature="(self) -> moto.core.responses.ActionResult",
    rule="ReceiveMessage answers an out-of-range MaxNumberOfMessages or WaitTimeSeconds in AWS's words "
    "(aws-semantics.md 5 [Q7][Q8])",
    make=_make_receive_response,
)
REDRIVE_POLICY_JSON = Patch(
    target="moto.sqs.models:Queue._is_empty_redrive_policy",
    signature="(policy: Any) -> bool",
    rule="A RedrivePolicy that is not JSON is InvalidParameterValue, 'Value <policy> for parameter "
    "RedrivePolicy is invalid. Reason: ...' (AWS's shape; the reason is the lab's words)",
    make=_make_is_empty_redrive_policy,
)
RECEIPT_HANDLE = Patch(
    target="moto.sqs.models:generate_receipt_handle",
    signature="() -> str",
    rule="Each receive gives the message a new receipt handle (the same handles moto draws, faster)",
    make=lambda original: receipt_handle,
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
PATCHES = [SQS_UNIX_TIME, SQS_UNIX_TIME_MILLIS, RETENTION_CHECK, ADD_MESSAGE, QUEUE_DELETE_MESSAGE, SEND_MESSAGE,
           RECEIVE_MESSAGE, DELETE_MESSAGE, CHANGE_MESSAGE_VISIBILITY, PURGE_QUEUE, AVAILABLE_MESSAGES, *COUNTS,
           ATTRIBUTE_NAMES, RECEIPT_HANDLE, REDRIVE_POLICY_JSON, RECEIVE_PARAMETERS]
