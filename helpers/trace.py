"""The trace: every hop the lab recorded, as a pandas DataFrame a learner can filter and group.

    df = lab.trace()                      # the flows (setup calls such as CreateQueue left out)
    df = helpers.trace(lab, flow="last")  # one correlation id, end to end
    helpers.flows(df)                     # one row per correlation id
    helpers.clear_trace(lab)              # start afresh

Reads `lab.recorder.hops` (the vocabulary is in `helpers.runtime.recorder`); records nothing itself.
`caller` (who made an API call: "client" or a function name) is inferred from the order of hops
(see `infer_callers`): the runtime records each Lambda attempt when it ends, not who called what.
An SQS batch's `lambda invoke` row belongs to its first message's flow; its `message_ids` column lists
every message of the batch (`df.explode("message_ids")` gives one row per message, to follow an order).
"""
from __future__ import annotations

import functools
import gc
import math
import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from .runtime.recorder import Hop

if TYPE_CHECKING:
    import pandas as pd

    from .lab import Lab

CLIENT = "client"

#: Columns of the trace, in order.
COLUMNS = [
    "seq", "time", "t", "trace", "service", "action", "resource", "caller", "kind", "error",
    "function", "attempt", "invocation_type", "source", "cold", "init_ms", "duration_ms", "billed_ms",
    "outcome", "error_type", "message_id", "message_ids", "bus", "rule", "target", "endpoint", "protocol",
    "condition", "destination", "state", "state_type", "phase", "status", "detail",
]
#: Detail keys copied to their own column as they are.
_PLAIN_KEYS = ("attempt", "invocation_type", "source", "message_id", "message_ids", "bus", "rule", "target",
               "endpoint", "protocol", "condition", "destination", "state", "state_type", "phase", "status")
#: Control-plane calls (setting things up), left out of `trace()` unless `setup=True`.
_SETUP_CALL = re.compile(
    r"^(Create|Delete(?!Message|Item)|Update(?!Item)|List|Describe|Tag|Untag|AddPermission|RemovePermission"
    r"|Put(?!Events|Item|Record|LogEvents)|Set|Subscribe|Unsubscribe|Attach|Detach|Enable|Disable"
    r"|Publish(Version|Layer)|Get(?!QueueUrl|Item|Records|ShardIterator|Object))")
#: Hops that report a failure.
_FAILURE_ACTIONS = {"dead-letter", "drop", "expire"}
_FAILED_STATUSES = {"FAILED", "TIMED_OUT", "ABORTED"}


def is_api_call(hop: Hop) -> bool:
    """boto3 API calls are named like `SendMessage`; the lab's own hops are lower case (`send`)."""
    return _is_api_action(hop.action)


@functools.lru_cache(maxsize=None)
def _is_api_action(action: str) -> bool:
    return action[:1].isupper()


def trace(lab: Lab | None = None, *, flow: str | None = None, service: str | Iterable[str] | None = None,
          setup: bool = False) -> pd.DataFrame:
    """The recorded hops as a DataFrame (columns: `COLUMNS`), oldest first.

    `flow`: a correlation id (the full `Root=1-...` header, its unique tail, or "last");
    `service`: keep only these services ("lambda", "sqs"...); `setup`: keep control-plane calls.
    """
    lab = lab or _current_lab()
    hops = list(lab.recorder.hops)
    frame = _frame(hops, lab.clock.now() - lab.clock.elapsed())
    if not setup:
        frame = frame[~frame["kind"].eq("setup")]
    if flow is not None:
        frame = for_trace(frame, flow)
    if service is not None:
        frame = by_service(frame, *([service] if isinstance(service, str) else service))
    return frame.reset_index(drop=True)


def for_trace(frame: pd.DataFrame, trace_id: str) -> pd.DataFrame:
    """The hops of one flow: `trace_id` is a full header, a unique part of it, or "last"."""
    ids = frame["trace"].dropna().unique()
    if trace_id == "last":
        flows_only = frame[frame["kind"].ne("setup")]["trace"].dropna()
        matches = [flows_only.iloc[-1]] if len(flows_only) else []
    else:
        matches = [i for i in ids if i == trace_id] or [i for i in ids if trace_id in i]
    if len(matches) != 1:
        raise KeyError(f"{trace_id!r} matches {len(matches)} trace ids; known: {list(ids)[:10]}")
    return frame[frame["trace"].eq(matches[0])]


def by_service(frame: pd.DataFrame, *services: str) -> pd.DataFrame:
    """The hops of these services ("lambda", "sqs", "sns", "events", "states"...)."""
    return frame[frame["service"].isin(services)]


def flows(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per correlation id: when it started and ended, how many hops and errors, what began it."""
    grouped = frame.dropna(subset=["trace"]).groupby("trace", sort=False)
    summary = grouped.agg(start=("t", "min"), end=("t", "max"), hops=("seq", "size"), errors=("error", "sum"),
                          first=("action", "first"), resource=("resource", "first"))
    summary["span_s"] = summary["end"] - summary["start"]
    return summary.reset_index().sort_values("start", kind="stable").reset_index(drop=True)


def clear_trace(lab: Lab | None = None) -> None:
    """Forget every hop recorded so far."""
    (lab or _current_lab()).recorder.clear()


# -- building the frame ----------------------------------------------------------------------
def _current_lab() -> Lab:
    from .lab import current

    return current()


def _frame(hops: Sequence[Hop], origin: Any) -> pd.DataFrame:
    """One column per name in COLUMNS, built column-wise (a value a hop lacks is NaN)."""
    import pandas as pd

    collecting = gc.isenabled()
    gc.disable()  # the frame allocates several objects per hop; the collector would rescan them all
    try:
        callers = infer_callers(hops)
        columns = {name: [math.nan] * len(hops) for name in COLUMNS}
        for index, hop in enumerate(hops):
            _fill(columns, index, hop, origin, callers.get(hop.seq))
        return pd.DataFrame(columns, columns=COLUMNS).astype({"attempt": "Int64", "cold": "boolean"})
    finally:
        if collecting:
            gc.enable()


_PLAIN = frozenset(_PLAIN_KEYS)


def _fill(columns: dict[str, list[Any]], i: int, hop: Hop, origin: Any, caller: str | None) -> None:
    """Write `hop`'s row `i` into `columns`."""
    columns["seq"][i], columns["time"][i], columns["trace"][i] = hop.seq, hop.time, hop.trace
    columns["t"][i] = (hop.time - origin).total_seconds()
    columns["service"][i], columns["action"][i], columns["resource"][i] = hop.service, hop.action, hop.resource
    columns["caller"][i], columns["kind"][i] = caller, _kind(hop.service, hop.action)
    detail: dict[str, Any] = {}
    report = None
    for key, value in hop.detail.items():
        if key in _PLAIN:
            columns[key][i] = value
        elif key == "error":
            columns["error_type"][i] = value
        elif key == "report":
            report = value
        else:
            detail[key] = value
    outcome = None
    if report is not None:
        outcome = "timeout" if report.timed_out else ("error" if report.function_error else "success")
        columns["function"][i], columns["cold"][i] = report.function_name, report.cold
        columns["init_ms"][i], columns["duration_ms"][i] = report.init_ms, report.duration_ms
        columns["billed_ms"][i], columns["outcome"][i] = report.billed_ms, outcome
        columns["error_type"][i] = report.error_type
        detail["request_id"] = report.request_id
    elif hop.service == "lambda" and not _is_api_action(hop.action):
        columns["function"][i] = hop.resource
    columns["error"][i] = (outcome in ("error", "timeout") or hop.action in _FAILURE_ACTIONS
                           or hop.detail.get("phase") == "failed" or hop.detail.get("status") in _FAILED_STATUSES)
    columns["detail"][i] = detail


@functools.lru_cache(maxsize=None)
def _kind(service: str, action: str) -> str:
    if _is_api_action(action):
        return "setup" if _SETUP_CALL.match(action) else "call"
    if service == "lambda" and action == "invoke":
        return "invoke"
    return "state" if service == "states" else "delivery"


def invocation_type(params: Any) -> str:
    """The InvocationType of a recorded Invoke call, from its parameters."""
    return str(params.get("InvocationType") or "RequestResponse") if isinstance(params, dict) else "RequestResponse"


# -- who made each API call ------------------------------------------------------------------
class _Frame:
    """API calls made inside one synchronous invocation, or (bottom frame) not yet attributed."""

    def __init__(self, opener: Hop | None = None) -> None:
        self.function = _function_name(opener) if opener is not None else None
        self.calls: list[int] = []


def infer_callers(hops: Sequence[Hop]) -> dict[int, str]:
    """Map each API-call hop's seq to its caller: "client", a function name, or "states:<state machine>".

    Within one flow the client makes the first call; work it triggers runs after that call returns,
    one job at a time, so later calls outside any synchronous invocation belong to the next
    triggered invocation to finish, or to the state machine whose Task state was just entered.
    """
    callers: dict[int, str] = {}
    stacks: dict[str | None, list[_Frame]] = {}
    task_of: dict[str | None, str] = {}  # trace -> state machine running a Task state now
    for hop in hops:
        stack = stacks.get(hop.trace)
        if is_api_call(hop):
            if stack is None:
                stacks[hop.trace] = stack = [_Frame()]
                callers[hop.seq] = CLIENT
            elif len(stack) == 1 and hop.trace in task_of:
                callers[hop.seq] = task_of[hop.trace]
            else:
                stack[-1].calls.append(hop.seq)
            if (hop.service, hop.action) == ("lambda", "Invoke") and \
                    invocation_type(hop.detail.get("params")) == "RequestResponse":
                stack.append(_Frame(opener=hop))
        elif stack is not None and hop.service == "lambda" and hop.action == "invoke":
            _close_invocation(stack, hop, callers)
        elif hop.service == "states" and hop.action == "transition":
            if hop.detail.get("phase") in ("entered", "retry") and hop.detail.get("state_type", "Task") == "Task":
                task_of[hop.trace] = "states:" + hop.resource.split(":")[6]
            else:
                task_of.pop(hop.trace, None)
    for stack in stacks.values():
        for frame in stack:
            _commit(frame.calls, CLIENT, callers)
    return callers


def _close_invocation(stack: list[_Frame], hop: Hop, callers: dict[int, str]) -> None:
    function = hop.resource
    synchronous = hop.detail.get("invocation_type", "RequestResponse") == "RequestResponse" \
        and not hop.detail.get("source")
    if synchronous and any(frame.function in (function, "") for frame in stack[1:]):
        while stack[-1].function not in (function, ""):  # an Invoke that failed before running
            stack[-2].calls += stack.pop().calls
        _commit(stack.pop().calls, function, callers)
    else:
        _commit(stack[-1].calls, function, callers)


@functools.lru_cache(maxsize=None)
def _function_name_of(resource: str) -> str:
    from .motoext.awslambda import split_function_name

    return split_function_name(resource)[0]


def _function_name(opener: Hop) -> str:
    """The function an Invoke names, without ARN prefix or qualifier ("" if unknown)."""
    return _function_name_of(opener.resource)


def _commit(seqs: list[int], caller: str, callers: dict[int, str]) -> None:
    for seq in seqs:
        callers.setdefault(seq, caller)
    seqs.clear()
