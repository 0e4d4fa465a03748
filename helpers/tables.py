"""Trace tables that answer one question: the columns it needs, outcomes in words, no NaN, a legend.

    from helpers.tables import story, legend
    legend()                                              # what each column means, once per notebook
    story(lab.trace(service="lambda"), "t", "step", "resource", "by", "outcome")

`lab.trace()` has every column any hop could fill (most of them empty for any one hop); `story`
keeps the columns asked for, says each row's step and outcome in words (the caller's `Invoke` API
call and the function's run are different steps), and shows an empty cell where a column does not
apply. Reads the trace frame only (`helpers.trace`); records nothing.
"""
from __future__ import annotations

from typing import Any

import pandas as pd

#: The columns `story` can show, with what each means (the legend).
LEGEND: dict[str, str] = {
    "t": "seconds of virtual time since the lab started (or was reset)",
    "after_s": "seconds since the first row of this table",
    "step": "what happened: an API call a program made (\"Invoke call\"), the function's handler running "
            "(\"handler runs\"), or the services' own work (queued, retry scheduled, delivered, ...)",
    "resource": "the function, queue, topic, bus or rule the step concerns",
    "by": "who made the API call: client (your code) or the function it ran in",
    "type": "how Lambda was invoked: sync (RequestResponse), async (Event) or poll (event source mapping)",
    "attempt": "which attempt of the same event or batch this is (1 = the first)",
    "outcome": "how the step ended, in words: succeeded, failed (with the error), timed out, throttled, "
               "dropped, ...",
    "rule": "the EventBridge rule that matched or delivered",
    "state": "the Step Functions state",
}

_STEPS = {
    ("lambda", "invoke"): "handler runs", ("lambda", "queue"): "queued by Lambda",
    ("lambda", "retry"): "retry scheduled", ("lambda", "expire"): "too old: expired",
    ("lambda", "drop"): "dropped", ("lambda", "destination"): "sent to a destination",
    ("lambda", "dead-letter"): "sent to the DLQ", ("lambda", "throttle"): "refused by Lambda",
    ("lambda", "recursion-stop"): "loop detected",
    ("events", "match"): "rule matched", ("events", "deliver"): "delivered to a target",
    ("events", "retry"): "delivery retried", ("events", "dead-letter"): "sent to the target's DLQ",
    ("events", "drop"): "delivery dropped", ("sns", "deliver"): "delivered to a subscriber",
    ("sqs", "redrive"): "moved to the DLQ", ("sqs", "visible-again"): "visible again",
    ("states", "transition"): "state machine step", ("states", "execution"): "execution ended",
}
_TYPES = {"RequestResponse": "sync", "Event": "async", "poll": "poll"}


def step(row: pd.Series) -> str:
    """What one hop was, in words; an API call is "<Action> call"."""
    if row["kind"] in ("call", "setup"):
        return f"{row['action']} call"
    return _STEPS.get((row["service"], row["action"]), row["action"])


def outcome(row: pd.Series) -> str:
    """How one hop ended, in words ("" for an API call, whose effect is in the rows after it)."""
    action, detail = row["action"], row["detail"] if isinstance(row["detail"], dict) else {}
    if action == "invoke":
        return {"success": "succeeded", "timeout": "timed out"}.get(
            row["outcome"], f"failed ({_text(row['error_type']) or 'error'})")
    if action == "throttle":
        return "throttled"
    if action == "recursion-stop":
        return "stopped: not run"
    if action == "retry":
        return f"next attempt in {detail.get('delay_s', 0):g} s"
    if action == "destination":
        return f"{_text(row['condition'])} record sent"
    if action in ("drop", "dead-letter", "expire"):
        reason = _text(row["error_type"])
        return f"given up ({reason})" if reason else "given up"
    if row["service"] == "states":
        return _text(row["phase"]) or _text(row["status"])
    return "failed" if row["error"] else ""


def short(resource: Any) -> str:
    """`arn:aws:lambda:...:function:inventory` -> `inventory`; a queue URL -> its name; names stay."""
    text = _text(resource)
    if text.startswith("http"):
        return text.rstrip("/").rsplit("/", 1)[-1]
    parts = text.split(":")
    return text if len(parts) < 6 else parts[6] if len(parts) > 6 else parts[5]


def story(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """The hops of `frame` (a `lab.trace()` frame) as a table of `columns` (names from `LEGEND`)."""
    unknown = [c for c in columns if c not in LEGEND]
    if unknown:
        raise KeyError(f"unknown column(s) {unknown}; choose from {list(LEGEND)}")
    made = {
        "t": lambda: frame["t"].round(3),
        "after_s": lambda: (frame["t"] - frame["t"].iloc[0]).round(3) if len(frame) else frame["t"],
        "step": lambda: frame.apply(step, axis=1),
        "resource": lambda: frame["resource"].map(short),
        "by": lambda: frame["caller"].map(_text),
        "type": lambda: frame["invocation_type"].map(lambda v: _TYPES.get(v, _text(v))),
        "attempt": lambda: frame["attempt"].map(lambda v: "" if pd.isna(v) else str(int(v))),
        "outcome": lambda: frame.apply(outcome, axis=1),
        "rule": lambda: frame["rule"].map(_text),
        "state": lambda: frame["state"].map(_text),
    }
    return pd.DataFrame({column: made[column]() for column in columns}).reset_index(drop=True)


def legend(*columns: str):  # noqa: ANN201 - an IPython Markdown display object
    """What each column of a `story` table means (all of them, or those named), as a markdown table."""
    from IPython.display import Markdown

    rows = [f"| `{name}` | {LEGEND[name]} |" for name in columns or tuple(LEGEND)]
    return Markdown("\n".join(["| column | what it says |", "|---|---|", *rows]))


def _text(value: Any) -> str:
    return "" if value is None or (not isinstance(value, (list, dict)) and pd.isna(value)) else str(value)


def path(frame: pd.DataFrame, *names: str) -> pd.DataFrame:
    """The rows of `frame` that concern these resources (functions, queues, buses, rules, state machines,
    by short name), or were called by them: one path through a flow, to draw or read on its own."""
    wanted = set(names)
    resource = frame["resource"].map(short)
    caller = frame["caller"].map(lambda c: _text(c).removeprefix("states:"))
    return frame[resource.isin(wanted) | frame["function"].isin(wanted) | caller.isin(wanted)]
