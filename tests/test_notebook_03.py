"""Notebook 03 (integration and coupling) shows what its prose says it shows.

The notebook is executed once (notebook_runner.executed); each test reads the outputs of the cells
tagged for it. The experiment: one order a minute for 20 minutes through four wirings of the same
producer and consumer, the consumer failing from minute 5 to minute 15.
"""
from __future__ import annotations

import html
import re

import pytest

from helpers.checks.coupling import choose_the_pattern
from notebook_runner import executed, notebook, outputs_of

WIRINGS = ["sync", "queue", "topic", "bus"]


@pytest.fixture(scope="module")
def nb():
    return executed(notebook("03"))


def html_table(output: str) -> tuple[list[str], dict[str, list[str]]]:
    """The column names and the body rows (by index label) of the first HTML table in `output`."""
    table = re.search(r"<table.*?</table>", output, re.S).group(0)

    def cells(row: str) -> list[str]:
        return [html.unescape(re.sub(r"<[^>]+>", "", cell)).strip()
                for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]

    head = cells(re.findall(r"<tr.*?</tr>", re.search(r"<thead>(.*?)</thead>", table, re.S).group(1), re.S)[0])
    body = re.search(r"<tbody>(.*)</tbody>", table, re.S).group(1)
    rows = [cells(row) for row in re.findall(r"<tr.*?</tr>", body, re.S)]
    return head[1:], {row[0]: row[1:] for row in rows}


def table(nb, tag: str) -> dict[str, dict[str, str]]:
    columns, rows = html_table(outputs_of(nb, tag))
    return {label: dict(zip(columns, values)) for label, values in rows.items()}


def number(value: str) -> float:
    return float(value) if value not in ("", "NaN") else float("nan")


@pytest.mark.notebooks
def test_only_the_synchronous_producer_sees_the_outage(nb):
    """aws-semantics.md 1.1 / 1.2: a RequestResponse caller gets the function's error; SQS, SNS and
    EventBridge accept the message whatever the consumer does."""
    seen = table(nb, "producer")
    assert {w: (int(seen[w]["accepted"]), int(seen[w]["error"])) for w in WIRINGS} == {
        "sync": (10, 10), "queue": (20, 0), "topic": (20, 0), "bus": (20, 0)}


@pytest.mark.notebooks
def test_comparison_sync_loses_queue_buffers_topic_and_bus_park(nb):
    """aws-semantics.md 1.2 (two async retries at +1 and +3 min, then on-failure) and 1.3 (a failed batch
    returns after the visibility timeout; DLQ after maxReceiveCount)."""
    rows = table(nb, "comparison")
    assert list(rows) == WIRINGS
    values = {w: {k: number(v) for k, v in row.items()} for w, row in rows.items()}
    sync, queue, topic, bus = (values[w] for w in WIRINGS)
    # what the producer saw, and what was lost
    assert sync["producer errors"] == 10 and sync["lost"] == 10 and sync["cooked"] == 10
    for asynchronous in (queue, topic, bus):
        assert asynchronous["producer errors"] == 0 and asynchronous["lost"] == 0
    # the queue absorbs the whole outage; the async retries only its last minutes
    assert queue["cooked"] == 20 and queue["parked (DLQ / on-failure)"] == 0
    assert topic["cooked"] == 12 and topic["parked (DLQ / on-failure)"] == 8      # the prose's figures
    assert {k: v for k, v in topic.items()} == {k: v for k, v in bus.items()}
    # buffering and delays ordered as the prose says
    assert queue["peak buffered"] == 10 > topic["peak buffered"] == 3 > sync["peak buffered"] == 0
    # sync: only the call's own modeled duration (milliseconds) between placing and cooking
    assert queue["max delay (s)"] > topic["max delay (s)"] == 180 > 0.1 > sync["max delay (s)"] >= 0
    assert queue["max delay (s)"] == 660
    assert queue["cooked out of order"] > topic["cooked out of order"] > sync["cooked out of order"] == 0


@pytest.mark.notebooks
def test_redrive_delivers_the_parked_orders(nb):
    """aws-semantics.md 1.2: the on-failure record carries requestPayload and functionArn."""
    rows = table(nb, "redrive")
    assert {w: int(rows[w]["cooked in the end"]) for w in WIRINGS} == {"sync": 10, "queue": 20, "topic": 20, "bus": 20}
    assert int(rows["topic"]["redriven"]) == int(rows["bus"]["redriven"]) == 8


@pytest.mark.notebooks
def test_the_second_subscriber_never_noticed_the_outage(nb):
    """aws-semantics.md 5: SNS delivers to every subscriber; the analytics queue got all 20 orders."""
    assert outputs_of(nb, "analytics").strip() == "20"


@pytest.mark.notebooks
def test_location_facet_shows_what_each_producer_knows(nb):
    rows = html_table(outputs_of(nb, "location"))[1]
    known = {row[0]: (row[1], row[2]) for row in rows.values()}
    assert known["orders-sync"] == ("KITCHEN_FUNCTION", "kitchen-sync")
    assert known["orders-queue"][1].endswith("/kitchen-orders")
    assert known["orders-topic"][1].endswith(":orders")
    assert known["orders-bus"] == ("BUS_NAME", "bistro")


@pytest.mark.notebooks
@pytest.mark.parametrize("tag", ["buffered", "delays"])
def test_charts_are_drawn(nb, tag):
    cells = [c for c in nb.cells if tag in c.get("metadata", {}).get("tags", [])]
    assert any("image/png" in o.get("data", {}) for c in cells for o in c.get("outputs", []))


@pytest.mark.notebooks
def test_the_service_map_draws_the_four_wirings_and_their_failures(nb):
    """design.md (diagrams): the experiment's service map, counted from the trace. Only the synchronous
    producer fails; the topic feeds the kitchen and the analytics queue; the parked orders' path to the
    on-failure destinations is drawn as a failure."""
    svg = outputs_of(nb, "service-map")
    assert "<svg" in svg
    nodes, edges = {}, {}
    for kind, body in re.findall(r'<g id="(node|edge)\d+" class="(?:node|edge)">(.*?)</g>', svg, re.S):
        name = html.unescape(re.search(r"<title>(.*?)</title>", body).group(1)).replace("p_", "")
        labels = [html.unescape(t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", body)]
        (nodes if kind == "node" else edges)[name] = (labels, set(re.findall(r'stroke="([^"]*)"', body)))
    for wiring in WIRINGS:
        assert f"client__client->lambda__orders-{wiring}" in edges
    assert nodes["client__client"][0][-1] == "made 80 calls"                     # not "0 calls"
    assert nodes["lambda__orders-sync"][0][-1] == "20 calls · 10 errors"
    assert all(nodes[f"lambda__orders-{w}"][0][-1] == "20 calls" for w in ("queue", "topic", "bus"))
    assert edges["lambda__orders-sync->lambda__kitchen-sync"][0] == ["×20"]
    assert "lambda__orders-queue->sqs__kitchen-orders" in edges and "sqs__kitchen-orders->lambda__kitchen-queue" in edges
    assert "lambda__orders-topic->sns__orders" in edges and "sns__orders->lambda-async__kitchen-topic" in edges
    assert edges["sns__orders->sqs__analytics"][0] == ["×20"]                       # the topology facet
    assert "lambda__orders-bus->events-bus__bistro" in edges
    assert "events-rule__bistro_kitchen-cooks-orders->lambda-async__kitchen-bus" in edges
    for wiring in ("topic", "bus"):  # deliveries reach the event queue; the queue's attempts reach the function
        into_queue = [e for e in edges if e.endswith(f"->lambda-async__kitchen-{wiring}")]
        assert [edges[e][0] for e in into_queue] == [["×20"]]
        assert nodes[f"lambda-async__kitchen-{wiring}"][0][-1] == "20 calls"
        assert edges[f"lambda-async__kitchen-{wiring}->lambda__kitchen-{wiring}"][0] == ["×40 (28 failed)"]
    failure_colours = nodes["lambda__orders-sync"][1]                                # red: it failed
    for wiring in ("topic", "bus"):
        labels, strokes = edges[f"lambda-async__kitchen-{wiring}->sqs__kitchen-{wiring}-failed"]
        assert labels == ["×8 (8 failed)"] and strokes == failure_colours


@pytest.mark.notebooks
def test_patterns_table_names_the_services_and_the_trade_offs(nb):
    """aws-semantics.md 7 [A7][A8]: Dengler's models; a topic is one-to-many (publish-subscribe), like a bus."""
    cell = next(c for c in nb.cells if "patterns" in c.get("metadata", {}).get("tags", []))
    lines = [[part.strip(" *") for part in line.strip("|").split(" | ")] for line in cell.source.splitlines()]
    columns, rows = lines[0][1:], {line[0]: dict(zip(lines[0][1:], line[1:])) for line in lines[2:]}
    assert columns == ["interaction model", "AWS service", "advantages", "disadvantages"]
    assert list(rows) == ["synchronous call", "point-to-point queue", "topic fan-out", "event bus"]
    services = {p: r["AWS service"] for p, r in rows.items()}
    assert "Lambda Invoke" in services["synchronous call"] and "SQS" in services["point-to-point queue"]
    assert "SNS" in services["topic fan-out"] and "EventBridge" in services["event bus"]
    assert [r["interaction model"] for r in rows.values()] == [
        "sync request-response", "async point-to-point (queue)", "async message router (publish-subscribe topic)",
        "async message router (event bus)"]
    assert all(r["advantages"] and r["disadvantages"] for r in rows.values())


@pytest.mark.notebooks
def test_the_late_orders_made_it_on_their_third_attempt_as_the_prose_says(nb):
    """aws-semantics.md 1.2 [L1]: attempts at +0, +1 and +3 minutes; the kitchen is back from minute 15,
    so the orders of minutes 13 and 14 are cooked on the third, 180 s after they were placed."""
    columns, rows = html_table(outputs_of(nb, "late-orders"))
    late = [dict(zip(columns, values)) for values in rows.values()]
    assert sorted((r["wiring"], r["placed_min"], float(r["delay_s"])) for r in late) == [
        ("bus", "13", 180.0), ("bus", "14", 180.0), ("topic", "13", 180.0), ("topic", "14", 180.0)]
    prose = next(c.source for c in nb.cells if c.cell_type == "markdown" and "Read the chart" in c.source)
    assert "third attempt, 180 s after it was placed" in prose and "second or third" not in prose


def test_the_check_explains_each_choice():
    """The exercise's check says, per scenario, whether the choice fits and why, and wants a reason."""
    verdict = choose_the_pattern({"card-check": "queue", "ticket-printer": "queue", "new-teams": "sync"}, {})
    assert not verdict.passed and "1 of 3 fit" in verdict.message
    assert "card-check: queue fits less" in verdict.message and "ticket-printer: queue fits" in verdict.message
    assert "new-teams: sync fits less" in verdict.message and verdict.hint
    unexplained = choose_the_pattern({"card-check": "sync", "ticket-printer": "queue", "new-teams": "bus"}, {})
    assert not unexplained.passed and "does not name the property" in unexplained.message
    assert not choose_the_pattern({"card-check": "kafka"}, None).passed
    assert "not one of" in choose_the_pattern({"card-check": "kafka"}, None).message
    assert not choose_the_pattern(None).passed
