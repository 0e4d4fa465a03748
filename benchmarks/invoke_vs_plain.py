"""Median latency of a synchronous invoke of a trivial handler vs a plain moto call, side by side.

Target (issue 2): the invoke costs under 2x the plain call (`get_function`).
Run: .venv/bin/python benchmarks/invoke_vs_plain.py
"""
from __future__ import annotations

import statistics
import time

import boto3

import helpers

ROUNDS, WARMUP = 400, 20


def median_ms(call) -> float:
    for _ in range(WARMUP):
        call()
    samples = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def main() -> None:
    lab = helpers.start()
    client = boto3.client("lambda")
    client.create_function(FunctionName="bench", Runtime="python3.12", Role=lab.role_arn,
                           Handler="lambda_function.handler",
                           Code={"ZipFile": helpers.zip_code("def handler(event, context):\n    return 1\n")})
    plain = lambda: client.get_function(FunctionName="bench")  # noqa: E731
    invoke = lambda: client.invoke(FunctionName="bench", Payload=b"{}")  # noqa: E731
    # Interleave the two measurements so machine noise hits both alike.
    results = {"get_function": [], "invoke": []}
    for _ in range(3):
        results["get_function"].append(median_ms(plain))
        results["invoke"].append(median_ms(invoke))
    plain_ms, invoke_ms = min(results["get_function"]), min(results["invoke"])
    print(f"plain moto call (get_function): {plain_ms:.3f} ms median")
    print(f"synchronous invoke, trivial handler: {invoke_ms:.3f} ms median")
    print(f"ratio invoke / plain: {invoke_ms / plain_ms:.2f} (target < 2)")


if __name__ == "__main__":
    main()
