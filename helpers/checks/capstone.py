"""Notebook 08's capstone `takeaway`: the learner's design runs a scripted day of takeaway orders.

    day = capstone.run_day(entry)        # entry: the queue URL the app sends orders to, or a function name
    day.summary                          # served on time, late, parked for a human, lost, charged twice, billed
    capstone.takeaway(day)               # the verdict, naming the design's mistake if there is one

The day (the same every run): 40 orders over two hours, one every three minutes; the app sends three of
them twice (it retried after a timeout, as at-least-once delivery may); the card provider is down from
minute 30 to minute 40 (every invocation of the design's function fails, `lab.faults`); one order from
an old app version has no `total` and can never be charged. A customer picks up within 30 minutes and
the kitchen needs 10, so an order must be charged (and sent to the kitchen) within 20 minutes.

The check reads what the services hold afterwards, as a learner could: the charges table, the
queues, the mapping, the trace of the function's invocations.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..bistro import practices
from ..clients import client
from ..exercises import Hints, Verdict, check

ORDERS, EVERY_S = 40, 180
OUTAGE_S = (30 * 60, 40 * 60)
DUPLICATES = {4: 20, 11: 20, 25: 20}     # order number -> seconds later the app sends it again
POISON = 17                              # the order with no total
PICKUP_S, KITCHEN_S = 30 * 60, 10 * 60
CHARGES_TABLE, IDEMPOTENCY_TABLE = "takeaway-charges", "takeaway-idempotency"
#: How long the check waits after the last order for retries to settle.
SETTLE_S = 90 * 60

HINTS = Hints(
    nudge="Put a queue between the app and your function (an SQS queue with an event source mapping), give "
          "the queue a dead-letter queue, and deploy a handler that charges each order once.",
    api="sqs.create_queue(QueueName=..., Attributes={\"VisibilityTimeout\": \"120\", \"RedrivePolicy\": "
        "json.dumps({\"deadLetterTargetArn\": dlq_arn, \"maxReceiveCount\": \"10\"})}); "
        "lambda_.create_event_source_mapping(EventSourceArn=queue_arn, FunctionName=\"takeaway\"); "
        "practices.function(\"takeaway\", \"charge_once.py\", CHARGES_TABLE=...); entry = the queue's URL.",
    answer="See notebooks/solutions/08-best-practices/takeaway.py: charge_once.py behind a queue with "
           "VisibilityTimeout 120 and a DLQ after 10 receives; entry = orders_url.",
)


def script() -> list[dict[str, Any]]:
    """The day's orders, in the order the app sends them: (seconds from the opening, order)."""
    sent = []
    for n in range(1, ORDERS + 1):
        order = {"order_id": f"tk-{n:03d}", "total": round(8 + 1.5 * (n % 7), 2), "placed_s": (n - 1) * EVERY_S}
        if n == POISON:
            del order["total"]
        sent.append(order)
        if n in DUPLICATES:
            sent.append({**order, "placed_s": order["placed_s"] + DUPLICATES[n], "resent": True})
    return sorted(sent, key=lambda o: o["placed_s"])


@dataclass
class Day:
    """What one scripted day did to the design."""

    entry: str
    function: str | None
    orders: pd.DataFrame          # one row per order: outcome, charges, minutes to charge
    invocations: int
    billed_ms: int
    usd: float
    queue: dict[str, Any]         # the entry queue's settings ({} for a function entry)
    problem: str = ""             # why the day could not run (a missing queue or function)

    @property
    def summary(self) -> pd.DataFrame:
        counts = self.orders["outcome"].value_counts()
        rows = {name: int(counts.get(name, 0)) for name in
                ("served in time", "served late", "parked in the DLQ", "still retrying", "lost")}
        rows["charged twice"] = int((self.orders["charges"] > 1).sum())
        rows["invocations"], rows["billed ms"] = self.invocations, self.billed_ms
        rows["USD for a million such days"] = round(self.usd * 1_000_000, 2)
        return pd.Series(rows, name="the day", dtype=object).to_frame()

    def count(self, outcome: str) -> int:
        return int(self.orders["outcome"].eq(outcome).sum())


def _queue_settings(url: str) -> dict[str, Any]:
    sqs, lambda_ = client("sqs"), client("lambda")
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    redrive = json.loads(attributes.get("RedrivePolicy", "null") or "null")
    mappings = lambda_.list_event_source_mappings(EventSourceArn=attributes["QueueArn"])["EventSourceMappings"]
    dlq_url = None
    if redrive:
        dlq_url = sqs.get_queue_url(QueueName=redrive["deadLetterTargetArn"].rsplit(":", 1)[1])["QueueUrl"]
    return {"url": url, "visibility_s": int(attributes["VisibilityTimeout"]), "dlq_url": dlq_url,
            "max_receives": int(redrive["maxReceiveCount"]) if redrive else None,
            "retention_s": int(attributes["MessageRetentionPeriod"]),
            "function": mappings[0]["FunctionArn"].rsplit(":", 1)[1] if mappings else None}


def _fresh_tables() -> None:
    practices.create_table(CHARGES_TABLE, ("charge_id",))
    practices.create_table(IDEMPOTENCY_TABLE, ("id",))


def _send(entry: str, queue: dict[str, Any], order: dict[str, Any]) -> None:
    """What the app does: send the order to the queue, or call the function and wait (a failure turns
    the customer away; the order is kept nowhere)."""
    body = json.dumps({k: v for k, v in order.items() if k != "resent"})
    if queue:
        client("sqs").send_message(QueueUrl=entry, MessageBody=body)
        return
    client("lambda").invoke(FunctionName=entry, Payload=json.dumps(
        {"Records": [{"messageId": f"{order['order_id']}-app", "body": body}]}))


def run_day(entry: str) -> Day:
    """Run the scripted day against `entry` (a queue URL or a function name) on the lab's clock.
    Never raises: a design the day cannot run against comes back as a Day that says why."""
    try:
        return _run_day(entry)
    except Exception as error:  # the learner's half-built design: the verdict explains
        columns = ["outcome", "charges", "minutes to charge", "in the outage"]
        return Day(str(entry), None, pd.DataFrame(columns=columns).rename_axis("order"), 0, 0, 0.0, {},
                   problem=f"{type(error).__name__}: {error}")


def _run_day(entry: str) -> Day:
    from ..lab import current

    lab, sqs = current(), client("sqs")
    queue = _queue_settings(entry) if entry.startswith("http") else {}
    for url in (queue.get("url"), queue.get("dlq_url")):
        if url:
            sqs.purge_queue(QueueUrl=url)
    function = queue.get("function") if queue else entry
    _fresh_tables()
    opening, outage = lab.now(), None
    start_seq = lab.recorder.hops[-1].seq if lab.recorder.hops else -1
    moments = [(o["placed_s"], "order", o) for o in script()] + [(OUTAGE_S[0], "down", None), (OUTAGE_S[1], "up", None)]
    for at, kind, order in sorted(moments, key=lambda m: (m[0], ("up", "down", "order").index(m[1]))):
        lab.advance(seconds=at - (lab.now() - opening).total_seconds())
        if kind == "down" and function:
            outage = lab.faults.fail(function)
        elif kind == "up" and outage is not None:
            outage.remove()
        elif kind == "order":
            _send(entry, queue, order)
    lab.advance(seconds=SETTLE_S)
    return _tally(entry, function, queue, opening.timestamp(), start_seq)


def _tally(entry: str, function: str | None, queue: dict[str, Any], opening: float, start_seq: int) -> Day:
    from ..lab import current

    charges = practices.items(CHARGES_TABLE)
    parked = {m["order_id"] for m in practices.messages(queue["dlq_url"])} if queue.get("dlq_url") else set()
    retention_s, closed = queue.get("retention_s", 0), current().now().timestamp() - opening
    rows = []
    for n in range(1, ORDERS + 1):
        order_id, placed = f"tk-{n:03d}", (n - 1) * EVERY_S
        times = sorted(float(c["at"]) - opening - placed for c in charges if c["order_id"] == order_id)
        if times:
            outcome = "served in time" if times[0] <= PICKUP_S - KITCHEN_S else "served late"
        elif order_id in parked:
            outcome = "parked in the DLQ"
        elif queue and retention_s > closed - placed:  # the queue keeps it until its retention period ends
            outcome = "still retrying"
        else:
            outcome = "lost"
        rows.append({"order": order_id, "outcome": outcome, "charges": len(times),
                     "minutes to charge": round(times[0] / 60, 1) if times else "never",
                     "in the outage": OUTAGE_S[0] <= placed < OUTAGE_S[1]})
    trace = current().trace(service="lambda")
    bill = practices.bill(trace[(trace["seq"] > start_seq) & trace["function"].eq(function)])
    return Day(entry, function, pd.DataFrame(rows).set_index("order"), int(bill["invocations"].sum()),
               int(bill["billed_ms"].sum()), float(bill["USD"].sum()), queue)


def _judge(day: Day) -> tuple[bool, str] | tuple[bool, str, str]:
    orders, q = day.orders, day.queue
    if day.problem:
        return (False, f"the day could not run against entry = {day.entry!r} ({day.problem}).",
                "Set entry to your queue's URL (practices.queue returns (url, arn)) or to the name of a "
                "function you deployed.")
    outage = orders[orders["in the outage"]]
    if not q:
        lost = int(outage["outcome"].eq("lost").sum())
        return (False, f"the app called {day.entry} directly (synchronously): while the card provider was down "
                       f"{lost} orders failed and their customers were turned away; nothing kept them.",
                "Put a queue between the app and the function: the queue keeps each order until it is charged.")
    if not day.function:
        timeout = _timeout_refusal(q)
        return (False, f"no function reads the queue: all {len(orders)} orders are still waiting in it." + timeout,
                "Create the event source mapping from the queue to your function (its timeout must not "
                "exceed the queue's visibility timeout).")
    twice = orders.index[orders["charges"] > 1].tolist()
    if q["dlq_url"] is None:
        return (False, f"the queue has no dead-letter queue: order tk-{POISON:03d}, which can never be charged, "
                       f"was retried all day ({day.invocations} invocations billed) and nobody was told.",
                "Give the queue a RedrivePolicy that moves a message to a DLQ after a few receives.")
    parked = outage.index[outage["outcome"].eq("parked in the DLQ")].tolist()
    if parked:
        window = q["max_receives"] * q["visibility_s"]
        return (False, f"{len(parked)} orders placed during the 10-minute outage were parked in the DLQ: "
                       f"the queue gives up after {q['max_receives']} receives × {q['visibility_s']} s = "
                       f"{window} s of retries.",
                "Retry for longer than an outage lasts: raise maxReceiveCount (AWS suggests at least 5) or "
                "the visibility timeout, keeping both within the 20 minutes an order may wait.")
    if twice:
        return (False, f"{len(twice)} orders were charged twice ({', '.join(twice)}): the app sent them twice and "
                       "your handler charged every delivery.",
                "Deploy a handler that charges each order once: a conditional write keyed on the order, or "
                "Powertools' idempotency utility.")
    late, unserved = day.count("served late"), orders[~orders["outcome"].isin(["served in time", "served late"])]
    if late:
        return (False, f"{late} orders were charged more than 20 minutes after they were placed and missed their "
                       f"pickup: a visibility timeout of {q['visibility_s']} s waits too long between retries.",
                "Shorten the visibility timeout (keep it at least the function's timeout).")
    if list(unserved.index) != [f"tk-{POISON:03d}"] or day.count("parked in the DLQ") != 1:
        return (False, f"unexpected outcomes: {unserved['outcome'].to_dict()}.")
    return (True, f"{day.count('served in time')} orders charged once and in time, including the "
                  f"{len(outage)} placed during the outage; tk-{POISON:03d} parked in the DLQ for a human; "
                  f"{day.invocations} invocations, {day.billed_ms} ms billed.")


def _timeout_refusal(q: dict[str, Any]) -> str:
    name = "takeaway"
    try:
        timeout = client("lambda").get_function_configuration(FunctionName=name)["Timeout"]
    except Exception:  # no such function: nothing more to say
        return ""
    if timeout > q["visibility_s"]:
        return (f" (Lambda refuses a mapping when the function's timeout, {timeout} s, is longer than the "
                f"queue's visibility timeout, {q['visibility_s']} s.)")
    return ""


def takeaway(day: Day) -> Verdict:
    """Exercise `takeaway`: every order charged once and in time, the one that cannot be parked for a human."""
    return check("takeaway", lambda: _judge(day), HINTS)
