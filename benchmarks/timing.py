"""What the benchmarks share: a median of many timed calls, and a trivial function to call."""
from __future__ import annotations

import statistics
import time
from typing import Callable

import boto3

import helpers

ROUNDS, WARMUP = 400, 20


def median_ms(call: Callable[[], object], rounds: int = ROUNDS) -> float:
    """Median real time of `call()` in milliseconds, after a warm-up."""
    for _ in range(WARMUP):
        call()
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def trivial_function(lab: helpers.Lab, name: str) -> Callable[[], object]:
    """Deploy a handler that does nothing; return a call that invokes it synchronously."""
    client = boto3.client("lambda")
    helpers.delete_if_exists("function", name)
    client.create_function(FunctionName=name, Runtime="python3.12", Role=lab.role_arn,
                           Handler="lambda_function.handler",
                           Code={"ZipFile": helpers.zip_code("def handler(event, context):\n    return 1\n")})
    return lambda: client.invoke(FunctionName=name, Payload=b"{}")
