"""Lambda's stream poller: Kinesis and DynamoDB Streams, batch by batch, shard by shard, in order.

aws-semantics.md 1.3 (L15-L19): a shard's records go to the function in order, BatchSize at a time.
A failing batch is retried whole and blocks its shard until it succeeds or its records run out of
MaximumRetryAttempts or MaximumRecordAgeInSeconds (-1: until the stream's retention drops them).
BisectBatchOnFunctionError splits a batch the function failed into halves, which does not use up
retries. With ReportBatchItemFailures the function's partial response checkpoints at the lowest
reported sequence number, and only the records from there on are retried. Discarded records are
described to the mapping's OnFailure destination (SQS queue or SNS topic) in a `KinesisBatchInfo` /
`DDBStreamBatchInfo` record. FilterCriteria skip the records they reject.

Modeled, not AWS's word: retries wait 1 s, 2 s, 4 s ... up to 60 s on the virtual clock (AWS does not
publish its stream backoff); shards are read one batch at a time (ParallelizationFactor and
MaximumBatchingWindowInSeconds are stored but not applied).
"""
from __future__ import annotations

import datetime as dt
import json
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from moto.moto_api._internal import mock_random

from ..motoext.core import notify
from ..motoext.targets import failure_record_key, put_s3_object
from .batch_invoke import current_mapping, function_of, function_or_report, invoke_batch, mappings_for, request_id
from .batch_response import read_batch_result
from .clock import VirtualClock
from .event_filters import RecordFilter
from .stream_sources import StreamRecord, StreamSource, stream_source

#: Modeled retry backoff for a failing stream batch: first wait and ceiling, in seconds.
RETRY_FIRST_WAIT_S = 1
RETRY_MAX_WAIT_S = 60


def retry_wait(retry: int) -> float:
    """Seconds before retry number `retry` (1, 2, 4, ... capped at 60 s; modeled)."""
    return float(min(RETRY_FIRST_WAIT_S * 2 ** (retry - 1), RETRY_MAX_WAIT_S))


@dataclass
class _Batch:
    records: list[StreamRecord]
    retries: int = 0
    invocations: int = 0
    request_id: str | None = None
    function_error: str | None = None
    executed_version: str = "$LATEST"


@dataclass
class _Shard:
    position: int
    pending: deque[_Batch] = field(default_factory=deque)
    blocked: bool = False


def _iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _start_position(esm: Any, source: StreamSource, shard_id: str) -> int:
    """Where a new mapping starts reading: TRIM_HORIZON, LATEST or AT_TIMESTAMP."""
    if esm.starting_position == "LATEST":
        return source.length(shard_id)
    if esm.starting_position == "AT_TIMESTAMP" and esm.starting_position_timestamp is not None:
        since = float(esm.starting_position_timestamp)
        records = source.records(shard_id, 0, source.length(shard_id), esm)
        return next((i for i, r in enumerate(records) if r.arrival.timestamp() >= since), len(records))
    return 0


class StreamPoller:
    """Reads every Kinesis / DynamoDB stream that has an event source mapping."""

    def __init__(self, clock: VirtualClock, runtime: Any) -> None:
        self._clock = clock
        self._runtime = runtime
        self._shards: dict[tuple[str, str], _Shard] = {}
        self._scheduled: set[tuple[str, str]] = set()

    def wake(self, stream_arn: str) -> None:
        """Records may be waiting on `stream_arn`: read each shard for each enabled mapping."""
        source = stream_source(stream_arn)
        if source is None:
            return
        for esm in mappings_for(stream_arn):
            for shard_id in source.shard_ids():
                if (esm.uuid, shard_id) not in self._shards:
                    self._shards[(esm.uuid, shard_id)] = _Shard(_start_position(esm, source, shard_id))
                if esm.enabled:
                    self._schedule(esm, shard_id)

    def reset(self) -> None:
        """Forget every checkpoint and pending retry."""
        self._shards.clear()
        self._scheduled.clear()

    def _schedule(self, esm: Any, shard_id: str) -> None:
        key = (esm.uuid, shard_id)
        if key not in self._scheduled:
            self._scheduled.add(key)
            self._clock.call_soon(lambda: self._poll(esm, shard_id), label=f"poll {shard_id}")

    def _poll(self, esm: Any, shard_id: str) -> None:
        self._scheduled.discard((esm.uuid, shard_id))
        esm = current_mapping(esm)
        source = stream_source(esm.event_source_arn) if esm is not None else None
        shard = self._shards.get((esm.uuid, shard_id)) if esm is not None else None
        if esm is None or not esm.enabled or source is None or shard is None or shard.blocked:
            return
        if function_or_report(esm) is None:
            return  # the records wait in the shard
        if not shard.pending:
            records = source.records(shard_id, shard.position, esm.batch_size, esm)
            if not records:
                return
            shard.position += len(records)
            shard.pending.append(_Batch(records))
        self._attempt(esm, source, shard_id, shard)

    def _attempt(self, esm: Any, source: StreamSource, shard_id: str, shard: _Shard) -> None:
        batch = shard.pending[0]
        max_age = esm.max_record_age if esm.max_record_age not in (None, -1) else source.retention_s
        now = self._clock.now()
        expired = [r for r in batch.records if (now - r.arrival).total_seconds() > int(max_age)]
        if expired:
            self._discard(esm, source, shard_id, batch, expired, "RecordAgeExceeded")
            batch.records = batch.records[len(expired):]  # records arrive in order: a prefix expires
        keep = RecordFilter(esm.filter_criteria)
        batch.records = [r for r in batch.records if keep.matches(r.event)]
        if not batch.records:
            self._next(esm, shard_id, shard)
            return
        invocation = invoke_batch(self._runtime, esm, [r.event for r in batch.records], None,
                                  attempt=batch.invocations + 1)
        batch.invocations += 1
        batch.request_id = request_id(invocation)
        batch.function_error = invocation.function_error
        batch.executed_version = invocation.executed_version
        result = read_batch_result(invocation.payload, invocation.function_error,
                                   [str(r.sequence) for r in batch.records], esm.function_response_types)
        if result.succeeded:
            self._next(esm, shard_id, shard)
        elif result.function_error and esm.bisect_on_error and len(batch.records) > 1:
            half = len(batch.records) // 2
            shard.pending.popleft()  # splitting does not use up retries (kinesis-on-failure-destination)
            shard.pending.extendleft([_Batch(batch.records[half:], batch.retries),
                                      _Batch(batch.records[:half], batch.retries)])
            self._schedule(esm, shard_id)
        else:
            if not result.function_error:  # partial response: checkpoint at the lowest failure
                lowest = min(int(s) for s in result.failed)
                batch.records = [r for r in batch.records if r.sequence >= lowest]
            self._retry_or_discard(esm, source, shard_id, shard, batch)

    def _retry_or_discard(self, esm: Any, source: StreamSource, shard_id: str, shard: _Shard,
                          batch: _Batch) -> None:
        max_retries = esm.max_retry_attempts
        if max_retries not in (None, -1) and batch.retries >= int(max_retries):
            self._discard(esm, source, shard_id, batch, batch.records, "RetryAttemptsExhausted")
            self._next(esm, shard_id, shard)
            return
        batch.retries += 1
        wait = retry_wait(batch.retries)
        shard.blocked = True
        notify("lambda", "retry", function_of(esm).function_name, source=esm.event_source_arn,
               attempt=batch.invocations + 1, delay_seconds=wait, shard=shard_id)

        def retry() -> None:
            shard.blocked = False
            self._poll(esm, shard_id)

        self._clock.call_later(wait, retry, label=f"stream retry {shard_id}")

    def _next(self, esm: Any, shard_id: str, shard: _Shard) -> None:
        shard.pending.popleft()
        self._schedule(esm, shard_id)

    def _discard(self, esm: Any, source: StreamSource, shard_id: str, batch: _Batch,
                 records: list[StreamRecord], condition: str) -> None:
        """Drop `records`, describing them to the OnFailure destination if there is one."""
        fn = function_of(esm)
        destination = ((esm.destination_config or {}).get("OnFailure") or {}).get("Destination")
        if not destination:
            notify("lambda", "drop", fn.function_name, source=esm.event_source_arn, condition=condition,
                   records=len(records))
            return
        document: dict[str, Any] = {
            "requestContext": {"requestId": batch.request_id or str(mock_random.uuid4()),
                               "functionArn": esm.function_arn, "condition": condition,
                               "approximateInvokeCount": batch.invocations},
            "responseContext": {"statusCode": 200, "executedVersion": batch.executed_version,
                                **({"functionError": batch.function_error} if batch.function_error else {})},
            "version": "1.0", "timestamp": _iso(self._clock.now()),
            source.batch_info_key: {
                "shardId": shard_id, "startSequenceNumber": str(records[0].sequence),
                "endSequenceNumber": str(records[-1].sequence),
                "approximateArrivalOfFirstRecord": _iso(records[0].arrival),
                "approximateArrivalOfLastRecord": _iso(records[-1].arrival),
                "batchSize": len(records), "streamArn": source.arn}}
        if not batch.invocations:
            del document["responseContext"]
        try:
            if destination.split(":")[2] == "s3":  # S3 also gets the whole batch (kinesis-on-failure-destination)
                document["payload"] = json.dumps({"Records": [r.event for r in records]})
                key = failure_record_key(f"aws/lambda/{esm.uuid}/{shard_id}", self._clock.now())
                put_s3_object(destination, esm.function_arn.split(":")[4], key, json.dumps(document))
            else:
                _send(destination, json.dumps(document))
        except Exception as err:  # noqa: BLE001 - AWS drops the record and counts a delivery failure
            notify("lambda", "drop", fn.function_name, source=esm.event_source_arn, condition=condition,
                   records=len(records), reason=f"destination delivery failed: {err}")
            return
        notify("lambda", "destination", fn.function_name, source=esm.event_source_arn, condition=condition,
               destination=destination)


def _send(destination_arn: str, message: str) -> None:
    """Deliver an invocation record to an SQS queue or SNS topic."""
    _, _, service, region, account, name = destination_arn.split(":")
    if service == "sqs":
        from moto.sqs.models import sqs_backends

        sqs_backends[account][region].send_message(name, message)
    else:
        from moto.sns.models import sns_backends

        sns_backends[account][region].publish(message, arn=destination_arn)
