"""Notebook 04 (choreography) shows what its prose says it shows.

The notebook is executed once (notebook_runner.executed); each test reads the outputs of the cells
tagged for it. The figures the prose quotes (twelve orders, an eleven-minute outage, three stuck
orders, ...) are asserted here against the run, and against the prose itself.
"""
from __future__ import annotations

import html
import re

import nbformat
import pytest

from notebook_runner import executed, notebook, outputs_of

pytestmark = pytest.mark.notebooks

HAPPY = [("ordering", "API request", "OrderPlaced"), ("payment", "OrderPlaced", "PaymentSucceeded"),
         ("kitchen", "PaymentSucceeded", "OrderPrepared"), ("notifications", "PaymentSucceeded", "-"),
         ("delivery", "OrderPrepared", "OrderDispatched"), ("notifications", "OrderDispatched", "-")]


@pytest.fixture(scope="module")
def nb():
    return executed(notebook("04"))


def prose(nb) -> str:
    return " ".join(" ".join(c.source.split()) for c in nb.cells if c.cell_type == "markdown")


def rows(output: str) -> list[list[str]]:
    """The body rows of the first HTML table in `output` (index cell first), as cell texts."""
    body = re.search(r"<tbody>(.*?)</tbody>", output, re.S).group(1)
    return [[html.unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
            for row in re.findall(r"<tr.*?</tr>", body, re.S)]


def story(nb, tag: str) -> list[tuple[str, str, str, str]]:
    """(context, reacted to, outcome, published) per row of a `choreography.story` table."""
    return [(r[2], r[3], r[5], r[6]) for r in rows(outputs_of(nb, tag))]


def knows(nb, tag: str) -> dict[str, str]:
    return {r[0]: r[1] for r in rows(outputs_of(nb, tag))}


def first_svg(output: str) -> str:
    """The first SVG document of a cell's outputs (a diagram may be there as SVG and as HTML)."""
    return re.search(r"<svg.*?</svg>", output, re.S).group(0)


def messages(svg: str) -> list[tuple[str, str, str]]:
    """The arrows of a sequence diagram between two different participants: (from, to, first label)."""
    found, svg = [], first_svg(svg)
    for edge in re.findall(r'<g id="edge\d+" class="edge">(.*?)</g>', svg, re.S):
        ends = html.unescape(re.search(r"<title>(.*?)</title>", edge).group(1)).split("->")
        tail, head = (re.sub(r"__\d+$", "", end).removeprefix("p_") for end in ends)
        labels = re.findall(r"<text[^>]*>([^<]*)</text>", edge)
        if tail != head and labels:
            found.append((tail, head, html.unescape(labels[0]).split(" · ")[0]))
    return found


def test_the_contexts_table_names_what_each_context_owns_and_hears(nb):
    table = {r[0]: r[1:] for r in rows(outputs_of(nb, "contexts"))}
    assert list(table) == ["ordering", "payment", "kitchen", "delivery", "notifications"]
    assert all(owned == [name] + owned[1:] for name, owned in table.items())      # each owns the table named after it
    assert table["kitchen"][1:] == ["PaymentSucceeded", "OrderPrepared, OrderRejected"]


def test_the_contract_catches_the_draft_event_and_passes_the_fixed_one(nb):
    problems = outputs_of(nb, "contract-problems")
    assert "'bistro.payments' is not one of ['bistro.payment']" in problems
    assert "'customer_id' is a required property" in problems and "'version' is a required property" in problems
    assert outputs_of(nb, "contract-ok").strip() == "[]"
    assert "catches all three differences" in prose(nb)


def test_the_architecture_shows_one_rule_per_context_and_its_target(nb):
    text = html.unescape(outputs_of(nb, "architecture")).replace('"', "").replace(" -> ", "->")
    for context in ("ordering", "payment", "kitchen", "delivery", "notifications"):
        assert f"events-bus__bistro->events-rule__to-{context}" in text
        assert f"events-rule__to-{context}->lambda__{context}" in text
        assert f"dynamodb__{context}" in text
    assert "bistro-events" in text                                     # the archive


def test_the_happy_path_is_a_relay_of_four_events(nb):
    """aws-semantics.md 4: each matching rule delivers to its target; every attempt succeeds."""
    assert [(c, r, p) for c, r, o, p in story(nb, "happy-story")] == HAPPY
    assert {o for _, _, o, _ in story(nb, "happy-story")} == {"success"}


def test_the_happy_path_sequence_diagrams_follow_the_events_in_order(nb):
    first = messages(outputs_of(nb, "happy-sequence-1"))
    assert first[:3] == [("client__client", "lambda__ordering", "Invoke"),
                         ("lambda__ordering", "events-bus__bistro", "PutEvents OrderPlaced"),
                         ("events-bus__bistro", "events-rule__bistro_to-payment", "match")]
    assert ("events-rule__bistro_to-payment", "lambda__payment", "invoke #1") in first
    assert ("lambda__payment", "events-bus__bistro", "PutEvents PaymentSucceeded") in first
    second = [m for m in messages(outputs_of(nb, "happy-sequence-2")) if m[2] != "match"]
    assert second == [("events-rule__bistro_to-kitchen", "lambda__kitchen", "invoke #1"),
                      ("lambda__kitchen", "events-bus__bistro", "PutEvents OrderPrepared"),
                      ("events-rule__bistro_to-delivery", "lambda__delivery", "invoke #1"),
                      ("lambda__delivery", "events-bus__bistro", "PutEvents OrderDispatched")]
    for tag in ("happy-sequence-1", "happy-sequence-2", "declined-sequence", "rejected-sequence"):
        titles = re.findall(r"<title>(p_[^<]*)</title>", html.unescape(first_svg(outputs_of(nb, tag))))
        lanes = {t for t in titles if "->" not in t and not re.search(r"__\d+$", t)}
        assert 4 <= len(lanes) <= 8, (tag, lanes)                     # fits the page


def test_the_service_map_shows_each_context_writing_only_its_own_table(nb):
    svg = html.unescape(outputs_of(nb, "happy-map"))
    writes = re.findall(r"<title>p_lambda__([\w-]+)->p_dynamodb__([\w-]+)</title>", svg)
    assert {function for function, _ in writes} == {"ordering", "payment", "kitchen", "delivery", "notifications"}
    assert all(table in (function, "dynamodb") for function, table in writes)


def test_each_context_knows_its_part_of_the_happy_order(nb):
    view = knows(nb, "happy-knows")
    assert view["ordering"] == "status=PLACED" and view["payment"].startswith("status=PAID")
    assert view["kitchen"] == "ticket=PREPARED" and view["delivery"].startswith("courier=")
    assert "confirmed" in view["notifications"] and "on its way" in view["notifications"]


def test_a_declined_payment_is_compensated_by_cancelling_the_order(nb):
    assert [(c, r, p) for c, r, _, p in story(nb, "declined-story")] == [
        ("ordering", "API request", "OrderPlaced"), ("payment", "OrderPlaced", "PaymentDeclined"),
        ("ordering", "PaymentDeclined", "OrderCancelled"), ("notifications", "OrderCancelled", "-")]
    labels = [m[2] for m in messages(outputs_of(nb, "declined-sequence"))]
    assert [label for label in labels if label.startswith("PutEvents")] == [
        "PutEvents OrderPlaced", "PutEvents PaymentDeclined", "PutEvents OrderCancelled"]
    view = knows(nb, "declined-knows")
    assert view["ordering"].startswith("status=CANCELLED") and view["payment"].startswith("status=DECLINED")
    assert view["kitchen"] == view["delivery"] == "(nothing)"


def test_a_kitchen_out_of_an_item_sets_off_a_chain_of_compensations(nb):
    assert [(c, r, p) for c, r, _, p in story(nb, "rejected-story")] == [
        ("ordering", "API request", "OrderPlaced"), ("payment", "OrderPlaced", "PaymentSucceeded"),
        ("kitchen", "PaymentSucceeded", "OrderRejected"), ("notifications", "PaymentSucceeded", "-"),
        ("payment", "OrderRejected", "PaymentRefunded"), ("ordering", "PaymentRefunded", "OrderCancelled"),
        ("notifications", "OrderCancelled", "-")]
    view = knows(nb, "rejected-knows")
    assert view["payment"].startswith("status=REFUNDED") and view["kitchen"] == "ticket=REJECTED"
    assert "confirmed" in view["notifications"] and "cancelled" in view["notifications"]   # what the prose says


def test_the_lunch_figures_are_the_ones_the_prose_quotes(nb):
    """aws-semantics.md 1.2 [L1]: an async event gets two retries, then (no destination) is dropped."""
    lunch = outputs_of(nb, "lunch")
    assert "12 orders in 51 minutes; the couriers' API was down for 11 minutes" in lunch
    failures = rows(outputs_of(nb, "lunch-failures"))
    assert [r[-1] for r in failures] == ["9", "3"] and failures[0][:3] == ["delivery", "OrderPrepared", "error"]
    stuck = [r[0] for r in rows(outputs_of(nb, "stuck-orders"))]
    assert stuck == ["ord-0041", "ord-0042", "ord-0044"]
    text = prose(nb)
    assert "Twelve orders arrive" in text and "about eleven minutes and three orders stopped silently" in text
    assert int(failures[1][-1]) == len(stuck)       # the orders given up are exactly the stuck ones


def test_the_trace_draws_order_42s_three_failed_deliveries_and_the_drop(nb):
    """aws-semantics.md 1.2 [L1]: attempts at 0, +60 and +180 s, then the event is dropped."""
    svg = html.unescape(first_svg(outputs_of(nb, "order-42-sequence")))
    attempts = [m for m in messages(svg) if m[1] == "lambda__delivery"]
    assert [label for _, _, label in attempts] == ["attempt 1", "attempt 2", "attempt 3"]
    assert svg.count("InjectedFault") == 3 and ">drop<" in svg and svg.count(">retry<") == 2
    times = sorted({float(t) for t in re.findall(r">\+([0-9.]+) s<", svg)})
    assert [t - times[0] for t in times] == [0.0, 60.0, 180.0]


def test_no_context_knows_where_order_42_is_but_the_observer_does(nb):
    view = knows(nb, "order-42-contexts")
    assert view["ordering"] == "status=PLACED" and view["payment"].startswith("status=PAID")
    assert view["kitchen"] == "ticket=PREPARED" and view["delivery"] == "(nothing)"
    assert "'COMPLETED'" in outputs_of(nb, "replay")
    assert [r[3] for r in rows(outputs_of(nb, "order-42-timeline"))] == ["OrderPlaced", "PaymentSucceeded", "OrderPrepared"]
    assert re.search(r"\d+ events of 8 types checked; 0 violate their contract", outputs_of(nb, "contracts-checked"))


def test_the_fingerprint_and_the_bill(nb):
    assert "6 functions and 6 rules fingerprinted" in outputs_of(nb, "fingerprint")
    bill = {r[0]: r[1:] for r in rows(outputs_of(nb, "bill"))}
    assert list(bill) == ["custom events", "Lambda requests", "Lambda GB-seconds", "DynamoDB write units", "total"]
    assert float(bill["total"][1]) > 0 and "NaN" not in outputs_of(nb, "bill")
    assert float(bill["Lambda requests"][0]) == 8.0                   # the lunch's attempts per order
    dollars = {name: float(values[1]) for name, values in bill.items() if name != "total"}
    assert max(dollars, key=dollars.get) == "DynamoDB write units"    # "the writes cost the most"


def test_no_cell_writes_warnings(nb):
    assert [o.get("text", "")[:200] for c in nb.cells for o in c.get("outputs", []) if o.get("name") == "stderr"] == []


def test_no_cell_is_over_25_lines_and_every_exercise_links_its_solution():
    source = nbformat.read(notebook("04"), as_version=4)
    assert max(len(c.source.splitlines()) for c in source.cells if c.cell_type == "code") <= 25
    assert "(solutions.md#loyalty-points)" in prose(source)
