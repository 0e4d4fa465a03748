"""Check for the exercise of notebook 04: add a loyalty context without touching the others.

`fingerprint()` records every function's code and configuration and every rule's pattern and
targets; `loyalty_points(before)` proves nothing recorded changed, then places a paid and a
declined order through the ordering context, delivers the paid order's PaymentSucceeded a second
time to the new context's targets (EventBridge delivers at least once, aws-semantics.md 4), and
reads the points. Returns a `helpers.exercises.Verdict`; never raises.
"""
from __future__ import annotations

import itertools
import json
from typing import Any

import boto3

from ..bistro import choreography
from ..data import load
from ..exercises import Hints, Verdict, check
from ..lab import current
from ..motoext.events_input import RuleContext, target_input
from ..patterns import matches

TABLE = "loyalty"
#: Sample orders the check copies under fresh ids: a card payment that goes through, one that is declined.
PAID_TEMPLATE, DECLINED_TEMPLATE = "ord-0006", "ord-0004"
_runs = itertools.count(1)

HINTS = Hints(
    nudge="a new context brings its own table, function and rule, and reacts to the fact that money came in "
          "(not to the order being placed); remember which orders you have rewarded, because the same event "
          "can arrive twice.",
    api='dynamodb.create_table(TableName="loyalty", ...key customer_id...), lambda_.create_function(...), '
        'events.put_rule(Name="to-loyalty", EventBusName="bistro", EventPattern=json.dumps({"detail-type": '
        '["PaymentSucceeded"]})) and events.put_targets(...). In the handler: dynamodb.update_item(... '
        'UpdateExpression="ADD points :p, rewarded :order", ConditionExpression="NOT contains(rewarded, :id)") '
        "and catch ConditionalCheckFailedException.",
    answer="See the solution: notebooks/solutions/04-choreography/loyalty-points.py (a handler that adds "
           "int(amount) points and the order id to the customer's item only if the id is not there yet; the "
           "table, the function, and a rule to-loyalty on PaymentSucceeded).")


def fingerprint() -> dict[str, dict[str, Any]]:
    """What the contexts are now: each function's code hash and configuration, each rule of the
    Bistro bus with its pattern, state and targets."""
    lambda_, events = boto3.client("lambda"), boto3.client("events")
    functions = {}
    for page in lambda_.get_paginator("list_functions").paginate():
        for fn in page["Functions"]:
            functions[fn["FunctionName"]] = {
                "code": fn["CodeSha256"], "handler": fn.get("Handler"), "timeout": fn.get("Timeout"),
                "memory": fn.get("MemorySize"), "environment": (fn.get("Environment") or {}).get("Variables", {})}
    rules = {}
    for rule in events.list_rules(EventBusName=choreography.BUS)["Rules"]:
        if rule.get("ManagedBy"):
            continue  # the rule EventBridge keeps for the archive
        targets = events.list_targets_by_rule(Rule=rule["Name"], EventBusName=choreography.BUS)["Targets"]
        rules[rule["Name"]] = {"pattern": json.loads(rule.get("EventPattern") or "{}"), "state": rule.get("State"),
                               "targets": sorted((json.dumps(t, sort_keys=True) for t in targets))}
    return {"functions": functions, "rules": rules}


def _changes(before: dict[str, dict[str, Any]], after: dict[str, dict[str, Any]]) -> list[str]:
    """What differs, for everything that existed before, in words."""
    found = []
    for name, was in before["functions"].items():
        now = after["functions"].get(name)
        if now is None:
            found.append(f"the function {name} is gone")
        elif now["code"] != was["code"]:
            found.append(f"the code of {name} changed")
        elif now != was:
            found.append(f"the configuration of {name} changed ({', '.join(k for k in was if now[k] != was[k])})")
    for name, was in before["rules"].items():
        now = after["rules"].get(name)
        if now is None:
            found.append(f"the rule {name} is gone")
        elif now["targets"] != was["targets"]:
            found.append(f"the targets of the rule {name} changed")
        elif now != was:
            found.append(f"the pattern or state of the rule {name} changed")
    return found


def _test_order(template: str, run: int, role: str) -> dict[str, Any]:
    order = next(o for o in load("orders.json") if o["order_id"] == template)
    return {**order, "order_id": f"ord-check-{run}-{role}", "customer_id": f"cust-check-{run}-{role}"}


def _points(customer_id: str) -> int:
    item = boto3.client("dynamodb").get_item(TableName=TABLE, Key={"customer_id": {"S": customer_id}}).get("Item")
    return int(item.get("points", {}).get("N", 0)) if item else 0


def _recorded(order_id: str, detail_type: str) -> dict[str, Any] | None:
    """The event the observer recorded for this order (the whole event, as delivered)."""
    events = choreography.timeline(order_id)
    bodies = events[events["event"].eq(detail_type)]["body"]
    return json.loads(bodies.iloc[0]) if len(bodies) else None


def _deliver_again(event: dict[str, Any], rules: dict[str, dict[str, Any]]) -> int:
    """Hand `event` once more to every Lambda target of these rules whose pattern matches it, as an
    EventBridge duplicate delivery would (an asynchronous invoke with the target's input)."""
    lambda_, region, account = boto3.client("lambda"), current().region, current().account_id
    delivered = 0
    for name, rule in rules.items():
        if not matches(rule["pattern"], event):
            continue
        arn = f"arn:aws:events:{region}:{account}:rule/{choreography.BUS}/{name}"
        for target in map(json.loads, rule["targets"]):
            if ":lambda:" in target["Arn"]:
                payload = target_input(target, event, RuleContext(name, arn, event["time"]))
                lambda_.invoke(FunctionName=target["Arn"], InvocationType="Event", Payload=payload)
                delivered += 1
    return delivered


def _failures(functions: set[str], since: int) -> list[str]:
    """The error types of the failed attempts of these functions since hop `since`."""
    return sorted({str(h.detail["report"].error_type) for h in current().recorder.hops[since:]
                   if (h.service, h.action) == ("lambda", "invoke") and h.resource in functions
                   and h.detail.get("report") is not None and h.detail["report"].function_error})


def loyalty_points(before: dict[str, dict[str, Any]] | None) -> Verdict:
    """Exercise `loyalty-points`: a new context grants int(amount) points per paid order, in table
    `loyalty` (key customer_id, attribute points), once, and nothing that existed in `before` changed."""
    name = "loyalty-points"

    def test() -> tuple[bool, str] | tuple[bool, str, str]:
        if not isinstance(before, dict) or "functions" not in before:
            return False, "run the cell that takes the fingerprint (`before = checks.fingerprint()`) first."
        after = fingerprint()
        changed = _changes(before, after)
        if changed:
            return False, ("you changed other contexts: " + "; ".join(changed) + ". A new context must not need "
                           "that: on a bus, a new consumer only adds its own rule."), (
                "put the old contexts back as they were (choreography.deploy_context(<name>) redeploys one from "
                "its file), then give loyalty a function and a rule of its own.")
        new_rules = {n: r for n, r in after["rules"].items() if n not in before["rules"]}
        new_functions = set(after["functions"]) - set(before["functions"])
        tables = boto3.client("dynamodb").list_tables()["TableNames"]
        if not new_rules and not new_functions and TABLE not in tables:
            return False, "there is no loyalty context yet: no new table, function or rule."
        if TABLE not in tables:
            return False, f"there is no table named {TABLE!r} (key customer_id) for the points."
        if not new_rules:
            return False, "nothing on the bistro bus reaches your function yet: add a rule with it as the target."
        if choreography.OBSERVER.table_name not in tables:
            return False, "the check reads the order timeline: run the observer's cells (section 9) first."
        run, hops = next(_runs), len(current().recorder.hops)
        paid, declined = _test_order(PAID_TEMPLATE, run, "paid"), _test_order(DECLINED_TEMPLATE, run, "declined")
        choreography.place(paid)
        choreography.place(declined)
        succeeded = _recorded(paid["order_id"], "PaymentSucceeded")
        duplicates = _deliver_again(succeeded, new_rules) if succeeded else 0
        expected = int(paid["total"])
        got_paid, got_declined = _points(paid["customer_id"]), _points(declined["customer_id"])
        if got_declined:
            return False, (f"the declined order earned {got_declined} points: your context reacts to an event "
                           "that comes before the payment (OrderPlaced?), so a customer whose card was declined "
                           "is rewarded too."), "react to the fact that the money came in: PaymentSucceeded."
        if not got_paid:
            heard = [n for n, rule in new_rules.items() if succeeded and matches(rule["pattern"], succeeded)]
            if not heard:
                patterns = "; ".join(json.dumps(rule["pattern"]) for rule in new_rules.values())
                return False, (f"the paid order earned no points, and none of your rules matches its PaymentSucceeded "
                               f"event (your pattern: {patterns})."), (
                    "points are for money that came in: match detail-type PaymentSucceeded.")
            failed = _failures(new_functions, hops)
            if failed:
                return False, f"your function failed with {', '.join(failed)}: read its log in CloudWatch Logs."
            return False, (f"the paid order {paid['order_id']} earned no points: does your rule match detail-type "
                           f"PaymentSucceeded, and does your handler add to `points` in table {TABLE!r} under the "
                           "event's customer_id?")
        if got_paid == expected * (1 + duplicates) and duplicates:
            return False, (f"the paid order earned {got_paid} points, {expected} for each of the {1 + duplicates} "
                           "deliveries of the same PaymentSucceeded event: EventBridge delivers at least once, and "
                           "your handler counted the duplicate."), (
                "remember which orders you rewarded, in the same write as the points: a condition on the item "
                "(e.g. the order id in a string set) makes the second delivery a no-op.")
        if got_paid != expected:
            return False, (f"the paid order ({paid['total']} USD) earned {got_paid} points; one point per whole "
                           f"dollar is {expected}.")
        return True, (f"a loyalty context joined with its own rule ({', '.join(new_rules)}); no other context "
                      f"changed. The paid order earned {expected} points once, though its PaymentSucceeded event "
                      f"was delivered {1 + duplicates} times; the declined order earned none.")

    return check(name, test, HINTS)
