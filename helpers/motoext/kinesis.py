"""Kinesis: PutRecord(s) stores the record; Lambda's poller, not the producer's call, delivers it.

moto 5.2.5 invokes a stream's event source mappings inside PutRecord, one record per invocation.
On AWS Lambda reads each shard in order and in batches (aws-semantics.md 1.3).
"""
from __future__ import annotations

from typing import Any, Callable

from . import lambda_esm
from .patching import Patch


def _make_put_record(original: Callable[..., Any]) -> Callable[..., Any]:
    def put_record(self: Any, partition_key: str, explicit_hash_key: str, data: str) -> tuple[str, str]:
        with lambda_esm.inline_dispatch_silenced(self):
            result = original(self, partition_key, explicit_hash_key, data)
        lambda_esm.wake(self.arn)
        return result

    return put_record


def _make_create_stream(original: Callable[..., Any]) -> Callable[..., Any]:
    def create_stream(self: Any, stream_name: str, shard_count: int, stream_mode: dict[str, str] | None = None,
                      retention_period_hours: int | None = None) -> Any:
        if stream_name in self.streams:  # moto's message is the bare name
            from moto.kinesis.exceptions import ResourceInUseError

            raise ResourceInUseError(f"Stream {stream_name} under account {self.account_id} already exists.")
        return original(self, stream_name, shard_count, stream_mode, retention_period_hours)

    return create_stream


def _make_get_records(original: Callable[..., Any]) -> Callable[..., Any]:
    def get_records(self: Any, stream_arn: str | None, shard_iterator: str, limit: int | None) -> Any:
        from moto.kinesis.exceptions import InvalidArgumentError
        from moto.kinesis.utils import decompose_shard_iterator

        try:
            name, _shard, _position = decompose_shard_iterator(shard_iterator)
        except ValueError:  # not an iterator moto issued (binascii.Error is a ValueError)
            raise InvalidArgumentError(f"Invalid ShardIterator: {shard_iterator}") from None
        return original(self, stream_arn, shard_iterator, limit)

    return get_records


PUT_RECORD = Patch(
    target="moto.kinesis.models:Stream.put_record",
    signature="(self, partition_key: str, explicit_hash_key: str, data: str) -> tuple[str, str]",
    rule="A record stays in its shard and is delivered by Lambda's poller in batches, in order "
    "(aws-semantics.md 1.3; L15)",
    make=_make_put_record,
)
CREATE_STREAM = Patch(
    target="moto.kinesis.models:KinesisBackend.create_stream",
    signature="(self, stream_name: str, shard_count: int, stream_mode: dict[str, str] | None = None, "
    "retention_period_hours: int | None = None) -> moto.kinesis.models.Stream",
    rule="CreateStream of an existing name is ResourceInUseException 'Stream <name> under account <id> "
    "already exists.'",
    make=_make_create_stream,
)
GET_RECORDS = Patch(
    target="moto.kinesis.models:KinesisBackend.get_records",
    signature="(self, stream_arn: str | None, shard_iterator: str, limit: int | None) -> "
    "tuple[str, list[moto.kinesis.models.Record], int]",
    rule="GetRecords with a shard iterator Kinesis never issued is InvalidArgumentException (moto raises a raw "
    "decoding error)",
    make=_make_get_records,
)
PATCHES = [PUT_RECORD, CREATE_STREAM, GET_RECORDS]
