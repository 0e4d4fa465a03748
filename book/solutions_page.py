"""Write notebooks/solutions.md: every exercise of every notebook, its solution folded.

An exercise is a code cell tagged `exercise:<name>` in notebooks/NN-*.ipynb; its solution is
notebooks/solutions/<notebook stem>/<name>.py (the convention of helpers/exercises.py). The page has
one heading per exercise whose anchor is the exercise's name, so a notebook links to
`solutions.md#<name>`; the code sits in a <details> block, folded on the site and in JupyterLab.
tests/test_exercises.py fails when the page is out of date: run `python book/solutions_page.py`.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Iterator, NamedTuple

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
PAGE = NOTEBOOKS / "solutions.md"

INTRO = """# Solutions to the exercises

Try each exercise first: its check says what is missing, and `helpers.exercises.more_help("<name>")`
gives the next hint (the API to use, then the answer). Each solution below is folded: open it when
you want to compare.

This page is generated from `notebooks/solutions/` by `book/solutions_page.py`.
"""


class Exercise(NamedTuple):
    notebook: Path
    name: str
    title: str          # the heading of the markdown that introduces the exercise
    solution: Path


def exercises(folder: Path = NOTEBOOKS) -> Iterator[Exercise]:
    """Every exercise of every notebook, in notebook order, then cell order."""
    for notebook in sorted(folder.glob("[0-9][0-9]-*.ipynb")):
        cells = json.loads(notebook.read_text())["cells"]
        title = ""
        for cell in cells:
            if cell["cell_type"] == "markdown":
                headings = re.findall(r"^#+\s+(.+)$", "".join(cell["source"]), re.M)
                title = headings[-1].strip() if headings else title
            for tag in cell.get("metadata", {}).get("tags", []):
                if tag.startswith("exercise:"):
                    name = tag.split(":", 1)[1]
                    yield Exercise(notebook, name, title, folder / "solutions" / notebook.stem / f"{name}.py")


def notebook_title(notebook: Path) -> str:
    """The notebook's first level-1 heading ("01 · Three ways to invoke a Lambda function")."""
    for cell in json.loads(notebook.read_text())["cells"]:
        found = re.search(r"^#\s+(.+)$", "".join(cell["source"]), re.M)
        if cell["cell_type"] == "markdown" and found:
            return found[1].strip()
    return notebook.stem


def render(folder: Path = NOTEBOOKS) -> str:
    """The text of the solutions page."""
    parts, current = [INTRO], None
    for exercise in exercises(folder):
        if exercise.notebook != current:
            current = exercise.notebook
            parts.append(f"## {notebook_title(current)}\n\nExercises of [the notebook]({current.name}).\n")
        code = exercise.solution.read_text().rstrip("\n") if exercise.solution.is_file() else \
            f"# missing: notebooks/solutions/{current.stem}/{exercise.name}.py"
        parts.append(f"### {exercise.name}\n\n**{exercise.title}** "
                     f"([back to the exercise]({current.name}))\n\n"
                     f"<details>\n<summary>Show the solution</summary>\n\n```python\n{code}\n```\n\n</details>\n")
    return "\n".join(parts)


if __name__ == "__main__":
    PAGE.write_text(render())
    print(f"wrote {PAGE}")
