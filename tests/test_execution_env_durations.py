"""Durations are modeled and reproducible: they grow with work and shrink with the CPU memory buys."""
from __future__ import annotations

import base64
import json

import boto3
import pytest

import helpers
from helpers.runtime import duration_model

CPU_BOUND = """
def handler(event, context):
    total = 0
    for i in range(event["n"]):
        total += i * i
    return total
"""

THREADED = """
import threading
def work(n):
    total = 0
    for i in range(n):
        total += i
def handler(event, context):
    threads = [threading.Thread(target=work, args=(event["n"],)) for _ in range(event["threads"])]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return len(threads)
"""


def duration(lab: helpers.Lab, code: str, memory: int, payload: dict, name: str = "fn") -> float:
    """The warm Duration of one invocation (a new function each time: its own environment)."""
    client = boto3.client("lambda")
    helpers.delete_if_exists("function", name)
    client.create_function(FunctionName=name, Runtime="python3.12", Role=lab.role_arn, Timeout=900,
                           Handler="lambda_function.handler", MemorySize=memory,
                           Code={"ZipFile": helpers.zip_code(code)})
    response = client.invoke(FunctionName=name, Payload=json.dumps(payload), LogType="Tail")
    assert "FunctionError" not in response, response["Payload"].read()
    line = base64.b64decode(response["LogResult"]).decode().splitlines()[-1]
    return float(line.split("Duration: ")[1].split(" ms")[0])


def test_the_same_work_gives_the_same_duration_every_time(lab):
    """design.md "The Lambda runtime": durations are counted, not timed, so the same code and input
    give the same REPORT duration on every run and every machine."""
    runs = {duration(lab, CPU_BOUND, 128, {"n": 20000}, name=f"fn{i}") for i in range(3)}
    assert len(runs) == 1


def test_duration_grows_with_the_work_done(lab):
    """design.md "The Lambda runtime": ten times the loop is about ten times the duration."""
    small, large = (duration(lab, CPU_BOUND, 1024, {"n": n}) for n in (10_000, 100_000))
    assert 9 < large / small < 10.5


def test_single_threaded_code_gains_nothing_past_one_vcpu(lab):
    """aws-semantics.md 3 [L27]: CPU grows with memory, 1,769 MB = one vCPU; single-threaded code
    cannot use a second vCPU; 10,240 MB works."""
    by_memory = {m: duration(lab, CPU_BOUND, m, {"n": 50_000}) for m in (128, 256, 1769, 3008, 10240)}
    assert by_memory[128] / by_memory[256] == pytest.approx(2, rel=0.02)
    assert by_memory[256] / by_memory[1769] == pytest.approx(1769 / 256, rel=0.05)
    assert by_memory[1769] == by_memory[3008] == by_memory[10240]


def test_multi_threaded_code_gains_up_to_the_vcpus_memory_buys(lab):
    """aws-semantics.md 3 [L27][L28]: 1,769 MB per vCPU up to 6 vCPUs at 10,240 MB; work split over
    4 threads runs up to 4 times faster, and no faster with more vCPUs than threads."""
    payload = {"n": 20_000, "threads": 4}
    one, two, four, six = (duration(lab, THREADED, m, payload) for m in (1769, 3538, 7076, 10240))
    assert one / two == pytest.approx(2, rel=0.05)
    assert one / four == pytest.approx(4, rel=0.05)
    assert six == pytest.approx(four, rel=0.02)


def test_the_model_in_numbers():
    """aws-semantics.md 3 [L27][L28]: the CPU share per memory size, as notebook 07 explains it."""
    assert duration_model.vcpus(1769) == 1 and duration_model.vcpus(10240) == pytest.approx(5.79, abs=0.01)
    assert duration_model.cpu_ms(10, 128) == pytest.approx(10 * 1769 / 128)
    assert duration_model.compute_ms([1_000_000], 1769) == pytest.approx(1_000_000 * duration_model.LINE_NS / 1e6)
    assert duration_model.compute_ms([10, 10, 10, 10], 10240) == duration_model.compute_ms([10], 1769)
