"""Handler code shown from files beside the notebooks."""
from __future__ import annotations

import pytest

import helpers


def test_show_code_highlights_a_file_relative_to_the_notebooks(tmp_path, monkeypatch):
    monkeypatch.setattr("helpers.source.NOTEBOOK_DIR", tmp_path)
    (tmp_path / "bistro").mkdir()
    (tmp_path / "bistro" / "demo.py").write_text("def handler(event, context):\n    return 1\n")
    assert helpers.read_code("bistro/demo.py").startswith("def handler")
    assert "handler" in helpers.show_code("bistro/demo.py")._repr_html_()


def test_a_missing_code_file_is_named():
    with pytest.raises(FileNotFoundError, match="no-such.py"):
        helpers.read_code("bistro/no-such.py")
