"""Every notebook runs headless top to bottom, and again with every cell run twice in one kernel.

design.md, principle 5: each notebook stands alone and survives Restart-and-Run-All and a cell run
twice.
"""
from __future__ import annotations

import copy
from pathlib import Path

import nbformat
import pytest

from notebook_runner import NOTEBOOKS, errors, execute, executed, notebook, outputs_of, text_of

pytestmark = pytest.mark.notebooks


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom(path: Path):
    nb = executed(path)
    assert errors(nb) == []
    assert "Traceback (most recent call last)" not in text_of(nb)  # not pygments CSS (Generic.Traceback)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_survives_every_cell_run_twice(path: Path):
    nb = nbformat.read(path, as_version=4)
    doubled = []
    for cell in nb.cells:
        doubled.append(cell)
        if cell.cell_type == "code":
            twin = copy.deepcopy(cell)
            twin["id"] = f"{cell.get('id', 'cell')}-again"
            doubled.append(twin)
    nb.cells = doubled
    assert errors(execute(nb, path.parent)) == []


def test_welcome_notebook_shows_a_cold_then_warm_report():
    """Notebook 00 must show a first function deployed, invoked, and its REPORT line read."""
    text = text_of(executed(notebook("00")))
    assert "'Init Duration'" in text and "'Billed Duration'" in text
    assert "{'first (cold)': True, 'second (warm)': False}" in text
    assert "Unhandled" in text and "KeyError" in text


def test_welcome_notebook_shows_the_log_framed_by_start_end_report():
    """aws-semantics.md 2 [L22][L23]: each invocation's log is START, the handler's prints, END, REPORT;
    the warm invocation's REPORT has no Init Duration."""
    lines = [line.strip(" '[],") for line in outputs_of(executed(notebook("00")), "logs").splitlines()]
    kinds = [line.split()[0] for line in lines if line]
    assert kinds == ["START", "greeting", "END", "REPORT", "START", "greeting", "END", "REPORT"]
    reports = [line for line in lines if line.startswith("REPORT")]
    assert "Init Duration" in reports[0] and "Init Duration" not in reports[1]


def test_welcome_notebook_tries_memory_up_to_10240_mb_and_shows_the_plateau():
    """aws-semantics.md 3 [L27][L28]: 128-10,240 MB, 1,769 MB = one vCPU, six at most; single-threaded
    code gains nothing past one vCPU, so 1,769, 3,008 and 10,240 MB all run far faster than 128 MB."""
    nb = executed(notebook("00"))
    rows = [line.split() for line in outputs_of(nb, "memory-table").splitlines()
            if line.strip()[:1].isdigit() and len(line.split()) == 3]
    durations = {int(memory): float(ms) for _, memory, ms in rows}
    assert list(durations) == [128, 512, 1769, 3008, 10240]
    assert all(durations[128] > 3 * durations[m] for m in (1769, 3008, 10240))
    source = "".join(c.source for c in nb.cells)
    assert "max=10240" in source and "single-threaded" in source and "modeled" in source
