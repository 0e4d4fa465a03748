"""What recording the trace costs on the invoke path: median sync-invoke latency, recorder on vs off.

Also times building the DataFrame (`lab.trace()`), which only happens when someone looks.
Run: .venv/bin/python benchmarks/trace_overhead.py
"""
from __future__ import annotations

import statistics
import time

import boto3

import helpers
from helpers.motoext import core

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
    lab = helpers.start(reset=True)
    lambda_ = boto3.client("lambda")
    lambda_.create_function(FunctionName="noop", Runtime="python3.12", Role=lab.role_arn,
                            Handler="lambda_function.handler",
                            Code={"ZipFile": helpers.zip_code("def handler(event, context):\n    return event\n")})

    def invoke() -> None:
        lambda_.invoke(FunctionName="noop", Payload=b"{}")

    on = median_ms(invoke)
    hops = len(lab.recorder.hops)
    started = time.perf_counter()
    frame = lab.trace()
    build_ms = (time.perf_counter() - started) * 1000
    core.set_observer(None)
    try:
        off = median_ms(invoke)
    finally:
        core.set_observer(lab.recorder)
    print(f"median sync invoke, recorder on : {on:.3f} ms")
    print(f"median sync invoke, recorder off: {off:.3f} ms")
    print(f"ratio on/off                    : {on / off:.3f}")
    print(f"lab.trace() over {hops} hops ({len(frame)} rows): {build_ms:.1f} ms")


if __name__ == "__main__":
    main()
