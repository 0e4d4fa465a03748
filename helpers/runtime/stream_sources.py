"""The shards of a Kinesis stream or a DynamoDB stream, as Lambda's stream poller reads them."""
from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from typing import Any, Protocol

from ..motoext.dynamodb import STREAM_RETENTION_S


@dataclass(frozen=True)
class StreamRecord:
    """One record of a shard: its sequence number, when it arrived, and its Lambda event record."""

    sequence: int
    arrival: dt.datetime
    event: dict[str, Any]


class StreamSource(Protocol):
    """A stream the poller reads: its shards and their records, in order."""

    arn: str
    retention_s: int
    batch_info_key: str

    def shard_ids(self) -> list[str]: ...

    def length(self, shard_id: str) -> int: ...

    def records(self, shard_id: str, start: int, count: int, esm: Any) -> list[StreamRecord]: ...


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


class KinesisSource:
    """A Kinesis data stream (records keep their base64 `data`, as Lambda delivers it)."""

    batch_info_key = "KinesisBatchInfo"

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self.arn = stream.arn
        self.retention_s = int(stream.retention_period_hours) * 3600

    def shard_ids(self) -> list[str]:
        return list(self._stream.shards)

    def length(self, shard_id: str) -> int:
        return len(self._stream.shards[shard_id].records)

    def records(self, shard_id: str, start: int, count: int, esm: Any) -> list[StreamRecord]:
        from .batch_invoke import function_of

        role = function_of(esm).role
        shard = self._stream.shards[shard_id]
        return [StreamRecord(r.sequence_number, _aware(r.created_at_datetime), {
            "kinesis": {"kinesisSchemaVersion": "1.0", "partitionKey": r.partition_key,
                        "sequenceNumber": str(r.sequence_number), "data": r.data,
                        "approximateArrivalTimestamp": round(r.created_at, 3)},
            "eventSource": "aws:kinesis", "eventVersion": "1.0",
            "eventID": f"{shard.shard_id}:{r.sequence_number}", "eventName": "aws:kinesis:record",
            "invokeIdentityArn": role, "awsRegion": self.arn.split(":")[3], "eventSourceARN": self.arn})
            for r in itertools.islice(shard.records.values(), start, start + count)]


class DynamoDBStreamSource:
    """A DynamoDB table's stream: one shard, records kept for 24 hours."""

    batch_info_key = "DDBStreamBatchInfo"
    retention_s = STREAM_RETENTION_S

    def __init__(self, table: Any, arn: str) -> None:
        self._shard = table.stream_shard
        self.arn = arn

    def shard_ids(self) -> list[str]:
        return [self._shard.id] if self._shard else []

    def length(self, shard_id: str) -> int:
        return len(self._shard.items)

    def records(self, shard_id: str, start: int, count: int, esm: Any) -> list[StreamRecord]:
        out = []
        for item in self._shard.items[start:start + count]:
            raw = item.to_json()
            created = _aware(raw["dynamodb"]["ApproximateCreationDateTime"])
            dynamodb = {**raw["dynamodb"], "ApproximateCreationDateTime": int(created.timestamp())}
            event = {"eventID": raw["eventID"], "eventName": raw["eventName"],
                     "eventVersion": raw["eventVersion"], "eventSource": raw["eventSource"],
                     "awsRegion": self.arn.split(":")[3], "dynamodb": dynamodb, "eventSourceARN": self.arn}
            out.append(StreamRecord(int(dynamodb["SequenceNumber"]), created, event))
        return out


def stream_source(arn: str) -> StreamSource | None:
    """The Kinesis or DynamoDB stream at `arn`, or None if it no longer exists."""
    _, _, service, region, account, resource = arn.split(":", 5)
    if service == "kinesis":
        from moto.kinesis.models import kinesis_backends

        stream = next((s for s in kinesis_backends[account][region].streams.values() if s.arn == arn), None)
        return KinesisSource(stream) if stream else None
    from moto.dynamodb.models import dynamodb_backends

    table = dynamodb_backends[account][region].tables.get(resource.split("/")[1])
    return DynamoDBStreamSource(table, arn) if table is not None and table.stream_shard else None
