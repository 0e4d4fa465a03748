"""Lambda: invocations run real handler code through the lab's executor, with AWS's responses.

moto runs handlers only in Docker and reports uncaught errors as `Handled`. These patches hand every
invocation to an executor (the lab's in-process runtime registers itself with `set_executor`) and
shape the answer as AWS does (aws-semantics.md 1.1): `FunctionError: Unhandled`, the last 4 KB of
the log as the tail, `X-Amz-Executed-Version`, 204 for DryRun without running, 202 with an empty
body for Event, 429 `TooManyRequestsException` when reserved concurrency is 0, aliases' weights.
"""
from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any, Callable, Protocol

from moto.core.exceptions import JsonRESTError
from moto.moto_api._internal import mock_random

from .patching import Patch

#: `LogType=Tail` returns the last 4 KB of the log (aws-semantics.md 1.1, L4, L8).
LOG_TAIL_BYTES = 4096


@dataclass
class Invocation:
    """What one synchronous invocation produced."""

    payload: bytes
    function_error: str | None
    log: str
    executed_version: str


class LambdaExecutor(Protocol):
    """What the moto extension needs from a Lambda runtime."""

    def invoke(self, fn: Any, payload: bytes) -> Invocation: ...

    def invoke_async(self, fn: Any, payload: bytes) -> None: ...


_executor: LambdaExecutor | None = None


def set_executor(executor: LambdaExecutor | None) -> None:
    """Register the runtime that executes handler code (None restores moto's behaviour)."""
    global _executor
    _executor = executor


class TooManyRequestsException(JsonRESTError):
    """HTTP 429 with AWS's `Reason` and `retryAfterSeconds` fields (aws-semantics.md 1.1, L4, L7)."""

    code = 429

    def __init__(self, reason: str, message: str = "Rate Exceeded.") -> None:
        super().__init__("TooManyRequestsException", message)
        self.description = json.dumps({"__type": "TooManyRequestsException", "message": message,
                                       "Reason": reason, "Type": "User", "retryAfterSeconds": "1"})


class InvalidRequestContentException(JsonRESTError):
    """HTTP 400 for a payload that is not JSON; the function does not run."""

    code = 400

    def __init__(self, detail: str) -> None:
        super().__init__("InvalidRequestContentException",
                         f"Could not parse request body into json: Could not parse payload into json: {detail}")


def log_tail(log: str) -> str:
    """Base64 of the last 4 KB of `log`, as `X-Amz-Log-Result` carries it."""
    return base64.b64encode(log.encode("utf-8")[-LOG_TAIL_BYTES:]).decode("ascii")


def is_throttled(fn: Any) -> bool:
    """Reserved concurrency 0 stops every invocation (aws-semantics.md 1.1, 1.2)."""
    return fn.reserved_concurrency is not None and int(fn.reserved_concurrency) == 0


def _header(headers: Any, name: str, default: str) -> str:
    for key, value in dict(headers or {}).items():
        if key.lower() == name.lower():
            return str(value)
    return default


def _as_bytes(body: Any) -> bytes:
    """The event as JSON bytes; a payload that is not JSON is refused as AWS refuses it."""
    if body is None or body == "":
        return b"{}"
    if isinstance(body, (dict, list)):
        return json.dumps(body).encode()
    data = body if isinstance(body, bytes) else str(body).encode()
    try:
        json.loads(data)
    except ValueError as err:
        raise InvalidRequestContentException(str(err)) from None
    return data


def _weighted_version(backend: Any, fn: Any, function_name: str, qualifier: str | None) -> Any:
    """An alias with `AdditionalVersionWeights` sends that share of invocations to the other version."""
    name = function_name.split(":")[-1] if function_name.startswith("arn:") else function_name.split(":")[0]
    alias_name = qualifier or (function_name.split(":")[-1] if function_name.count(":") == 1 else None)
    if not alias_name:
        return fn
    alias = backend._lambdas._get_function_aliases(name).get(alias_name)
    weights = ((alias.routing_config or {}).get("AdditionalVersionWeights") or {}) if alias else {}
    draw = mock_random.random()
    for version, weight in weights.items():
        if draw < float(weight):
            return backend.get_function(name, version)
        draw -= float(weight)
    return fn


def _make_backend_invoke(original: Callable[..., Any]) -> Callable[..., Any]:
    def invoke(self: Any, function_name: str, qualifier: str | None, body: Any, headers: Any,
               response_headers: Any) -> str | bytes | None:
        if _executor is None:
            return original(self, function_name, qualifier, body, headers, response_headers)
        fn = self.get_function(function_name, qualifier)
        invocation_type = _header(headers, "X-Amz-Invocation-Type", "RequestResponse")
        if invocation_type == "DryRun":
            return b""
        if invocation_type == "Event":
            _executor.invoke_async(fn, _as_bytes(body))
            return b""
        if is_throttled(fn):
            raise TooManyRequestsException("ReservedFunctionConcurrentInvocationLimitExceeded")
        fn = _weighted_version(self, fn, function_name, qualifier)
        result = _executor.invoke(fn, _as_bytes(body))
        if result.function_error:
            response_headers["x-amz-function-error"] = result.function_error
        response_headers["x-amz-log-result"] = log_tail(result.log)
        response_headers["x-amz-executed-version"] = result.executed_version
        response_headers["Content-Length"] = str(len(result.payload))
        return result.payload

    return invoke


def _make_function_invoke(original: Callable[..., Any]) -> Callable[..., Any]:
    def invoke(self: Any, body: str, request_headers: Any, response_headers: Any) -> str | bytes:
        if _executor is None:
            return original(self, body, request_headers, response_headers)
        _executor.invoke_async(self, _as_bytes(body))
        return b""

    return invoke


def _make_invoke_lambda(original: Callable[..., Any]) -> Callable[..., Any]:
    def _invoke_lambda(self: Any, event: str | None = None) -> tuple[str, bool, str]:
        if _executor is None:
            return original(self, event)
        result = _executor.invoke(self, _as_bytes(event))
        return result.payload.decode("utf-8"), result.function_error is not None, result.log

    return _invoke_lambda


def _make_response_invoke(original: Callable[..., Any]) -> Callable[..., Any]:
    def invoke(self: Any) -> tuple[int, dict[str, str], str | bytes]:
        qualifier = self.querystring.get("Qualifier")
        if qualifier and "qualifier" not in self.querystring:
            self.querystring["qualifier"] = qualifier
        return original(self)

    return invoke


RESPONSE_INVOKE = Patch(
    target="moto.awslambda.responses:LambdaResponse.invoke",
    signature="(self) -> tuple[int, dict[str, str], str | bytes]",
    rule="Invoke honours the Qualifier query parameter: a version or alias (aws-semantics.md 1.1, L4)",
    make=_make_response_invoke,
)
BACKEND_INVOKE = Patch(
    target="moto.awslambda.models:LambdaBackend.invoke",
    signature="(self, function_name: 'str', qualifier: 'str | None', body: 'Any', headers: 'Any', "
    "response_headers: 'Any') -> 'str | bytes | None'",
    rule="Invoke: 200/202/204, FunctionError Unhandled, 4 KB log tail, 429 throttling "
    "(aws-semantics.md 1.1, 1.2)",
    make=_make_backend_invoke,
)
FUNCTION_INVOKE = Patch(
    target="moto.awslambda.models:LambdaFunction.invoke",
    signature="(self, body: 'str', request_headers: 'Any', response_headers: 'Any') -> 'str | bytes'",
    rule="InvokeAsync queues the event like InvocationType=Event (aws-semantics.md 1.2)",
    make=_make_function_invoke,
)
INVOKE_LAMBDA = Patch(
    target="moto.awslambda.models:LambdaFunction._invoke_lambda",
    signature="(self, event: 'str | None' = None) -> 'tuple[str, bool, str]'",
    rule="Service integrations run the real handler in-process (design.md, The Lambda runtime)",
    make=_make_invoke_lambda,
)
PATCHES = [RESPONSE_INVOKE, BACKEND_INVOKE, FUNCTION_INVOKE, INVOKE_LAMBDA]
