"""Notebook 05 (orchestration with Step Functions) shows what its prose says it shows, and its exercise
check recognises the solution and each plausible wrong attempt.

The notebook is executed once (notebook_runner.executed); each test reads the outputs of the cells
tagged for it. The check's tests run without the notebook, against the lab.
"""
from __future__ import annotations

import html
import json
import re
from typing import Any, Callable

import boto3
import nbformat
import pytest

import helpers
from helpers.bistro import orchestration
from helpers.checks.orchestration import flaky_payment
from helpers.data import load
from helpers.diagrams.style import CAUGHT_COLOR, ERROR_COLOR, MUTED, OK_COLOR
from notebook_runner import executed, notebook, outputs_of
from test_notebook_03 import table

COMPENSATIONS = ["PaymentFailed", "BinTheFood", "RefundPayment", "CancelOrder", "TellCustomerSorry", "OrderCancelled"]


@pytest.fixture(scope="module")
def nb():
    return executed(notebook("05"))


def prose(nb) -> str:
    return "\n".join(cell.source for cell in nb.cells if cell.cell_type == "markdown")


def node_strokes(svg: str) -> dict[str, str]:
    """Each state's node (by name, without its branch scope) and its outline colour."""
    found = {}
    for body in re.findall(r'<g id="node\d+" class="node">(.*?)</g>', svg, re.S):
        node_id = html.unescape(re.search(r"<title>(.*?)</title>", body).group(1))
        strokes = re.findall(r'stroke="([^"]*)"', body)
        if node_id.startswith("s_") and not node_id.endswith("__join") and strokes:
            found[node_id.rsplit(".", 1)[-1].removeprefix("s_")] = strokes[0].upper()
    return found


# -- the notebook ---------------------------------------------------------------------------
@pytest.mark.notebooks
def test_the_first_order_waits_for_its_courier_then_succeeds(nb):
    """aws-semantics.md 6 [S7]: .waitForTaskToken holds the execution until SendTaskSuccess; the
    output sent with the token is the task's result."""
    assert outputs_of(nb, "first-status").strip() == "'RUNNING'"
    assert "waiting for the task token" in outputs_of(nb, "first-waiting")
    assert "'Sam accepted ord-0042'" in outputs_of(nb, "first-accept")
    done = outputs_of(nb, "first-done")
    assert "'SUCCEEDED'" in done and "{'name': 'Sam', 'eta_minutes': 25}" in done and "'lines_prepared': 3" in done
    effects = outputs_of(nb, "first-effects")
    assert "'status': 'ON_ITS_WAY'" in effects and "'Order ord-0042 is on its way with Sam.'" in effects


@pytest.mark.notebooks
def test_the_first_history_shows_the_courier_answer_at_240_s(nb):
    """The prose: everything at t = 0 until the courier's answer at 240 s."""
    rows = list(table(nb, "first-history").values())
    assert rows[0]["event"] == "ExecutionStarted" and rows[-1]["event"] == "ExecutionSucceeded"
    answered = [r for r in rows if r["state"] == "OfferToCourier" and r["event"] == "TaskSucceeded"]
    assert [float(r["t (s)"]) for r in answered] == [240.0]
    assert "courier's answer at 240 s" in prose(nb)
    assert all(float(r["t (s)"]) == 0 for r in rows[:rows.index(answered[0])])
    assert sum(r["event"] == "MapIterationStarted" for r in rows) == 3
    assert "NaN" not in outputs_of(nb, "first-history")


@pytest.mark.notebooks
def test_the_paths_are_highlighted_on_the_graph(nb):
    """design.md (diagrams): each execution's path drawn on the state machine: entered states green,
    the others grey, a caught failure orange, the Fail state red."""
    graph = node_strokes(outputs_of(nb, "graph"))
    assert {"RecordOrder", "ChargeCard", "PrepareLine", "OfferToCourier", "OrderCancelled"} <= set(graph)
    first = node_strokes(outputs_of(nb, "first-path"))
    assert first["ChargeCard"] == first["PrepareLine"] == first["TellCustomer"] == OK_COLOR
    assert first["PayOnDelivery"] == first["BinTheFood"] == MUTED
    second = node_strokes(outputs_of(nb, "second-path"))
    assert second["PayOnDelivery"] == OK_COLOR and second["ChargeCard"] == MUTED
    assert "retried 1×" in outputs_of(nb, "second-path")
    third = node_strokes(outputs_of(nb, "third-path"))
    assert third["ChargeCard"] == CAUGHT_COLOR and third["OrderCancelled"] == ERROR_COLOR
    assert third["BinTheFood"] == third["RefundPayment"] == OK_COLOR and third["OfferToCourier"] == MUTED
    fourth = node_strokes(outputs_of(nb, "fourth-path"))
    assert fourth["OfferToCourier"] == CAUGHT_COLOR and fourth["RefundPayment"] == OK_COLOR
    assert "execution FAILED" in outputs_of(nb, "fourth-path")


@pytest.mark.notebooks
def test_the_throttled_line_is_retried_two_seconds_later(nb):
    """aws-semantics.md 6 [S4][S6]: Lambda.TooManyRequestsException matches the Lambda retrier; the
    retry comes IntervalSeconds (2 s) later. The prose: failed at 0 s, prepared at 2 s."""
    rows = list(table(nb, "second-history").values())
    failed = [r for r in rows if r["event"] == "TaskFailed"]
    assert len(failed) == 1 and failed[0]["detail"].startswith("Lambda.TooManyRequestsException")
    assert float(failed[0]["t (s)"]) == 0
    assert sorted(float(r["t (s)"]) for r in rows if r["event"] == "TaskSucceeded") == [0, 0, 2]
    assert "failed at 0 s and was prepared at\n2 s" in prose(nb) or "failed at 0 s and was prepared at 2 s" in prose(nb)


@pytest.mark.notebooks
def test_the_declined_card_is_compensated_in_reverse_order(nb):
    """aws-semantics.md 6 [S10]: compensations run in reverse order of the steps they undo."""
    status = outputs_of(nb, "third-status")
    assert "'FAILED'" in status and "'OrderCancelled'" in status and "PaymentDeclined" in status
    assert [r["state"] for r in table(nb, "third-compensations").values()] == COMPENSATIONS
    effects = outputs_of(nb, "third-effects")
    assert "'status': 'CANCELLED'" in effects and "'reason': 'PaymentDeclined'" in effects
    assert "'kitchen': ['BINNED', 'BINNED', 'BINNED']" in effects
    assert "'Sorry, order ord-0004 is cancelled (PaymentDeclined). Any payment is refunded.'" in effects
    assert "prepared all three\nlines" in prose(nb)


@pytest.mark.notebooks
def test_the_silent_courier_times_out_and_the_charge_is_refunded(nb):
    """aws-semantics.md 6 [S4][S7]: past TimeoutSeconds (900) the task fails with States.Timeout;
    the Catch runs the compensations; a late SendTaskSuccess is refused."""
    status = outputs_of(nb, "fourth-status")
    assert "'States.Timeout: '" in status and "timedelta(seconds=900)" in status
    effects = outputs_of(nb, "fourth-effects").strip()
    assert effects.startswith("('REFUNDED',\n 'CANCELLED'")
    assert "'too late: ord-0002 is no longer waiting for a courier'" in effects


@pytest.mark.notebooks
def test_where_is_each_order(nb):
    rows = table(nb, "where")
    assert {order: row["status"] for order, row in rows.items()} == {
        "ord-0042": "SUCCEEDED", "ord-0001": "SUCCEEDED", "ord-0004": "FAILED", "ord-0002": "FAILED"}
    assert float(rows["ord-0002"]["lasted (s)"]) == 900 and float(rows["ord-0042"]["lasted (s)"]) == 240


@pytest.mark.notebooks
def test_the_bill_quoted_in_the_prose_comes_from_the_run(nb):
    """aws-semantics.md 6 [S3]: Standard bills each state transition, retries included; the prose's
    12 transitions and $300 per million orders, and Express's $2, are the cells' results."""
    rows = table(nb, "transitions")
    happy = rows["ord-0042"]
    assert int(happy["transitions"]) == 12 and float(happy["USD per million orders"]) == 300
    assert int(rows["ord-0001"]["transitions"]) == 13                 # the same path, plus one retry
    text = prose(nb)
    assert "costs 12 transitions, about \\$300 per million orders" in text
    assert "12 transitions, about \\$300 per million" in text
    assert round(float(outputs_of(nb, "express"))) == 2 and "About \\$2 per million orders" in text


@pytest.mark.notebooks
def test_the_flaky_provider_cancels_the_order_before_the_exercise(nb):
    rows = list(table(nb, "flaky").values())
    assert [(r["event"], r["state"]) for r in rows] == [
        ("TaskStateEntered", "ChargeCard"), ("TaskFailed", "ChargeCard"), ("FailStateEntered", "OrderCancelled")]
    assert rows[1]["detail"].startswith("PaymentProviderTimeout")


def test_the_notebook_opens_and_closes_like_the_others():
    source = nbformat.read(notebook("05"), as_version=4)
    first, last = source.cells[0].source, source.cells[-1].source
    for part in ("What you will learn", "What you need", "Time"):
        assert part in first
    for part in ("## Summary", "## On real AWS", "## Review questions", "## Further reading",
                 "06-choreography-vs-orchestration.ipynb", "saga-pattern-sam", "step-functions/pricing"):
        assert part in last
    code = [cell.source for cell in source.cells if cell.cell_type == "code"]
    assert max(len(c.splitlines()) for c in code) <= 25
    assert all(not cell.get("outputs") for cell in source.cells if cell.cell_type == "code")


# -- the exercise's check, on its own --------------------------------------------------------
ORDER = json.dumps(load("orders.json")[5])          # ord-0006, the exercise's order


def _retrier(**changes: Any) -> dict[str, Any]:
    return {"ErrorEquals": ["PaymentProviderTimeout"], "IntervalSeconds": 1, "MaxAttempts": 3, "BackoffRate": 2,
            **changes}


def _attempt(lab: helpers.Lab, change: Callable[[dict, dict], None]):
    """Deploy, make the provider time out twice per charge, apply `change` to (definition, ChargeCard),
    run the exercise's order and check it, as the notebook's check cell does."""
    arns = orchestration.deploy()
    boto3.client("lambda").update_function_configuration(FunctionName="bistro-charge-card", Environment={
        "Variables": {"PAYMENTS_TABLE": "bistro-payments", "PROVIDER_TIMEOUTS": "2"}})
    definition = json.loads(orchestration.definition(arns[orchestration.TOPIC]))
    change(definition, definition["States"]["PayAndCook"]["Branches"][0]["States"]["ChargeCard"])
    sfn = boto3.client("stepfunctions")
    sfn.update_state_machine(stateMachineArn=arns["state_machine"], definition=json.dumps(definition))
    execution = sfn.start_execution(stateMachineArn=arns["state_machine"], input=ORDER)["executionArn"]
    lab.advance(minutes=1)
    return flaky_payment(execution)


def test_the_check_passes_the_solution_with_the_retry_timeline(lab: helpers.Lab) -> None:
    """aws-semantics.md 6 [S4][S5]: retries after IntervalSeconds × BackoffRate^n: 1 s, then 2 s."""
    verdict = _attempt(lab, lambda d, charge: charge.update(Retry=[_retrier()]))
    assert verdict.passed, verdict
    assert verdict.message == "ChargeCard timed out twice, was retried after 1 s and 2 s, and charged the card on attempt 3."


def test_the_check_says_not_yet_with_a_hint_on_the_untouched_definition(lab: helpers.Lab) -> None:
    verdict = _attempt(lab, lambda d, charge: None)
    assert not verdict.passed and "was not retried: it has no \"Retry\"" in verdict.message
    assert "PaymentProviderTimeout" in verdict.hint
    assert helpers.exercises.more_help("flaky-payment").startswith("The API to use:")
    assert "PaymentProviderTimeout" in helpers.exercises.more_help("flaky-payment")


@pytest.mark.parametrize("change, message, hint", [
    pytest.param(lambda d, charge: d["States"]["PayAndCook"].update(Retry=[_retrier()]),
                 "your retrier for PaymentProviderTimeout is on PayAndCook", "Move the retrier into ChargeCard",
                 id="retry-on-the-wrong-state"),
    pytest.param(lambda d, charge: charge.update(Retry=[_retrier(ErrorEquals=["States.Timeout"])]),
                 "States.Timeout is Step Functions' own error", "named after the exception class",
                 id="error-equals-names-another-error"),
    pytest.param(lambda d, charge: charge.update(Retry=[_retrier(MaxAttempts=1)]),
                 "\"MaxAttempts\": 1, which allows 1 retry", "you need at least 2", id="max-attempts-too-low"),
    pytest.param(lambda d, charge: charge.update(
        Catch=[{"ErrorEquals": ["PaymentProviderTimeout"], "Next": "ChargeFailed"}, *charge["Catch"]]),
                 "you added a Catch for PaymentProviderTimeout, which moves on to ChargeFailed",
                 "Use \"Retry\" (not \"Catch\")", id="catch-instead-of-retry"),
    pytest.param(lambda d, charge: charge.update(Retry=[_retrier(ErrorEquals=["States.ALL"])]),
                 "would also retry a PaymentDeclined", "Name the transient error itself", id="catch-all-retrier"),
    pytest.param(lambda d, charge: charge.update(Retry=[_retrier(IntervalSeconds=600)]),
                 "has not charged the card yet (it timed out once so far)", "PaymentProviderTimeout",
                 id="retry-still-waiting"),
])
def test_the_check_names_each_plausible_mistake(lab: helpers.Lab, change, message: str, hint: str) -> None:
    verdict = _attempt(lab, change)
    assert not verdict.passed
    assert message in verdict.message and hint in verdict.hint, str(verdict)
