"""Lambda event source mappings: Lambda's pollers, not the producer's API call, deliver batches.

moto 5.2.5 invokes a mapping's function inside the producer's SendMessage / PutRecord / PutItem,
one record at a time. On AWS a separate poller reads the source (aws-semantics.md 1.3). These
patches validate mappings as CreateEventSourceMapping does and wake the registered poller
(`set_poller`) whenever a source may have records for it: a mapping created or updated (a waiting
backlog is processed), a message sent or visible again, a stream record written. The service
modules (sqs, dynamodb, kinesis) silence moto's inline dispatch with `inline_dispatch_silenced`.
"""
from __future__ import annotations

import contextlib
from typing import Any, Callable, Iterator, Protocol

from moto.awslambda.exceptions import InvalidParameterValueException

from .patching import Patch

#: BatchSize limits per source type (aws-semantics.md 1.3; L9, L15; DynamoDB: services-ddb-params).
BATCH_SIZE_LIMITS = {"sqs": 10_000, "sqs-fifo": 10, "kinesis": 10_000, "dynamodb": 10_000}
#: MaximumBatchingWindowInSeconds range (aws-semantics.md 1.3; E16).
MAX_BATCHING_WINDOW_S = 300
#: A standard queue's BatchSize above this needs a batching window of at least 1 s (L9).
SQS_UNWINDOWED_MAX_BATCH = 10


#: LastProcessingResult values: the API documents the field ("the result of the event source mapping's
#: last processing attempt"); these strings are the ones the console shows (not confirmed on an AWS page).
OK, FUNCTION_NOT_FOUND = "OK", "PROBLEM: Function not found"


class EventSourcePoller(Protocol):
    """What the moto extension needs from the runtime's pollers."""

    def wake(self, source_arn: str) -> None: ...


_poller: EventSourcePoller | None = None


def set_poller(poller: EventSourcePoller | None) -> None:
    """Register the pollers that read sources for event source mappings (None: nothing polls)."""
    global _poller
    _poller = poller


def wake(source_arn: str) -> None:
    """Tell the pollers that `source_arn` (a queue or stream) may have records for its mappings."""
    if _poller is not None:
        _poller.wake(source_arn)


@contextlib.contextmanager
def inline_dispatch_silenced(resource: Any) -> Iterator[None]:
    """Hide `resource.lambda_event_source_mappings` from moto so it does not invoke inline."""
    mappings, resource.lambda_event_source_mappings = resource.lambda_event_source_mappings, {}
    try:
        yield
    finally:
        resource.lambda_event_source_mappings = mappings


def source_type(arn: str) -> str:
    """`sqs`, `sqs-fifo`, `kinesis` or `dynamodb`, as moto's EventSourceMapping classifies ARNs."""
    service = arn.split(":")[2].lower()
    return "sqs-fifo" if service == "sqs" and arn.endswith(".fifo") else service


def _find_queue(account_id: str, region: str, arn: str) -> Any | None:
    from moto.sqs.models import sqs_backends

    return next((q for q in sqs_backends[account_id][region].queues.values() if q.queue_arn == arn), None)


def _validate(backend: Any, spec: dict[str, Any], kind: str) -> None:
    """The checks CreateEventSourceMapping / UpdateEventSourceMapping make before storing a mapping."""
    batch_size = spec.get("BatchSize")
    window = spec.get("MaximumBatchingWindowInSeconds")
    if batch_size is not None and not 1 <= int(batch_size) <= BATCH_SIZE_LIMITS[kind]:
        raise InvalidParameterValueException(
            f"BatchSize must be between 1 and {BATCH_SIZE_LIMITS[kind]} for this event source.")
    if window is not None and not 0 <= int(window) <= MAX_BATCHING_WINDOW_S:
        raise InvalidParameterValueException(
            f"MaximumBatchingWindowInSeconds must be between 0 and {MAX_BATCHING_WINDOW_S}.")
    if kind == "sqs-fifo" and window:
        raise InvalidParameterValueException("Batching window is not supported for FIFO queues.")
    if kind == "sqs" and batch_size is not None and int(batch_size) > SQS_UNWINDOWED_MAX_BATCH and not window:
        raise InvalidParameterValueException(
            "Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10")
    if kind.startswith("sqs") and spec.get("FunctionName"):
        queue = _find_queue(backend.account_id, backend.region_name, spec["EventSourceArn"])
        fn = backend.get_function(spec["FunctionName"])
        if queue is not None and int(fn.timeout) > int(queue.visibility_timeout):
            raise InvalidParameterValueException(  # AWS's wording (aws-semantics.md 1.3; L13)
                f"Queue visibility timeout: {int(queue.visibility_timeout)} seconds is less than "
                f"Function timeout: {int(fn.timeout)} seconds")


def report_result(esm: Any, result: str) -> bool:
    """Record the mapping's LastProcessingResult; True if it changed."""
    changed = getattr(esm, "_lab_last_result", None) != result
    esm._lab_last_result = result
    return changed


def _make_get_configuration(original: Callable[..., Any]) -> Callable[..., Any]:
    def get_configuration(self: Any) -> dict[str, Any]:
        configuration = original(self)
        configuration["LastProcessingResult"] = getattr(self, "_lab_last_result", None)
        return configuration

    return get_configuration


def _make_create(original: Callable[..., Any]) -> Callable[..., Any]:
    def create_event_source_mapping(self: Any, spec: dict[str, Any]) -> Any:
        if spec.get("EventSourceArn") and spec.get("FunctionName"):
            _validate(self, spec, source_type(spec["EventSourceArn"]))
        esm = original(self, spec)
        wake(esm.event_source_arn)
        return esm

    return create_event_source_mapping


def _make_update(original: Callable[..., Any]) -> Callable[..., Any]:
    def update_event_source_mapping(self: Any, uuid: str, spec: dict[str, Any]) -> Any:
        esm = self.get_event_source_mapping(uuid)
        if esm is not None:
            merged = {"BatchSize": esm.batch_size, "MaximumBatchingWindowInSeconds": esm.max_batch_window,
                      "FunctionName": esm.function_arn, **spec, "EventSourceArn": esm.event_source_arn}
            _validate(self, merged, source_type(esm.event_source_arn))
        esm = original(self, uuid, spec)
        if esm is not None:
            wake(esm.event_source_arn)
        return esm

    return update_event_source_mapping


CREATE_MAPPING = Patch(
    target="moto.awslambda.models:LambdaBackend.create_event_source_mapping",
    signature="(self, spec: 'dict[str, Any]') -> 'EventSourceMapping'",
    rule="CreateEventSourceMapping validates BatchSize, the batching window and the queue's visibility "
    "timeout, and a backlog already waiting is processed (aws-semantics.md 1.3; L9, L13)",
    make=_make_create,
)
UPDATE_MAPPING = Patch(
    target="moto.awslambda.models:LambdaBackend.update_event_source_mapping",
    signature="(self, uuid: 'str', spec: 'dict[str, Any]') -> 'EventSourceMapping | None'",
    rule="Enabling a mapping processes the backlog; a disabled mapping delivers nothing (aws-semantics.md 1.3)",
    make=_make_update,
)
GET_CONFIGURATION = Patch(
    target="moto.awslambda.models:EventSourceMapping.get_configuration",
    signature="(self) -> 'dict[str, Any]'",
    rule="A mapping reports its last processing result (a deleted function: the mapping stays and "
    "says so; its records stay in the source)",
    make=_make_get_configuration,
)
PATCHES = [CREATE_MAPPING, UPDATE_MAPPING, GET_CONFIGURATION]
