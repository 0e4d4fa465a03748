"""Notebook 06's comparison at scale: the same 200 orders through the choreography, the orchestration
and the hybrid (helpers/bistro/comparison.py), the cook failing a fifth of its invocations, one design
after the other in one lab, as the notebook's explorer runs them when a learner picks 200 orders (the
notebook itself runs 20).

Per design: real time, the lab's CPU time (moto answering every call, the clock, the state machines)
and the execution environments' CPU time (the handlers and their boto3 calls, in their own
processes). Reported, no target: 6,000 to 11,000 steps a design in the lab's trace (invocations, the
handlers' calls, deliveries, state transitions), most of them a call through boto3 and moto at about a
millisecond. `--quick` runs 10 orders and fails only if a design stops delivering orders (never on
timing). psutil (which ipykernel brings) reads the environments' CPU time.
Run: .venv/bin/python benchmarks/bistro_designs.py [--quick]
"""
from __future__ import annotations

import resource
import time
from typing import Any

import harness
import psutil

import helpers
from helpers.bistro import comparison
from helpers.data import load


def workers_cpu() -> float:
    """CPU seconds of every process the lab started (the environments and multiprocessing's servers),
    the ended ones included."""
    ended = resource.getrusage(resource.RUSAGE_CHILDREN)
    total = ended.ru_utime + ended.ru_stime
    for process in psutil.Process().children(recursive=True):
        try:
            times = process.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total


def run(quick: bool) -> list[dict[str, Any]]:
    helpers.start(reset=True)
    orders = load("orders.json")[: 10 if quick else 200]
    for design in ("orchestration", "hybrid"):  # first-use costs (the state machine parser) are not the runs'
        comparison.run(design, orders[:2])
    rows, total = [], 0.0
    for design in comparison.DESIGNS:
        wall, cpu, workers = time.perf_counter(), time.process_time(), workers_cpu()
        outcomes = comparison.run(design, orders, rate=0.2, seed=2).orders["outcome"]
        wall, cpu, workers = time.perf_counter() - wall, time.process_time() - cpu, workers_cpu() - workers
        if not outcomes.eq("delivered").any():
            raise RuntimeError(f"{design} delivered no order")
        total += wall
        rows += [harness.figure(f"{design}, {len(orders)} orders: real time", wall, None, "s"),
                 harness.figure(f"{design}: the lab's CPU", cpu, None, "s"),
                 harness.figure(f"{design}: the execution environments' CPU", workers, None, "s")]
    rows.append(harness.figure(f"the three designs, {len(orders)} orders each: real time", total, None, "s"))
    return rows


if __name__ == "__main__":
    harness.main(run)
