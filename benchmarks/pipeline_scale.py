"""A choreographed pipeline at scale, with failures: nothing lost, time linear in the orders.

EventBridge bus -> rule -> SQS -> Lambda mapping (batch 10) -> the handler puts a follow-up event
-> second rule -> SQS -> second Lambda. Both functions fail 20% of their invocations (lab.faults);
each queue has a DLQ (maxReceiveCount 3). Every order ends exactly once: handled by the second
function, or in one of the two DLQs.

Target (issue 15, target 3): 10,000 orders in under 30 s wall, peak memory under 1 GB, and linear
from 1,000 to 10,000 orders (the growth exponents of wall and CPU time are printed; 1.0 is linear).
CPU time is printed beside wall time: on a machine shared with other work, wall time mostly measures
the wait for a core.

Run:  python benchmarks/pipeline_scale.py            # 1,000, 3,000 and 10,000 orders, one process each
      python benchmarks/pipeline_scale.py --quick    # 300 orders: checks that nothing is lost (CI)
      python benchmarks/pipeline_scale.py --orders N # one size, in this process
      python benchmarks/pipeline_scale.py --orders N --profile  # and cProfile's top costs
"""
from __future__ import annotations

import argparse
import cProfile
import json
import math
import pstats
import resource
import subprocess
import sys
import time
from pathlib import Path

import boto3
import harness

import helpers

BUS, FAILURE_RATE, MAX_RECEIVES = "orders", 0.2, 3
SIZES = (1_000, 3_000, 10_000)
TARGET_S, TARGET_MB = 30.0, 1024
#: Growth exponent accepted as linear (1.0 exactly linear; the issue's quadratic pipeline measured ~1.6).
LINEAR = 1.15

FULFIL = """
import json, boto3
events = boto3.client("events")
def handler(event, context):
    entries = [{"EventBusName": "orders", "Source": "kitchen", "DetailType": "OrderFulfilled",
                "Detail": json.dumps(json.loads(record["body"])["detail"])}
               for record in event["Records"]]
    events.put_events(Entries=entries)
"""
NOTIFY = """
import json
def handler(event, context):
    for record in event["Records"]:
        print("DONE " + json.loads(record["body"])["detail"]["order"])
"""


def _queue(name: str) -> str:
    """A queue with its own DLQ; returns the queue's ARN."""
    sqs = boto3.client("sqs")
    dlq = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    url = sqs.create_queue(QueueName=name, Attributes={"RedrivePolicy": json.dumps(
        {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(MAX_RECEIVES)})})["QueueUrl"]
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def _stage(lab: helpers.Lab, rule: str, detail_type: str, function: str, code: str) -> None:
    """rule -> queue -> mapping (batch 10) -> function, failing FAILURE_RATE of its invocations."""
    events, lambda_ = boto3.client("events"), boto3.client("lambda")
    queue_arn = _queue(function)
    events.put_rule(Name=rule, EventBusName=BUS, EventPattern=json.dumps({"detail-type": [detail_type]}))
    events.put_targets(Rule=rule, EventBusName=BUS, Targets=[{"Id": "queue", "Arn": queue_arn}])
    lambda_.create_function(FunctionName=function, Runtime="python3.12", Role=lab.role_arn,
                            Handler="lambda_function.handler", Code={"ZipFile": helpers.zip_code(code)})
    lambda_.create_event_source_mapping(EventSourceArn=queue_arn, FunctionName=function, BatchSize=10)
    lab.faults.fail(function, rate=FAILURE_RATE, seed=len(function))


def build(lab: helpers.Lab) -> None:
    """The bus and both stages."""
    boto3.client("events").create_event_bus(Name=BUS)
    _stage(lab, "placed", "OrderPlaced", "fulfil", FULFIL)
    _stage(lab, "fulfilled", "OrderFulfilled", "notify", NOTIFY)


def run(lab: helpers.Lab, orders: int) -> None:
    """Put `orders` events (10 per PutEvents) and let the clock run until everything settled."""
    events = boto3.client("events")
    for start in range(0, orders, 10):
        events.put_events(Entries=[
            {"EventBusName": BUS, "Source": "shop", "DetailType": "OrderPlaced",
             "Detail": json.dumps({"order": f"order-{i:05d}"})} for i in range(start, min(start + 10, orders))])
    lab.run_until_idle()


def _dead_orders(queue: str) -> list[str]:
    sqs = boto3.client("sqs")
    url, found = sqs.get_queue_url(QueueName=f"{queue}-dlq")["QueueUrl"], []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        found += [json.loads(m["Body"])["detail"]["order"] for m in messages]
        sqs.delete_message_batch(QueueUrl=url, Entries=[
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)])
    return found


def account(orders: int) -> dict[str, int]:
    """Where every order ended; raises if one is lost or counted twice."""
    pages = boto3.client("logs").get_paginator("filter_log_events").paginate(logGroupName="/aws/lambda/notify")
    done = [e["message"].split()[1] for page in pages for e in page["events"] if e["message"].startswith("DONE ")]
    dead_fulfil, dead_notify = _dead_orders("fulfil"), _dead_orders("notify")
    ended = done + dead_fulfil + dead_notify
    expected = {f"order-{i:05d}" for i in range(orders)}
    if len(ended) != len(set(ended)) or set(ended) != expected:
        raise AssertionError(f"lost {len(expected - set(ended))}, duplicated {len(ended) - len(set(ended))}")
    return {"done": len(done), "dlq_fulfil": len(dead_fulfil), "dlq_notify": len(dead_notify)}


def measure(orders: int, profile: bool = False) -> dict[str, float]:
    """Run the pipeline once in this process; wall time, peak memory and where the orders ended."""
    lab = helpers.start()
    build(lab)
    profiler = cProfile.Profile() if profile else None
    started, cpu_started = time.perf_counter(), time.process_time()
    if profiler:
        profiler.enable()
    run(lab, orders)
    if profiler:
        profiler.disable()
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    where = account(orders)
    if profiler:
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(25)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"orders": orders, "wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "peak_mb": round(peak_mb), **where}


def _in_subprocess(orders: int) -> dict[str, float]:
    out = subprocess.run([sys.executable, __file__, "--orders", str(orders), "--json"], check=True,
                         capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1]).stdout
    return json.loads(out.strip().splitlines()[-1])


def growth_exponent(points: list[dict[str, float]], measure: str = "wall_s") -> float:
    """Least-squares slope of log(`measure`) against log(orders): 1.0 is linear, 2.0 quadratic."""
    xs = [math.log(p["orders"]) for p in points]
    ys = [math.log(p[measure]) for p in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)


def run_sizes(quick: bool) -> list[dict]:
    """The harness's rows (benchmarks/harness.py): 300 orders in this process when `quick` (nothing
    lost, never timed), else each size in a process of its own."""
    if quick:
        result = measure(300)
        return [harness.figure("pipeline, 300 orders: handled + in the DLQs (none lost)",
                               result["done"] + result["dlq_fulfil"] + result["dlq_notify"], None, "orders")]
    points = [_in_subprocess(n) for n in SIZES]
    largest = points[-1]
    return [
        harness.figure(f"pipeline, {largest['orders']:,} orders, 20% failures (wall)", largest["wall_s"], TARGET_S, "s"),
        harness.figure(f"pipeline, {largest['orders']:,} orders (CPU)", largest["cpu_s"], None, "s"),
        harness.figure("pipeline, peak memory", largest["peak_mb"], TARGET_MB, "MB"),
        harness.figure(f"pipeline, growth exponent of CPU time, {SIZES[0]:,}-{SIZES[-1]:,} orders",
                       round(growth_exponent(points, "cpu_s"), 2), LINEAR, "(1.0 linear)"),
        harness.figure("pipeline, growth exponent of wall time", round(growth_exponent(points, "wall_s"), 2), None,
                       "(1.0 linear)"),
    ]


def main() -> None:
    """`--orders N [--profile] [--json]`: one size in this process; otherwise the harness's command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, required=True, help="run one size in this process")
    parser.add_argument("--profile", action="store_true", help="print cProfile's top costs to stderr")
    parser.add_argument("--json", action="store_true", help="print the result as one JSON line")
    args = parser.parse_args()
    result = measure(args.orders, args.profile)
    print(json.dumps(result) if args.json else result)


if __name__ == "__main__":
    if "--orders" in sys.argv:
        main()
    else:
        harness.main(run_sizes)
