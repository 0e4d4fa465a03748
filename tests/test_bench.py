"""Every benchmark's quick version runs and reports well-formed figures (benchmarks/harness.py).

This fails when a benchmark stops working, never on timing: `passed` (target met) is not asserted,
because timings on a shared CI machine say nothing. `make bench` runs the full versions.
"""
from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import harness  # noqa: E402

#: Benchmarks that execute notebooks are as slow as the notebook tests, and marked like them.
_SLOW = {"notebooks"}


@pytest.mark.parametrize("path", [pytest.param(p, id=p.stem, marks=[pytest.mark.notebooks] if p.stem in _SLOW else [])
                                  for p in harness.benchmarks()])
def test_benchmark_quick_version_reports_its_figures(path: Path):
    rows = harness.run_one(path, quick=True)
    assert rows, f"{path.stem} reported nothing"
    for row in rows:
        assert set(row) >= {"figure", "target", "measured", "unit", "passed"}, row
        assert isinstance(row["figure"], str) and row["figure"] and "did not finish" not in row["figure"], row
        measured = row["measured"]
        assert isinstance(measured, (int, float)) and math.isfinite(measured) and measured >= 0, row
        assert row["target"] is None or row["target"] > 0, row
        assert isinstance(row["passed"], bool) and isinstance(row["unit"], str), row


def test_the_table_and_chart_show_every_figure():
    """The table has a row per figure (ratio for those with a target); the chart a bar per target."""
    rows = [harness.figure("fast enough", 0.5, 1.0, "s"), harness.figure("too slow", 3.0, 2.0, "x"),
            harness.figure("memory", 70.0, None, "MiB")]
    table = harness.table(rows).splitlines()
    assert table[2] == "| fast enough | ≤ 1 s | 0.5 s | 0.50 | pass |"
    assert table[3] == "| too slow | ≤ 2 x | 3 x | 1.50 | FAIL |"
    assert table[4] == "| memory | (reported) | 70 MiB | - | pass |"
    svg = harness.chart_svg(rows)
    assert svg.count("<rect") == 2 and "fast enough" in svg and "memory" not in svg
