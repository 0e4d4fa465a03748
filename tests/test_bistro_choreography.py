"""The Bistro's choreography (helpers/bistro) and the check of notebook 04's exercise.

The contexts run in the lab as they would on AWS: EventBridge delivers to a Lambda target
asynchronously and at least once (aws-semantics.md 4 [E13]); Lambda retries a failing asynchronous
invocation twice (aws-semantics.md 1.2 [L1]).
"""
from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest

import helpers
from helpers.bistro import choreography, events as contracts
from helpers.checks import choreography as checks
from helpers.diagrams.interactions import interactions

SOLUTION = Path(__file__).resolve().parents[1] / "notebooks" / "solutions" / "04-choreography" / "loyalty-points.py"


@pytest.fixture
def bistro(lab: helpers.Lab) -> helpers.Lab:
    """The five contexts and the observer on a new bus, with the kitchen stocked."""
    choreography.deploy(observer=True)
    return lab


def flow_of(lab: helpers.Lab, order_id: str) -> "object":
    choreography.place(order_id)
    return lab.trace(flow="last")


def published_in(frame) -> list[str]:
    return [t for t in choreography.published(frame) if t]


def test_every_event_published_on_the_happy_path_honours_its_contract(bistro):
    frame = flow_of(bistro, "ord-0002")
    entries = [entry for detail in frame[frame["action"].eq("PutEvents")]["detail"]
               for entry in detail["params"]["Entries"]]
    assert [e["DetailType"] for e in entries] == ["OrderPlaced", "PaymentSucceeded", "OrderPrepared", "OrderDispatched"]
    assert all(contracts.problems(entry) == [] for entry in entries)


def test_a_schema_names_what_is_wrong():
    event = {"detail-type": "OrderDispatched", "source": "bistro.delivery",
             "detail": {"version": 1, "order_id": "ord-1", "customer_id": "cust-1", "courier": "Ana", "eta_minutes": -5}}
    assert contracts.problems(event) == ["detail.eta_minutes: -5 is less than the minimum of 0"]
    assert contracts.problems({**event, "detail": {**event["detail"], "version": 2}}) == [
        "no contract for detail-type 'OrderDispatched' version 2"]
    assert len(contracts.names()) == 8


def test_the_story_reads_one_row_per_attempt_with_its_trigger(bistro):
    story = choreography.story(flow_of(bistro, "ord-0004"), hide=["observer"])
    assert list(story.columns) == ["t", "context", "reacted to", "attempt", "outcome", "published"]
    assert story[["context", "reacted to", "published"]].values.tolist() == [
        ["ordering", "API request", "OrderPlaced"], ["payment", "OrderPlaced", "PaymentDeclined"],
        ["ordering", "PaymentDeclined", "OrderCancelled"], ["notifications", "OrderCancelled", "-"]]


def test_a_failing_context_is_retried_twice_then_given_up(bistro):
    """aws-semantics.md 1.2 [L1]: two retries, about 1 and 2 minutes apart; no destination, dropped."""
    with bistro.faults.fail("delivery"):
        choreography.place("ord-0006")
        trace_id = bistro.trace(flow="last")["trace"].iloc[0]
        bistro.advance(minutes=5)
    story = choreography.story(bistro.trace(flow=trace_id), hide=["observer"])
    delivery = story[story["context"].eq("delivery")]
    assert delivery[["attempt", "outcome"]].values.tolist() == [[1, "error"], [2, "error"], [3, "error"], [3, "given up"]]
    assert list(delivery["t"].iloc[:3] - delivery["t"].iloc[0]) == [0.0, 60.0, 180.0]
    assert choreography.timeline("ord-0006")["event"].tolist()[-1] == "OrderPrepared"


def test_the_kitchen_cooks_once_when_the_same_event_arrives_twice(bistro):
    """aws-semantics.md 4 [E13]: delivery is at least once, so the kitchen's ticket makes it idempotent;
    its conditional put fails the transaction, which then takes no portion (rows/nb04.md [D1])."""
    choreography.place("ord-0006")
    event = json.loads(choreography.timeline("ord-0006").query("event == 'PaymentSucceeded'")["body"].iloc[0])
    dynamodb = boto3.client("dynamodb")
    portions = dynamodb.get_item(TableName="kitchen", Key={"id": {"S": "m05"}})["Item"]["portions"]["N"]
    boto3.client("lambda").invoke(FunctionName="kitchen", InvocationType="Event", Payload=json.dumps(event))
    assert dynamodb.get_item(TableName="kitchen", Key={"id": {"S": "m05"}})["Item"]["portions"]["N"] == portions
    assert choreography.timeline("ord-0006")["event"].tolist().count("OrderPrepared") == 1


def test_an_item_out_of_stock_is_rejected_refunded_and_cancelled(bistro):
    """A failed condition cancels the whole transaction: no portion is taken (rows/nb04.md [D1])."""
    choreography.stock_kitchen({"m04": 0})
    frame = flow_of(bistro, "ord-0016")
    assert published_in(frame) == ["OrderPlaced", "PaymentSucceeded", "OrderRejected", "PaymentRefunded", "OrderCancelled"]
    kitchen = boto3.client("dynamodb").get_item(TableName="kitchen", Key={"id": {"S": "s03"}})["Item"]
    assert kitchen["portions"]["N"] == str(choreography.DEFAULT_PORTIONS)   # the transaction took nothing


def test_the_whole_happy_path_needs_twenty_lanes_and_a_phase_fits_the_page(bistro):
    frame = flow_of(bistro, "ord-0002")
    frame = frame[~frame["function"].eq("observer") & ~frame["caller"].eq("observer")
                  & ~frame["resource"].astype(str).str.contains("observer")]
    lanes = {i.source for i in interactions(frame)} | {i.target for i in interactions(frame) if i.target}
    assert len(lanes) == 20                                            # the notebook's "twenty lanes"
    phase = choreography.phase(frame, "ordering", "payment")
    lanes = {i.source for i in interactions(phase)} | {i.target for i in interactions(phase) if i.target}
    assert lanes == {("client", "client"), ("lambda", "ordering"), ("events-bus", "bistro"),
                     ("events-rule", "bistro/to-payment"), ("lambda", "payment")}


def test_usage_counts_what_an_order_is_billed_for(bistro):
    """rows/nb04.md [D2][D3]: one write unit per item up to 1 KB, two per item in a transaction."""
    bistro.faults.clear()
    frame = flow_of(bistro, "ord-0002")
    frame = frame[~frame["function"].eq("observer") & ~frame["caller"].eq("observer")]
    used = choreography.usage(frame)
    assert used["custom events"] == 4 and used["Lambda requests"] == 6
    # ordering and delivery put one item each, payment one, notifications two, the kitchen a
    # transaction of its 4 items and its ticket (2 units each)
    assert used["DynamoDB write units"] == 1 + 1 + 1 + 2 + 2 * 5


def test_per_order_tells_settled_orders_from_stuck_ones(bistro):
    """aws-semantics.md 1.2 [L1]: without a destination, an event that fails three attempts is dropped,
    and its order stops with OrderPrepared as its last event."""
    choreography.place("ord-0002")
    with bistro.faults.fail("delivery"):
        choreography.place("ord-0006")
        bistro.advance(minutes=5)
    choreography.place("ord-0004")
    orders = choreography.per_order(bistro.trace()).set_index("order_id")
    assert orders["last event"].to_dict() == {"ord-0002": "OrderDispatched", "ord-0006": "OrderPrepared",
                                              "ord-0004": "OrderCancelled"}
    assert orders["settled"].to_dict() == {"ord-0002": True, "ord-0006": False, "ord-0004": True}
    assert orders.loc["ord-0006", "failed attempts"] == 3 and orders.loc["ord-0006", "span_s"] == 180.0
    assert orders.loc["ord-0002", "events"] == 4 and orders.loc["ord-0004", "events"] == 3


def test_simulate_runs_the_same_seeded_failures_every_time(bistro):
    """lab.faults with a seed: the same invocations fail on every run, so two designs (or two runs)
    meet the same failures; a failed event gets three attempts (aws-semantics.md 1.2 [L1])."""
    orders = [f"ord-{n:04d}" for n in range(1, 11)]
    first = choreography.simulate(orders, failing={"delivery": 0.3}, seed=3)
    choreography.deploy(observer=True)
    again = choreography.simulate(orders, failing={"delivery": 0.3}, seed=3)
    assert len(first) == 10 and first["order_id"].tolist() == orders
    assert first.drop(columns="trace").equals(again.drop(columns="trace"))
    assert (first["failed attempts"] > 0).any() and first["settled"].any()
    assert not bistro.faults.active                                     # the faults are removed afterwards


# -- the exercise's check ---------------------------------------------------------------------
def run_solution(**replace: str) -> None:
    source = SOLUTION.read_text()
    for old, new in replace.items():
        assert old in source
        source = source.replace(old, new)
    exec(source, {"helpers": helpers, "json": json, "lab": helpers.current(), "lambda_": boto3.client("lambda"),
                  "events": boto3.client("events"), "dynamodb": boto3.client("dynamodb")})


def test_the_check_passes_on_the_solution_and_says_not_yet_before(bistro):
    before = checks.fingerprint()
    untouched = checks.loyalty_points(before)
    assert not untouched.passed and "no loyalty context yet" in untouched.message and untouched.hint
    run_solution()
    verdict = checks.loyalty_points(before)
    assert verdict.passed, verdict.message
    assert "earned 76 points once" in verdict.message and "delivered 2 times" in verdict.message


def test_the_check_recognises_points_for_a_declined_order(bistro):
    before = checks.fingerprint()
    run_solution(**{'["PaymentSucceeded"]': '["OrderPlaced"]', 'paid["amount"]': 'paid["total"]'})
    verdict = checks.loyalty_points(before)
    assert not verdict.passed and "the declined order earned 42 points" in verdict.message
    assert "PaymentSucceeded" in verdict.hint


def test_the_check_recognises_a_rule_that_never_hears_of_the_payment(bistro):
    before = checks.fingerprint()
    run_solution(**{'["PaymentSucceeded"]': '["OrderPlaced"]'})       # and the handler reads "amount": KeyError
    verdict = checks.loyalty_points(before)
    assert not verdict.passed and "none of your rules matches its PaymentSucceeded event" in verdict.message
    assert "OrderPlaced" in verdict.message and "PaymentSucceeded" in verdict.hint


def test_the_check_recognises_points_granted_twice_for_one_event(bistro):
    before = checks.fingerprint()
    run_solution(**{', rewarded :order", ConditionExpression="NOT contains(rewarded, :id)"': '"',
                    ',\n                                       ":order": {"SS": [paid["order_id"]]}, '
                    '":id": {"S": paid["order_id"]}': ''})
    verdict = checks.loyalty_points(before)
    assert not verdict.passed and "earned 152 points, 76 for each of the 2 deliveries" in verdict.message
    assert "condition" in verdict.hint


def test_the_check_recognises_an_edited_payment_context(bistro):
    before = checks.fingerprint()
    boto3.client("lambda").update_function_code(FunctionName="payment", ZipFile=helpers.zip_code(
        helpers.read_code("bistro/choreography/payment.py") + "\n# and grant the points here\n"))
    verdict = checks.loyalty_points(before)
    assert not verdict.passed and "the code of payment changed" in verdict.message


def test_the_check_recognises_a_target_added_to_another_context_s_rule(bistro):
    before = checks.fingerprint()
    run_solution()
    events = boto3.client("events")
    loyalty = boto3.client("lambda").get_function(FunctionName="loyalty")["Configuration"]["FunctionArn"]
    events.put_targets(Rule="to-notifications", EventBusName="bistro", Targets=[{"Id": "loyalty", "Arn": loyalty}])
    verdict = checks.loyalty_points(before)
    assert not verdict.passed and "the targets of the rule to-notifications changed" in verdict.message
