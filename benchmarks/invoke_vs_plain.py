"""A synchronous invoke of a trivial handler against a plain moto call, side by side; cold and warm.

Target (issue 15, target 6): a (warm) synchronous invoke costs under 1.5x a plain moto call
(`get_function`) in the same run. A cold start (a new execution environment, forced as on AWS by a
configuration change) is reported beside it.
Run: python benchmarks/invoke_vs_plain.py [--quick]
"""
from __future__ import annotations

import statistics
import time
from typing import Any

import boto3
import harness
from timing import median_ms, trivial_function

import helpers

#: Every figure here is the process's CPU time (all threads): the invoke path hands work to threads,
#: and on a busy machine their wake-ups stretch real time far more than the work itself.
CPU = time.process_time


def cold_start_ms(client: Any, name: str, rounds: int) -> float:
    """Median invoke right after a configuration change (AWS starts a new environment for it)."""
    samples = []
    for i in range(rounds):
        client.update_function_configuration(FunctionName=name, Environment={"Variables": {"ROUND": str(i)}})
        started = CPU()
        client.invoke(FunctionName=name, Payload=b"{}")
        samples.append(CPU() - started)
    return statistics.median(samples) * 1000


def run(quick: bool) -> list[dict[str, Any]]:
    lab = helpers.start(reset=True)
    rounds = 20 if quick else 400
    invoke = trivial_function(lab, "bench")
    client = boto3.client("lambda")
    plain = lambda: client.get_function(FunctionName="bench")  # noqa: E731
    # Interleave the two measurements so machine noise hits both alike; keep each one's best median.
    runs = [(median_ms(plain, rounds, CPU), median_ms(invoke, rounds, CPU)) for _ in range(3)]
    plain_ms, warm_ms = min(r[0] for r in runs), min(r[1] for r in runs)
    cold_ms = cold_start_ms(client, "bench", 5 if quick else 50)
    lab.reset()
    return [
        harness.figure("sync invoke (warm) / plain moto call (CPU)", warm_ms / plain_ms, 1.5, "x"),
        harness.figure("plain moto call, get_function (CPU)", plain_ms, None, "ms"),
        harness.figure("sync invoke, warm environment (CPU)", warm_ms, None, "ms"),
        harness.figure("sync invoke, cold start: new environment (CPU)", cold_ms, None, "ms"),
    ]


if __name__ == "__main__":
    harness.main(run)
