"""A trace where only the logs can be read: one row per invocation, from Lambda's REPORT lines.

Every Lambda runtime writes `REPORT RequestId: ... Duration: ... ms Billed Duration: ... ms Memory
Size: ... MB Max Memory Used: ... MB [Init Duration: ... ms]` to the function's log group
(https://docs.aws.amazon.com/lambda/latest/dg/python-logging.html), on AWS, on emulators and in the lab.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Any, Callable

import pandas as pd

COLUMNS = ["time", "function", "request_id", "duration_ms", "billed_ms", "memory_mb", "max_memory_mb", "init_ms", "cold"]
_REPORT = re.compile(
    r"REPORT RequestId: (?P<request_id>\S+)\s+Duration: (?P<duration_ms>[\d.]+) ms\s+"
    r"Billed Duration: (?P<billed_ms>\d+) ms\s+Memory Size: (?P<memory_mb>\d+) MB\s+"
    r"Max Memory Used: (?P<max_memory_mb>\d+) MB(?:\s+Init Duration: (?P<init_ms>[\d.]+) ms)?")


def parse_report(message: str) -> dict[str, Any] | None:
    """The fields of one REPORT line, or None for any other log line."""
    match = _REPORT.search(message)
    if match is None:
        return None
    fields = match.groupdict()
    return {"request_id": fields["request_id"], "duration_ms": float(fields["duration_ms"]),
            "billed_ms": int(fields["billed_ms"]), "memory_mb": int(fields["memory_mb"]),
            "max_memory_mb": int(fields["max_memory_mb"]),
            "init_ms": float(fields["init_ms"]) if fields["init_ms"] else None, "cold": fields["init_ms"] is not None}


def report_frame(client: Callable[[str], Any]) -> pd.DataFrame:
    """Every REPORT line of every function's log group, oldest first."""
    lambda_, logs = client("lambda"), client("logs")
    rows = []
    for page in lambda_.get_paginator("list_functions").paginate():
        for function in page["Functions"]:
            group = f"/aws/lambda/{function['FunctionName']}"
            try:
                pages = logs.get_paginator("filter_log_events").paginate(logGroupName=group, filterPattern="REPORT")
                events = [event for log_page in pages for event in log_page["events"]]
            except logs.exceptions.ResourceNotFoundException:
                continue
            for event in events:
                fields = parse_report(event["message"])
                if fields:
                    time = dt.datetime.fromtimestamp(event["timestamp"] / 1000, dt.timezone.utc)
                    rows.append({"time": time, "function": function["FunctionName"], **fields})
    return pd.DataFrame(rows, columns=COLUMNS).sort_values("time", kind="stable").reset_index(drop=True)
