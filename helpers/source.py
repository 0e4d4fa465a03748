"""Handler code kept in files beside the notebooks (`notebooks/bistro/...`), shown as code and zipped.

A notebook shows the code a learner reads, highlighted, with `show_code`, and deploys the same file
with `zip_code(read_code(path))`; a later notebook can deploy it again without depending on an
earlier notebook's state.
"""
from __future__ import annotations

from pathlib import Path

#: The repository's notebooks/ folder: paths given to this module are relative to it.
NOTEBOOK_DIR = Path(__file__).resolve().parents[1] / "notebooks"


def _resolve(path: str | Path) -> Path:
    full = NOTEBOOK_DIR / path
    if not full.is_file():
        raise FileNotFoundError(f"No code file {str(path)!r} under notebooks/: check the path (for example "
                                "'bistro/choreography/payment.py').")
    return full


def read_code(path: str | Path) -> str:
    """The text of the code file `path` (relative to notebooks/)."""
    return _resolve(path).read_text()


def show_code(path: str | Path):  # noqa: ANN201 - an IPython display object
    """The code file `path` (relative to notebooks/), highlighted for the notebook and the site."""
    from IPython.display import Code

    full = _resolve(path)
    return Code(full.read_text(), language="json" if full.suffix == ".json" else "python")
