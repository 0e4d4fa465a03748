"""DynamoDB Streams: a write appends a stream record; Lambda's poller, not PutItem, delivers it.

moto 5.2.5 invokes a stream's event source mappings inside the write and, when the function
returns anything, drops every record of the shard (and reuses their sequence numbers). On AWS the
record stays in the stream for 24 hours and Lambda reads it in order, per shard (aws-semantics.md 1.3).
"""
from __future__ import annotations

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
PATCHES = [STREAM_ADD, STREAMS_ENDPOINT]
