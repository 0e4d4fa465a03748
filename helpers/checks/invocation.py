"""Checks for the exercises of notebook 01: an on-failure destination, a partial batch response.

Each check returns a `helpers.exercises.Verdict` and never raises (see `helpers.exercises`). They read
what the learner built through boto3 and what the lab recorded (the trace), never the learner's code.
"""
from __future__ import annotations

import json
from typing import Any

import boto3
from botocore.exceptions import ClientError

from ..exercises import Verdict, check
from ..lab import current

#: Conditions of an invocation record for an event that failed (aws-semantics.md 1.2).
FAILED_CONDITIONS = ("RetriesExhausted", "EventAgeExceeded")


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


def on_failure_destination(function: str, queue_url: str, order_id: str) -> Verdict:
    """Exercise `on-failure-destination`: `function` sends failed events to the queue at `queue_url`,
    and the invocation record of order `order_id` is waiting there."""
    name = "on-failure-destination"
    hint = (f"call lambda_.put_function_event_invoke_config(FunctionName=\"{function}\", DestinationConfig="
            "{\"OnFailure\": {\"Destination\": <the queue's ARN>}}), invoke the function with "
            "InvocationType=\"Event\" and the failing order, then let the retries run: lab.advance(minutes=3).")

    def test() -> tuple[bool, str]:
        try:
            config = boto3.client("lambda").get_function_event_invoke_config(FunctionName=function)
        except ClientError:
            return False, f"{function} has no asynchronous invocation configuration yet."
        destination = ((config.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
        queue_arn = _queue_arn(queue_url)
        if destination != queue_arn:
            where = f"goes to {destination}" if destination else "is not set"
            return False, f"the OnFailure destination of {function} {where}; it should be {queue_arn}."
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
        if any(h.detail.get("invocation_type") == "Event" for h in attempts):
            return False, (f"{function} ran {len(attempts)} time(s) but no record of {order_id} reached the queue "
                           "yet: Lambda is still retrying. Let the virtual clock run on.")
        return False, (f"{function} ran synchronously: a synchronous call returns its error to the caller and "
                       "never reaches a destination. Invoke it with InvocationType=\"Event\".")

    return check(name, test, hint)


def partial_batch_failures(function: str, queue_url: str) -> Verdict:
    """Exercise `partial-batch-failures`: of a batch with one broken message, only that message came back.

    Reads the batch sizes of `function`'s invocations from the trace (the first is the whole batch,
    the second what came back after the visibility timeout) and the mapping's FunctionResponseTypes.
    """
    name = "partial-batch-failures"
    hint = ("wrap the work on each record in try/except, collect {\"itemIdentifier\": record[\"messageId\"]} "
            "for the records that fail, return {\"batchItemFailures\": failures}, and add "
            "\"FunctionResponseTypes\": [\"ReportBatchItemFailures\"] to the mapping's settings.")

    def test() -> tuple[bool, str]:
        lambda_ = boto3.client("lambda")
        mappings = lambda_.list_event_source_mappings(FunctionName=function)["EventSourceMappings"]
        reports = any("ReportBatchItemFailures" in (m.get("FunctionResponseTypes") or []) for m in mappings)
        sizes = [h.detail.get("batch_size") for h in _hops(function, "invoke")]
        if not sizes:
            return False, f"{function} has not received a batch yet: run the cell that sends the messages."
        first, again = sizes[0], sizes[1:]
        attributes = boto3.client("sqs").get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])
        kept = sum(int(attributes["Attributes"][key]) for key in (
            "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"))
        if not again and kept == 0:
            if not reports:
                return False, ("no message came back, not even the broken one: without "
                               "FunctionResponseTypes=[\"ReportBatchItemFailures\"] Lambda ignores the "
                               "batchItemFailures a handler returns, and deletes the whole batch.")
            return False, ("no message came back, not even the broken one: the handler returned no "
                           "failures, so Lambda deleted the broken message with the rest. It is lost.")
        if again and again[0] == first:
            return False, (f"all {first} messages of the batch came back after the visibility timeout: the "
                           "batch failed as a whole, so the good orders were processed twice.")
        if again and again[0] == 1 and reports:
            return True, (f"of the batch of {first}, only the broken message came back; the "
                          f"{first - 1} good ones were processed once and deleted.")
        return False, (f"batches of {sizes}: after the first batch of {first}, exactly one message (the "
                       "broken one) should come back.")

    return check(name, test, hint)
