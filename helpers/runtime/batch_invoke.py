"""What every poller shares: finding a source's mappings and invoking a function with a batch."""
from __future__ import annotations

import json
import re
from typing import Any

from moto.awslambda.exceptions import UnknownFunctionException

from ..motoext.awslambda import Invocation, is_throttled
from ..motoext.core import bound_trace, current_trace, notify
from ..motoext.lambda_esm import FUNCTION_NOT_FOUND, OK, report_result

_REQUEST_ID = re.compile(r"START RequestId: (\S+)")


def _lambda_backend(arn: str) -> Any:
    from moto.awslambda.models import lambda_backends

    _, _, _, region, account, *_ = arn.split(":")
    return lambda_backends[account][region]


def mappings_for(source_arn: str) -> list[Any]:
    """Every event source mapping reading `source_arn`, enabled or not, in creation order."""
    return [esm for esm in _lambda_backend(source_arn)._event_source_mappings.values()
            if esm.event_source_arn == source_arn]


def current_mapping(esm: Any) -> Any | None:
    """The mapping as it is now, or None once it was deleted."""
    return _lambda_backend(esm.event_source_arn).get_event_source_mapping(esm.uuid)


def function_of(esm: Any) -> Any:
    """The function (version or alias target) the mapping invokes."""
    return _lambda_backend(esm.event_source_arn).get_function(esm.function_arn)


def function_or_report(esm: Any) -> Any | None:
    """The mapping's function, or None when it was deleted: the mapping stays, delivers nothing
    (its records stay in the source) and reports the problem as its LastProcessingResult."""
    try:
        return function_of(esm)
    except UnknownFunctionException:
        if report_result(esm, FUNCTION_NOT_FOUND):
            notify("lambda", "mapping-problem", esm.function_arn.split(":")[6], source=esm.event_source_arn,
                   result=FUNCTION_NOT_FOUND)
        return None


def invoke_batch(runtime: Any, esm: Any, records: list[dict[str, Any]], trace: str | None,
                 attempt: int = 1) -> Invocation:
    """Invoke the mapping's function synchronously with `{"Records": records}` as part of flow `trace`
    (None: the flow that woke the poller); `attempt` counts this batch's invocations."""
    payload = json.dumps({"Records": records}).encode()
    fn = function_of(esm)
    # The hop is recorded in the first message's flow; the ids let a trace follow every message of the batch.
    ids = [record["messageId"] for record in records if "messageId" in record]
    batch: dict[str, Any] = {"batch_size": len(records), "attempt": attempt,
                             **({"message_ids": ids} if ids else {})}
    with bound_trace(trace or current_trace()):
        if is_throttled(fn) or runtime.injected_throttle(fn):
            # A throttled poll is a failed batch: its records return to the source and are retried
            # (for SQS they count towards maxReceiveCount) [L12][L19].
            notify("lambda", "throttle", fn.function_name, source=esm.event_source_arn, **batch)
            error = {"errorType": "TooManyRequestsException", "errorMessage": "Rate Exceeded."}
            return Invocation(json.dumps(error).encode(), "Throttled", "", str(fn.version))
        invocation = runtime.invoke(fn, payload, source=esm.event_source_arn, invocation_type="poll", **batch)
        report_result(esm, OK)
        return invocation


def request_id(invocation: Invocation) -> str | None:
    """The invocation's request ID, read from its START line."""
    found = _REQUEST_ID.search(invocation.log)
    return found.group(1) if found else None
