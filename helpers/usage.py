"""What the lab says when its own API is misused or a notebook's cells run out of order.

Misuse of the lab's API (`lab.advance(seconds="10")`, a second `helpers.Lab()`, a lab method before
`helpers.start()`) raises `LabUsageError`: one sentence that says what to do.

An AWS error that means "an earlier cell was not run" (a function, queue, topic, rule or state
machine that does not exist) stays the AWS error, so a learner's `try/except` works as on AWS; when
it reaches the notebook uncaught, a note under it names what is missing and the earlier cell (with
its section heading) that creates it, found in the notebook's own source.
"""
from __future__ import annotations

import datetime as dt
import json
import math
import os
import re
import sys
from pathlib import Path
from types import TracebackType
from typing import Any


#: The longest `lab.advance()` (the clock is a datetime: it ends in the year 9999).
_LONGEST = dt.timedelta(days=365_000)


class LabUsageError(ValueError):
    """The lab's own API was called in a way it cannot honour; the message says what to do."""


def duration(seconds: Any = 0, minutes: Any = 0, hours: Any = 0) -> dt.timedelta:
    """The virtual time `lab.advance()` was asked to let pass, or a LabUsageError saying what is wrong."""
    total = 0.0
    for unit, value in (("seconds", seconds), ("minutes", minutes), ("hours", hours)):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise LabUsageError(f"lab.advance() takes numbers: write lab.advance({unit}=10), "
                                f"not {unit}={value!r}.")
        if math.isnan(value):
            raise LabUsageError(f"lab.advance() needs a number of {unit}, got {unit}=nan: check the "
                                "calculation that produced it.")
        if math.isinf(value):
            raise LabUsageError(f"lab.advance() needs a finite number of {unit}, got {unit}={value}: to "
                                "run everything that is scheduled, call lab.run_until_idle().")
        if value < 0:
            raise LabUsageError(f"The lab's clock only moves forward: lab.advance() needs zero or more "
                                f"{unit} (got {value}); call lab.reset() to start again from the beginning.")
        total += value * {"seconds": 1, "minutes": 60, "hours": 3600}[unit]
    if total > _LONGEST.total_seconds():
        raise LabUsageError(f"lab.advance() was asked for {total:.3g} seconds, more than the lab's clock runs "
                            "(a thousand years): ask for less, or call lab.run_until_idle().")
    return dt.timedelta(seconds=total)


# -- AWS errors that mean an earlier cell was not run ---------------------------------------------
#: Error codes AWS answers for a resource that does not exist.
MISSING_CODES = {"ResourceNotFoundException", "QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue",
                 "NotFound", "NotFoundException", "StateMachineDoesNotExist", "ExecutionDoesNotExist",
                 "ActivityDoesNotExist", "ResourceNotFound"}
#: The calls that create each kind of resource, as a notebook would write them.
_CREATE_CALLS = re.compile(r"\b(create_\w+|put_rule|put_targets|subscribe|publish_version|"
                           r"create_event_source_mapping|put_function_event_invoke_config)\s*\(")
#: Parameters that name the resource a call is about, in order of preference.
_NAME_PARAMS = ("FunctionName", "QueueUrl", "QueueName", "TopicArn", "Name", "Rule", "EventBusName",
                "stateMachineArn", "executionArn", "TableName", "StreamName", "UUID")


def missing_resource(params: dict[str, Any]) -> str:
    """The short name of the resource an API call names (`orders` for a queue URL or an ARN)."""
    for key in _NAME_PARAMS:
        value = params.get(key)
        if isinstance(value, str) and value:
            return re.split(r"[:/]", value)[-1] or value
    return ""


def cell_that_creates(name: str, notebook: Path | None) -> str | None:
    """`cell N, under "Heading"` for the first code cell of `notebook` that creates `name`, or None."""
    if not name or notebook is None or not notebook.is_file():
        return None
    try:
        cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    except (OSError, ValueError, KeyError):
        return None
    heading = ""
    quoted = re.compile(r"[\"'/:]" + re.escape(name) + r"[\"'/]")
    for number, cell in enumerate(cells, start=1):
        source = "".join(cell.get("source", ""))
        if cell.get("cell_type") == "markdown":
            titles = re.findall(r"^#+\s+(.+)$", source, flags=re.MULTILINE)
            heading = titles[-1].strip() if titles else heading
        elif cell.get("cell_type") == "code" and quoted.search(source) and _CREATE_CALLS.search(source):
            return f'cell {number}' + (f', under "{heading}"' if heading else "")
    return None


def out_of_order_note(error: BaseException, params: dict[str, Any], notebook: Path | None = None) -> str | None:
    """A note for an AWS error that means "this does not exist (yet)" (else None); `params` are the
    failed call's parameters."""
    response = getattr(error, "response", None)
    code = response.get("Error", {}).get("Code") if isinstance(response, dict) else None
    if code not in MISSING_CODES:
        return None
    name = missing_resource(params)
    what = f"'{name}'" if name else "what this call names"
    where = cell_that_creates(name, notebook if notebook is not None else _this_notebook())
    run = (f"run {where} first (or Run > Run All Above)" if where else
           "run the earlier cell that creates it first (or Run > Run All Above)")
    return (f"Lab note: the sandbox has no {what} right now ({code}). If an earlier cell creates it, {run}; "
            "a kernel restart or lab.reset() deletes everything the notebook created.")


def _this_notebook() -> Path | None:
    """The notebook this kernel runs, when Jupyter says (JupyterLab sets JPY_SESSION_NAME)."""
    path = os.environ.get("JPY_SESSION_NAME", "")
    return Path(path) if path.endswith(".ipynb") else None


def _params_of_last_call(operation: str) -> dict[str, Any]:
    """The parameters of the last `operation` call the lab recorded (the one that failed)."""
    from .lab import current

    for hop in reversed(current().recorder.hops):
        if hop.action == operation and isinstance(hop.detail.get("params"), dict):
            return hop.detail["params"]
    return {}


def _without_sdk_frames(tb: TracebackType | None) -> TracebackType | None:
    """The traceback up to the learner's call: boto3's and botocore's own frames left out."""
    kept = tb
    while kept is not None and kept.tb_next is not None:
        if re.search(r"[/\\](boto3|botocore)[/\\]", kept.tb_next.tb_frame.f_code.co_filename):
            kept.tb_next = None
        kept = kept.tb_next
    return tb


def _show_with_note(shell: Any, etype: type, value: BaseException, tb: Any, tb_offset: Any = None) -> Any:
    """IPython's handler for an uncaught AWS error: the error as AWS raised it, from the learner's
    own line, with the out-of-order note when it applies."""
    note = out_of_order_note(value, _params_of_last_call(getattr(value, "operation_name", "")))
    if note and note not in getattr(value, "__notes__", ()):
        value.add_note(note)
    shell.showtraceback((etype, value, _without_sdk_frames(tb)), tb_offset=tb_offset)


def install_notebook_notes() -> None:
    """In IPython, add the out-of-order note to uncaught AWS errors (the error itself is unchanged)."""
    ipython = sys.modules.get("IPython")  # a kernel has imported it; a plain script need not pay for it
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None:
        return
    from botocore.exceptions import ClientError

    shell.set_custom_exc((ClientError,), _show_with_note)
