"""The Lambda Bistro as bounded contexts on one event bus (notebook 04; reused by 06 and 08).

Each context is a Lambda function (its code in notebooks/bistro/choreography/<context>.py), a
DynamoDB table it alone writes, and a rule on the `bistro` bus that selects the events it reacts
to. `deploy()` makes the same boto3 calls notebook 04 makes by hand for the ordering context:

    from helpers.bistro import choreography
    choreography.deploy()                           # bus, archive, every context, stocked kitchen
    choreography.place("ord-0042")                  # the API's request to the ordering context
    choreography.story(lab.trace(flow="last"))      # who published what, who reacted
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..cleanup import delete_if_exists
from ..clients import client
from ..data import load
from ..lab import current
from ..packaging import zip_code
from ..source import read_code

BUS = "bistro"
ARCHIVE = "bistro-events"
#: Every Bistro event comes from a source `bistro.<context>`.
ALL_BISTRO_EVENTS: dict[str, Any] = {"source": [{"prefix": "bistro."}]}


@dataclass(frozen=True)
class Context:
    """One bounded context: the events it reacts to and publishes, and the key of the table it owns."""

    name: str
    reacts_to: tuple[str, ...]
    publishes: tuple[str, ...] = ()
    key: tuple[tuple[str, str], ...] = (("order_id", "S"),)
    table: str = ""

    @property
    def table_name(self) -> str:
        return self.table or self.name

    @property
    def rule(self) -> str:
        return f"to-{self.name}"

    @property
    def code(self) -> str:
        return f"bistro/choreography/{self.name}.py"

    def pattern(self) -> dict[str, Any]:
        """The event pattern of the context's rule."""
        return {"detail-type": list(self.reacts_to)} if self.reacts_to else ALL_BISTRO_EVENTS


CONTEXTS: dict[str, Context] = {c.name: c for c in [
    Context("ordering", ("PaymentDeclined", "PaymentRefunded"), ("OrderPlaced", "OrderCancelled")),
    Context("payment", ("OrderPlaced", "OrderRejected"), ("PaymentSucceeded", "PaymentDeclined", "PaymentRefunded")),
    Context("kitchen", ("PaymentSucceeded",), ("OrderPrepared", "OrderRejected"), key=(("id", "S"),)),
    Context("delivery", ("OrderPrepared",), ("OrderDispatched",)),
    Context("notifications", ("PaymentSucceeded", "OrderDispatched", "OrderCancelled"), key=(("message_id", "S"),)),
]}
#: The observer records every event (an empty `reacts_to`: the rule matches every Bistro source).
OBSERVER = Context("observer", (), key=(("order_id", "S"), ("event_id", "S")), table="order-timeline")
#: Portions of each menu item the kitchen has when it opens (salmon is scarce).
OPENING_STOCK = {"m04": 12}
DEFAULT_PORTIONS = 40


def timeline(order_id: str | None = None) -> pd.DataFrame:
    """The observer's timeline (of one order, or of all), in the order it received the events:
    order_id, seq, time, event. Reads the table with `query` (one order) or `scan` (all)."""
    dynamodb = client("dynamodb")
    if order_id is None:
        pages = dynamodb.get_paginator("scan").paginate(TableName=OBSERVER.table_name)
    else:
        pages = dynamodb.get_paginator("query").paginate(
            TableName=OBSERVER.table_name, KeyConditionExpression="order_id = :o",
            ExpressionAttributeValues={":o": {"S": order_id}})
    rows = [{"order_id": item["order_id"]["S"], "seq": int(item["seq"]["N"]), "time": item["time"]["S"],
             "event": item["event"]["S"], "body": item["body"]["S"]}
            for page in pages for item in page["Items"] if "seq" in item]
    frame = pd.DataFrame(rows, columns=["order_id", "seq", "time", "event", "body"])
    return frame.sort_values(["order_id", "seq"], ignore_index=True)


def contexts_table() -> pd.DataFrame:
    """One row per context: the table it owns, the events it reacts to and those it publishes."""
    return pd.DataFrame([{"context": c.name, "owns table": c.table_name, "reacts to": ", ".join(c.reacts_to),
                          "publishes": ", ".join(c.publishes) or "-"} for c in CONTEXTS.values()]).set_index("context")


def _clients() -> tuple[Any, Any, Any]:
    return client("events"), client("dynamodb"), client("lambda")


def create_bus(archive: bool = True) -> str:
    """A new `bistro` bus (the old one, its rules and its archive deleted), archiving every Bistro event."""
    events = client("events")
    if any(a["ArchiveName"] == ARCHIVE for a in events.list_archives()["Archives"]):
        events.delete_archive(ArchiveName=ARCHIVE)
    delete_if_exists("bus", BUS)
    bus_arn = events.create_event_bus(Name=BUS)["EventBusArn"]
    if archive:
        events.create_archive(ArchiveName=ARCHIVE, EventSourceArn=bus_arn, EventPattern=json.dumps(ALL_BISTRO_EVENTS))
    return bus_arn


def deploy_context(context: Context | str) -> str:
    """The context's table (new and empty), function and rule; returns the function's ARN."""
    context = CONTEXTS.get(context, OBSERVER) if isinstance(context, str) else context
    events, dynamodb, lambda_ = _clients()
    delete_if_exists("table", context.table_name)
    dynamodb.create_table(
        TableName=context.table_name, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": name, "AttributeType": kind} for name, kind in context.key],
        KeySchema=[{"AttributeName": name, "KeyType": role} for (name, _), role in zip(context.key, ("HASH", "RANGE"))])
    delete_if_exists("function", context.name)
    arn = lambda_.create_function(
        FunctionName=context.name, Runtime="python3.12", Role=current().role_arn, Handler="lambda_function.handler",
        Code={"ZipFile": zip_code(read_code(context.code))}, Timeout=10,
        Environment={"Variables": {"BUS_NAME": BUS, "TABLE_NAME": context.table_name}})["FunctionArn"]
    events.put_rule(Name=context.rule, EventBusName=BUS, EventPattern=json.dumps(context.pattern()))
    events.put_targets(Rule=context.rule, EventBusName=BUS, Targets=[{"Id": context.name, "Arn": arn}])
    if context.name == "kitchen":
        stock_kitchen()
    return arn


def stock_kitchen(portions: dict[str, int] | None = None) -> None:
    """Fill the kitchen's table with the portions of every menu item (`OPENING_STOCK` by default)."""
    stock = {item["id"]: DEFAULT_PORTIONS for item in load("menu.json")["items"]} | (portions or OPENING_STOCK)
    client("dynamodb").batch_write_item(RequestItems={CONTEXTS["kitchen"].table_name: [
        {"PutRequest": {"Item": {"id": {"S": item_id}, "portions": {"N": str(count)}}}} for item_id, count in stock.items()]})


def deploy(contexts: Iterable[str] = tuple(CONTEXTS), *, new_bus: bool = True, observer: bool = False) -> dict[str, str]:
    """Deploy these contexts (all five by default) on a new bus, and the observer if asked.

    Returns {context: function ARN}. With `new_bus=False` the contexts join the existing bus."""
    if new_bus:
        create_bus()
    names = list(contexts) + (["observer"] if observer else [])
    return {name: deploy_context(name) for name in names}


# -- placing orders --------------------------------------------------------------------------
def request(order: dict[str, Any] | str) -> dict[str, Any]:
    """The API's request for a sample order (data/orders.json): the payment as the app sends it.

    A card payment carries a token from the provider; a card that `payment_will_decline` carries
    the provider's test token that is always declined."""
    if isinstance(order, str):
        order = next(o for o in load("orders.json") if o["order_id"] == order)
    payment: dict[str, str] = {"method": order["payment_method"]}
    if order["payment_method"] == "card":
        payment["token"] = "tok_chargeDeclined" if order["payment_will_decline"] else "tok_visa"
    keep = ("order_id", "customer_id", "restaurant_region", "items", "total", "currency")
    return {**{key: order[key] for key in keep}, "payment": payment}


def place(order: dict[str, Any] | str) -> dict[str, Any]:
    """Send an order to the ordering context, as the API would; returns its parsed answer."""
    response = client("lambda").invoke(FunctionName="ordering", Payload=json.dumps(request(order)))
    answer = json.loads(response["Payload"].read())
    if "FunctionError" in response:
        raise RuntimeError(f"ordering failed: {answer}")
    return answer


def simulate(orders: Iterable[dict[str, Any] | str], *, every_s: float = 60.0, failing: dict[str, float] | None = None,
             seed: int = 7, settle_minutes: float = 10.0) -> pd.DataFrame:
    """Place `orders` through the ordering context one every `every_s` seconds of virtual time, with
    the contexts in `failing` ({context: share of invocations}) failing at random, drawn from `seed`
    (the same picks on every run), then let retries settle. Returns `per_order` of the run.

    For comparing designs on the same workload (notebook 06); the contexts must be deployed."""
    lab = current()
    faults = [lab.faults.fail(name, rate=rate, seed=seed + index)
              for index, (name, rate) in enumerate(sorted((failing or {}).items()))]
    since = lab.recorder.hops[-1].seq if lab.recorder.hops else -1
    try:
        for index, order in enumerate(orders):
            if index:
                lab.advance(seconds=every_s)
            place(order)
        lab.advance(minutes=settle_minutes)
    finally:
        for fault in faults:
            fault.remove()
    frame = lab.trace()
    return per_order(frame[frame["seq"] > since])


# -- reading a flow --------------------------------------------------------------------------
def published(frame: pd.DataFrame) -> pd.Series:
    """The detail-type each PutEvents row of a trace published (other rows: "")."""
    def detail_type(detail: Any) -> str:
        if not isinstance(detail, dict):
            return ""
        entries = (detail.get("params") or {}).get("Entries") or []
        return ", ".join(entry.get("DetailType", "?") for entry in entries)

    types = pd.Series("", index=frame.index, dtype=str)
    puts = frame.loc[frame["service"].eq("events") & frame["action"].eq("PutEvents"), "detail"]
    types[puts.index] = [detail_type(detail) for detail in puts]
    return types


def usage(frame: pd.DataFrame, memory_mb: int = 128) -> pd.Series:
    """What the hops of a trace would be billed for: custom events published, Lambda requests,
    GB-seconds (billed duration at `memory_mb`), DynamoDB write request units (one per KB of an item
    put, one per update, two per item written in a transaction)."""
    calls = frame[frame["kind"].eq("call")]
    attempts = frame[frame["kind"].eq("invoke")]

    def write_units(row: Any) -> int:
        params = (row.detail or {}).get("params") or {} if isinstance(row.detail, dict) else {}
        if row.action == "PutItem":
            return max(1, -(-len(json.dumps(params.get("Item", {}))) // 1024))
        if row.action == "TransactWriteItems":
            return 2 * len(params.get("TransactItems", []))
        if row.action == "BatchWriteItem":
            return sum(len(requests) for requests in params.get("RequestItems", {}).values())
        return 1 if row.action in ("UpdateItem", "DeleteItem") else 0

    dynamodb_calls = calls[calls["service"].eq("dynamodb")]
    return pd.Series({
        "custom events": int(published(calls).map(lambda types: len(types.split(", ")) if types else 0).sum()),
        "Lambda requests": len(attempts),
        "Lambda GB-seconds": float(attempts["billed_ms"].sum()) / 1000 * memory_mb / 1024,
        "DynamoDB write units": sum(write_units(row) for row in dynamodb_calls.itertuples()),
    })


#: The events after which an order needs nothing more.
FINAL_EVENTS = ("OrderDispatched", "OrderCancelled")


def per_order(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per order of a trace (each order is one flow, `trace` its id): the last event published, whether the
    order is settled (its last event is final) or stuck, the events published, the Lambda attempts
    and how many failed, and the seconds from its first hop to its last. For comparing runs."""
    rows = []
    for _, flow in frame.dropna(subset=["trace"]).groupby("trace", sort=False):
        calls = flow[flow["kind"].eq("call") & flow["action"].eq("PutEvents")]
        entries = [entry for detail in calls["detail"] for entry in (detail.get("params") or {}).get("Entries", [])]
        if not entries:
            continue
        types = [entry.get("DetailType", "") for entry in entries]
        attempts = flow[flow["kind"].eq("invoke") & flow["invocation_type"].ne("RequestResponse")]
        rows.append({"order_id": json.loads(entries[0]["Detail"]).get("order_id"), "trace": flow["trace"].iloc[0],
                     "last event": types[-1],
                     "settled": types[-1] in FINAL_EVENTS, "events": len(types), "attempts": len(attempts),
                     "failed attempts": int(attempts["error"].sum()),
                     "span_s": float(flow["t"].max() - flow["t"].min())})
    return pd.DataFrame(rows, columns=["order_id", "trace", "last event", "settled", "events", "attempts",
                                       "failed attempts", "span_s"])


def story(frame: pd.DataFrame, hide: Iterable[str] = ()) -> pd.DataFrame:
    """One flow told by its contexts: one row per Lambda attempt, with the event it reacted to, how
    it ended and the events it published; and a row when Lambda gave an event up. `hide`: contexts
    left out (e.g. the observer). Columns: t (seconds since the flow began), context, reacted to,
    attempt, outcome, published."""
    hidden, types = set(hide), published(frame)
    type_of_event: dict[str, str] = {}    # event id -> detail-type
    type_of_request: dict[str, str] = {}  # Lambda request id -> the detail-type it carries
    pending: dict[str, list[str]] = {}    # function -> events it published in its current attempt
    current, last_request, rows = "", "", []
    attempts: dict[str, int] = {}        # Lambda request id -> attempts so far
    for index, row in frame.iterrows():
        detail = row["detail"] if isinstance(row["detail"], dict) else {}
        if types[index]:
            current = types[index]
            pending.setdefault(str(row["caller"]), []).append(current)
        elif row["action"] == "match":
            type_of_event[detail.get("event_id", "")] = current
        elif row["action"] == "queue" and row["service"] == "lambda":
            last_request = detail.get("request_id", "")
        elif row["action"] == "deliver" and row["service"] == "events":
            type_of_request[last_request] = type_of_event.get(detail.get("event_id", ""), "?")
        elif row["kind"] == "invoke" and row["function"] not in hidden:
            trigger = type_of_request.get(detail.get("request_id", ""), "API request")
            attempts[detail.get("request_id", "")] = int(row["attempt"])
            rows.append({"t": row["t"], "context": row["function"], "reacted to": trigger,
                         "attempt": int(row["attempt"]), "outcome": row["outcome"],
                         "published": ", ".join(pending.pop(row["function"], [])) or "-"})
        elif row["service"] == "lambda" and row["action"] in ("drop", "expire") and row["resource"] not in hidden:
            request = detail.get("request_id", "")
            rows.append({"t": row["t"], "context": row["resource"], "reacted to": type_of_request.get(request, "?"),
                         "attempt": attempts.get(request, 0), "outcome": "given up", "published": "-"})
    story = pd.DataFrame(rows, columns=["t", "context", "reacted to", "attempt", "outcome", "published"])
    return story.assign(t=story["t"] - frame["t"].min()) if len(frame) else story


def phase(frame: pd.DataFrame, *contexts: str, tables: bool = False, queues: bool = False) -> pd.DataFrame:
    """The rows of a flow that involve these contexts, for a sequence diagram that fits the page:
    their API calls (and the client's), the bus matching their rules, and their own attempts, each
    PutEvents labelled with the event it published.

    Fewer lanes: calls to the contexts' tables are left out unless `tables`; and unless `queues`,
    each attempt is drawn from the rule that delivered the event, leaving out the Lambda event queue
    that sits between them (notebook 01 shows it)."""
    names = set(contexts)
    rules = {CONTEXTS.get(name, OBSERVER).rule for name in names}
    frame = frame[~frame["action"].eq("queue")].copy()
    if not tables:
        frame = frame[~frame["service"].eq("dynamodb")]
    keep = (frame["caller"].isin(names | {"client"}) & frame["kind"].eq("call")) \
        | (frame["service"].eq("events") & (frame["rule"].isin(rules) | frame["resource"].isin(rules))) \
        | (frame["service"].eq("lambda") & frame["kind"].ne("call") & frame["resource"].isin(names)) \
        | frame["function"].isin(names)
    if "client" not in names:
        keep &= ~(frame["caller"].eq("client") & ~frame["resource"].isin(names))
    frame = frame[keep]
    if not queues:
        to_lambda = frame["service"].eq("events") & frame["action"].eq("deliver") \
            & frame["resource"].astype(str).str.contains(":function:")
        frame = frame[~to_lambda]
        from_rule = frame["kind"].eq("invoke") & frame["source"].astype(str).str.contains(":rule/")
        frame.loc[from_rule, "invocation_type"] = "Event via rule"
    types = published(frame)
    frame.loc[types.ne(""), "action"] = "PutEvents " + types[types.ne("")]
    return frame.loc[_attempts_first(frame)]


def _attempts_first(frame: pd.DataFrame) -> list[Any]:
    """The frame's index with each asynchronous attempt moved up to just before the first call it made.

    The lab records an attempt when it ends, after its calls; a sequence diagram reads better with
    the arrow that starts the function above the calls it makes. (A synchronous attempt is drawn as
    its response, which belongs after the calls.)"""
    order = list(frame.index)
    for index in [i for i in frame.index if frame.at[i, "kind"] == "invoke"
                  and frame.at[i, "invocation_type"] != "RequestResponse"]:
        function, position = frame.at[index, "function"], order.index(index)
        earlier = [i for i in order[:position] if frame.at[i, "kind"] == "invoke" and frame.at[i, "function"] == function]
        start = order.index(earlier[-1]) + 1 if earlier else 0
        calls = [i for i in order[start:position] if frame.at[i, "caller"] == function]
        if calls:
            order.remove(index)
            order.insert(order.index(calls[0]), index)
    return order
