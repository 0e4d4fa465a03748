"""1,000 Step Functions executions of a 5-state machine (Pass, Lambda task, Wait 1 h, Choice,
Succeed), started, then settled by advancing the clock two hours.

Target (issue 15, target 5): started and settled in under 15 s, with no thread per waiting
execution (a waiting execution is a job on the virtual clock). Follows benchmarks/harness.py:
`--quick` runs 50 executions and fails only if one does not succeed at the end of its hour or a
thread waits for it (never on timing). `-n N [--profile]` runs N executions in this process and
prints the figures (and cProfile's top costs).
Run: .venv/bin/python benchmarks/stepfunctions_scale.py [--quick] | [-n N] [--profile]
"""
from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import json
import pstats
import sys
import threading
import time

import boto3
import harness

import helpers

TARGET_S = 15.0
HANDLER = "def handler(event, context):\n    return {'total': event['qty'] * 7}\n"
STATES = {
    "Receive": {"Type": "Pass", "Parameters": {"qty.$": "$.qty", "order.$": "$.order"}, "Next": "Price"},
    "Price": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
              "ResultSelector": {"total.$": "$.Payload.total"},
              "ResultPath": "$.price", "Parameters": {"FunctionName": "price", "Payload.$": "$"}, "Next": "Hold"},
    "Hold": {"Type": "Wait", "Seconds": 3600, "Next": "Big?"},
    "Big?": {"Type": "Choice", "Default": "Done",
             "Choices": [{"Variable": "$.price.total", "NumericGreaterThan": 100, "Next": "Done"}]},
    "Done": {"Type": "Succeed"},
}


def _setup(lab: helpers.Lab) -> str:
    boto3.client("lambda").create_function(
        FunctionName="price", Runtime="python3.12", Role=lab.role_arn, Handler="lambda_function.handler",
        Code={"ZipFile": helpers.zip_code(HANDLER)})
    return boto3.client("stepfunctions").create_state_machine(
        name="orders", roleArn=lab.role_arn,
        definition=json.dumps({"StartAt": "Receive", "States": STATES}))["stateMachineArn"]


def _rss_kib() -> int:
    """This process's resident memory in KiB (Linux)."""
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


def run(count: int, profile: bool = False) -> dict:
    """Start `count` executions, settle them; return the figures."""
    lab = helpers.start(reset=True)
    machine = _setup(lab)
    sfn = boto3.client("stepfunctions")
    profiler = cProfile.Profile() if profile else None
    rss_before = _rss_kib()
    started, cpu_started = time.perf_counter(), time.process_time()
    if profiler:
        profiler.enable()
    arns = [sfn.start_execution(stateMachineArn=machine, input=json.dumps({"order": i, "qty": i % 30}))["executionArn"]
            for i in range(count)]
    start_s, start_cpu_s = time.perf_counter() - started, time.process_time() - cpu_started
    threads_waiting = threading.active_count()
    waiting_kib = _rss_kib() - rss_before
    running = sum(sfn.describe_execution(executionArn=arn)["status"] == "RUNNING" for arn in arns)
    settle_started, settle_cpu_started = time.perf_counter(), time.process_time()
    lab.advance(hours=2)
    settle_s, settle_cpu_s = time.perf_counter() - settle_started, time.process_time() - settle_cpu_started
    if profiler:
        profiler.disable()
    described = [sfn.describe_execution(executionArn=arn) for arn in arns]
    stops = {d["stopDate"] - d["startDate"] for d in described if d["status"] == "SUCCEEDED"}
    figures = {"executions": count, "start_s": start_s, "settle_s": settle_s, "total_s": start_s + settle_s,
               "start_cpu_s": start_cpu_s, "settle_cpu_s": settle_cpu_s,
               "running_after_start": running, "threads_while_waiting": threads_waiting,
               "rss_kib_per_waiting_execution": waiting_kib / count,
               "succeeded": sum(d["status"] == "SUCCEEDED" for d in described),
               "durations": sorted(str(s) for s in stops)}
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(15)
    return figures


def run_sizes(quick: bool) -> list[dict]:
    """The harness's rows: 50 executions checked for correctness when `quick`, else 1,000 measured."""
    count = 50 if quick else 1000
    figures = run(count)
    if figures["succeeded"] != count or figures["running_after_start"] != count \
            or figures["durations"] != [str(dt.timedelta(hours=1))]:
        raise AssertionError(f"executions did not wait their hour and succeed: {figures}")
    if quick:
        return [harness.figure("Step Functions, 50 executions: succeeded after their 1 h Wait",
                               figures["succeeded"], None, "executions"),
                harness.figure("Step Functions, threads while 50 executions wait",
                               figures["threads_while_waiting"], None, "threads")]
    return [
        harness.figure("Step Functions, 1,000 executions started and settled (wall)", figures["total_s"], TARGET_S,
                       "s"),
        harness.figure("Step Functions, 1,000 executions started and settled (CPU)",
                       figures["start_cpu_s"] + figures["settle_cpu_s"], TARGET_S, "s"),
        harness.figure("Step Functions, threads while 1,000 executions wait", figures["threads_while_waiting"], None,
                       "threads"),
        harness.figure("Step Functions, memory per waiting execution", figures["rss_kib_per_waiting_execution"], None,
                       "KiB"),
    ]


def main() -> None:
    """`-n N [--profile]`: N executions in this process, figures printed; else the harness's command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, required=True, help="executions")
    parser.add_argument("--profile", action="store_true", help="print cProfile's top costs")
    args = parser.parse_args()
    count = args.n
    figures = run(count, profile=args.profile)
    print(f"{count} executions of Pass -> Lambda task -> Wait 1 h -> Choice -> Succeed")
    print(f"  start:  {figures['start_s']:.2f} s ({figures['start_s'] / count * 1000:.1f} ms each)")
    print(f"  settle: {figures['settle_s']:.2f} s (advance(hours=2))")
    print(f"  total:  {figures['total_s']:.2f} s (target < {TARGET_S} s)")
    print(f"  CPU: start {figures['start_cpu_s']:.2f} s, settle {figures['settle_cpu_s']:.2f} s "
          "(the machine's other load does not count here)")
    print(f"  threads while waiting: {figures['threads_while_waiting']}")
    print(f"  memory (RSS growth) per waiting execution: {figures['rss_kib_per_waiting_execution']:.0f} KiB")
    print(f"  succeeded: {figures['succeeded']}/{count}, durations {figures['durations']}")


if __name__ == "__main__":
    if "-n" in sys.argv:
        main()
    else:
        harness.main(run_sizes)
