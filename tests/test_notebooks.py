"""Every notebook runs headless top to bottom, and again with every cell run twice in one kernel.

design.md, principle 5: each notebook stands alone and survives Restart-and-Run-All and a cell run
twice.
"""
from __future__ import annotations

import copy
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("[0-9][0-9]-*.ipynb"))

pytestmark = pytest.mark.notebooks


def execute(notebook: nbformat.NotebookNode, folder: Path) -> nbformat.NotebookNode:
    NotebookClient(notebook, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(folder)}}).execute()
    return notebook


def errors(notebook: nbformat.NotebookNode) -> list[str]:
    return [f"{output.get('ename')}: {output.get('evalue')}"
            for cell in notebook.cells if cell.cell_type == "code"
            for output in cell.get("outputs", []) if output.output_type == "error"]


def text_of(notebook: nbformat.NotebookNode) -> str:
    parts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            parts.append(output.get("text", ""))
            parts.extend(str(v) for v in output.get("data", {}).values())
    return "\n".join(parts)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom(path: Path):
    notebook = execute(nbformat.read(path, as_version=4), path.parent)
    assert errors(notebook) == []
    assert "Traceback" not in text_of(notebook)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_survives_every_cell_run_twice(path: Path):
    notebook = nbformat.read(path, as_version=4)
    doubled = []
    for cell in notebook.cells:
        doubled.append(cell)
        if cell.cell_type == "code":
            twin = copy.deepcopy(cell)
            twin["id"] = f"{cell.get('id', 'cell')}-again"
            doubled.append(twin)
    notebook.cells = doubled
    assert errors(execute(notebook, path.parent)) == []


def test_welcome_notebook_shows_a_cold_then_warm_report():
    """Notebook 00 must show a first function deployed, invoked, and its REPORT line read."""
    path = next(p for p in NOTEBOOKS if p.stem.startswith("00"))
    text = text_of(execute(nbformat.read(path, as_version=4), path.parent))
    assert "'Init Duration'" in text and "'Billed Duration'" in text
    assert "{'first (cold)': True, 'second (warm)': False}" in text
    assert "Unhandled" in text and "KeyError" in text
