"""Median latency of a synchronous invoke of a trivial handler vs a plain moto call, side by side.

Target (issue 2): the invoke costs under 2x the plain call (`get_function`).
Run: .venv/bin/python benchmarks/invoke_vs_plain.py
"""
from __future__ import annotations

import boto3
from timing import median_ms, trivial_function

import helpers


def main() -> None:
    lab = helpers.start()
    invoke = trivial_function(lab, "bench")
    client = boto3.client("lambda")
    plain = lambda: client.get_function(FunctionName="bench")  # noqa: E731
    # Interleave the two measurements so machine noise hits both alike; keep each one's best median.
    runs = [(median_ms(plain), median_ms(invoke)) for _ in range(3)]
    plain_ms, invoke_ms = min(r[0] for r in runs), min(r[1] for r in runs)
    print(f"plain moto call (get_function): {plain_ms:.3f} ms median")
    print(f"synchronous invoke, trivial handler: {invoke_ms:.3f} ms median")
    print(f"ratio invoke / plain: {invoke_ms / plain_ms:.2f} (target < 2)")


if __name__ == "__main__":
    main()
