"""The path one Step Functions execution took: from the lab's "states" hops, else from its history."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass
class ExecutionPath:
    """States entered (in order), failed, caught and retried, and the execution's status."""

    entered: list[str] = field(default_factory=list)
    failed: set[str] = field(default_factory=set)
    caught: set[str] = field(default_factory=set)
    retried: Counter[str] = field(default_factory=Counter)
    status: str = "RUNNING"

    @property
    def steps(self) -> set[tuple[str, str]]:
        """Consecutive (from, to) pairs of entered states."""
        return set(zip(self.entered, self.entered[1:]))


def path_from_hops(hops: list[Any], execution_arn: str) -> ExecutionPath:
    """Read ("states", "transition" | "execution", execution ARN, ...) hops (recorder vocabulary)."""
    path = ExecutionPath()
    for hop in hops:
        if hop.service != "states" or hop.resource != execution_arn:
            continue
        if hop.action == "execution":
            path.status = str(hop.detail.get("status", path.status))
            continue
        state, phase = hop.detail.get("state"), hop.detail.get("phase")
        if phase == "entered":
            path.entered.append(state)
        elif phase == "failed":
            path.failed.add(state)
        elif phase == "caught":
            path.failed.add(state)
            path.caught.add(state)
        elif phase == "retry":
            path.retried[state] += 1
    return path


def path_from_history(events: list[dict[str, Any]]) -> ExecutionPath:
    """Read GetExecutionHistory events: `*StateEntered`, `*Failed`, `TaskScheduled` per state, `Execution*`."""
    path = ExecutionPath()
    current: str | None = None
    scheduled: Counter[str] = Counter()
    for event in events:
        kind = event["type"]
        if kind.endswith("StateEntered"):
            name = event["stateEnteredEventDetails"]["name"]
            if current in path.failed:
                path.caught.add(current)
            path.entered.append(name)
            current = name
        elif kind in ("TaskScheduled", "LambdaFunctionScheduled") and current:
            scheduled[current] += 1
        elif kind in ("TaskSucceeded", "LambdaFunctionSucceeded") and current:
            path.failed.discard(current)  # an earlier attempt failed, a retry succeeded
        elif kind.endswith("Failed") or kind.endswith("TimedOut"):
            if kind.startswith("Execution"):
                path.status = "FAILED" if kind.endswith("Failed") else "TIMED_OUT"
            elif current:
                path.failed.add(current)
        elif kind in ("ExecutionSucceeded", "ExecutionAborted"):
            path.status = kind.removeprefix("Execution").upper()
    for name, count in scheduled.items():
        if count > 1:
            path.retried[name] = count - 1
    return path


def execution_path(lab: Any, execution_arn: str) -> ExecutionPath:
    """The path of `execution_arn`: the lab's transition hops if any were recorded, else its history."""
    recorded = path_from_hops(list(lab.recorder.hops), execution_arn)
    if recorded.entered:
        return recorded
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    backend = stepfunctions_parser_backends[lab.account_id][lab.region]
    return path_from_history(backend.get_execution_history(execution_arn)["events"])
