"""Checks for the exercises of notebook 01: an on-failure destination, a partial batch response.

Each check returns a `helpers.exercises.Verdict` and never raises (see `helpers.exercises`). They read
what the learner built through boto3 and what the lab recorded (the trace), never the learner's code.
Each plausible wrong attempt gets its own message and a nudge for that mistake.
"""
from __future__ import annotations

import json
from typing import Any

import boto3
from botocore.exceptions import ClientError

from ..exercises import CheckResult, Hints, Verdict, check
from ..lab import current

#: Conditions of an invocation record for an event that failed (aws-semantics.md 1.2).
FAILED_CONDITIONS = ("RetriesExhausted", "EventAgeExceeded")
#: Attempts of an asynchronous event with the default MaximumRetryAttempts of 2 (aws-semantics.md 1.2 [L1]).
ASYNC_ATTEMPTS = 3


def _peek(queue_url: str) -> list[dict[str, Any]]:
    """The messages waiting in a queue, left there (visibility timeout 0)."""
    sqs = boto3.client("sqs")
    return sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=0).get("Messages", [])


def _queue_arn(queue_url: str) -> str:
    return boto3.client("sqs").get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def _hops(function: str, action: str) -> list[Any]:
    """The lab's recorded Lambda hops `action` of `function`, since the function was last created."""
    hops = current().recorder.hops
    created = [h.seq for h in hops if (h.service, h.action, h.resource) == ("lambda", "CreateFunction", function)]
    since = created[-1] if created else -1
    return [h for h in hops if h.seq > since and (h.service, h.action, h.resource) == ("lambda", action, function)]


def _failed(hop: Any) -> bool:
    report = hop.detail.get("report")
    return bool(report and (report.function_error or report.timed_out))


def on_failure_destination(function: str, queue_url: str, order_id: str) -> Verdict:
    """Exercise `on-failure-destination`: `function` sends failed events to the queue at `queue_url`,
    and the invocation record of order `order_id` is waiting there."""
    hints = Hints(
        nudge="an asynchronous invocation's failures go where its event-invoke configuration says; set it, "
              "then send the failing order asynchronously and let Lambda's retries run.",
        api="lambda_.put_function_event_invoke_config(FunctionName=..., DestinationConfig={\"OnFailure\": "
            "{\"Destination\": <queue ARN>}}); lambda_.invoke(..., InvocationType=\"Event\"); lab.advance(minutes=3)",
        answer=f"lambda_.put_function_event_invoke_config(FunctionName=\"{function}\", DestinationConfig="
               "{\"OnFailure\": {\"Destination\": receipt_failures_arn}})\n"
               f"lambda_.invoke(FunctionName=\"{function}\", InvocationType=\"Event\", "
               "Payload=json.dumps(wallet_order))\nlab.advance(minutes=3)")

    def test() -> CheckResult:
        try:
            config = boto3.client("lambda").get_function_event_invoke_config(FunctionName=function)
        except ClientError:
            return False, f"{function} has no asynchronous invocation configuration yet."
        destination = ((config.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
        queue_arn = _queue_arn(queue_url)
        if destination != queue_arn:
            where = f"goes to {destination}" if destination else "is not set"
            return (False, f"the OnFailure destination of {function} {where}; it should be {queue_arn}.",
                    "OnFailure (not OnSuccess) takes the queue's ARN, not its URL.")
        records = [json.loads(m["Body"]) for m in _peek(queue_url)]
        mine = [r for r in records if isinstance(r, dict)
                and (r.get("requestPayload") or {}).get("order_id") == order_id
                and (r.get("requestContext") or {}).get("condition") in FAILED_CONDITIONS]
        if mine:
            context = mine[-1]["requestContext"]
            return True, (f"the record of {order_id} is in the queue: condition {context['condition']} after "
                          f"{context['approximateInvokeCount']} attempt(s), sent at {mine[-1]['timestamp']}.")
        attempts = _hops(function, "invoke")
        if not attempts:
            return False, (f"the destination is set, but {function} has not run since it was created: invoke "
                           "it asynchronously with the failing order.")
        asynchronous = [h for h in attempts if h.detail.get("invocation_type") == "Event"]
        if not asynchronous:
            return (False, f"{function} ran synchronously: a synchronous call returns its error to the caller "
                           "and never reaches a destination.",
                    "only asynchronous invocations (InvocationType=\"Event\") have destinations.")
        failures = [h for h in asynchronous if _failed(h)]
        if not failures:
            return (False, f"{function} ran {len(asynchronous)} time(s) asynchronously and succeeded every time: "
                           "the event succeeded, so nothing will retry and no failure record will be sent.",
                    f"send an order that fails: the handler rejects wallet payments ({order_id}).")
        if len(failures) < ASYNC_ATTEMPTS:
            return (False, f"{function} failed {len(failures)} of its {ASYNC_ATTEMPTS} attempts so far: Lambda is "
                           "still retrying (at +1 and +3 minutes), and the record is sent after the last one.",
                    "let the virtual clock run on: lab.advance(minutes=3).")
        return (False, f"all {len(failures)} attempts failed, but no record of {order_id} reached the queue: "
                       "was the destination set after the event was sent?",
                "set the destination first, then invoke again and let the retries run.")

    return check("on-failure-destination", test, hints)


def partial_batch_failures(function: str, queue_url: str) -> Verdict:
    """Exercise `partial-batch-failures`: of a batch with one broken message, only that message came back.

    Reads the batch sizes and outcomes of `function`'s invocations from the trace (the first is the whole
    batch, the second what came back after the visibility timeout) and the mapping's FunctionResponseTypes.
    """
    hints = Hints(
        nudge="the handler must say which messages failed, and the mapping must tell Lambda to read what it says.",
        api="return {\"batchItemFailures\": [{\"itemIdentifier\": record[\"messageId\"]}, ...]} and create the "
            "mapping with FunctionResponseTypes=[\"ReportBatchItemFailures\"].",
        answer="for record in event[\"Records\"]:\n    try:\n        ...  # the work\n    except Exception:\n"
               "        failures.append({\"itemIdentifier\": record[\"messageId\"]})\n"
               "return {\"batchItemFailures\": failures}\n"
               "POINTS_MAPPING = {\"BatchSize\": 10, \"FunctionResponseTypes\": [\"ReportBatchItemFailures\"]}")

    def test() -> CheckResult:
        lambda_ = boto3.client("lambda")
        mappings = lambda_.list_event_source_mappings(FunctionName=function)["EventSourceMappings"]
        reports = any("ReportBatchItemFailures" in (m.get("FunctionResponseTypes") or []) for m in mappings)
        attempts = _hops(function, "invoke")
        if not attempts:
            return False, f"{function} has not received a batch yet: run the cell that sends the messages."
        sizes = [h.detail.get("batch_size") for h in attempts]
        first, again = sizes[0], sizes[1:]
        attributes = boto3.client("sqs").get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])
        kept = sum(int(attributes["Attributes"][key]) for key in (
            "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"))
        if not again and kept == 0:
            if not reports:
                return (False, "no message came back, not even the broken one: without FunctionResponseTypes="
                               "[\"ReportBatchItemFailures\"] Lambda ignores the batchItemFailures a handler "
                               "returns, and deletes the whole batch.",
                        "add \"FunctionResponseTypes\": [\"ReportBatchItemFailures\"] to POINTS_MAPPING.")
            return (False, "no message came back, not even the broken one: the handler returned no failures, "
                           "so Lambda deleted the broken message with the rest. It is lost.",
                    "catch the error per record and report that record's messageId.")
        if again and again[0] == first:
            if _failed(attempts[0]):
                return (False, f"the handler raised, so the batch of {first} failed as a whole: all of it came "
                               "back after the visibility timeout, and the good orders were processed twice.",
                        "catch the error inside the loop, per record, instead of letting it escape the handler.")
            if reports:
                return (False, f"the handler returned normally, yet all {first} messages came back: its failure "
                               "report was invalid, and Lambda treats an invalid report as a failure of the whole "
                               "batch. Each entry must be {\"itemIdentifier\": <the record's messageId>}: not an "
                               "order_id, not a bare string, not empty.",
                        "report record[\"messageId\"], wrapped in {\"itemIdentifier\": ...}.")
        if again and again[0] == 1 and reports:
            return True, (f"of the batch of {first}, only the broken message came back; the "
                          f"{first - 1} good ones were processed once and deleted.")
        return False, (f"batches of {sizes}: after the first batch of {first}, exactly one message (the "
                       "broken one) should come back.")

    return check("partial-batch-failures", test, hints)
