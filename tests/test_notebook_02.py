"""Notebook 02 (event-driven architecture with EventBridge) shows what its prose says it shows.

The notebook is executed once (notebook_runner.executed); each test reads the outputs of the cells
tagged for it.
"""
from __future__ import annotations

import html
import re

import pytest

from notebook_runner import executed, notebook, outputs_of

pytestmark = pytest.mark.notebooks

OPERATORS = ["exact value", "several values = OR", "several fields = AND", "prefix", "prefix + equals-ignore-case",
             "suffix", "suffix + equals-ignore-case", "anything-but value", "anything-but list",
             "anything-but prefix", "anything-but suffix", "anything-but equals-ignore-case",
             "anything-but wildcard", "equals-ignore-case", "wildcard", "numeric range", "exists: true",
             "exists: false", "cidr", "empty string", "null", "$or"]


@pytest.fixture(scope="module")
def nb():
    return executed(notebook("02"))


def html_rows(output: str) -> list[list[str]]:
    """The body rows of the first HTML table in `output`, as lists of cell texts (index cell first)."""
    table = re.search(r"<table.*?</table>", output, re.S).group(0)
    body = re.search(r"<tbody>(.*)</tbody>", table, re.S).group(1)
    return [[html.unescape(re.sub(r"<[^>]+>", "", cell)).strip()
             for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
            for row in re.findall(r"<tr.*?</tr>", body, re.S)]


def test_the_prototype_fails_as_a_whole_when_notification_fails(nb):
    """aws-semantics.md 1.1: the synchronous chain returns the downstream error to the caller."""
    text = outputs_of(nb, "prototype-failure")
    assert "'FunctionError': 'Unhandled'" in text and "notification failed" in text


def test_the_kitchen_waits_15_minutes_on_the_virtual_clock(nb):
    """aws-semantics.md 6 [S9]: the Wait state holds the execution; the clock passes it, then the Task runs."""
    text = outputs_of(nb, "kitchen-wait")
    assert "now:    RUNNING" in text and "+15 min: SUCCEEDED · to cust-105: Order ord-0002 is ready" in text


def test_a_failed_notification_is_retried_a_minute_later_without_the_api_noticing(nb):
    """aws-semantics.md 1.2 [L1], 7 [A1]: EventBridge invokes Lambda asynchronously; Lambda retries after 1 min."""
    rows = html_rows(outputs_of(nb, "async-retry"))
    # columns: index, t, resource, type, attempt, outcome
    attempts = [(float(r[1]), r[2], r[4], r[3], r[5]) for r in rows]
    assert attempts[0][1:] == ("order-api", "1", "sync", "succeeded")
    start = attempts[0][0]
    assert [(t - start, f, a, o) for t, f, a, _, o in attempts if f == "notification"] == [
        (0.0, "notification", "1", "failed (InjectedFault)"), (60.0, "notification", "2", "succeeded")]
    assert {(f, o) for _, f, _, _, o in attempts if f in ("inventory", "payment")} == {
        ("inventory", "succeeded"), ("payment", "succeeded")}
    assert "NaN" not in outputs_of(nb, "async-retry") and "<NA>" not in outputs_of(nb, "async-retry")


def test_a_missing_target_is_dropped_without_retries(nb):
    """aws-semantics.md 4 [E8]: a missing resource is not retried; without a DLQ the event is dropped."""
    rows = html_rows(outputs_of(nb, "printer-drop"))
    # columns: index, t, step, resource, rule, outcome
    assert [(r[2], r[3], r[5]) for r in rows] == [("rule matched", "kitchen-printer", ""),
                                                  ("delivery dropped", "printer-west", "given up (NO_RESOURCE)")]


def test_the_prototype_trace_names_calls_and_runs(nb):
    """design.md (trace tables): the caller's Invoke call and the handler's run are told apart, outcomes named."""
    rows = html_rows(outputs_of(nb, "prototype-trace"))
    # columns: index, t, step, resource, by, outcome
    assert ("Invoke call", "notification", "order-api", "") in [(r[2], r[3], r[4], r[5]) for r in rows]
    assert [r[5] for r in rows if r[2] == "handler runs" and r[3] == "notification"] == ["failed (InjectedFault)"]


def test_every_operator_matches_event_a_and_not_event_b(nb):
    """aws-semantics.md 4 [E4][E5]: each operator is shown matching (A) and not matching (B)."""
    rows = html_rows(outputs_of(nb, "operator-table"))
    # columns: index, operator, pattern, event A, A matches, event B, B matches
    assert [row[1] for row in rows] == OPERATORS
    assert [(row[4], row[6]) for row in rows] == [("True", "False")] * len(OPERATORS)


def test_explain_names_the_field_that_refuses(nb):
    rows = html_rows(outputs_of(nb, "explain"))
    assert [(row[1], row[3]) for row in rows] == [("source", "True"), ("detail.restaurant_region", "True"),
                                                  ("detail.payment_method", "False"), ("detail.total", "True")]


def test_the_replay_processes_the_events_the_bug_lost(nb):
    """aws-semantics.md 4 [E9][E9c]: after the fix, the replayed window's four orders are processed."""
    text = outputs_of(nb, "replay")
    assert "4 replayed event(s) processed" in text and "replay: loyalty-fix-1" in text
    rows = html_rows(text)
    assert [row[1] for row in rows] == ["cust-064", "cust-074", "cust-092", "cust-113"]
    assert all(int(row[2]) > 0 for row in rows)


def test_one_order_s_trace_has_the_expected_hops_in_order(nb):
    """design.md, Curriculum 02: what happens in the exchange of events, hop by hop."""
    rows = html_rows(outputs_of(nb, "order-trace"))
    # columns: index, t, step, resource, by, rule, outcome
    hops = [(row[2], row[3]) for row in rows]
    expected = [
        ("Invoke call", "order-api"), ("PutEvents call", "bistro"),
        ("rule matched", "order-placed"), ("rule matched", "audit"), ("handler runs", "order-api"),
        ("delivered to a target", "inventory"), ("delivered to a target", "payment"),
        ("delivered to a target", "notification"), ("delivered to a target", "kitchen-display"),
        ("delivered to a target", "kitchen"), ("delivered to a target", "order-audit"),
        ("handler runs", "inventory"), ("handler runs", "payment"), ("handler runs", "notification"),
        ("delivered to a subscriber", "kitchen-display"),
        ("state machine step", "kitchen"), ("Invoke call", "notification"),
        ("handler runs", "notification"), ("execution ended", "kitchen"),
    ]
    position = 0
    for hop in hops:
        if position < len(expected) and hop == expected[position]:
            position += 1
    assert position == len(expected), f"missing {expected[position]} in order; trace: {hops}"
    times = [float(row[1]) for row in rows]
    assert times[0] == 0.0 and times[-1] == 900.0  # the kitchen's 15-minute Wait, on the virtual clock
    assert "NaN" not in outputs_of(nb, "order-trace") and "<NA>" not in outputs_of(nb, "order-trace")


def sequence_messages(svg: str) -> list[tuple[str, str, str]]:
    """The arrows between two different participants of a sequence diagram: (from, to, first label)."""
    messages = []
    for edge in re.findall(r'<g id="edge\d+" class="edge">(.*?)</g>', svg, re.S):
        tail, head = (re.sub(r"__\d+$", "", end).removeprefix("p_") for end in
                      html.unescape(re.search(r"<title>(.*?)</title>", edge).group(1)).split("->"))
        labels = re.findall(r"<text[^>]*>([^<]*)</text>", edge)
        if tail != head and labels:
            messages.append((tail, head, html.unescape(labels[0]).split(" · ")[0]))
    return messages


def in_order(messages: list[tuple[str, str, str]], expected: list[tuple[str, str, str]]) -> None:
    position = 0
    for message in messages:
        if position < len(expected) and message == expected[position]:
            position += 1
    assert position == len(expected), f"missing {expected[position]} in order; diagram: {messages}"


def test_the_sequence_diagrams_follow_the_order_one_path_at_a_time(nb):
    """design.md, Curriculum 02 (what happens in the exchange of events) and Diagrams (a sequence with
    many lanes shows one path): the notification's path, then the kitchen's, each with few lanes."""
    rule = "events-rule__bistro_order-placed"
    notification = outputs_of(nb, "order-sequence")
    in_order(sequence_messages(notification), [
        ("client__client", "lambda__order-api", "Invoke"), ("lambda__order-api", "events-bus__bistro", "PutEvents"),
        ("events-bus__bistro", rule, "match"), (rule, "lambda-async__notification", "deliver #1")])
    kitchen = outputs_of(nb, "kitchen-sequence")
    in_order(sequence_messages(kitchen), [(rule, "states__kitchen", "deliver #1"),
                                          ("states__kitchen", "lambda__notification", "Invoke")])
    assert "+900.000 s" in kitchen      # the kitchen's Wait, on the virtual clock
    for svg in (notification, kitchen):
        lanes = {tail for message in sequence_messages(svg) for tail in message[:2]}
        assert len(lanes) <= 7, lanes


def test_the_architecture_shows_the_bus_its_rules_and_their_targets(nb):
    """The diagram is drawn from the lab: the bus contains the rules, each rule links to its targets.

    Edges are read from the SVG's edge titles (`tail->head`), or from the DOT text without Graphviz."""
    text = html.unescape(outputs_of(nb, "architecture")).replace('"', "").replace(" -> ", "->")
    edges = [("events-bus__bistro", f"events-rule__{rule}")
             for rule in ("order-placed", "audit", "loyalty", "kitchen-printer")]
    edges += [("events-rule__order-placed", target) for target in (
        "lambda__inventory", "lambda__payment", "lambda__notification", "sns__kitchen-display", "states__kitchen")]
    edges += [("events-rule__audit", "sqs__order-audit"), ("events-rule__loyalty", "lambda__loyalty"),
              ("events-rule__kitchen-printer", "sqs__printer-west"), ("sns__kitchen-display", "sqs__kitchen-screen"),
              ("states__kitchen", "lambda__notification")]
    missing = [f"{tail}->{head}" for tail, head in edges if f"{tail}->{head}" not in text]
    assert missing == []
    assert "transformed input" in text and "event bus bistro" in text
