"""SNS: deliveries to SQS and Lambda subscribers on the lab's clock, with AWS's envelope and retries.

moto 5.2.5 delivers inside Publish, invokes Lambda subscribers synchronously with a hard-coded
envelope, ignores `equals-ignore-case` (it lowers the value, not the rule), builds the filter when
the policy is set (so a later `FilterPolicyScope` is ignored), and leaves FIFO deduplication to the
queue. These patches (aws-semantics.md 5):

- a FIFO topic drops a duplicate published within 5 minutes (it is accepted, not delivered) [Q6];
- deliver each notification after Publish has returned, one job per subscription;
- apply the filter policy (scope `MessageAttributes` or `MessageBody` [Q2]) at delivery;
- send SQS subscribers the JSON envelope, or the bare message with raw message delivery [Q3];
  a FIFO topic passes `MessageGroupId` and the deduplication id (SHA-256 of the message when the
  topic uses content-based deduplication) [Q6];
- invoke Lambda subscribers asynchronously with the `Records[0].Sns` event, the MessageId Publish
  returned and the Timestamp of the publish;
- retry a throttled or failing endpoint on the AWS-managed schedule (3 immediate, 2 at 1 s, 10 with
  backoff 1-20 s, 100,000 at 20 s) [Q1]; a deleted endpoint (client-side error) is not retried;
  then send the notification to the subscription's `RedrivePolicy` dead-letter queue, or drop it.

The `Signature` is a deterministic stand-in of the right shape, not a verifiable signature.

Hops: ("sns", "deliver" | "filtered-out" | "retry" | "dead-letter" | "drop", topic name,
endpoint=..., protocol=..., message_id=...).
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Callable

from moto.moto_api._internal import mock_random
from moto.sns.exceptions import SNSInvalidParameter, TopicNotFound
from moto.sns.utils import FilterPolicyMatcher

from . import targets
from .core import notify, scheduler
from .deduplication import DeduplicationWindow
from .patching import Patch

#: How many retries SNS makes to AWS-managed endpoints (Lambda, SQS) in each phase [Q1].
IMMEDIATE_RETRIES, PRE_BACKOFF_RETRIES, BACKOFF_RETRIES, POST_BACKOFF_RETRIES = 3, 2, 10, 100_000
MIN_DELAY_SECONDS, MAX_DELAY_SECONDS = 1.0, 20.0


def retry_delay(retry: int) -> float | None:
    """Seconds before retry number `retry` (1-based) to a Lambda or SQS endpoint, or None when spent."""
    if retry <= IMMEDIATE_RETRIES:
        return 0.0
    retry -= IMMEDIATE_RETRIES
    if retry <= PRE_BACKOFF_RETRIES:
        return MIN_DELAY_SECONDS
    retry -= PRE_BACKOFF_RETRIES
    if retry <= BACKOFF_RETRIES:  # exponential from 1 s to 20 s
        ratio = MAX_DELAY_SECONDS / MIN_DELAY_SECONDS
        return round(MIN_DELAY_SECONDS * ratio ** ((retry - 1) / (BACKOFF_RETRIES - 1)), 3)
    retry -= BACKOFF_RETRIES
    return MAX_DELAY_SECONDS if retry <= POST_BACKOFF_RETRIES else None


def iso_millis(moment: dt.datetime) -> str:
    """SNS's Timestamp format: `2026-01-05T09:00:00.000Z`."""
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass
class Notification:
    """One published message on its way to one subscription."""

    subscription: Any
    message: str
    message_id: str
    subject: str | None
    attributes: dict[str, Any]
    group_id: str | None
    deduplication_id: str | None
    timestamp: str
    number: int = field(default=1)

    @property
    def topic(self) -> Any:
        return self.subscription.topic

    def _hop(self, action: str, **detail: Any) -> None:
        notify("sns", action, self.topic.name, endpoint=self.subscription.endpoint,
               protocol=self.subscription.protocol, message_id=self.message_id, **detail)

    # -- what the subscriber receives -------------------------------------------------------
    def _signature_fields(self) -> dict[str, str]:
        region = self.topic.sns_backend.region_name
        signed = f"Message\n{self.message}\nMessageId\n{self.message_id}\nTimestamp\n{self.timestamp}\n" \
                 f"TopicArn\n{self.topic.arn}\nType\nNotification\n"
        digest = hashlib.sha256(signed.encode("utf-8")).digest()
        cert = hashlib.sha256(self.topic.arn.encode()).hexdigest()[:32]
        return {
            "SignatureVersion": str(getattr(self.topic, "signature_version", None) or "1"),
            "Signature": base64.b64encode(digest * 8).decode("ascii"),
            "SigningCertURL": f"https://sns.{region}.amazonaws.com/SimpleNotificationService-{cert}.pem",
            "UnsubscribeURL": f"https://sns.{region}.amazonaws.com/?Action=Unsubscribe"
                              f"&SubscriptionArn={self.subscription.arn}",
        }

    def envelope(self) -> dict[str, Any]:
        """The JSON an SQS (or HTTP) subscriber receives without raw message delivery [Q3]."""
        body: dict[str, Any] = {"Type": "Notification", "MessageId": self.message_id,
                                "TopicArn": self.topic.arn}
        if self.subject is not None:
            body["Subject"] = self.subject
        body.update({"Message": self.message, "Timestamp": self.timestamp})
        body.update(self._signature_fields())
        if self.attributes:
            body["MessageAttributes"] = self.attributes
        return body

    def lambda_event(self) -> dict[str, Any]:
        """The event a Lambda subscriber is invoked with."""
        signature = self._signature_fields()
        return {"Records": [{
            "EventSource": "aws:sns", "EventVersion": "1.0",
            "EventSubscriptionArn": self.subscription.arn,
            "Sns": {
                "Type": "Notification", "MessageId": self.message_id, "TopicArn": self.topic.arn,
                "Subject": self.subject, "Message": self.message, "Timestamp": self.timestamp,
                "SignatureVersion": signature["SignatureVersion"], "Signature": signature["Signature"],
                "SigningCertUrl": signature["SigningCertURL"], "UnsubscribeUrl": signature["UnsubscribeURL"],
                "MessageAttributes": self.attributes,
            }}]}

    def _raw(self) -> bool:
        return str(self.subscription.attributes.get("RawMessageDelivery", "false")).lower() == "true"

    def _sqs_attributes(self) -> dict[str, Any]:
        """Message attributes as SQS carries them, for raw message delivery."""
        converted = {}
        for name, attribute in self.attributes.items():
            kind = "BinaryValue" if attribute["Type"].startswith("Binary") else "StringValue"
            converted[name] = {"DataType": attribute["Type"], kind: str(attribute["Value"])}
        return converted

    # -- delivering ---------------------------------------------------------------------------
    def matches_filter(self) -> bool:
        """The subscription's filter policy, read now, with its current scope [Q2]."""
        policy = self.subscription.attributes.get("FilterPolicy")
        if not policy:
            return True
        scope = self.subscription.attributes.get("FilterPolicyScope") or None
        return FilterPolicyMatcher(json.loads(policy), scope).matches(self.attributes, self.message)

    def deliver(self) -> None:
        if self.number == 1 and not self.matches_filter():
            self._hop("filtered-out")
            return
        try:
            self._send()
        except Exception as err:  # noqa: BLE001 - every failure is classified, as AWS does
            self._failed(targets.classify(err))
            return
        self._hop("deliver", attempt=self.number)

    def _send(self) -> None:
        protocol = self.subscription.protocol
        if protocol == "sqs":
            if self._raw():
                targets.send_sqs(self.subscription.endpoint, self.message, self._sqs_attributes(),
                                 self.group_id, self.deduplication_id)
            else:
                body = json.dumps(self.envelope(), indent=2, separators=(",", " : "))
                targets.send_sqs(self.subscription.endpoint, body, None, self.group_id, self.deduplication_id)
        elif protocol == "lambda":
            targets.invoke_lambda_async(self.subscription.endpoint, json.dumps(self.lambda_event()).encode(),
                                       source=self.topic.arn)
        else:
            raise targets.DeliveryError("INVALID_PARAMETER",
                                        f"The lab does not deliver to {protocol} endpoints.", retryable=False)

    def _failed(self, error: targets.DeliveryError) -> None:
        delay = retry_delay(self.number) if error.retryable else None
        if delay is not None:
            self._hop("retry", attempt=self.number, error=error.code, delay=delay)
            self.number += 1
            scheduler().call_later(delay, self.deliver, label=f"sns retry -> {self.subscription.endpoint}")
            return
        redrive = json.loads(self.subscription.attributes.get("RedrivePolicy") or "{}")
        dlq = redrive.get("deadLetterTargetArn")
        if dlq:
            try:
                targets.send_sqs(dlq, json.dumps(self.envelope()), self._sqs_attributes())
            except Exception as err:  # noqa: BLE001 - a missing DLQ loses the message, as on AWS
                self._hop("drop", attempt=self.number, error=error.code, dlq_error=str(targets.classify(err)))
                return
            self._hop("dead-letter", attempt=self.number, error=error.code, target=dlq)
        else:
            self._hop("drop", attempt=self.number, error=error.code)


def _make_subscription_publish(original: Callable[..., Any]) -> Callable[..., Any]:
    def publish(self: Any, message: str, message_id: str, subject: str | None = None,
                message_attributes: dict[str, Any] | None = None, group_id: str | None = None,
                deduplication_id: str | None = None, message_structure: str | None = None) -> None:
        if self.protocol not in ("sqs", "lambda"):
            return original(self, message, message_id, subject, message_attributes, group_id,
                            deduplication_id, message_structure)
        if message_structure == "json":
            message = self._parse_message_structure(message, self.protocol)
        if self.topic.fifo_topic and not deduplication_id and self.topic.content_based_deduplication:
            deduplication_id = hashlib.sha256(message.encode("utf-8")).hexdigest()
        notification = Notification(self, message, message_id, subject, dict(message_attributes or {}),
                                    group_id, deduplication_id, iso_millis(scheduler().now()))
        scheduler().call_soon(notification.deliver, label=f"sns {self.topic.name} -> {self.endpoint}")

    return publish


#: Subscription attributes AWS parses, and what it answers when they are wrong. The wording is the
#: one LocalStack's AWS-validated tests record (tests/aws/services/sns/test_sns.py): "Invalid parameter:
#: " for SetSubscriptionAttributes, "Invalid parameter: Attributes Reason: " for Subscribe.
_SCOPES = ("MessageAttributes", "MessageBody")


def attribute_problem(name: str, value: Any) -> str | None:
    """Why SNS refuses subscription attribute `name`=`value`, or None."""
    if name in ("FilterPolicy", "RedrivePolicy") and value:
        try:
            json.loads(value)
        except (TypeError, ValueError):
            return f"{name}: failed to parse JSON."
    if name == "FilterPolicyScope" and value not in _SCOPES:
        return f"FilterPolicyScope: Invalid value [{value}]. Please use either MessageBody or MessageAttributes"
    return None


def _make_set_subscription_attributes(original: Callable[..., Any]) -> Callable[..., Any]:
    def set_subscription_attributes(self: Any, arn: str, name: str, value: Any) -> None:
        problem = attribute_problem(name, value)
        if problem:
            raise SNSInvalidParameter(f"Invalid parameter: {problem}")
        original(self, arn, name, value)

    return set_subscription_attributes


def _make_subscribe_response(original: Callable[..., Any]) -> Callable[..., Any]:
    def subscribe(self: Any) -> Any:
        for name, value in (self._get_attributes() or {}).items():
            problem = attribute_problem(name, value)
            if problem:  # refused before the subscription exists
                raise SNSInvalidParameter(f"Invalid parameter: Attributes Reason: {problem}")
        return original(self)

    return subscribe


def _make_backend_publish(original: Callable[..., Any]) -> Callable[..., Any]:
    def publish(self: Any, message: str, arn: str | None, phone_number: str | None = None,
                subject: str | None = None, message_attributes: dict[str, Any] | None = None,
                group_id: str | None = None, deduplication_id: str | None = None,
                message_structure: str | None = None) -> str:
        if not message:
            raise SNSInvalidParameter("Invalid parameter: Empty message")
        if arn and ":endpoint/" not in arn and not phone_number:
            if arn not in self.topics:
                raise TopicNotFound()  # moto answers "Endpoint does not exist"
            if self.topics[arn].fifo_topic and not group_id:  # moto answers MissingParameter
                raise SNSInvalidParameter("Invalid parameter: The MessageGroupId parameter is required for FIFO topics")
        return original(self, message, arn, phone_number, subject, message_attributes, group_id,
                        deduplication_id, message_structure)

    return publish


def _make_topic_publish(original: Callable[..., Any]) -> Callable[..., Any]:
    def publish(self: Any, message: str, subject: str | None = None,
                message_attributes: dict[str, Any] | None = None, group_id: str | None = None,
                deduplication_id: str | None = None, message_structure: str | None = None) -> str:
        if self.fifo_topic:
            key = deduplication_id or hashlib.sha256(message.encode("utf-8")).hexdigest()
            scope = group_id if getattr(self, "fifo_throughput_scope", "Topic") == "MessageGroup" else None
            window = self.__dict__.setdefault("_lab_deduplication", DeduplicationWindow())
            if not window.first_copy((scope, key), scheduler().now().timestamp() * 1000):
                message_id = str(mock_random.uuid4())  # accepted, not delivered
                notify("sns", "deduplicated", self.name, message_id=message_id, deduplication_id=key)
                return message_id
        return original(self, message, subject, message_attributes, group_id, deduplication_id, message_structure)

    return publish


def _make_field_match(original: Any) -> Any:
    match = original.__func__ if isinstance(original, staticmethod) else original

    def _field_match(field: str, rules: list[Any], dict_body: dict[str, Any],
                     attributes_based_check: bool = True) -> bool:
        """`equals-ignore-case` compares both sides lower-cased; other rules go to moto's matcher."""
        ignore_case = [r for r in rules if isinstance(r, dict) and "equals-ignore-case" in r]
        others = [r for r in rules if r not in ignore_case]
        if ignore_case and field in dict_body:
            value = dict_body[field]["Value"] if attributes_based_check else dict_body[field]
            values = value if isinstance(value, list) else [value]
            wanted = {str(r["equals-ignore-case"]).lower() for r in ignore_case}
            if any(isinstance(v, str) and v.lower() in wanted for v in values):
                return True
        return bool(others) and match(field, others, dict_body, attributes_based_check)

    return staticmethod(_field_match)


SUBSCRIPTION_PUBLISH = Patch(
    target="moto.sns.models:Subscription.publish",
    signature="(self, message: str, message_id: str, subject: str | None = None, "
    "message_attributes: dict[str, typing.Any] | None = None, group_id: str | None = None, "
    "deduplication_id: str | None = None, message_structure: str | None = None) -> None",
    rule="SNS delivers to SQS and Lambda after Publish returns, with the real envelope, filter policies, "
    "FIFO ids, retries and the subscription DLQ (aws-semantics.md 5 [Q1][Q2][Q3][Q6])",
    make=_make_subscription_publish,
)
BACKEND_PUBLISH = Patch(
    target="moto.sns.models:SNSBackend.publish",
    signature="(self, message: str, arn: str | None, phone_number: str | None = None, subject: str | None = None, "
    "message_attributes: dict[str, typing.Any] | None = None, group_id: str | None = None, "
    "deduplication_id: str | None = None, message_structure: str | None = None) -> str",
    rule="Publish to a topic that does not exist is NotFound 'Topic does not exist'; an empty message, or a "
    "FIFO topic's message without MessageGroupId, is InvalidParameter",
    make=_make_backend_publish,
)
TOPIC_PUBLISH = Patch(
    target="moto.sns.models:Topic.publish",
    signature="(self, message: str, subject: str | None = None, "
    "message_attributes: dict[str, typing.Any] | None = None, group_id: str | None = None, "
    "deduplication_id: str | None = None, message_structure: str | None = None) -> str",
    rule="A FIFO topic accepts a duplicate (same deduplication id within 5 minutes, per topic or per message "
    "group with FifoThroughputScope MessageGroup) but does not deliver it (aws-semantics.md 5 [Q6])",
    make=_make_topic_publish,
)
SET_SUBSCRIPTION_ATTRIBUTES = Patch(
    target="moto.sns.models:SNSBackend.set_subscription_attributes",
    signature="(self, arn: str, name: str, value: Any) -> None",
    rule="SetSubscriptionAttributes refuses a FilterPolicy or RedrivePolicy that is not JSON and an unknown "
    "FilterPolicyScope with InvalidParameter (aws-semantics.md 5 [Q2])",
    make=_make_set_subscription_attributes,
)
SUBSCRIBE_RESPONSE = Patch(
    target="moto.sns.responses:SNSResponse.subscribe",
    signature="(self) -> moto.core.responses.ActionResult",
    rule="Subscribe refuses bad attributes before it creates the subscription (InvalidParameter)",
    make=_make_subscribe_response,
)
FIELD_MATCH = Patch(
    target="moto.sns.utils:FilterPolicyMatcher._field_match",
    signature="(field: str, rules: list[typing.Any], dict_body: dict[str, typing.Any], "
    "attributes_based_check: bool = True) -> bool",
    rule="Filter policy equals-ignore-case matches regardless of case (aws-semantics.md 5 [Q2])",
    make=_make_field_match,
)
PATCHES = [BACKEND_PUBLISH, TOPIC_PUBLISH, SUBSCRIPTION_PUBLISH, SET_SUBSCRIPTION_ATTRIBUTES, SUBSCRIBE_RESPONSE,
           FIELD_MATCH]
