"""The check of notebook 05's exercise `flaky-payment`: a Retry policy that lets a flaky charge succeed.

It reads what Step Functions recorded, as a learner could: the definition the execution ran
(DescribeStateMachineForExecution) and its history (GetExecutionHistory), never the learner's code.
"""
from __future__ import annotations

import json
from typing import Any

import boto3

from ..bistro.orchestration import history
from ..diagrams import asl
from ..exercises import Hints, Verdict, check

#: The error the card provider's stand-in raises (notebooks/bistro/orchestration/payment.py).
ERROR = "PaymentProviderTimeout"
TASK = "ChargeCard"
#: How many times the provider times out before it answers (the notebook sets PROVIDER_TIMEOUTS).
TIMEOUTS = 2
_CATCH_ALL = ("States.ALL", "States.TaskFailed")

HINTS = Hints(
    nudge=f"Give {TASK} (in the first branch of PayAndCook) a \"Retry\" list with a retrier for the error "
          f"the provider raises, {ERROR}, and enough attempts to outlast {TIMEOUTS} timeouts.",
    api="A retrier is {\"ErrorEquals\": [...], \"IntervalSeconds\": 1, \"MaxAttempts\": 3, \"BackoffRate\": 2}; "
        "a Task state's \"Retry\" is a list of them, tried before its \"Catch\". Then "
        "sfn.update_state_machine(stateMachineArn=machine_arn, definition=json.dumps(flaky)).",
    answer=f"charge_card[\"Retry\"] = [{{\"ErrorEquals\": [\"{ERROR}\"], \"IntervalSeconds\": 1, "
           "\"MaxAttempts\": 3, \"BackoffRate\": 2}]",
)


def _times(count: int) -> str:
    return {1: "once", 2: "twice"}.get(count, f"{count} times")


def _matches(errors: list[str]) -> bool:
    return ERROR in errors or any(name in errors for name in _CATCH_ALL)


def flaky_payment(execution_arn: str) -> Verdict:
    """Exercise `flaky-payment`: the execution's ChargeCard timed out twice, was retried, and charged."""

    def test() -> tuple[bool, str] | tuple[bool, str, str]:
        sfn = boto3.client("stepfunctions")
        definition = json.loads(sfn.describe_state_machine_for_execution(executionArn=execution_arn)["definition"])
        states = dict(asl.walk(definition))
        events = history(sfn.get_execution_history(executionArn=execution_arn)["events"], everything=True)
        charge = events[events["state"].eq(TASK)]
        failures = int(charge["event"].eq("TaskFailed").sum())
        charged = bool(charge["event"].eq("TaskSucceeded").any())
        retriers = states.get(TASK, {}).get("Retry", [])
        matching = [r for r in retriers if _matches(r.get("ErrorEquals", []))]
        if not retriers:
            return _without_retrier(states, failures)
        if not matching:
            return _wrong_errors(retriers)
        broad = [name for name in _CATCH_ALL if name in matching[0].get("ErrorEquals", [])]
        if broad:
            return (False, f"{TASK} got through, but your retrier matches {broad[0]}, so it would also retry a "
                    "PaymentDeclined: a declined card charged again and again, the customer waiting for nothing.",
                    f"Name the transient error itself: \"ErrorEquals\": [\"{ERROR}\"].")
        attempts = matching[0].get("MaxAttempts", 3)
        if not charged and attempts < TIMEOUTS:
            return (False, f"{TASK}'s retrier has \"MaxAttempts\": {attempts}, which allows {attempts} retr"
                    f"{'y' if attempts == 1 else 'ies'}, and the provider times out {TIMEOUTS} times in a row: "
                    f"it timed out {_times(failures)}, then the Catch cancelled the order.",
                    f"MaxAttempts counts retries after the first attempt: you need at least {TIMEOUTS}.")
        if not charged:
            return False, (f"{TASK} has not charged the card yet (it timed out {_times(failures)} so far): the next retry "
                           "is still waiting. Let the clock run (lab.advance(minutes=1)) or shorten IntervalSeconds.")
        tried = charge[charge["event"].eq("TaskScheduled")]["t (s)"].tolist()
        gaps = " and ".join(f"{b - a:g} s" for a, b in zip(tried, tried[1:]))
        return True, (f"{TASK} timed out {_times(failures)}, was retried after {gaps}, and charged the card on "
                      f"attempt {len(tried)}.")

    return check("flaky-payment", test, HINTS)


def _without_retrier(states: dict[str, dict[str, Any]], failures: int) -> tuple[bool, str, str]:
    elsewhere = [name for name, state in states.items()
                 if name != TASK and any(_matches(r.get("ErrorEquals", [])) for r in state.get("Retry", []))]
    if elsewhere:
        return (False, f"your retrier for {ERROR} is on {elsewhere[0]}, but the error happens in {TASK}, whose "
                "Catch turns it into the payment branch's result at once: no other state ever sees it fail.",
                f"Move the retrier into {TASK}'s own \"Retry\" list.")
    catchers = [c for c in states.get(TASK, {}).get("Catch", []) if ERROR in c.get("ErrorEquals", [])]
    if catchers:
        where = catchers[0].get("Next")
        how = ("goes back to ChargeCard at once: no backoff and no limit" if where == TASK
               else f"moves on to {where}: it handles the error, it doesn't try again")
        return (False, f"you added a Catch for {ERROR}, which {how}. A Retry tries the same state again, "
                "with IntervalSeconds, BackoffRate and MaxAttempts.",
                f"Use \"Retry\" (not \"Catch\") on {TASK}.")
    return (False, f"{TASK} failed {_times(failures)} with {ERROR} and was not retried: it has no \"Retry\", "
            "so its Catch cancelled the order.", HINTS.nudge)


def _wrong_errors(retriers: list[dict[str, Any]]) -> tuple[bool, str, str]:
    named = sorted({error for r in retriers for error in r.get("ErrorEquals", [])})
    message = (f"{TASK} has a retrier for {', '.join(named)}, but the task failed with {ERROR}, which it doesn't "
               "match, so the Catch took the error at once.")
    if "States.Timeout" in named:
        message += (" States.Timeout is Step Functions' own error when a task runs past its TimeoutSeconds; "
                    "a timeout the function reports is the function's error.")
    return (False, message, "A Lambda function's error is named after the exception class it raised: look at "
            "the TaskFailed event's error in the history.")
