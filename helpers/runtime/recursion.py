"""Lambda's recursive loop detection, and a clean stop for the loops it does not cover.

What AWS does (Lambda developer guide, "Use Lambda recursive loop detection"; What's New, 13 July
2023, rows in the runtime rows file): Lambda tracks how many times a function has been invoked by the
same triggering event, carried in the trace header its SDK calls pass on. Loops through the supported
services (Amazon SQS, Amazon SNS, Amazon S3 and Lambda's own asynchronous invocations) are stopped:
once a function has been invoked more than 16 times by one event, Lambda stops the next invocation
and sends the event to the dead-letter queue or on-failure destination, if configured. A function
whose `RecursiveLoop` setting is `Allow` (PutFunctionRecursionConfig) is never stopped.

The lab counts invocations per (flow, function), a flow being the trace header the lab already follows
through every call, queue and topic; an invocation counts again only once the function has itself
made an AWS call in that flow (so retries of an event it did not send are not a loop). Loops through other services (an EventBridge rule that invokes
a function that puts events back on the bus, a Lambda calling itself synchronously) are not detected,
as on AWS; for those, Jupyter's Stop (`stop_on_interrupt`) ends the loop and leaves nothing queued.
"""
from __future__ import annotations

from collections import Counter
from typing import Any, Callable

from ..motoext.awslambda import recursive_loop
from ..motoext.core import current_trace

#: Invocations one triggering event may cause before the next one is stopped.
MAX_RECURSIVE_INVOCATIONS = 16
#: Services whose events carry the loop count (the source ARN's service; "" = the Lambda API).
SUPPORTED_SOURCES = ("sqs", "sns", "s3", "lambda", "")


class RecursionGuard:
    """Counts each flow's invocations of each function and says when to stop one."""

    def __init__(self) -> None:
        self._counts: Counter[tuple[str, str]] = Counter()
        self._sent: set[tuple[str, str]] = set()

    def clear(self) -> None:
        self._counts.clear()
        self._sent.clear()

    def sent(self, trace: str | None, function_arn: str) -> None:
        """A running invocation of the function in flow `trace` made an AWS call: an event it sent
        may come back to it (the lineage AWS's trace header carries)."""
        if trace is not None:
            self._sent.add((trace.split(";")[0], function_arn))

    def stops(self, fn: Any, hop: dict[str, Any]) -> bool:
        """Count this invocation; True if it is the one past the limit and must not run."""
        trace = current_trace()
        if trace is None or hop.get("invocation_type") not in ("Event", "poll"):
            return False
        source = str(hop.get("source") or "")
        if (source.split(":")[2] if source.startswith("arn:") else "") not in SUPPORTED_SOURCES:
            return False
        key = (trace.split(";")[0], fn.function_arn)
        if key in self._sent or not self._counts[key]:  # a retry of an event it never sent counts once
            self._counts[key] += 1
        return (self._counts[key] > MAX_RECURSIVE_INVOCATIONS
                and recursive_loop(fn) == "Terminate")


def stop_on_interrupt(clock: Any, run_due: Callable[[], int]) -> Callable[[], int]:
    """`run_due`, but a KeyboardInterrupt (Jupyter's Stop) also drops the work due now, so a
    runaway loop does not resume inside the next, unrelated API call."""
    def run() -> int:
        try:
            return run_due()
        except KeyboardInterrupt:
            clock.discard_due()
            raise

    return run
