"""Notebook 06's explorer: the failure rate and the workload (its 20 orders or the first 200) are the
learner's to pick; every design runs the chosen orders, and a choice made before is not run again."""
from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from helpers.bistro import comparison


@pytest.fixture()
def runs(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int, float]]:
    """Each (design, orders, rate) the explorer runs, with a run that costs nothing."""
    calls: list[tuple[str, int, float]] = []

    def fake(design: str, orders: list[dict[str, Any]], rate: float = 0.0, seed: int = 7) -> comparison.Run:
        calls.append((design, len(orders), rate))
        frame = pd.DataFrame({"order_id": [o["order_id"] for o in orders], "outcome": "delivered",
                              "stopped at": "-", "span_s": 1.0, "invocations": 1, "failed": 0, "events": 0,
                              "transitions": 0})
        return comparison.Run(design, rate, frame, pd.DataFrame())

    monkeypatch.setattr(comparison, "run", fake)
    return calls


def test_the_explorer_runs_the_workload_and_rate_picked_once_each(runs):
    small = [{"order_id": f"ord-{i:04d}"} for i in range(20)]
    large = [{"order_id": f"ord-{i:04d}"} for i in range(200)]
    box = comparison.explorer(small, more=large)
    slider, size = box.children[0].children
    assert list(size.options) == ["20 orders", "200 orders"]
    assert runs == [(design, 20, 0.2) for design in comparison.DESIGNS]
    size.value = "200 orders"
    assert runs[3:] == [(design, 200, 0.2) for design in comparison.DESIGNS]
    slider.value = 0.3
    assert runs[6:] == [(design, 200, 0.3) for design in comparison.DESIGNS]
    size.value, slider.value = "20 orders", 0.2                 # both seen before: nothing runs again
    assert len(runs) == 9 + 3                                     # only (20 orders, 30%) on the way back
    assert runs[9:] == [(design, 20, 0.3) for design in comparison.DESIGNS]


def test_without_a_larger_workload_the_explorer_is_the_slider_alone(runs):
    seeded = [comparison.run(design, [{"order_id": "ord-0001"}], rate=0.1) for design in comparison.DESIGNS]
    box = comparison.explorer([{"order_id": "ord-0001"}], seeded)
    assert box.children[0].description == "failure rate" and box.children[0].value == 0.1
    assert len(runs) == 3                                         # the runs given seed the cache
