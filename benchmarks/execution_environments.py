"""What execution environments (one process each) cost, side by side, in one run.

Prints: a warm synchronous invoke vs a plain moto call (issue 15 target 6: < 1.5x, must stay < 2x);
a cold start vs a warm invoke; a handler making 10 boto3 calls vs the same 10 calls made directly;
the spread of REPORT durations over 20 fresh environments (reproducibility); and 10,000 asynchronous
invokes failing half the time, with an on-failure destination, settled (issue 15 target 4: < 15 s).
Run: PYTHONPATH=. .venv/bin/python benchmarks/execution_environments.py [--events N]
"""
from __future__ import annotations

import argparse
import base64
import json
import statistics
import time

import boto3
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


def warm_vs_plain(lab: helpers.Lab) -> None:
    invoke = trivial_function(lab, "bench")
    client = boto3.client("lambda")
    plain = lambda: client.get_function(FunctionName="bench")  # noqa: E731
    runs = [(median_ms(plain, 100), median_ms(invoke, 100)) for _ in range(3)]
    plain_ms, invoke_ms = min(r[0] for r in runs), min(r[1] for r in runs)
    print(f"plain moto call (get_function)      {plain_ms:8.2f} ms median")
    print(f"warm synchronous invoke             {invoke_ms:8.2f} ms median   ratio {invoke_ms / plain_ms:.2f} "
          "(target < 1.5, must stay < 2)")


def cold_vs_warm(lab: helpers.Lab) -> None:
    client, colds = boto3.client("lambda"), []
    for i in range(10):
        deploy(lab, f"cold{i}", "def handler(event, context):\n    return 1\n")
        started = time.perf_counter()
        client.invoke(FunctionName=f"cold{i}")
        colds.append((time.perf_counter() - started) * 1000)
    warm = median_ms(lambda: client.invoke(FunctionName="cold0"), 100)
    print(f"cold start (new environment)        {statistics.median(colds):8.2f} ms median of 10   "
          f"warm {warm:.2f} ms   ratio {statistics.median(colds) / warm:.1f}")


def ten_calls(lab: helpers.Lab) -> None:
    sqs = boto3.client("sqs")
    sqs.create_queue(QueueName="bench")
    deploy(lab, "ten", TEN_CALLS)
    client = boto3.client("lambda")
    direct = median_ms(lambda: [sqs.get_queue_url(QueueName="bench") for _ in range(10)], 50)
    through = median_ms(lambda: client.invoke(FunctionName="ten"), 50)
    print(f"10 boto3 calls made directly        {direct:8.2f} ms median")
    print(f"the same 10 calls in a handler      {through:8.2f} ms median   ratio {through / direct:.2f}")


def duration_spread(lab: helpers.Lab) -> None:
    client, durations = boto3.client("lambda"), []
    for i in range(20):
        deploy(lab, f"spread{i}", CPU_BOUND, MemorySize=512)
        log = base64.b64decode(client.invoke(FunctionName=f"spread{i}", LogType="Tail")["LogResult"]).decode()
        durations.append(float(log.split("Duration: ")[1].split(" ms")[0]))
    spread = (max(durations) - min(durations)) / statistics.median(durations) * 100
    print(f"REPORT duration over 20 environments {statistics.median(durations):7.2f} ms median   "
          f"spread {spread:.2f}% (same work, same duration)")


def async_half_failing(lab: helpers.Lab, events: int) -> None:
    sqs, client = boto3.client("sqs"), boto3.client("lambda")
    url = sqs.create_queue(QueueName="failures")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    deploy(lab, "half", HALF_FAIL)
    client.put_function_event_invoke_config(FunctionName="half",
                                            DestinationConfig={"OnFailure": {"Destination": arn}})
    started = time.perf_counter()
    for i in range(events):
        client.invoke(FunctionName="half", InvocationType="Event", Payload=json.dumps({"i": i}))
    accepted = time.perf_counter() - started
    lab.run_until_idle()
    settled = time.perf_counter() - started
    failed = int(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
                 ["Attributes"]["ApproximateNumberOfMessages"])
    print(f"{events:,} async invokes, half failing   accepted and run in {accepted:.1f} s, settled in "
          f"{settled:.1f} s (target < 15 s); {failed:,} on-failure records")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=10_000)
    args = parser.parse_args()
    lab = helpers.start()
    time.sleep(2)  # let the warm server process finish loading, as it does while a notebook starts
    for step in (warm_vs_plain, cold_vs_warm, ten_calls, duration_spread):
        step(lab)
        lab.reset()
    async_half_failing(lab, args.events)


if __name__ == "__main__":
    main()
