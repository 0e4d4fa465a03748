"""DynamoDB Streams: a write appends a stream record; Lambda's poller, not PutItem, delivers it.

moto 5.2.5 invokes a stream's event source mappings inside the write and, when the function
returns anything, drops every record of the shard (and reuses their sequence numbers). On AWS the
record stays in the stream for 24 hours and Lambda reads it in order, per shard (aws-semantics.md 1.3).
"""
from __future__ import annotations

from typing import Any, Callable

from . import lambda_esm
from .patching import Patch

#: DynamoDB Streams keep records for 24 hours (aws-semantics.md 1.3; services-ddb-params).
STREAM_RETENTION_S = 24 * 3600


def stream_arn(table: Any) -> str:
    """The table's latest stream ARN, as DescribeTable reports it."""
    return f"{table.table_arn}/stream/{table.latest_stream_label}"


def _make_add(original: Callable[..., Any]) -> Callable[..., Any]:
    def add(self: Any, old: Any, new: Any) -> None:
        with lambda_esm.inline_dispatch_silenced(self.table):
            original(self, old, new)
        lambda_esm.wake(stream_arn(self.table))

    return add


STREAM_ADD = Patch(
    target="moto.dynamodb.models.table:StreamShard.add",
    signature="(self, old: moto.dynamodb.models.dynamo_type.Item | None, "
    "new: moto.dynamodb.models.dynamo_type.Item | None) -> None",
    rule="A stream record stays in its shard and is delivered by Lambda's poller, in order "
    "(aws-semantics.md 1.3; L15, L19)",
    make=_make_add,
)
PATCHES = [STREAM_ADD]
