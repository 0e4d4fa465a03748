"""Lambda's SQS poller: batches from a queue to a function (aws-semantics.md 1.3; L9-L14).

For each enabled mapping, once the API call that made messages available has returned, the poller
receives up to BatchSize messages (waiting up to MaximumBatchingWindowInSeconds on the virtual clock
unless the batch is full), drops and deletes those FilterCriteria reject, invokes the function with
the rest, deletes what succeeded and leaves the failures in flight: they reappear after the queue's
visibility timeout, and the queue's RedrivePolicy moves them to its DLQ after maxReceiveCount.

Concurrency (modeled): AWS starts 5 concurrent batches per queue and scales up to 1,000 (L10). The
lab runs a mapping's batches one after another, each at the virtual instant it is due: the clock does
not move while a handler runs, so the timeline is AWS's with ample concurrency. FIFO groups still
wait for their in-flight messages. `ScalingConfig.MaximumConcurrency` is stored, not enforced.
"""
from __future__ import annotations

import base64
from typing import Any

from ..motoext.sqs import trace_header
from .batch_invoke import current_mapping, function_or_report, invoke_batch, mappings_for
from .batch_response import read_batch_result
from .clock import VirtualClock
from .event_filters import RecordFilter


def _attribute(value: dict[str, Any]) -> dict[str, Any]:
    """A message attribute in the shape Lambda's SQS event uses."""
    shaped: dict[str, Any] = {"stringListValues": [], "binaryListValues": [], "dataType": value["DataType"]}
    if value.get("StringValue") is not None:
        shaped["stringValue"] = value["StringValue"]
    if value.get("BinaryValue") is not None:
        binary = value["BinaryValue"]
        shaped["binaryValue"] = base64.b64encode(binary).decode() if isinstance(binary, bytes) else binary
    return shaped


def sqs_record(message: Any, queue: Any) -> dict[str, Any]:
    """One record of Lambda's SQS event for a received message."""
    attributes = {"ApproximateReceiveCount": str(message.approximate_receive_count),
                  "SentTimestamp": str(message.sent_timestamp), "SenderId": message.sender_id,
                  "ApproximateFirstReceiveTimestamp": str(message.approximate_first_receive_timestamp)}
    header = trace_header(message)
    if header:
        attributes["AWSTraceHeader"] = header
    if queue.fifo_queue:
        attributes.update(SequenceNumber=message.sequence_number, MessageGroupId=message.group_id,
                          MessageDeduplicationId=message.deduplication_id)
    return {"messageId": message.id, "receiptHandle": message.receipt_handle, "body": message.body,
            "attributes": attributes,
            "messageAttributes": {name: _attribute(v) for name, v in message.message_attributes.items()},
            "md5OfBody": message.body_md5, "eventSource": "aws:sqs", "eventSourceARN": queue.queue_arn,
            "awsRegion": queue.region}


def _queue(queue_arn: str) -> tuple[Any, Any | None]:
    from moto.sqs.models import sqs_backends

    _, _, _, region, account, name = queue_arn.split(":")
    backend = sqs_backends[account][region]
    return backend, backend.queues.get(name)


class QueuePoller:
    """Polls every SQS queue that has an enabled event source mapping."""

    def __init__(self, clock: VirtualClock, runtime: Any) -> None:
        self._clock = clock
        self._runtime = runtime
        self._scheduled: set[str] = set()
        self._windows: dict[str, object] = {}

    def wake(self, queue_arn: str) -> None:
        """Messages may be available on `queue_arn`: poll it for each enabled mapping."""
        for esm in mappings_for(queue_arn):
            if esm.enabled:
                self._schedule(esm)

    def reset(self) -> None:
        """Forget scheduled polls and open batching windows."""
        self._scheduled.clear()
        self._windows.clear()

    def _schedule(self, esm: Any) -> None:
        if esm.uuid not in self._scheduled:
            self._scheduled.add(esm.uuid)
            self._clock.call_soon(lambda: self._poll(esm), label=f"poll {esm.event_source_arn}")

    def _poll(self, esm: Any, window_closed: bool = False) -> None:
        self._scheduled.discard(esm.uuid)
        esm = current_mapping(esm)
        if esm is None or not esm.enabled:
            return
        backend, queue = _queue(esm.event_source_arn)
        if queue is None:
            return
        available = queue.approximate_number_of_messages  # O(1): the lab's index of the queue
        if not available or (not window_closed and self._gathering(esm, available)):
            return
        if function_or_report(esm) is None:
            return  # the messages stay in the queue
        self._windows.pop(esm.uuid, None)
        messages = backend.receive_message(queue.name, esm.batch_size, 0, queue.visibility_timeout,
                                           message_attribute_names=["All"])
        if messages:
            self._deliver(esm, backend, queue, messages)
            if queue.approximate_number_of_messages:
                self._schedule(esm)

    def _gathering(self, esm: Any, available: int) -> bool:
        """Whether the batch waits for more messages: a window is set and the batch is not full."""
        window = int(esm.max_batch_window or 0)
        if not window or available >= esm.batch_size:
            return False
        if esm.uuid not in self._windows:
            token = self._windows[esm.uuid] = object()
            self._clock.call_later(window, lambda: self._close_window(esm, token),
                                   label=f"batching window {esm.event_source_arn}")
        return True

    def _close_window(self, esm: Any, token: object) -> None:
        if self._windows.get(esm.uuid) is token:
            self._poll(esm, window_closed=True)

    def _deliver(self, esm: Any, backend: Any, queue: Any, messages: list[Any]) -> None:
        keep = RecordFilter(esm.filter_criteria)
        batch: list[tuple[Any, dict[str, Any]]] = []
        for message in messages:
            record = sqs_record(message, queue)
            if keep.matches(record):
                batch.append((message, record))
            else:  # AWS deletes messages the filters reject
                backend.delete_message(queue.name, message.receipt_handle)
        if not batch:
            return
        receives = max(int(record["attributes"]["ApproximateReceiveCount"]) for _, record in batch)
        invocation = invoke_batch(self._runtime, esm, [record for _, record in batch],
                                  trace_header(batch[0][0]), attempt=receives)
        result = read_batch_result(invocation.payload, invocation.function_error,
                                   [message.id for message, _ in batch], esm.function_response_types)
        failed = set(result.failed)
        for message, _ in batch:
            if message.id not in failed:
                backend.delete_message(queue.name, message.receipt_handle)
