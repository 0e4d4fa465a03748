"""The site's own Sphinx extensions (book/_ext): forward references to notebooks not written yet."""
from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book" / "_ext"))
_spec = importlib.util.spec_from_file_location("forward_links", ROOT / "book" / "_ext" / "forward_links.py")
forward_links = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(forward_links)


def test_prose_references_to_missing_notebooks_are_found():
    landed = {"00", "01", "02", "03"}
    assert forward_links.missing_references("notebook 08 comes back to this", landed) == ["08"]
    assert forward_links.missing_references("as Notebook 01 showed", landed) == []
    assert forward_links.missing_references("notebooks 02 and 05, or notebooks 03-04", landed) == ["05", "04"]
    assert forward_links.missing_references("in 08 minutes, the notebook's 2 cells", landed) == []


def test_no_notebook_or_page_refers_in_prose_to_a_notebook_not_written_yet():
    """The site build fails on such prose (forward_links.ProseReferences); this says so before a build."""
    landed = forward_links.notebook_numbers(ROOT / "notebooks")
    found = {}
    for path in [*sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb")), ROOT / "book" / "index.md"]:
        texts = ([c["source"] if isinstance(c["source"], str) else "".join(c["source"])
                  for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "markdown"]
                 if path.suffix == ".ipynb" else [path.read_text()])
        missing = [n for text in texts for n in forward_links.missing_references(text, landed)]
        if missing:
            found[path.name] = missing
    assert found == {}


def test_verdict_links_point_at_the_published_solutions_page():
    _spec = importlib.util.spec_from_file_location("solution_links", ROOT / "book" / "_ext" / "solution_links.py")
    solution_links = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(solution_links)
    body = '<a href="solutions.md#large-orders">The solution</a> <a href="other.md#x">x</a>'
    assert solution_links.rewrite(body) == \
        '<a href="solutions.html#large-orders">The solution</a> <a href="other.md#x">x</a>'


def test_a_site_build_warns_on_prose_naming_a_notebook_not_written_yet(tmp_path):
    """The build runs with --warningiserror, so this warning fails it (as a broken link would)."""
    from io import StringIO

    from sphinx.application import Sphinx

    source = tmp_path / "src"
    source.mkdir()
    (source / "00-welcome.ipynb").write_text("{}")
    (source / "index.rst").write_text("Title\n=====\n\nNotebook 00 starts; notebook 08 comes back to this.\n\n"
                                      "``notebook 09`` in code is not prose.\n")
    warnings = StringIO()
    app = Sphinx(str(source), None, str(tmp_path / "out"), str(tmp_path / "doctrees"), "html",
                 confoverrides={"extensions": ["forward_links"], "exclude_patterns": ["*.ipynb"]},
                 status=StringIO(), warning=warnings)
    app.build()
    assert "refers to notebook 08, which does not exist yet" in warnings.getvalue()
    assert "notebook 00" not in warnings.getvalue() and "09" not in warnings.getvalue()
