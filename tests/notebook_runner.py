"""Executing notebooks for the tests: headless, in their own folder, each executed once per worker."""
from __future__ import annotations

import functools
from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOK_DIR = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("[0-9][0-9]-*.ipynb"))


def notebook(stem_prefix: str) -> Path:
    """The notebook whose file name starts with `stem_prefix` (e.g. "01")."""
    return next(p for p in NOTEBOOKS if p.stem.startswith(stem_prefix))


def execute(nb: nbformat.NotebookNode, folder: Path = NOTEBOOK_DIR) -> nbformat.NotebookNode:
    """Run every cell of `nb` in a fresh kernel, in `folder`."""
    NotebookClient(nb, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(folder)}}).execute()
    return nb


@functools.lru_cache(maxsize=None)
def executed(path: Path) -> nbformat.NotebookNode:
    """The notebook at `path`, executed top to bottom (once per test process)."""
    return execute(nbformat.read(path, as_version=4), path.parent)


def errors(nb: nbformat.NotebookNode) -> list[str]:
    """Every error output, as 'Name: value'."""
    return [f"{output.get('ename')}: {output.get('evalue')}"
            for cell in nb.cells if cell.cell_type == "code"
            for output in cell.get("outputs", []) if output.output_type == "error"]


def text_of(nb: nbformat.NotebookNode) -> str:
    """All text and rich outputs of a notebook, concatenated (for asserting what it shows)."""
    parts = []
    for cell in nb.cells:
        previous = None
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and previous == output.get("name"):
                # one print can reach the notebook in several chunks (a busy machine flushes mid-line)
                parts[-1] += output.get("text", "")
            else:
                parts.append(output.get("text", ""))
            previous = output.get("name") if output.get("output_type") == "stream" else None
            parts.extend(str(v) for v in output.get("data", {}).values())
    return "\n".join(parts)


def outputs_of(nb: nbformat.NotebookNode, tag: str) -> str:
    """The text and rich outputs of the cells tagged `tag`."""
    cells = [c for c in nb.cells if tag in c.get("metadata", {}).get("tags", [])]
    assert cells, f"no cell tagged {tag!r}"
    return text_of(nbformat.v4.new_notebook(cells=cells))
