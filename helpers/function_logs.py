"""A function's CloudWatch Logs as one row per invocation: when it started, what it printed, how it ended.

    from helpers.function_logs import invocations
    invocations("prepare-order", since=lab.now())

Reads the log group `/aws/lambda/<function>` through boto3 (`filter_log_events`), as a script would on
AWS; records nothing. Each invocation's lines sit between its `START` and `END`/`REPORT` lines; an
unhandled error is logged as a line starting with `[ERROR]`, a timeout as "<time> <request id> Task timed
out after N seconds" after the `REPORT` line (aws-semantics.md 2).
"""
from __future__ import annotations

from datetime import datetime

import boto3
import pandas as pd

COLUMNS = ["at_s", "printed", "outcome"]
TIMED_OUT = "Task timed out after"


def invocations(function: str, since: datetime) -> pd.DataFrame:
    """One row per invocation of `function` from `since` on: `at_s` (seconds after `since`), `printed`
    (the lines it printed) and `outcome` ("ok", the first line of its error, or the timeout)."""
    logs = boto3.client("logs")
    events = logs.filter_log_events(logGroupName=f"/aws/lambda/{function}",
                                    startTime=int(since.timestamp() * 1000))["events"]
    rows: list[dict] = []
    for event in events:
        line = event["message"].rstrip()
        if line.startswith("START"):
            rows.append({"at_s": event["timestamp"] / 1000 - since.timestamp(), "printed": [], "outcome": "ok"})
        elif rows and line.startswith("[ERROR]"):
            rows[-1]["outcome"] = line.splitlines()[0].removeprefix("[ERROR] ")
        elif rows and TIMED_OUT in line:
            rows[-1]["outcome"] = line[line.index(TIMED_OUT):]
        elif rows and not line.startswith(("END", "REPORT")):
            rows[-1]["printed"].append(line)
    return pd.DataFrame(rows, columns=COLUMNS)
