"""What the benchmarks share: a median of many timed calls, and a trivial function to call."""
from __future__ import annotations

import statistics
import time
from typing import Callable

import boto3

import helpers

ROUNDS, WARMUP = 400, 20


def median_ms(call: Callable[[], object], rounds: int = ROUNDS,
              timer: Callable[[], float] = time.perf_counter) -> float:
    """Median time of `call()` in milliseconds, after a warm-up: real time, or the process's CPU time
    with `timer=time.process_time` (every thread's; a busy machine does not inflate it)."""
    for _ in range(WARMUP):
        call()
    samples = []
    for _ in range(rounds):
        started = timer()
        call()
        samples.append(timer() - started)
    return statistics.median(samples) * 1000


def trivial_function(lab: helpers.Lab, name: str) -> Callable[[], object]:
    """Deploy a handler that does nothing; return a call that invokes it synchronously."""
    client = boto3.client("lambda")
    helpers.delete_if_exists("function", name)
    client.create_function(FunctionName=name, Runtime="python3.12", Role=lab.role_arn,
                           Handler="lambda_function.handler",
                           Code={"ZipFile": helpers.zip_code("def handler(event, context):\n    return 1\n")})
    return lambda: client.invoke(FunctionName=name, Payload=b"{}")
