"""DynamoDB Streams: a write appends a stream record; Lambda's poller, not PutItem, delivers it.
TransactWriteItems: all or nothing, at a cost in proportion to the items it writes.

moto 5.2.5 invokes a stream's event source mappings inside the write and, when the function
returns anything, drops every record of the shard (and reuses their sequence numbers). On AWS the
record stays in the stream for 24 hours and Lambda reads it in order, per shard (aws-semantics.md 1.3).

moto keeps a transaction all or nothing by deep-copying every table it names before it starts (once
per item written), so each transaction costs in proportion to the tables' size: a notebook's
transactions grew quadratic. The lab keeps moto's logic and undoes a cancelled transaction from a
copy of only the items it names (and the stream records it appended).
"""
from __future__ import annotations

import copy
import re
from typing import Any, Callable
from urllib.parse import ParseResult

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


#: The account-based endpoint botocore picks when a call names a StreamArn (moto knows only the regional one).
_ACCOUNT_STREAMS_HOST = re.compile(r"^\d{12}\.streams-ddb\.(?P<region>[a-z0-9-]+)\.amazonaws\.com$")


def _make_equivalent_url(original: Callable[..., Any]) -> Callable[..., Any]:
    def get_equivalent_url_in_aws_domain(url: str) -> tuple[ParseResult, bool]:
        parsed, modified = original(url)
        found = _ACCOUNT_STREAMS_HOST.match(parsed.netloc)
        if found:
            return parsed._replace(netloc=f"streams.dynamodb.{found['region']}.amazonaws.com"), True
        return parsed, modified

    return get_equivalent_url_in_aws_domain


STREAMS_ENDPOINT = Patch(
    target="moto.core.botocore_stubber:get_equivalent_url_in_aws_domain",
    signature="(url: 'str') -> 'tuple[ParseResult, bool]'",
    rule="DescribeStream, GetShardIterator and GetRecords reach the DynamoDB Streams mock: botocore sends "
    "calls that name a StreamArn to https://<account>.streams-ddb.<region>.amazonaws.com",
    make=_make_equivalent_url,
)
STREAM_ADD = Patch(
    target="moto.dynamodb.models.table:StreamShard.add",
    signature="(self, old: moto.dynamodb.models.dynamo_type.Item | None, "
    "new: moto.dynamodb.models.dynamo_type.Item | None) -> None",
    rule="A stream record stays in its shard and is delivered by Lambda's poller, in order "
    "(aws-semantics.md 1.3; L15, L19)",
    make=_make_add,
)


def _item_key(table: Any, kind: str, operation: dict[str, Any]) -> tuple[Any, Any]:
    """The (hash, range) key of the item one TransactItems entry names (range None without one)."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    attributes = operation["Item"] if kind == "Put" else operation["Key"]
    hash_value = DynamoType(attributes[table.hash_key_attr])
    if table.range_key_attr is None:
        return hash_value, None
    return hash_value, DynamoType(attributes[table.range_key_attr])


def _snapshot(backend: Any, transact_items: list[dict[str, Any]]) -> list[Callable[[], None]]:
    """Undo actions that put back, as they are now, the items `transact_items` names and their
    tables' stream shards. Entries moto will refuse (no such table, a bad key) change nothing."""
    undo: list[Callable[[], None]] = []
    for entry in transact_items:
        try:
            (kind, operation), = entry.items()
            table = backend.get_table(operation["TableName"])
            hash_value, range_value = _item_key(table, kind, operation)
        except Exception:  # moto raises the AWS error for it; nothing of it is written
            continue
        bucket = table.items.get(hash_value)
        had_bucket = bucket is not None
        item = (bucket or {}).get(range_value) if range_value is not None else bucket
        undo.append(_put_back(table, hash_value, range_value, copy.deepcopy(item), had_bucket))
        if table.stream_shard is not None:
            shard, length = table.stream_shard, len(table.stream_shard.items)
            undo.append(lambda shard=shard, length=length: shard.items.__delitem__(slice(length, None)))
    return undo


def _put_back(table: Any, hash_value: Any, range_value: Any, item: Any, had_bucket: bool) -> Callable[[], None]:
    def undo() -> None:
        if range_value is None:
            if item is None:
                table.items.pop(hash_value, None)
            else:
                table.items[hash_value] = item
            return
        bucket = table.items.setdefault(hash_value, {})
        if item is None:
            bucket.pop(range_value, None)
        else:
            bucket[range_value] = item
        if not bucket and not had_bucket:
            del table.items[hash_value]

    return undo


def _make_transact_write_items(original: Callable[..., Any]) -> Callable[..., Any]:
    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        undo = _snapshot(self, transact_items) if len(transact_items) <= 100 else []
        tables = {id(table): table for table in self.tables.values()}.values()
        for table in tables:  # moto's own backup of each table: the table itself, not a deep copy
            table.__deepcopy__ = lambda memo, table=table: table
        try:
            original(self, transact_items)
        except BaseException:
            for action in reversed(undo):
                action()
            raise
        finally:
            for table in tables:
                del table.__deepcopy__

    return transact_write_items


TRANSACT_WRITE_ITEMS = Patch(
    target="moto.dynamodb.models:DynamoDBBackend.transact_write_items",
    signature="(self, transact_items: list[dict[str, typing.Any]]) -> None",
    rule="TransactWriteItems succeeds or fails as a whole: a cancelled transaction writes nothing "
    "(DynamoDB, D1: API_TransactWriteItems)",
    make=_make_transact_write_items,
)
PATCHES = [STREAM_ADD, STREAMS_ENDPOINT, TRANSACT_WRITE_ITEMS]
