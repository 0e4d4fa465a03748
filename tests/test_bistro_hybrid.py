"""The hybrid Bistro (notebook 06): contexts on the bus, the kitchen's own state machine inside.

aws-semantics.md 6 [S4]: a retrier waits IntervalSeconds, then multiplies it by BackoffRate, for at
most MaxAttempts retries; 4 [E1]: a rule's target may be a state machine (StartExecution with the event
as input).
"""
from __future__ import annotations

import json

import helpers
from helpers.bistro import choreography, comparison, hybrid
from helpers.bistro import events as contracts
from helpers.data import load


def test_an_order_goes_through_the_kitchen_machine_and_on_to_delivery(lab: helpers.Lab) -> None:
    hybrid.deploy()
    choreography.place("ord-0042")
    lab.advance(minutes=1)
    assert hybrid.kitchen_execution("ord-0042")["status"] == "SUCCEEDED"
    frame = lab.trace()
    prepared = [entry for detail in frame[choreography.published(frame).eq("OrderPrepared")]["detail"]
                for entry in detail["params"]["Entries"]]
    assert len(prepared) == 1 and contracts.problems(prepared[0]) == []
    story = choreography.per_order(lab.trace())
    assert story.set_index("order_id").loc["ord-0042", "last event"] == "OrderDispatched"


def test_a_failing_line_is_retried_after_2_then_4_seconds(lab: helpers.Lab) -> None:
    hybrid.deploy()
    lab.faults.fail("kitchen-prepare-line", times=2)
    choreography.place("ord-0048")                      # one line
    lab.advance(minutes=1)
    frame = lab.trace()
    attempts = frame[frame["kind"].eq("invoke") & frame["function"].eq("kitchen-prepare-line")]
    start = attempts["t"].iloc[0]
    assert [t - start for t in attempts["t"]] == [0, 2, 6]
    assert hybrid.kitchen_execution("ord-0048")["status"] == "SUCCEEDED"


def test_a_line_that_keeps_failing_is_rejected_and_compensated_between_contexts(lab: helpers.Lab) -> None:
    hybrid.deploy()
    lab.faults.fail("kitchen-prepare-line")
    choreography.place("ord-0048")
    lab.advance(minutes=1)
    run = comparison.per_order(lab.trace())
    assert run.set_index("order_id").loc["ord-0048", "outcome"] == "cancelled"
    published = set(", ".join(choreography.published(lab.trace())).split(", "))
    assert {"OrderRejected", "PaymentRefunded", "OrderCancelled"} <= published


def test_a_comparison_run_repeats_exactly(lab: helpers.Lab) -> None:
    """design.md (instant and deterministic): the same orders, rate and seed give the same run, so the
    numbers notebook 06 quotes hold on every run and the slider's cache is faithful."""
    orders = [o for o in load("orders.json") if o["order_id"] in ("ord-0035", "ord-0037")]
    first = comparison.run("hybrid", orders, rate=0.3)
    second = comparison.run("hybrid", orders, rate=0.3)
    assert first.orders.equals(second.orders) and first.orders["failed"].sum() > 0
    assert comparison.side_by_side([first]).equals(comparison.side_by_side([second]))


def test_billed_transitions_count_each_state_entered_and_each_retry(lab: helpers.Lab) -> None:
    """aws-semantics.md 6 [S3]: Standard workflows are billed per state transition, retries included."""
    hybrid.deploy()
    choreography.place("ord-0047")
    lab.faults.fail("kitchen-prepare-line", times=2)
    choreography.place("ord-0048")                      # one line, failing twice before it is cooked
    lab.advance(minutes=1)
    orders = comparison.per_order(lab.trace()).set_index("order_id")
    lines = len(choreography.request("ord-0047")["items"])
    # TakePortions, InStock, CookLines, OrderPrepared, and PrepareLine once per line
    assert orders.loc["ord-0047", "transitions"] == 4 + lines
    assert orders.loc["ord-0048", "transitions"] == 4 + 1 + 2


def test_an_item_out_of_stock_is_rejected_with_its_id_and_nothing_is_cooked(lab: helpers.Lab) -> None:
    hybrid.deploy()
    choreography.stock_kitchen({"m04": 0})
    order = next(o for o in load("orders.json") if any(line["item_id"] == "m04" for line in o["items"])
                 and not o["payment_will_decline"])
    choreography.place(order)
    lab.advance(minutes=1)
    frame = lab.trace()
    rejected = [entry for detail in frame[choreography.published(frame).eq("OrderRejected")]["detail"]
                for entry in detail["params"]["Entries"]]
    assert [json.loads(entry["Detail"])["item_id"] for entry in rejected] == ["m04"]
    assert json.loads(rejected[0]["Detail"])["reason"] == "OutOfStock"
    assert contracts.problems(rejected[0]) == []        # the state machine keeps the kitchen's contract
    assert not frame["function"].eq("kitchen-prepare-line").any()
    assert comparison.per_order(frame).set_index("order_id").loc[order["order_id"], "outcome"] == "cancelled"
