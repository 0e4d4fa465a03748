"""Every exercise check fails with a hint on the untouched cell and passes on its solution."""
from __future__ import annotations

from pathlib import Path

import importlib.util
import re

import nbformat
import pytest

from helpers.exercises import Hints, Verdict, check, more_help
from notebook_runner import NOTEBOOKS, errors, execute, executed, text_of

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "notebooks" / "solutions"
_spec = importlib.util.spec_from_file_location("solutions_page", ROOT / "book" / "solutions_page.py")
solutions_page = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(solutions_page)


def exercises(path: Path) -> list[str]:
    notebook = nbformat.read(path, as_version=4)
    return [tag.split(":", 1)[1] for cell in notebook.cells
            for tag in cell.get("metadata", {}).get("tags", []) if tag.startswith("exercise:")]


CASES = [(path, name) for path in NOTEBOOKS for name in exercises(path)]


def test_the_solutions_page_is_in_sync_and_lists_every_exercise_of_every_notebook():
    """notebooks/solutions.md is generated: regenerate it with `python book/solutions_page.py`."""
    page = (ROOT / "notebooks" / "solutions.md").read_text()
    assert page == solutions_page.render(), "solutions.md is out of date: run python book/solutions_page.py"
    anchors = re.findall(r"^### (\S+)$", page, re.M)
    assert anchors == [name for _, name in CASES]
    assert "# missing:" not in page, "an exercise has no solution file under notebooks/solutions/"
    assert page.count("<details>") == len(CASES) == page.count("</details>")  # each solution folded


@pytest.mark.parametrize("path, name", CASES, ids=[f"{p.stem}-{n}" for p, n in CASES])
def test_each_exercise_links_to_its_published_solution(path: Path, name: str):
    """The markdown that introduces an exercise links to its anchor on the solutions page, which the
    site publishes (book/_toc.yml lists it)."""
    cells = nbformat.read(path, as_version=4).cells
    start = next(i for i, c in enumerate(cells) if f"exercise:{name}" in c.get("metadata", {}).get("tags", []))
    intro = next(c for c in reversed(cells[:start]) if c.cell_type == "markdown")
    assert f"](solutions.md#{name})" in intro.source, f"{path.name}: link the exercise to solutions.md#{name}"
    assert "notebooks/solutions" in (ROOT / "book" / "_toc.yml").read_text()


def test_verdicts_say_what_is_wrong_and_never_raise():
    failing = check("demo", lambda: 1 / 0, "divide by something else")
    assert not failing.passed and "ZeroDivisionError" in failing.message
    assert str(failing).startswith("NOT YET demo:") and "Hint: divide" in str(failing)
    assert str(check("demo", lambda: (True, "well done"), "unused")) == "PASSED demo: well done"
    assert "&#10004;" in Verdict("demo", True, "ok")._repr_html_()


def test_hints_come_in_tiers_a_nudge_first_then_the_api_then_the_answer_on_request():
    hints = Hints(nudge="think about retries", api="use put_function_event_invoke_config", answer="the code")
    verdict = check("tiers", lambda: (False, "no destination yet"), hints)
    assert "Hint: think about retries" in str(verdict) and "the code" not in str(verdict)
    assert "solutions.md#tiers" in str(verdict) and "solutions.md#tiers" in verdict._repr_html_()
    assert "<details>" in verdict._repr_html_()  # the API and the answer are folded, shown on request
    assert more_help("tiers") == "The API to use: use put_function_event_invoke_config"
    assert more_help("tiers") == "The answer: the code"
    assert more_help("tiers") == "The answer: the code"
    mistake = check("tiers", lambda: (False, "you made the queue a target", "a DLQ belongs to the target"), hints)
    assert mistake.hint == "a DLQ belongs to the target" and "think about retries" not in str(mistake)
    assert "Run the check" in more_help("never-checked")


@pytest.mark.notebooks
@pytest.mark.parametrize("path", sorted({p for p, _ in CASES}), ids=lambda p: p.stem)
def test_untouched_exercises_say_not_yet_with_a_hint(path: Path):
    """Each exercise's own verdict (not just any output) is NOT YET, after the exercise cell, with a hint."""
    notebook = executed(path)
    for name in exercises(path):
        start = next(i for i, c in enumerate(notebook.cells)
                     if f"exercise:{name}" in c.get("metadata", {}).get("tags", []))
        verdicts = [output["data"]["text/plain"] for cell in notebook.cells[start + 1:]
                    for output in cell.get("outputs", [])
                    if output.get("data", {}).get("text/plain", "").startswith((f"NOT YET {name}:", f"PASSED {name}:"))]
        assert len(verdicts) == 1, f"{name}: expected one verdict after the exercise cell, got {verdicts}"
        assert verdicts[0].startswith(f"NOT YET {name}:") and " Hint: " in verdicts[0], verdicts[0]


@pytest.mark.notebooks
@pytest.mark.parametrize("path, name", CASES, ids=[f"{p.stem}-{n}" for p, n in CASES])
def test_solution_passes_its_check(path: Path, name: str):
    solution = SOLUTIONS / path.stem / f"{name}.py"
    assert solution.is_file(), f"missing solution {solution}"
    notebook = nbformat.read(path, as_version=4)
    cell = next(c for c in notebook.cells if f"exercise:{name}" in c.get("metadata", {}).get("tags", []))
    cell.source = solution.read_text()
    executed = execute(notebook, path.parent)
    assert errors(executed) == []
    text = text_of(executed)
    assert f"PASSED {name}:" in text and f"NOT YET {name}:" not in text
