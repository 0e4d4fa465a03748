"""What execution environments (one process each) cost, side by side, in one run.

Prints: a warm synchronous invoke vs a plain moto call (issue 15 target 6: < 1.5x, must stay < 2x);
a cold start vs a warm invoke; a handler making 10 boto3 calls vs the same 10 calls made directly;
the spread of REPORT durations over 20 fresh environments (reproducibility); and 10,000 asynchronous
invokes failing half the time, with an on-failure destination, settled (issue 15 target 4: < 15 s).
Every figure with a target is real (wall) time: the handler runs in another process, whose CPU time
the lab's own process does not see. Run it on a quiet machine. On Linux the asynchronous run also
reports the CPU time it took, the lab's process and its environments' together, which a busy machine
inflates far less than wall time.
Run: PYTHONPATH=. .venv/bin/python benchmarks/execution_environments.py [--quick]
"""
from __future__ import annotations

import base64
import json
import os
import statistics
import time
from pathlib import Path
from typing import Any

import boto3
import harness
from timing import median_ms, trivial_function

import helpers

TEN_CALLS = """
import boto3
sqs = boto3.client("sqs")
def handler(event, context):
    for _ in range(10):
        sqs.get_queue_url(QueueName="bench")
    return 1
"""
CPU_BOUND = "def handler(event, context):\n    return sum(i * i for i in range(50000))\n"
HALF_FAIL = "def handler(event, context):\n    if event['i'] % 2:\n        raise ValueError('odd')\n    return 1\n"


def deploy(lab: helpers.Lab, name: str, code: str, **config: object) -> None:
    helpers.delete_if_exists("function", name)
    boto3.client("lambda").create_function(FunctionName=name, Runtime="python3.12", Role=lab.role_arn,
                                           Handler="lambda_function.handler",
                                           Code={"ZipFile": helpers.zip_code(code)}, **config)


def warm_vs_plain(lab: helpers.Lab, rounds: int) -> list[dict[str, Any]]:
    invoke = trivial_function(lab, "bench")
    client = boto3.client("lambda")
    plain = lambda: client.get_function(FunctionName="bench")  # noqa: E731
    # Interleaved so that machine noise hits both alike; each one's best median.
    runs = [(median_ms(plain, rounds), median_ms(invoke, rounds)) for _ in range(3)]
    plain_ms, invoke_ms = min(r[0] for r in runs), min(r[1] for r in runs)
    return [harness.figure("sync invoke (warm) / plain moto call", invoke_ms / plain_ms, 1.5, "x"),
            harness.figure("plain moto call, get_function", plain_ms, None, "ms"),
            harness.figure("sync invoke, warm environment", invoke_ms, None, "ms")]


def cold_vs_warm(lab: helpers.Lab, rounds: int) -> list[dict[str, Any]]:
    client, colds = boto3.client("lambda"), []
    for i in range(min(rounds, 10)):
        deploy(lab, f"cold{i}", "def handler(event, context):\n    return 1\n")
        started = time.perf_counter()
        client.invoke(FunctionName=f"cold{i}")
        colds.append((time.perf_counter() - started) * 1000)
    warm = median_ms(lambda: client.invoke(FunctionName="cold0"), rounds)
    return [harness.figure("sync invoke, cold start: a new environment", statistics.median(colds), None, "ms"),
            harness.figure("cold start / warm invoke", statistics.median(colds) / warm, None, "x")]


def ten_calls(lab: helpers.Lab, rounds: int) -> list[dict[str, Any]]:
    sqs = boto3.client("sqs")
    sqs.create_queue(QueueName="bench")
    deploy(lab, "ten", TEN_CALLS)
    client = boto3.client("lambda")
    direct = median_ms(lambda: [sqs.get_queue_url(QueueName="bench") for _ in range(10)], rounds)
    through = median_ms(lambda: client.invoke(FunctionName="ten"), rounds)
    return [harness.figure("10 boto3 calls: in a handler / made directly", through / direct, None, "x")]


def duration_spread(lab: helpers.Lab, runs: int) -> list[dict[str, Any]]:
    client, durations = boto3.client("lambda"), []
    for i in range(runs):
        deploy(lab, f"spread{i}", CPU_BOUND, MemorySize=512)
        log = base64.b64decode(client.invoke(FunctionName=f"spread{i}", LogType="Tail")["LogResult"]).decode()
        durations.append(float(log.split("Duration: ")[1].split(" ms")[0]))
    spread = (max(durations) - min(durations)) / statistics.median(durations) * 100
    return [harness.figure(f"REPORT duration spread over {runs} fresh environments", spread, 1.0, "%")]


def cpu_s(lab: helpers.Lab) -> float | None:
    """CPU seconds used so far by the lab's process and its live environments' (None off Linux)."""
    total = time.process_time()
    for env in lab.runtime.environments():
        try:
            fields = Path(f"/proc/{env._process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime
    return total


def async_half_failing(lab: helpers.Lab, events: int) -> list[dict[str, Any]]:
    sqs, client = boto3.client("sqs"), boto3.client("lambda")
    url = sqs.create_queue(QueueName="failures")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    deploy(lab, "half", HALF_FAIL)
    client.put_function_event_invoke_config(FunctionName="half",
                                            DestinationConfig={"OnFailure": {"Destination": arn}})
    cpu_before, started = cpu_s(lab), time.perf_counter()
    for i in range(events):
        client.invoke(FunctionName="half", InvocationType="Event", Payload=json.dumps({"i": i}))
    accepted = time.perf_counter() - started
    lab.run_until_idle()
    settled = time.perf_counter() - started
    cpu_after = cpu_s(lab)
    failed = int(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
                 ["Attributes"]["ApproximateNumberOfMessages"])
    assert failed == events // 2, (failed, events)  # every odd event ends as an on-failure record
    rows = [harness.figure(f"{events:,} async invokes, half failing: accepted", accepted, None, "s"),
            harness.figure(f"{events:,} async invokes, half failing: settled", settled,
                           15.0 * events / 10_000, "s")]
    if cpu_before is not None and cpu_after is not None:
        rows.append(harness.figure(f"{events:,} async invokes, half failing: CPU, lab and environments",
                                   cpu_after - cpu_before, None, "s"))
    return rows


def run(quick: bool) -> list[dict[str, Any]]:
    lab = helpers.start(reset=True)
    time.sleep(2)  # let the warm server process finish loading, as it does while a notebook starts
    rows = []
    for step, size in ((warm_vs_plain, 100), (cold_vs_warm, 100), (ten_calls, 50), (duration_spread, 20)):
        rows += step(lab, 5 if quick else size)
        lab.reset()
    rows += async_half_failing(lab, 200 if quick else 10_000)
    lab.reset()
    return rows


if __name__ == "__main__":
    harness.main(run)
