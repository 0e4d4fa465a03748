"""Every notebook follows design.md's notebook conventions that can be read without running it.

No code cell over 25 lines; a time estimate that the notebook's length supports; review questions and
further reading at the end. Generic over notebooks/NN-*.ipynb, so a new notebook is held to the same bar.
"""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from notebook_runner import NOTEBOOKS

MAX_CODE_LINES = 25
#: Reading speed for technical prose (words a minute), code read and run (lines a minute), and the
#: time an exercise takes: they reproduce the times measured by reading every cell and doing the
#: exercises (issue 12: 01 took 75-90 minutes for 3,053 words, 479 code lines, two exercises).
WORDS_PER_MINUTE, CODE_LINES_PER_MINUTE, MINUTES_PER_EXERCISE = 180, 12, 8


def cells(path: Path) -> list[nbformat.NotebookNode]:
    return nbformat.read(path, as_version=4).cells


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_code_cell_is_over_25_lines(path: Path):
    long = {i: len(c.source.splitlines()) for i, c in enumerate(cells(path))
            if c.cell_type == "code" and len(c.source.splitlines()) > MAX_CODE_LINES}
    assert long == {}, f"{path.name}: code cells over {MAX_CODE_LINES} lines (cell index: lines): {long}"


def estimated_minutes(path: Path) -> float:
    """Minutes to read every cell, run the code and do the exercises."""
    notebook = cells(path)
    words = sum(len(c.source.split()) for c in notebook if c.cell_type == "markdown")
    code = sum(len(c.source.splitlines()) for c in notebook if c.cell_type == "code")
    exercises = sum(any(t.startswith("exercise:") for t in c.get("metadata", {}).get("tags", [])) for c in notebook)
    return words / WORDS_PER_MINUTE + code / CODE_LINES_PER_MINUTE + exercises * MINUTES_PER_EXERCISE


def stated_minutes(path: Path) -> int:
    found = re.search(r"\*\*Time\*\*: about (\d+) minutes", cells(path)[0].source)
    assert found, f"{path.name}: the first cell should say **Time**: about N minutes"
    return int(found[1])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_the_time_estimate_is_honest(path: Path):
    estimate, stated = estimated_minutes(path), stated_minutes(path)
    assert 0.8 * estimate <= stated <= 1.5 * estimate + 5, (
        f"{path.name} says about {stated} minutes; its words, code and exercises take about {estimate:.0f}")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_each_notebook_ends_with_review_questions_and_further_reading(path: Path):
    text = "\n".join(c.source for c in cells(path) if c.cell_type == "markdown")
    assert "## Review questions" in text and "## Further reading" in text
    reading = text.split("## Further reading", 1)[1]
    assert "https://docs.aws.amazon.com/" in reading or "https://aws.amazon.com/" in reading


def test_the_landing_page_and_the_readme_quote_each_notebook_s_time():
    root = NOTEBOOKS[0].parents[1]
    for page in (root / "README.md", root / "book" / "index.md"):
        text = page.read_text()
        for path in NOTEBOOKS:
            row = next((line for line in text.splitlines() if line.startswith(f"| {path.name[:2]} |")), None)
            assert row is not None, f"{page.name} has no row for {path.name}"
            assert f"{stated_minutes(path)} min" in row, f"{page.name}: the row of {path.name[:2]} should say its time"


def _calls(path: Path, name: str) -> list[list[str]]:
    """The string arguments of every call to `name` in the notebook's code (positional, after the first
    for `story`)."""
    import ast

    found = []
    for cell in cells(path):
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == name:
                args = node.args[1:] if name == "story" else node.args
                found.append([a.value for a in args if isinstance(a, ast.Constant) and isinstance(a.value, str)])
    return found


def test_the_legend_explains_every_column_the_trace_tables_show():
    """design.md (trace tables): the columns are explained once in each notebook that shows them."""
    unexplained, tables = {}, 0
    for path in NOTEBOOKS:
        shown = {column for call in _calls(path, "story") for column in call}
        tables += bool(shown)
        explained = {column for call in _calls(path, "legend") for column in call}
        if shown - explained:
            unexplained[path.name] = sorted(shown - explained)
    assert tables and unexplained == {}
