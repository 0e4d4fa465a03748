"""Notebook 06 (choreography vs orchestration) quotes the numbers its run produces, and its exercise
check recognises the solution, the untouched cell and plausible wrong attempts.

The notebook is executed once (notebook_runner.executed); the check's tests run without it.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from helpers.checks.comparison import choose_the_design
from notebook_runner import errors, executed, notebook, outputs_of
from test_notebook_03 import table

SOLUTION = Path(__file__).resolve().parents[1] / "notebooks/solutions/06-choreography-vs-orchestration/choose-the-design.py"


@pytest.fixture(scope="module")
def nb():
    return executed(notebook("06"))


def prose(nb) -> str:
    return "\n".join(cell.source for cell in nb.cells if cell.cell_type == "markdown")


def cell(nb, tag: str) -> str:
    return next(c.source for c in nb.cells if tag in c.get("metadata", {}).get("tags", []))


@pytest.mark.notebooks
def test_runs_without_errors(nb):
    assert errors(nb) == []


@pytest.mark.notebooks
def test_the_prose_quotes_the_run(nb):
    """design.md: numbers the prose quotes come from the run. aws-semantics.md 1.2 (async retries at
    +1 and +3 min: the choreography's late and stuck orders) and 6 [S3] (transitions priced)."""
    rows = table(nb, "three-designs")
    columns = {design: {metric: float(rows[metric][design]) for metric in rows} for design in
               ("choreography", "orchestration", "hybrid")}
    text = " ".join(prose(nb).split())
    choreo, orch, hyb = columns["choreography"], columns["orchestration"], columns["hybrid"]
    assert f"Here {choreo['stuck']:.0f} of the 20 are stuck" in text
    assert f"{orch['cancelled']:.0f} of the 20 orders were cancelled" in text
    assert f"{choreo['events published']:.0f} events published" in text
    assert f"**state transitions**: {orch['state transitions']:.0f}" in text
    assert f"({orch['Lambda invocations']:.0f} invocations against {choreo['Lambda invocations']:.0f})" in text
    assert f"The hybrid delivered all {hyb['delivered']:.0f} orders" in text and hyb["delivered"] == 20
    assert f"slowest took {hyb['slowest order (s)']:.0f} seconds" in text
    assert f"more invocations ({hyb['Lambda invocations']:.0f}:" in text
    assert f"and {hyb['state transitions']:.0f} state transitions" in text
    assert choreo["slowest order (s)"] == 180 and "late** (60 s, 180 s)" in text
    bill = table(nb, "bill-three")
    assert f"\\${float(bill['state transitions']['orchestration']):.2f} per million orders" in text
    assert f"\\${float(bill['state transitions']['hybrid']):.2f} per million orders" in text
    assert f"\\${float(bill['custom events']['choreography']):.2f} of events" in text
    assert f"About \\${float(outputs_of(nb, 'express').strip()):.2f} per million orders" in text


@pytest.mark.notebooks
def test_where_is_order_42(nb):
    """The prose: order 42 delivered by the choreography (a read per context), cancelled by the
    orchestration (one call), its kitchen execution succeeded in the hybrid."""
    assert "'status': 'PAID'" in outputs_of(nb, "where-choreography")
    assert "'FAILED'" in outputs_of(nb, "where-orchestration") and "OrderCancelled" in outputs_of(nb, "where-orchestration")
    steps = outputs_of(nb, "where-hybrid")
    assert all(state in steps for state in ("TakePortions", "CookLines", "PrepareLine", "OrderPrepared"))
    assert "NaN" not in steps and "'PLACED'" in outputs_of(nb, "where-choreography")
    diff = outputs_of(nb, "new-step").splitlines()
    assert "One line changed and two added" in prose(nb)
    assert [line[0] for line in diff] == ["-", "+", "+", "+"]


@pytest.mark.notebooks
def test_the_chart_and_the_graph_are_drawn(nb):
    """design.md: diagrams fit the ~750 px column (the chart is 7.4 in at 100 dpi)."""
    assert "image/png" in str([o.get("data", {}).keys() for c in nb.cells for o in c.get("outputs", [])
                               if "chart" in c.metadata.get("tags", [])])
    assert "<svg" in outputs_of(nb, "hybrid-graph")


@pytest.mark.notebooks
def test_the_untouched_exercise_says_not_yet(nb):
    verdict = outputs_of(nb, "check")
    assert "NOT YET" in verdict and "Hint:" in verdict and "solutions.md#choose-the-design" in verdict


def _solution() -> dict:
    scope: dict = {}
    exec(SOLUTION.read_text(), scope)
    return scope


def test_the_solution_passes():
    scope = _solution()
    verdict = choose_the_design(scope["choices"], scope["why"])
    assert verdict.passed, verdict


def test_wrong_attempts_get_their_own_messages():
    scope = _solution()
    orchestrate_teams = choose_the_design({**scope["choices"], "new-teams": "orchestration"}, scope["why"])
    assert not orchestrate_teams.passed and "central workflow" in str(orchestrate_teams)
    no_reason = choose_the_design(scope["choices"], {"new-teams": "because", "catering": "x", "bakery": "y"})
    assert not no_reason.passed and "now say why" in str(no_reason)
    choreograph_bakery = choose_the_design({**scope["choices"], "bakery": "choreography"}, scope["why"])
    assert not choreograph_bakery.passed and "web of events" in str(choreograph_bakery)
