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


PUT_RECORD = Patch(
    target="moto.kinesis.models:Stream.put_record",
    signature="(self, partition_key: str, explicit_hash_key: str, data: str) -> tuple[str, str]",
    rule="A record stays in its shard and is delivered by Lambda's poller in batches, in order "
    "(aws-semantics.md 1.3; L15)",
    make=_make_put_record,
)
PATCHES = [PUT_RECORD]
