"""Notebook 08 (best practices and anti-patterns) shows what its prose says, with the numbers the prose
quotes coming from the run. The capstone's check is tested on its own in test_practices.py.

The notebook is executed once (notebook_runner.executed); each test reads the outputs of the cells
tagged for it.
"""
from __future__ import annotations

import ast
import re

import nbformat
import pytest

from helpers.checks import capstone
from notebook_runner import executed, notebook, outputs_of
from test_notebook_03 import table


@pytest.fixture(scope="module")
def nb():
    return executed(notebook("08"))


def prose(nb) -> str:
    return "\n".join(cell.source for cell in nb.cells if cell.cell_type == "markdown")


def value(nb, tag: str):
    """The cell's result, a Python literal (a dict, a list, a string)."""
    text = re.sub(r"np\.float64\(([^)]*)\)", r"\1", outputs_of(nb, tag).strip())
    return ast.literal_eval(text)


def thousands(n: float) -> str:
    return f"{round(n):,}"


@pytest.mark.notebooks
def test_the_input_transformer_replaces_the_glue_function(nb):
    """aws-semantics.md 4 [E6]: the transformer writes the same ticket; the prose's saving is the run's,
    at AWS Lambda's prices (3 [L23][L29])."""
    bill = table(nb, "glue-bill")["glue"]
    assert int(bill["invocations"]) == 100
    assert value(nb, "transformer") == {"tickets (glue)": 100, "tickets (transformer)": 100, "same tickets": True,
                                        "Lambda invocations now": 0}
    saving = value(nb, "glue-saving")
    assert saving["glue: billed ms per order"] == round(int(bill["billed_ms"]) / 100, 1)
    text = prose(nb)
    assert "**100 invocations fewer**" in text
    assert f"about **\\${saving['saved per million orders (USD)']}** in Lambda alone" in text
    assert f"about \\${saving['saved per million orders (USD)']} per million orders" in text


@pytest.mark.notebooks
def test_a_direct_service_integration_replaces_the_glue_task(nb):
    """aws-semantics.md 6 [S7]: a Task state calls SQS SendMessage itself (request-response)."""
    rows = table(nb, "direct-integration")
    assert {name: (int(r["tickets"]), int(r["Lambda invocations"])) for name, r in rows.items()} == {
        "ticket-via-glue": (10, 10), "ticket-direct": (10, 0)}


@pytest.mark.notebooks
def test_the_lith_inits_longer_needs_more_permissions_and_breaks_with_any_change(nb):
    """aws-semantics.md 2 [L20][L24]: init runs on every cold start and is billed."""
    cold = table(nb, "lith-init")
    extra = float(cold["lith"]["init_ms"]) - float(cold["place-order"]["init_ms"])
    assert extra > 0
    quoted = int(re.search(r"takes \*\*(\d+) ms\*\* more init", prose(nb))[1])
    assert abs(quoted - extra) < 1
    assert f"took {quoted} ms more init" in prose(nb)
    assert value(nb, "lith-permissions") == {"place-order": 1, "lith": 3}
    assert value(nb, "lith-blast") == {"lith": "Runtime.ImportModuleError", "place-order": "placed"}


@pytest.mark.notebooks
def test_the_same_order_twice_is_charged_twice_then_once(nb):
    rows = table(nb, "charges")
    assert {name: int(row["charges"]) for name, row in rows.items()} == {
        "charge-naive": 2, "charge-once": 1, "charge-powertools": 1}
    assert "charged the customer **2 times**" in prose(nb)
    record = value(nb, "idempotency-record")
    assert record["status"] == "COMPLETED" and "charge_id" in record["data"]


@pytest.mark.notebooks
def test_the_saga_compensates_in_reverse_order(nb):
    """aws-semantics.md 6 [S10]: compensations run in reverse order of the steps they undo."""
    assert value(nb, "saga") == ["PaymentFailed", "BinTheFood", "RefundPayment", "CancelOrder",
                                 "TellCustomerSorry", "OrderCancelled"]


@pytest.mark.notebooks
def test_the_outbox_writes_both_or_neither_and_publishes_once(nb):
    """DynamoDB TransactWriteItems is all or nothing; the stream mapping publishes the outbox record
    (aws-semantics.md 1.3 [L15]: stream mappings read records in order)."""
    assert value(nb, "outbox") == {"answers": ["placed", "TransactionCanceledException"], "orders": 1,
                                   "outbox records": 1,
                                   "events billing received": [{"order_id": "ord-0042", "total": 25.0}]}


@pytest.mark.notebooks
def test_lambda_calling_lambda_is_billed_for_the_wait_and_fails_with_its_callee(nb):
    """aws-semantics.md 1.1 [L5]: a synchronous Invoke waits for the function's answer."""
    rows = table(nb, "sync-bill")
    caller, callee = int(rows["place-and-pay"]["billed_ms"]), int(rows["pay"]["billed_ms"])
    assert callee >= 2000 and caller > callee
    assert f"billed **{thousands(caller)} ms**, the payment function's **{thousands(callee)} ms**" in prose(nb)
    assert value(nb, "sync-coupled").startswith("payment failed:")


@pytest.mark.notebooks
def test_the_recursive_loop_is_stopped_after_16_invocations(nb):
    """Lambda developer guide, recursive loop detection (runtime rows): after 16 invocations by one
    event the next is stopped; the queue's redrive policy moves the message to its DLQ."""
    loop = value(nb, "loop")
    assert loop["invocations"] == 16 and loop["stopped by Lambda"] == 3
    assert loop["in the DLQ"] == [{"order_id": "ord-0042", "processed": True}]
    assert "after **16**\ninvocations" in prose(nb) or "after **16** invocations" in prose(nb)
    assert "Lambda after 16 invocations" in prose(nb)
    assert "stopped: not run" in outputs_of(nb, "loop-story") and "NaN" not in outputs_of(nb, "loop-story")


@pytest.mark.notebooks
def test_the_operations_checklist(nb):
    """aws-semantics.md 1.3 [L13]: Lambda refuses an SQS mapping whose function timeout exceeds the
    queue's visibility timeout."""
    assert value(nb, "refused") == "Queue visibility timeout: 30 seconds is less than Function timeout: 60 seconds"
    assert "'Resource': '*'" not in outputs_of(nb, "policy")
    before, after = table(nb, "audit-before"), table(nb, "audit-after")
    assert sum(row["failures go to"] == "nowhere" for row in before.values()) == 6
    assert set(after) == set(before) and all(row["alarm on it"] == "yes" for row in after.values())
    logged = value(nb, "logs")
    assert logged["service"] == "payments" and logged["message"] == "charged" and logged["cold_start"] is True


@pytest.mark.notebooks
def test_the_capstone_brief_matches_the_check_and_the_untouched_design_is_not_yet(nb):
    text = prose(nb)
    assert f"**{capstone.ORDERS} orders** over two hours" in text
    assert f"**{len(capstone.DUPLICATES)} of them twice**" in text
    assert f"**down for {(capstone.OUTAGE_S[1] - capstone.OUTAGE_S[0]) // 60}\nminutes**" in text
    assert "**30\nminutes**" in text and "**20 minutes**" in text
    assert capstone.PICKUP_S - capstone.KITCHEN_S == 20 * 60
    assert "NOT YET takeaway: the app called takeaway directly" in outputs_of(nb, "capstone-verdict")
    day = table(nb, "capstone-day")
    assert int(day["lost"]["the day"]) == 5 and int(day["charged twice"]["the day"]) == 2
    assert "NaN" not in outputs_of(nb, "capstone-orders")


def test_the_notebook_opens_and_closes_like_the_others():
    source = nbformat.read(notebook("08"), as_version=4)
    first, last = source.cells[0].source, source.cells[-1].source
    for part in ("What you will learn", "What you need", "Time"):
        assert part in first
    for part in ("## Summary", "## On real AWS", "## Review questions", "## Further reading", "SVS402",
                 "operator-guide/anti-patterns", "docs.powertools.aws.dev", "Heitor Lessa", "00-welcome.ipynb",
                 "INSTRUCTORS.md", "aws.amazon.com/lambda/pricing"):
        assert part in last, part
    code = [cell.source for cell in source.cells if cell.cell_type == "code"]
    assert max(len(c.splitlines()) for c in code) <= 25
    assert all(not cell.get("outputs") for cell in source.cells if cell.cell_type == "code")
