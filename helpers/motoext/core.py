"""moto core: the lab's clock, scheduler, trace context and observer, as hooks for every service.

AWS rules: timestamps AWS puts in messages, events and logs come from the lab's clock (design.md,
"The virtual clock"); work due now runs before the outermost API call that caused it returns.

The service modules of this package schedule work (`scheduler()`), carry the X-Ray-style trace
header of the flow they belong to (`current_trace()`, `bound_trace()`), and report what happened
(`notify()`). The runtime above registers the implementations; this layer knows nothing of them.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import re
import sys
import threading
from typing import Any, Callable, Iterator, Protocol

from .patching import Patch

_local = threading.local()
_now: Callable[[], dt.datetime] | None = None
_after_outermost_call: Callable[[], None] | None = None


class Scheduler(Protocol):
    """The virtual clock, as the service patches see it."""

    def now(self) -> dt.datetime: ...

    def call_soon(self, action: Callable[[], None], label: str = "") -> None: ...

    def call_later(self, seconds: float, action: Callable[[], None], label: str = "") -> None: ...


Observer = Callable[..., None]
_scheduler: Scheduler | None = None
_observer: Observer | None = None


def set_scheduler(scheduler: Scheduler | None) -> None:
    """Register the clock that service patches schedule delayed work on."""
    global _scheduler
    _scheduler = scheduler


def scheduler() -> Scheduler:
    """The registered scheduler (the lab's virtual clock)."""
    if _scheduler is None:
        raise RuntimeError("The lab is not running: call `helpers.start()` first.")
    return _scheduler


def set_observer(observer: Observer | None) -> None:
    """Register who hears about each hop: observer(service, action, resource, **detail)."""
    global _observer
    _observer = observer


def notify(service: str, action: str, resource: str, **detail: Any) -> None:
    """Report one hop of a flow (a delivery, a receive, a retry, a transition...)."""
    if _observer is not None:
        _observer(service, action, resource, **detail)


def current_trace() -> str | None:
    """The X-Ray-style trace header (`Root=1-...`) of the flow running on this thread, if any."""
    return getattr(_local, "trace", None)


def forget_flow() -> None:
    """End the flow this thread is in (after Stop cut a call short before its after-call hook ran)."""
    _local.trace = None


@contextlib.contextmanager
def bound_trace(header: str | None) -> Iterator[None]:
    """Run a block as part of the flow `header` (None: outside any flow)."""
    saved = current_trace()
    _local.trace = header
    try:
        yield
    finally:
        _local.trace = saved

#: moto services the lab uses; importing them up front lets the clock patch reach every module.
#: Request parameters that name the resource an API call is about, in order of preference.
_RESOURCE_PARAMS = ("FunctionName", "QueueUrl", "QueueName", "Rule", "TopicArn", "TargetArn", "stateMachineArn",
                    "executionArn", "StateMachineArn", "EventBusName", "Name", "TableName",
                    "StreamName", "LogGroupName", "RoleName", "Bucket")


def new_trace_header() -> str:
    """A fresh X-Ray trace header, `Root=1-<8 hex of the epoch second>-<24 hex>`, from moto's seeded RNG."""
    from moto.moto_api._internal import mock_random

    seconds = int((_now() if _now else dt.datetime.now(dt.timezone.utc)).timestamp())
    return f"Root=1-{seconds:08x}-{mock_random.getrandbits(96):024x}"


def _resource_of(params: dict[str, Any]) -> str:
    for name in _RESOURCE_PARAMS:
        if isinstance(params.get(name), str):
            return params[name]
    entries = params.get("Entries")
    if isinstance(entries, list) and entries and isinstance(entries[0], dict):
        return str(entries[0].get("EventBusName", "default"))
    return ""


def _keep_api_params(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    """Remember the call's own parameters (before-call only sees the serialised request)."""
    context["lab_api_params"] = params


def _before_call(model: Any, context: dict[str, Any], **_: Any) -> None:
    """Every API call is a hop; a call made outside any flow starts a new one (a new trace)."""
    if current_trace() is None:
        _local.trace = new_trace_header()
        context["lab_started_trace"] = True
    record_api_call(model.service_model.endpoint_prefix, model.name, context.get("lab_api_params", {}))


def record_api_call(endpoint_prefix: str, operation: str, params: dict[str, Any]) -> None:
    """Report an API call as a hop: a boto3 call in this process, or a request to the lab's server."""
    notify(endpoint_prefix, operation, _resource_of(params), params=params)


def _after_call(context: dict[str, Any], **_: Any) -> None:
    if context.pop("lab_started_trace", False):
        _local.trace = None


def register_call_hooks() -> None:
    """Add the API-call hooks to every botocore session created from now on."""
    from botocore.handlers import BUILTIN_HANDLERS

    for event, handler in (("before-parameter-build", _keep_api_params), ("before-call", _before_call),
                           ("after-call", _after_call),
                           ("after-call-error", _after_call)):
        if (event, handler) not in BUILTIN_HANDLERS:
            BUILTIN_HANDLERS.append((event, handler))


def set_clock(now: Callable[[], dt.datetime] | None) -> None:
    """Make moto read the time from `now` (an aware UTC datetime), or from the real clock if None."""
    global _now
    _now = now


def set_after_outermost_call(callback: Callable[[], None] | None) -> None:
    """Run `callback` after each outermost API call has produced its response, before it returns."""
    global _after_outermost_call
    _after_outermost_call = callback


def _make_utcnow(original: Callable[[], dt.datetime]) -> Callable[[], dt.datetime]:
    def utcnow() -> dt.datetime:
        return _now().replace(tzinfo=None) if _now else original()

    return utcnow


def call_depth() -> int:
    """How many mocked API calls this thread is inside (1: an outermost call, more: a nested one)."""
    return getattr(_local, "depth", 0)


def _make_process_request(original: Callable[..., Any]) -> Callable[..., Any]:
    """moto's request routing (`_routed`, a copy of `original` with its routes cached), counting how
    deep in nested API calls it is, and running what fell due once the outermost call is answered."""

    def process_request(self: Any, request: Any) -> Any:
        depth = getattr(_local, "depth", 0)
        _local.depth = depth + 1
        try:
            response = _routed(request)
        finally:
            _local.depth = depth
        if depth == 0 and _after_outermost_call is not None:
            _after_outermost_call()
        return response

    return process_request


_ROUTES: dict[str, list[tuple[re.Pattern[str], Callable[..., Any]]]] = {}


def _routes(service: str) -> list[tuple[re.Pattern[str], Callable[..., Any]]]:
    """A service's URL patterns, compiled, with their handlers: moto rebuilds and recompiles them on
    every request (its own TODO says "cache this part"); they come from the service's `urls` module
    and the backend's class, so they never change once built."""
    found = _ROUTES.get(service)
    if found is None:
        import moto.backends as backends
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.core.base_backend import BackendDict

        backend_dict = backends.get_backend(service)  # type: ignore[call-overload]
        if isinstance(backend_dict, BackendDict):
            regions = backend_dict[DEFAULT_ACCOUNT_ID]
            backend = regions["us-east-1"] if "us-east-1" in regions else regions["aws"]
        else:
            backend = backend_dict["global"]
        found = _ROUTES[service] = [(re.compile(url), handler) for url, handler in backend.urls.items()]
    return found


def _routed(request: Any) -> Any:
    """moto 5.2.5's `BotocoreStubber.process_request`, step for step, with each service's routes
    built once (`_routes`): a tenth of a millisecond of every call."""
    from moto.core import botocore_stubber as stubber  # its names, as patched (DynamoDB Streams' hosts)
    from moto.core.exceptions import HTTPException
    from moto.moto_api import recorder

    parsed_url, _ = stubber.get_equivalent_url_in_aws_domain(request.url)
    clean_url = f"{parsed_url.scheme}://{parsed_url.netloc}{parsed_url.path}"
    if stubber.passthrough_url(clean_url):
        return None
    for service, pattern in stubber.backend_index.backend_url_patterns:
        if pattern.match(clean_url):
            if stubber.passthrough_service(service):
                return None
            if not stubber.service_whitelisted(service):
                raise stubber.ServiceNotWhitelisted(service)
            for url, method_to_execute in _routes(service):
                if url.match(clean_url):
                    normalized_request = stubber.normalize_request(request)
                    try:
                        recorder._record_request(normalized_request)
                        return method_to_execute(normalized_request, normalized_request.raw_url,
                                                 normalized_request.headers)
                    except HTTPException as e:
                        return e.code, e.get_headers(), e.get_body()
    if re.match(r"https?://.+\.amazonaws.com/.*", clean_url):
        return 404, {}, "Not yet implemented"
    return None


UTCNOW = Patch(
    target="moto.core.utils:utcnow",
    signature="() -> 'datetime.datetime'",
    rule="Timestamps come from the lab's virtual clock (design.md, The virtual clock).",
    make=_make_utcnow,
)
PROCESS_REQUEST = Patch(
    target="moto.core.botocore_stubber:BotocoreStubber.process_request",
    signature="(self, request: botocore.awsrequest.AWSPreparedRequest) -> "
    "tuple[int, dict[str, typing.Any], str | bytes] | None",
    rule="Work due now runs before the outermost API call returns (design.md, The virtual clock); "
    "requests are routed as moto routes them, its routes built once per service.",
    make=_make_process_request,
)


def _make_method_names(original: Callable[[object], list[str]]) -> Callable[[object], list[str]]:
    names: dict[object, list[str]] = {}

    def method_names_from_class(clazz: object) -> list[str]:
        found = names.get(clazz)
        if found is None:
            found = names[clazz] = original(clazz)
        return found

    return method_names_from_class


#: moto lists a response class's methods (`inspect.getmembers`, a fifth of a millisecond) on every
#: request to find the action's handler; the classes do not change once loaded (the lab's patches
#: replace methods of a module as it is imported, before its first request), so once per class is enough.
METHOD_NAMES = Patch(
    target="moto.core.responses:method_names_from_class",
    signature="(clazz: 'object') -> 'list[str]'",
    rule="Speed only: the same action handlers, looked up once per response class.",
    make=_make_method_names,
)
def _make_backend_lookup(original: Callable[[Any, str], Any]) -> Callable[[Any, str], Any]:
    def __getitem__(self: Any, account_id: str) -> Any:
        if dict.__contains__(self, account_id):  # created, so registered for reset: nothing to do
            return dict.__getitem__(self, account_id)
        return original(self, account_id)

    return __getitem__


#: moto's `BackendDict[account]` takes a lock, lists the accounts and compares the dict with every
#: registered one on every lookup (15 us; a request makes several, the lab's plumbing many more). An
#: account present was registered when it was created, and `BackendDict.reset` removes both together.
BACKEND_LOOKUP = Patch(
    target="moto.core.base_backend:BackendDict.__getitem__",
    signature="(self, account_id: str) -> moto.core.base_backend.AccountSpecificBackend[~SERVICE_BACKEND]",
    rule="Speed only: the same account's backends, found without re-registering them.",
    make=_make_backend_lookup,
)
PATCHES = [UTCNOW, PROCESS_REQUEST, METHOD_NAMES, BACKEND_LOOKUP]


def spread_utcnow() -> None:
    """Point every loaded moto module's own `utcnow` name at the patched function.

    Many moto modules do `from moto.core.utils import utcnow`; those loaded before the patch hold
    the original function (those moto loads later import the patched one).
    """
    import moto.core.utils as core_utils

    patched = core_utils.utcnow
    original = getattr(patched, "__lab_original__", patched)
    for module in list(sys.modules.values()):
        if getattr(module, "__name__", "").startswith("moto.") and getattr(module, "utcnow", None) is original:
            module.utcnow = patched
