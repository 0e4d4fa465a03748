"""The short mode of benchmarks/pipeline_scale.py: a failing choreographed pipeline loses nothing.

Correctness only, never timing (the benchmark itself measures time and growth).
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

import helpers

_PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "pipeline_scale.py"
_SPEC = importlib.util.spec_from_file_location("pipeline_scale", _PATH)
pipeline_scale = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(pipeline_scale)


def test_every_order_ends_once_handled_or_in_a_dlq(lab: helpers.Lab):
    """aws-semantics.md 1.3 [L12][L14] and 5: with 20% of invocations failing, each order is handled by the
    second function or parked in one of the two DLQs after maxReceiveCount (3) receives, exactly once."""
    pipeline_scale.build(lab)
    pipeline_scale.run(lab, 300)
    where = pipeline_scale.account(300)  # raises if an order is lost or counted twice
    assert sum(where.values()) == 300 and where["done"] > 0
    assert lab.clock.pending == 0
