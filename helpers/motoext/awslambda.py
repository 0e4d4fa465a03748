"""Lambda: invocations run real handler code through the lab's executor, with AWS's responses.

moto runs handlers only in Docker and reports uncaught errors as `Handled`. These patches hand every
invocation to an executor (the lab's in-process runtime registers itself with `set_executor`) and
shape the answer as AWS does (aws-semantics.md 1.1): `FunctionError: Unhandled`, the last 4 KB of
the log as the tail, `X-Amz-Executed-Version`, 204 for DryRun without running, 202 with an empty
body for Event, 429 `TooManyRequestsException` when reserved concurrency is 0, aliases' weights.
Asynchronous settings (aws-semantics.md 1.2): a second `PutFunctionEventInvokeConfig` replaces the
first and `Update...` merges into it, with AWS's range checks; `DeadLetterConfig` is kept.
"""
from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit
from typing import Any, Callable, Protocol

from moto.awslambda.exceptions import ValidationException
from moto.awslambda.models import EventInvokeConfig, lambda_backends
from moto.core.exceptions import JsonRESTError
from moto.moto_api._internal import mock_random
from werkzeug.datastructures import Headers

from . import lambda_validation
from .core import notify
from .patching import Patch

#: `LogType=Tail` returns the last 4 KB of the log (aws-semantics.md 1.1, L4, L8).
LOG_TAIL_BYTES = 4096
#: Invoke payload limits: 6 MB synchronous, 1 MB asynchronous since January 2026 (Invoke API; P1).
SYNC_PAYLOAD_BYTES, ASYNC_PAYLOAD_BYTES = 6 * 2**20, 2**20


@dataclass
class Invocation:
    """What one synchronous invocation produced."""

    payload: bytes
    function_error: str | None
    log: str
    executed_version: str
    #: Lambda's recursive loop detection stopped it: the function did not run.
    recursive_loop: bool = False


class LambdaExecutor(Protocol):
    """What the moto extension needs from a Lambda runtime."""

    def invoke(self, fn: Any, payload: bytes) -> Invocation: ...

    def invoke_async(self, fn: Any, payload: bytes, **hop: Any) -> str | None: ...

    def injected_throttle(self, fn: Any) -> bool: ...


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
                                       "Reason": reason, "Type": "User"})

    def get_headers(self, *args: Any, **kwargs: Any) -> list[tuple[str, str]]:
        """`retryAfterSeconds` travels in the Retry-After header (Lambda's API model)."""
        return [*super().get_headers(*args, **kwargs), ("Retry-After", "1")]


class InvalidRequestContentException(JsonRESTError):
    """HTTP 400 for a payload that is not JSON; the function does not run."""

    code = 400

    def __init__(self, detail: str) -> None:
        super().__init__("InvalidRequestContentException",
                         f"Could not parse request body into json: Could not parse payload into json: {detail}")


class RequestTooLargeException(JsonRESTError):
    """HTTP 413 for a payload over the Invoke limit; the function does not run."""

    code = 413

    def __init__(self, limit: int) -> None:
        super().__init__("RequestTooLargeException",
                         f"Request must be smaller than {limit} bytes for the InvokeFunction operation")


def check_payload_size(body: Any, invocation_type: str) -> None:
    """Refuse a payload over 6 MB (synchronous) or 1 MB (asynchronous) before anything runs."""
    size = len(body if isinstance(body, bytes) else str(body or "").encode())
    limit = ASYNC_PAYLOAD_BYTES if invocation_type == "Event" else SYNC_PAYLOAD_BYTES
    if size > limit:
        raise RequestTooLargeException(limit)


def log_tail(log: str) -> str:
    """Base64 of the last 4 KB of `log`, as `X-Amz-Log-Result` carries it."""
    return base64.b64encode(log.encode("utf-8")[-LOG_TAIL_BYTES:]).decode("ascii")


def is_throttled(fn: Any) -> bool:
    """Reserved concurrency 0 stops every invocation (aws-semantics.md 1.1, 1.2)."""
    return fn.reserved_concurrency is not None and int(fn.reserved_concurrency) == 0


def _header(headers: Any, name: str, default: str) -> str:
    if isinstance(headers, Headers):  # moto's request headers: looked up without case already
        value = headers.get(name)
        return default if value is None else str(value)
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


def split_function_name(name_or_arn: str) -> tuple[str, str | None]:
    """`orders`, `orders:live`, `arn:aws:lambda:...:function:orders[:live]` -> ("orders", "live" or None)."""
    parts = name_or_arn.split(":")
    if name_or_arn.startswith("arn:"):
        return parts[6], parts[7] if len(parts) == 8 else None
    return parts[0], parts[1] if len(parts) == 2 else None


def _qualifier_of(function_name: str, qualifier: str | None) -> str | None:
    """The version or alias an Invoke names, by parameter or as the last part of the name/ARN."""
    return qualifier or split_function_name(function_name)[1]


def _weighted_version(backend: Any, fn: Any, function_name: str, qualifier: str | None) -> Any:
    """An alias with `AdditionalVersionWeights` sends that share of invocations to the other version."""
    if qualifier is None and ":" not in function_name:  # a plain name: $LATEST, no alias
        return fn
    alias_name = _qualifier_of(function_name, qualifier)
    if not alias_name:
        return fn
    name = fn.function_name
    alias = backend._lambdas._get_function_aliases(name).get(alias_name)
    weights = ((alias.routing_config or {}).get("AdditionalVersionWeights") or {}) if alias else {}
    if not weights:
        return fn
    draw = mock_random.random()
    for version, weight in weights.items():
        if draw < float(weight):
            return backend.get_function(name, version)
        draw -= float(weight)
    return fn


def _function(backend: Any, function_name: str, qualifier: str | None) -> Any:
    """The function version an Invoke names: moto's `get_function`, with a plain name (no ARN, no
    qualifier) looked up directly, the case of nearly every call."""
    if qualifier is None and ":" not in function_name:
        entry = backend._lambdas._functions.get(function_name)
        if entry is not None and entry["latest"] is not None:
            return entry["latest"]
    return backend.get_function(function_name, qualifier)


def _make_backend_invoke(original: Callable[..., Any]) -> Callable[..., Any]:
    def invoke(self: Any, function_name: str, qualifier: str | None, body: Any, headers: Any,
               response_headers: Any) -> str | bytes | None:
        if _executor is None:
            return original(self, function_name, qualifier, body, headers, response_headers)
        fn = _function(self, function_name, qualifier)
        invocation_type = _header(headers, "X-Amz-Invocation-Type", "RequestResponse")
        check_payload_size(body, invocation_type)
        if invocation_type == "DryRun":
            return b""
        fn = _weighted_version(self, fn, function_name, qualifier)  # sync and async alike
        if invocation_type == "Event":
            _executor.invoke_async(fn, _as_bytes(body), qualifier=_qualifier_of(function_name, qualifier))
            return b""
        if is_throttled(fn) or _executor.injected_throttle(fn):
            notify("lambda", "throttle", fn.function_name, invocation_type="RequestResponse")
            raise TooManyRequestsException("ReservedFunctionConcurrentInvocationLimitExceeded")
        result = _executor.invoke(fn, _as_bytes(body))
        if result.function_error:
            response_headers["x-amz-function-error"] = result.function_error
        if _header(headers, "X-Amz-Log-Type", "None") == "Tail":  # moto drops it otherwise
            response_headers["x-amz-log-result"] = log_tail(result.log)
        response_headers["x-amz-executed-version"] = result.executed_version
        response_headers["Content-Length"] = str(len(result.payload))
        return result.payload

    return invoke


def _make_function_invoke(original: Callable[..., Any]) -> Callable[..., Any]:
    def invoke(self: Any, body: str, request_headers: Any, response_headers: Any) -> str | bytes:
        if _executor is None:
            return original(self, body, request_headers, response_headers)
        check_payload_size(body, "Event")
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


# -- asynchronous invocation settings (aws-semantics.md 1.2) ---------------------------------------
#: `MaximumRetryAttempts` 0-2 (default 2), `MaximumEventAgeInSeconds` 60-21600 (default 6 h) [L3].
EVENT_INVOKE_LIMITS = {"MaximumRetryAttempts": ("maximumRetryAttempts", 0, 2),
                       "MaximumEventAgeInSeconds": ("maximumEventAgeInSeconds", 60, 21600)}


def _latest(backend: Any, function_name: str) -> Any:
    """The unqualified function: the sandbox keeps one event-invoke config per function."""
    return backend.get_function(backend.get_function(function_name).function_name)


def _functions_of(fn: Any) -> dict[str, Any]:
    """moto's functions of `fn`'s account and Region, by name: {"latest": ..., "versions": [...]}."""
    return lambda_backends[fn.account_id][fn.region]._lambdas._functions


def function_exists(fn: Any) -> bool:
    """Whether `fn` has not been deleted since (queued events of a deleted function are dropped)."""
    return fn.function_name in _functions_of(fn)


def event_invoke_config(fn: Any) -> dict[str, Any]:
    """The function's asynchronous settings as last put (empty if none)."""
    entry = _functions_of(fn).get(fn.function_name)
    latest = entry["latest"] if entry else _latest(lambda_backends[fn.account_id][fn.region], fn.function_name)
    return dict(latest.event_invoke_config[0].config) if latest.event_invoke_config else {}


def dead_letter_target(fn: Any) -> str | None:
    """The ARN of this function version's dead-letter queue or topic, if any."""
    return (getattr(fn, "dead_letter_config", None) or {}).get("TargetArn") or None


def _check_limits(config: dict[str, Any]) -> None:
    """Refuse out-of-range values with AWS's ValidationException wording."""
    for key, (member, low, high) in EVENT_INVOKE_LIMITS.items():
        value = config.get(key)
        if value is not None and value > high:
            raise ValidationException(value, member, f"Member must have value less than or equal to {high}")
        if value is not None and value < low:
            raise ValidationException(value, member, f"Member must have value greater than or equal to {low}")


def _store_event_invoke_config(backend: Any, function_name: str, config: dict[str, Any]) -> dict[str, Any]:
    _check_limits(config)
    fn = _latest(backend, function_name)
    fn.event_invoke_config = [EventInvokeConfig(fn.function_arn, fn.last_modified, config)]
    return fn.event_invoke_config[0].response()


def _make_put_event_invoke_config(original: Callable[..., Any]) -> Callable[..., Any]:
    def put_function_event_invoke_config(self: Any, function_name: str, config: dict[str, Any]) -> dict[str, Any]:
        return _store_event_invoke_config(self, function_name, dict(config))

    return put_function_event_invoke_config


def _make_update_event_invoke_config(original: Callable[..., Any]) -> Callable[..., Any]:
    def update_function_event_invoke_config(self: Any, function_name: str,
                                            config: dict[str, Any]) -> dict[str, Any]:
        fn = _latest(self, function_name)
        current = dict(fn.event_invoke_config[0].config) if fn.event_invoke_config else {}
        merged = {**current, **config}
        if "DestinationConfig" in current and "DestinationConfig" in config:
            merged["DestinationConfig"] = {**current["DestinationConfig"], **config["DestinationConfig"]}
        return _store_event_invoke_config(self, function_name, merged)

    return update_function_event_invoke_config


def _make_function_init(original: Callable[..., Any]) -> Callable[..., Any]:
    def __init__(self: Any, account_id: str, spec: dict[str, Any], region: str,
                 version: str | int = 1) -> None:
        original(self, account_id, spec, region, version)
        self.dead_letter_config = spec.get("DeadLetterConfig") or None

    return __init__


def _make_get_configuration(original: Callable[..., Any]) -> Callable[..., Any]:
    def get_configuration(self: Any, on_create: bool = False) -> dict[str, Any]:
        config = original(self, on_create)
        if dead_letter_target(self):
            config["DeadLetterConfig"] = {"TargetArn": dead_letter_target(self)}
        return config

    return get_configuration


def _make_update_configuration(original: Callable[..., Any]) -> Callable[..., Any]:
    def update_configuration(self: Any, config_updates: dict[str, Any]) -> dict[str, Any]:
        if "DeadLetterConfig" in config_updates:  # an empty TargetArn removes it
            self.dead_letter_config = config_updates["DeadLetterConfig"] or None
        return original(self, config_updates)

    return update_configuration


PUT_EVENT_INVOKE_CONFIG = Patch(
    target="moto.awslambda.models:LambdaBackend.put_function_event_invoke_config",
    signature="(self, function_name: 'str', config: 'dict[str, Any]') -> 'dict[str, Any]'",
    rule="PutFunctionEventInvokeConfig overwrites an existing config; MaximumRetryAttempts 0-2, "
    "MaximumEventAgeInSeconds 60-21600 (aws-semantics.md 1.2, L3)",
    make=_make_put_event_invoke_config,
)
UPDATE_EVENT_INVOKE_CONFIG = Patch(
    target="moto.awslambda.models:LambdaBackend.update_function_event_invoke_config",
    signature="(self, function_name: 'str', config: 'dict[str, Any]') -> 'dict[str, Any]'",
    rule="UpdateFunctionEventInvokeConfig changes only the settings it names (aws-semantics.md 1.2, L3)",
    make=_make_update_event_invoke_config,
)
FUNCTION_INIT = Patch(
    target="moto.awslambda.models:LambdaFunction.__init__",
    signature="(self, account_id: 'str', spec: 'dict[str, Any]', region: 'str', version: 'str | int' = 1)",
    rule="CreateFunction keeps DeadLetterConfig (aws-semantics.md 1.2, L2)",
    make=_make_function_init,
)
GET_CONFIGURATION = Patch(
    target="moto.awslambda.models:LambdaFunction.get_configuration",
    signature="(self, on_create: 'bool' = False) -> 'dict[str, Any]'",
    rule="GetFunctionConfiguration reports DeadLetterConfig (aws-semantics.md 1.2, L2)",
    make=_make_get_configuration,
)
UPDATE_CONFIGURATION = Patch(
    target="moto.awslambda.models:LambdaFunction.update_configuration",
    signature="(self, config_updates: 'dict[str, Any]') -> 'dict[str, Any]'",
    rule="UpdateFunctionConfiguration sets or removes DeadLetterConfig (aws-semantics.md 1.2, L2)",
    make=_make_update_configuration,
)
PATCHES = [RESPONSE_INVOKE, BACKEND_INVOKE, FUNCTION_INVOKE, INVOKE_LAMBDA, PUT_EVENT_INVOKE_CONFIG,
           UPDATE_EVENT_INVOKE_CONFIG, FUNCTION_INIT, GET_CONFIGURATION, UPDATE_CONFIGURATION,
           *lambda_validation.PATCHES]


# -- recursive loop detection settings (Lambda developer guide, "Use Lambda recursive loop detection") --
RECURSIVE_LOOP_VALUES = ("Allow", "Terminate")
_RECURSION_CONFIG_PATH = r"{0}/(?P<api_version>[^/]+)/functions/(?P<function_name>[\w_:%-]+)/recursion-config/?$"


def recursive_loop(fn: Any) -> str:
    """The function's RecursiveLoop setting: `Terminate` unless PutFunctionRecursionConfig said `Allow`."""
    return getattr(_latest(lambda_backends[fn.account_id][fn.region], fn.function_name),
                   "recursive_loop", None) or "Terminate"


def _recursion_config(request: Any, full_url: str, headers: Any) -> tuple[int, dict[str, str], str]:
    """GET/PUT /2024-08-31/functions/NAME/recursion-config (moto has neither operation)."""
    from moto.core import DEFAULT_ACCOUNT_ID

    url = urlsplit(full_url)
    name = unquote(url.path.split("/functions/", 1)[1].rsplit("/recursion-config", 1)[0])
    region = (url.hostname or "").split(".")[1]
    fn = _latest(lambda_backends[DEFAULT_ACCOUNT_ID][region], name)
    if request.method == "PUT":
        value = json.loads(request.get_data() or b"{}").get("RecursiveLoop")
        if value not in RECURSIVE_LOOP_VALUES:
            raise ValidationException(value, "recursiveLoop",
                                      f"Member must satisfy enum value set: [{', '.join(RECURSIVE_LOOP_VALUES)}]")
        fn.recursive_loop = value
    return 200, {"Content-Type": "application/json"}, json.dumps({"RecursiveLoop": recursive_loop(fn)})


def add_routes() -> None:
    """Answer Put/GetFunctionRecursionConfig, which moto does not implement."""
    from moto.awslambda import urls

    urls.url_paths.setdefault(_RECURSION_CONFIG_PATH, _recursion_config)
