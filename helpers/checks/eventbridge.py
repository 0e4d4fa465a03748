"""Checks for the EventBridge exercises of notebook 02: a pattern for large orders, a target DLQ.

Each check returns a `helpers.exercises.Verdict` and never raises (see `helpers.exercises`).
"""
from __future__ import annotations

import json
from typing import Any

import boto3

from ..data import load
from ..exercises import CheckResult, Hints, Verdict, check
from ..patterns import InvalidEventPattern, matches, validate

_ENVELOPE = {"version": "0", "account": "123456789012", "region": "us-east-1", "resources": [],
             "time": "2026-01-05T09:00:00Z"}


def _order_event(order: dict[str, Any], source: str = "bistro.orders", detail_type: str = "OrderPlaced",
                 **changes: Any) -> dict[str, Any]:
    detail = {key: value for key, value in order.items() if key != "payment_will_decline"}
    detail.update(changes)
    return {**_ENVELOPE, "id": f"check-{order['order_id']}", "source": source, "detail-type": detail_type,
            "detail": detail}


def _describe(event: dict[str, Any]) -> str:
    detail = event["detail"]
    return (f"{detail.get('order_id')} ({event['source']} {event['detail-type']}, "
            f"{detail.get('restaurant_region')}, total {detail.get('total')})")


def large_orders(pattern: Any, region: str = "north", threshold: float = 50) -> Verdict:
    """Exercise `large-orders`: `pattern` matches exactly the OrderPlaced events from bistro.orders
    with total > `threshold` in `region` (all sample orders plus edge cases)."""
    hints = Hints(
        nudge="the fields of the order are under \"detail\" in the event: the pattern needs a region and a "
              "comparison of the total there, beside source and detail-type.",
        api='an exact value is a list ["value"]; a comparison is [{"numeric": [">", number]}].',
        answer=f'"detail": {{"restaurant_region": ["{region}"], "total": [{{"numeric": [">", {threshold:g}]}}]}}')

    def test() -> CheckResult:
        if not isinstance(pattern, dict):
            return False, "the pattern should be a dict, like the one the cell starts with."
        try:
            validate(pattern)
        except InvalidEventPattern as error:
            return (False, f"AWS rejects this pattern (put_rule would fail with {error}): numeric compares "
                           "numbers, and a quoted number is a string.",
                    f"write the threshold as a number: {threshold:g}, not \"{threshold:g}\".")
        orders = load("orders.json")
        sample = orders[0]
        cases = [(_order_event(o), o["restaurant_region"] == region and o["total"] > threshold) for o in orders]
        cases += [  # edge cases: exactly the threshold, just above it, the wrong source or type
            (_order_event(sample, restaurant_region=region, total=threshold), False),
            (_order_event(sample, restaurant_region=region, total=threshold + 0.01), True),
            (_order_event(sample, source="bistro.payments", restaurant_region=region, total=99.0), False),
            (_order_event(sample, detail_type="OrderCancelled", restaurant_region=region, total=99.0), False),
        ]
        wrongly_matched = [e for e, wanted in cases if not wanted and matches(pattern, e)]
        missed = [e for e, wanted in cases if wanted and not matches(pattern, e)]
        wanted_count = sum(wanted for _, wanted in cases)
        if not wrongly_matched and not missed:
            return True, (f"your pattern matches exactly the {wanted_count} large {region} orders "
                          f"(total > {threshold:g}) and nothing else.")
        parts = []
        if wrongly_matched:
            parts.append(f"it matches {len(wrongly_matched)} event(s) it should not, e.g. "
                         + _describe(wrongly_matched[0]))
        if missed:
            parts.append(f"it misses {len(missed)} of the {wanted_count} it should match, e.g. "
                         + _describe(missed[0]))
        return False, "; ".join(parts) + "."

    return check("large-orders", test, hints)


def dead_letter_queue(bus: str, rule: str, target_id: str, queue: str) -> Verdict:
    """Exercise `dead-letter-queue`: an undeliverable event for `rule`'s target reaches `queue` with
    EventBridge's attributes (aws-semantics.md 4 [E8])."""
    hints = Hints(
        nudge="a dead-letter queue belongs to a target: the target keeps its Arn (the printer queue) and "
              "gains a setting that says where undeliverable events go.",
        api="sqs.create_queue(QueueName=...), get_queue_attributes(..., AttributeNames=[\"QueueArn\"]), "
            "events.put_targets(Rule=..., EventBusName=..., Targets=[{\"Id\": ..., \"Arn\": ..., "
            "\"DeadLetterConfig\": {\"Arn\": <DLQ ARN>}}])",
        answer=f'dlq_url = sqs.create_queue(QueueName="{queue}")["QueueUrl"]\n'
               'dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])'
               '["Attributes"]["QueueArn"]\n'
               f'events.put_targets(Rule="{rule}", EventBusName="{bus}", Targets=[{{"Id": "{target_id}", '
               '"Arn": printer_arn, "DeadLetterConfig": {"Arn": dlq_arn}}])')

    def test() -> CheckResult:
        events, sqs = boto3.client("events"), boto3.client("sqs")
        try:
            url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
        except sqs.exceptions.QueueDoesNotExist:
            return False, f"there is no queue named {queue!r} yet."
        queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        targets = events.list_targets_by_rule(Rule=rule, EventBusName=bus)["Targets"]
        target = next((t for t in targets if t["Id"] == target_id), None)
        if target is None:
            return False, f"the rule {rule!r} has no target with Id {target_id!r} any more."
        configured = (target.get("DeadLetterConfig") or {}).get("Arn")
        if target["Arn"] == queue_arn:
            return (False, f"{queue!r} was made the target itself (the target's Arn), not the target's dead-letter "
                           "queue: every west order would now go to it, delivered, and a failed delivery would "
                           "still have nowhere to go.",
                    "keep the printer queue as the target's Arn; put the DLQ's ARN in DeadLetterConfig.")
        if configured != queue_arn:
            return False, (f"the target {target_id!r} has no DeadLetterConfig pointing at {queue!r}"
                           + (f" (it points at {configured})." if configured else "."))
        detail = {**{k: v for k, v in load("orders.json")[0].items() if k != "payment_will_decline"},
                  "order_id": "ord-check-dlq", "restaurant_region": "west"}
        entry = events.put_events(Entries=[{"EventBusName": bus, "Source": "bistro.orders",
                                            "DetailType": "OrderPlaced", "Detail": json.dumps(detail)}])
        event_id = entry["Entries"][0].get("EventId")
        found = None
        while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                              MessageAttributeNames=["All"]).get("Messages", []):
            for message in messages:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
                if json.loads(message["Body"]).get("id") == event_id:
                    found = message
        if found is None:
            return False, (f"a west OrderPlaced event ({event_id}) did not reach {queue!r}: is the printer "
                           "queue still the target's Arn, and does the rule still match west orders?")
        attributes = {k: v.get("StringValue") for k, v in found.get("MessageAttributes", {}).items()}
        missing = [a for a in ("RULE_ARN", "TARGET_ARN", "ERROR_CODE") if a not in attributes]
        if missing:
            return False, f"the event reached {queue!r} but lacks the attributes {missing}."
        return True, (f"the undeliverable event {event_id} reached {queue!r} with ERROR_CODE "
                      f"{attributes['ERROR_CODE']}, RETRY_ATTEMPTS {attributes.get('RETRY_ATTEMPTS')}, "
                      f"RULE_ARN {attributes['RULE_ARN']} and TARGET_ARN {attributes['TARGET_ARN']}.")

    return check("dead-letter-queue", test, hints)
