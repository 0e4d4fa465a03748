"""Sending to the resources SNS and EventBridge deliver to, and naming why a send failed.

Both services call the same backends a learner's boto3 calls reach: Lambda through the lab's
asynchronous invocation queue, SQS through moto's `send_message` (so pollers see the message), SNS
through `publish`, Step Functions through `start_execution`, Kinesis through `put_record`, S3 (on-failure
records) through `put_object`.

AWS rules: a missing target or missing permission is not retried (aws-semantics.md 4 [E8]; SNS
"client-side errors", 5 [Q1]); throttling (429) and server errors (5xx) are.
"""
from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass
from typing import Any

from moto.utilities.arns import parse_arn

from . import awslambda
from .core import current_trace


@dataclass
class DeliveryError(Exception):
    """A failed send: EventBridge's DLQ `ERROR_CODE`, a message, and whether AWS would retry it."""

    code: str
    message: str
    retryable: bool

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


_MISSING_MARKERS = ("NotFound", "NonExistent", "DoesNotExist")
_THROTTLE_MARKERS = ("TooManyRequests", "Throttl")


def classify(err: Exception) -> DeliveryError:
    """Name a backend exception the way EventBridge's DLQ attributes do."""
    if isinstance(err, DeliveryError):
        return err
    status = getattr(err, "code", None)
    label = " ".join(str(part) for part in (type(err).__name__, getattr(err, "error_type", ""), status,
                                            getattr(err, "TYPE", "")))
    message = getattr(err, "message", None) or str(err)
    if any(marker in label for marker in _MISSING_MARKERS):
        return DeliveryError("NO_RESOURCE", message, retryable=False)
    if status == 429 or any(marker in label for marker in _THROTTLE_MARKERS):
        return DeliveryError("THROTTLING", message, retryable=True)
    if isinstance(status, int) and status >= 500:
        return DeliveryError("INTERNAL_ERROR", message, retryable=True)
    return DeliveryError("INVALID_PARAMETER", message, retryable=False)


def invoke_lambda_async(function_arn: str, payload: bytes, source: str) -> None:
    """Queue an asynchronous invocation (InvocationType=Event) of `function_arn`, triggered by `source`."""
    from moto.awslambda.utils import get_backend

    arn = parse_arn(function_arn)
    name, _, qualifier = arn.resource_id.partition(":")
    fn = get_backend(arn.account, arn.region).get_function(name, qualifier or None)
    if awslambda._executor is None:
        raise RuntimeError("The lab is not running: call `helpers.start()` first.")
    awslambda._executor.invoke_async(fn, payload, qualifier=qualifier or None, source=source)


def send_sqs(queue_arn: str, body: str, attributes: dict[str, Any] | None = None,
             group_id: str | None = None, deduplication_id: str | None = None) -> str:
    """SendMessage to the queue `queue_arn`; returns the SQS message id."""
    from moto.sqs.models import sqs_backends

    arn = parse_arn(queue_arn)
    message = sqs_backends[arn.account][arn.region].send_message(
        arn.resource_id, body, message_attributes=attributes or None, group_id=group_id,
        deduplication_id=deduplication_id)
    return message.id


def publish_sns(topic_arn: str, message: str, attributes: dict[str, Any] | None = None) -> str:
    """Publish `message` to the topic `topic_arn`; returns the SNS message id."""
    from moto.sns.models import sns_backends

    arn = parse_arn(topic_arn)
    return sns_backends[arn.account][arn.region].publish(message, arn=topic_arn,
                                                         message_attributes=attributes or None)


def failure_record_key(prefix: str, moment: dt.datetime) -> str:
    """Where Lambda writes an on-failure record in an S3 bucket: `<prefix>/YYYY/MM/DD/
    YYYY-MM-DDTHH.MM.SS-<random UUID>`, the prefix being `aws/lambda/async/<function-name>` for
    asynchronous invocations (invocation-async-retain-records) and `aws/lambda/<mapping UUID>/<shard>`
    for stream mappings."""
    from moto.moto_api._internal import mock_random

    return f"{prefix}/{moment:%Y/%m/%d}/{moment:%Y-%m-%dT%H.%M.%S}-{mock_random.uuid4()}"


def put_s3_object(bucket_arn: str, account: str, key: str, body: str) -> None:
    """PutObject of `body` at `key` in the bucket `bucket_arn` (`arn:aws:s3:::<bucket>`) of `account`."""
    from moto.s3.models import s3_backends

    bucket = bucket_arn.split(":::", 1)[1]
    s3_backends[account]["aws"].put_object(bucket, key, body.encode("utf-8"))


def put_event(bus_arn: str, source: str, detail_type: str, detail: str) -> None:
    """PutEvents of one event on the bus `bus_arn`."""
    from moto.events.models import events_backends

    arn = parse_arn(bus_arn)
    events_backends[arn.account][arn.region].put_events(
        [{"Source": source, "DetailType": detail_type, "Detail": detail, "EventBusName": bus_arn}])


def start_execution(state_machine_arn: str, execution_input: str) -> str:
    """StartExecution of `state_machine_arn` with `execution_input`, in the current flow's trace."""
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    arn = parse_arn(state_machine_arn)
    execution = stepfunctions_parser_backends[arn.account][arn.region].start_execution(
        state_machine_arn, execution_input=execution_input, trace_header=current_trace())
    return execution.exec_arn


def put_kinesis_record(stream_arn: str, partition_key: str, data: bytes) -> str:
    """PutRecord of `data` on the stream `stream_arn`; returns the sequence number."""
    from moto.kinesis.models import kinesis_backends

    arn = parse_arn(stream_arn)
    sequence_number, _shard_id = kinesis_backends[arn.account][arn.region].put_record(
        stream_arn=stream_arn, stream_name=None, partition_key=partition_key, explicit_hash_key=None,
        data=base64.b64encode(data).decode("ascii"))
    return sequence_number
