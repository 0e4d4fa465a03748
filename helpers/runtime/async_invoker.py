"""Lambda's asynchronous invocation: the event queue, retries, maximum age, destinations and DLQs.

What AWS does (aws-semantics.md 1.2, L1, L2, L3), reproduced on the virtual clock:
- the event is queued; its first attempt runs once the API call that queued it has returned;
- a function error or timeout is retried twice, 1 minute then 2 minutes after the failed attempt
  (attempts at t, t+60 s, t+180 s), fewer if `MaximumRetryAttempts` says so;
- a throttled attempt (an injected throttle) goes back on the queue, retried after 1 s, 2 s, 4 s...
  at most 5 min apart, for as long as the event is younger than its maximum age (6 h by default);
- an event older than `MaximumEventAgeInSeconds` when its turn comes is not run again;
- reserved concurrency 0: the event goes straight to the failure path, without retries;
- the invocation record goes to the OnSuccess / OnFailure destination (SQS, SNS, Lambda,
  EventBridge); a failed event with no OnFailure destination goes to the function's dead-letter
  queue or topic, with `RequestID`, `ErrorCode` and `ErrorMessage` attributes.

Every attempt of an event keeps the event's request ID, as on AWS. Deliveries go through moto's
SQS, SNS and EventBridge backends, so queue pollers, subscriptions and rules see them.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from moto.moto_api._internal import mock_random

from ..motoext.awslambda import (Invocation, dead_letter_target, event_invoke_config, function_exists,
                                 is_throttled)
from ..motoext import targets
from ..motoext.core import notify

if TYPE_CHECKING:
    from .lambda_runtime import LambdaRuntime

#: Waits before the second and third attempt after a function error [L1].
RETRY_DELAYS_S = (60, 120)
#: Throttled events: backoff from 1 s, doubling, at most 5 minutes [L1].
THROTTLE_FIRST_S, THROTTLE_MAX_S = 1, 300
#: Defaults of `PutFunctionEventInvokeConfig` [L3].
DEFAULT_MAX_RETRIES, DEFAULT_MAX_AGE_S = 2, 21600
#: A dead-letter message carries the first 1 KB of the error message [L2].
DLQ_ERROR_MESSAGE_BYTES = 1024
RESULT_DETAIL_TYPE = "Lambda Function Invocation Result - {}"


@dataclass
class AsyncEvent:
    """One queued event and what happened to it so far."""

    fn: Any
    payload: bytes
    request_id: str
    queued_at: dt.datetime
    function_arn: str
    hop: dict[str, Any] = field(default_factory=dict)
    invocations: int = 0
    throttles: int = 0
    last: Invocation | None = None

    @property
    def name(self) -> str:
        return self.fn.function_name


def _timestamp(at: dt.datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def _qualified_arn(fn: Any, qualifier: str | None) -> str:
    """`arn:...:function:name:<qualifier>`, `$LATEST` for an unqualified invoke, as records show it."""
    base = fn.function_arn.split(":function:")[0] + f":function:{fn.function_name}"
    return f"{base}:{qualifier or fn.version}"


class AsyncInvoker:
    """The asynchronous invocation queue of the lab's Lambda service."""

    def __init__(self, runtime: LambdaRuntime) -> None:
        self.runtime = runtime
        self.clock = runtime.clock

    def submit(self, fn: Any, payload: bytes, qualifier: str | None = None, **hop: Any) -> str:
        """Queue an event for moto function `fn`; returns the invocation's request ID."""
        event = AsyncEvent(fn, payload, str(mock_random.uuid4()), self.clock.now(),
                           _qualified_arn(fn, qualifier), hop)
        notify("lambda", "queue", event.name, request_id=event.request_id, **hop)
        self._schedule(event, 0)
        return event.request_id

    def _schedule(self, event: AsyncEvent, delay_s: float) -> None:
        self.clock.call_later(delay_s, lambda: self._attempt(event), label=f"async {event.name}")

    def _attempt(self, event: AsyncEvent) -> None:
        if not function_exists(event.fn):
            notify("lambda", "drop", event.name, request_id=event.request_id, reason="function deleted")
            return
        config = event_invoke_config(event.fn)
        age_s = (self.clock.now() - event.queued_at).total_seconds()
        if age_s > config.get("MaximumEventAgeInSeconds", DEFAULT_MAX_AGE_S):
            notify("lambda", "expire", event.name, request_id=event.request_id, age_s=age_s)
            # "EventAgeExceeded" is what emulators send; no AWS page confirms it (aws-semantics.md 1.2).
            self._failed(event, "EventAgeExceeded")
        elif is_throttled(event.fn):
            # Reserved concurrency 0: straight to the failure path, no retries [L2]. The record's
            # condition and count (0) in this case are modeled: no AWS page shows one.
            self._failed(event, "RetriesExhausted")
        elif self.runtime.injected_throttle(event.fn):  # retried until the maximum age (<= 6 h) [L1]
            delay = min(THROTTLE_FIRST_S * 2 ** event.throttles, THROTTLE_MAX_S)
            event.throttles += 1
            notify("lambda", "retry", event.name, request_id=event.request_id,
                   attempt=event.invocations + 1, delay_s=delay, reason="throttled")
            self._schedule(event, delay)
        else:
            self._run(event, config)

    def _run(self, event: AsyncEvent, config: dict[str, Any]) -> None:
        event.invocations += 1
        try:
            event.last = self.runtime.invoke(event.fn, event.payload, request_id=event.request_id,
                                             attempt=event.invocations, invocation_type="Event", **event.hop)
        except KeyboardInterrupt as stop:  # Jupyter's Stop: the attempt failed; retry or report it
            event.last = getattr(stop, "invocation", None)
            if event.last is not None:
                self._settle(event, config)
            raise
        self._settle(event, config)

    def _settle(self, event: AsyncEvent, config: dict[str, Any]) -> None:
        """After an attempt: the success record, a retry, or the failure path."""
        if event.last.recursive_loop:  # stopped: straight to the DLQ or on-failure destination
            self._failed(event, "RetriesExhausted")
        elif event.last.function_error is None:
            self._deliver_record(event, "Success", "OnSuccess")
        elif event.invocations <= min(config.get("MaximumRetryAttempts", DEFAULT_MAX_RETRIES),
                                      len(RETRY_DELAYS_S)):
            delay = RETRY_DELAYS_S[event.invocations - 1]
            notify("lambda", "retry", event.name, request_id=event.request_id,
                   attempt=event.invocations + 1, delay_s=delay, reason="function-error")
            self._schedule(event, delay)
        else:
            self._failed(event, "RetriesExhausted")

    # -- where results go --------------------------------------------------------------------
    def _failed(self, event: AsyncEvent, condition: str) -> None:
        if self._deliver_record(event, condition, "OnFailure"):
            return
        target = dead_letter_target(event.fn)
        if target:
            self._dead_letter(event, target)
        else:
            notify("lambda", "drop", event.name, request_id=event.request_id, condition=condition)

    def _deliver_record(self, event: AsyncEvent, condition: str, kind: str) -> bool:
        """Send the invocation record to the OnSuccess/OnFailure destination; False if none."""
        config = event_invoke_config(event.fn)
        target = ((config.get("DestinationConfig") or {}).get(kind) or {}).get("Destination")
        if not target:
            return False
        record = self.record(event, condition)
        body = json.dumps(record)
        detail_type = RESULT_DETAIL_TYPE.format("Success" if condition == "Success" else "Failure")
        senders = {
            "sqs": lambda: targets.send_sqs(target, body),
            "sns": lambda: targets.publish_sns(target, body),
            "events": lambda: targets.put_event(target, "lambda", detail_type, body),
            "lambda": lambda: targets.invoke_lambda_async(target, body.encode(), source=event.function_arn),
        }
        if kind == "OnFailure":  # an S3 bucket takes failures only (invocation-async-retain-records)
            senders["s3"] = lambda: targets.put_s3_object(
                target, event.function_arn.split(":")[4],
                targets.failure_record_key(f"aws/lambda/async/{event.name}", self.clock.now()), body)
        self._send(event, "destination", target, senders, condition=condition, record=record)
        return True

    def record(self, event: AsyncEvent, condition: str) -> dict[str, Any]:
        """The invocation record a destination receives (aws-semantics.md 1.2, L2).

        An event that never ran (throttled until it expired) has no response context; AWS documents
        no example of that case.
        """
        record: dict[str, Any] = {
            "version": "1.0", "timestamp": _timestamp(self.clock.now()),
            "requestContext": {"requestId": event.request_id, "functionArn": event.function_arn,
                               "condition": condition, "approximateInvokeCount": event.invocations},
            "requestPayload": json.loads(event.payload)}
        if event.last is not None:
            response = {"statusCode": 200, "executedVersion": event.last.executed_version}
            if event.last.function_error:
                response["functionError"] = event.last.function_error
            record["responseContext"] = response
            record["responsePayload"] = json.loads(event.last.payload or b"null")
        return record

    def _dead_letter(self, event: AsyncEvent, target: str) -> None:
        """The event as it came, with RequestID, ErrorCode (HTTP status) and ErrorMessage [L2]."""
        if event.last is not None:
            code, message = "200", str(json.loads(event.last.payload).get("errorMessage", ""))
        else:
            code, message = "429", "Rate Exceeded."
        message = message.encode()[:DLQ_ERROR_MESSAGE_BYTES].decode(errors="ignore") or "Unhandled"
        attributes = {"RequestID": ("String", event.request_id), "ErrorCode": ("Number", code),
                      "ErrorMessage": ("String", message)}
        body = event.payload.decode()
        self._send(event, "dead-letter", target, {
            "sqs": lambda: targets.send_sqs(target, body, {
                name: {"DataType": kind, "StringValue": value} for name, (kind, value) in attributes.items()}),
            "sns": lambda: targets.publish_sns(target, body, {
                name: {"Type": kind, "Value": value} for name, (kind, value) in attributes.items()}),
        })

    def _send(self, event: AsyncEvent, action: str, target: str,
              senders: dict[str, Callable[[], Any]], **detail: Any) -> None:
        """Send to the resource `target` names (`motoext.targets`); a failed delivery is recorded, not raised."""
        service = target.split(":")[2]
        detail["target" if action == "dead-letter" else "destination"] = target
        try:
            if service not in senders:
                raise ValueError(f"{service} is not a supported {action} type")
            senders[service]()
        except Exception as err:  # AWS drops the record and counts a delivery failure
            notify("lambda", "drop", event.name, request_id=event.request_id,
                   reason=f"{action} delivery failed: {err}", **detail)
            return
        notify("lambda", action, event.name, request_id=event.request_id, **detail)
