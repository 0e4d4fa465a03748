"""The trace: what recording costs on the invoke path, `lab.trace()` over 100,000 hops, memory per hop.

Targets (issue 15, target 7): `lab.trace()` over 100,000 hops under 1 s; the recorder's memory per
hop reported. The hops are a real flow's (sync invokes calling SQS, an SQS mapping, async invokes
failing and retried), recorded once and replayed into the recorder as 100,000 hops of distinct flows.
Run: python benchmarks/trace_overhead.py [--quick]
"""
from __future__ import annotations

import copy
import gc
import json
import time
import tracemalloc
from typing import Any

import boto3
import harness
from timing import median_ms, trivial_function

import helpers
from helpers.motoext import core

HOPS = 100_000


def recorder_ratio(lab: helpers.Lab, rounds: int) -> float:
    """Median sync-invoke latency with the recorder on, over the same with it off."""
    invoke = trivial_function(lab, "noop")
    on_runs, off_runs = [], []
    for _ in range(3):  # interleaved, so machine noise hits both alike; keep each one's best median
        on_runs.append(median_ms(invoke, rounds, time.process_time))
        core.set_observer(None)
        try:
            off_runs.append(median_ms(invoke, rounds, time.process_time))
        finally:
            core.set_observer(lab.recorder)
    return min(on_runs) / min(off_runs)


def sample_flow(lab: helpers.Lab) -> list[Any]:
    """Record a small mixed workload once; its hops are the pattern the big trace repeats."""
    lab.reset()
    lambda_, sqs = boto3.client("lambda"), boto3.client("sqs")
    queue = sqs.create_queue(QueueName="work")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    code = ("import boto3, os\nsqs = boto3.client('sqs')\n"
            "def handler(event, context):\n"
            "    if event.get('fail'):\n        raise ValueError('boom')\n"
            "    if 'Records' not in event:\n"
            "        sqs.send_message(QueueUrl=os.environ['QUEUE'], MessageBody='{}')\n"
            "    return {'ok': True}\n")
    for name in ("front", "worker"):
        lambda_.create_function(FunctionName=name, Runtime="python3.12", Role=lab.role_arn,
                                Handler="lambda_function.handler", Environment={"Variables": {"QUEUE": queue}},
                                Code={"ZipFile": helpers.zip_code(code)})
    lambda_.create_event_source_mapping(EventSourceArn=arn, FunctionName="worker", BatchSize=10)
    for i in range(20):
        lambda_.invoke(FunctionName="front", Payload=json.dumps({"order": i}).encode())
    for i in range(5):
        lambda_.invoke(FunctionName="front", InvocationType="Event", Payload=json.dumps({"fail": True}).encode())
    lab.advance(minutes=5)
    return list(lab.recorder.hops)


def fill(lab: helpers.Lab, pattern: list[Any], count: int) -> None:
    """Record `count` hops: copies of `pattern`, each copy a flow of its own (own trace ids)."""
    lab.recorder.clear()
    copies = 0
    while True:
        traces = {hop.trace: f"{hop.trace}-{copies}" for hop in pattern if hop.trace}  # one string per flow
        for hop in pattern:
            if count == 0:
                return
            with core.bound_trace(traces.get(hop.trace)):
                lab.recorder(hop.service, hop.action, hop.resource, **copy.deepcopy(hop.detail))
            count -= 1
        copies += 1


def run(quick: bool) -> list[dict[str, Any]]:
    lab = helpers.start(reset=True)
    hops = 5_000 if quick else HOPS
    on_off = recorder_ratio(lab, rounds=20 if quick else 400)
    pattern = sample_flow(lab)
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    fill(lab, pattern, hops)
    per_hop = (tracemalloc.get_traced_memory()[0] - before) / hops
    tracemalloc.stop()
    lab.trace()  # pandas imported and warmed once, as in a notebook that has shown a trace before
    started = time.process_time()  # CPU time: single-threaded, so a busy machine does not inflate it
    frame = lab.trace(setup=True)
    seconds = time.process_time() - started
    assert len(frame) == hops, (len(frame), hops)
    lab.reset()
    return [
        harness.figure("sync invoke, recorder on / off (CPU)", on_off, None, "x"),
        harness.figure(f"lab.trace() over {hops:,} hops (CPU)", seconds, 1.0 * hops / HOPS, "s"),
        harness.figure("recorder memory per hop (with its detail)", per_hop, None, "bytes"),
    ]


if __name__ == "__main__":
    harness.main(run)
