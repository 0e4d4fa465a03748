"""What a fresh process pays to start the lab, against one that only creates a boto3 client.

Targets (issue 15, target 1): starting the lab (`import helpers; helpers.start()`) costs at most
2.5x a process that creates one boto3 client; `import helpers` alone is cheap (at most 1.5x). Each
is a fresh Python process, measured in CPU time (user + system: a busy machine does not inflate it),
interleaved, the median of several rounds. What the lab defers to first use is reported: the first
Step Functions call (moto's ASL interpreter and the check of its patches) and the first trace (pandas).
Run: python benchmarks/startup.py [--quick]
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

import harness

ROOT = Path(__file__).resolve().parent.parent
_MEASURE = """
import resource, json
{code}
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({{"cpu": usage.ru_utime + usage.ru_stime, "rss_mib": usage.ru_maxrss / 1024}}))
"""
PROGRAMS = {
    "boto3 client": "import boto3\nboto3.client('sqs', region_name='us-east-1')",
    "import helpers": "import helpers",
    "lab start": "import helpers\nhelpers.start()",
    "lab start + first Step Functions call": (
        "import json, boto3, helpers\nlab = helpers.start()\nboto3.client('stepfunctions').create_state_machine("
        "name='m', roleArn=lab.role_arn, definition=json.dumps({'StartAt': 'P', 'States': {'P': "
        "{'Type': 'Pass', 'End': True}}}))"),
    "lab start + first trace": "import helpers\nlab = helpers.start()\nlab.trace()",
}


def measure(code: str) -> dict[str, float]:
    """CPU seconds and peak memory of a fresh Python process running `code`."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([sys.executable, "-c", _MEASURE.format(code=code)], capture_output=True, text=True,
                          env=env, cwd=ROOT, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(quick: bool) -> list[dict[str, Any]]:
    samples: dict[str, list[dict[str, float]]] = {name: [] for name in PROGRAMS}
    for _ in range(1 if quick else 7):  # interleaved, so machine noise hits every program alike
        for name, code in PROGRAMS.items():
            samples[name].append(measure(code))
    cpu = {name: statistics.median(s["cpu"] for s in runs) for name, runs in samples.items()}
    rss = {name: statistics.median(s["rss_mib"] for s in runs) for name, runs in samples.items()}
    base = cpu["boto3 client"]
    return [
        harness.figure("fresh process: lab start / boto3 client (CPU)", cpu["lab start"] / base, 2.5, "x"),
        harness.figure("fresh process: import helpers / boto3 client (CPU)", cpu["import helpers"] / base, 1.5, "x"),
        harness.figure("fresh process: boto3 client (CPU)", base, None, "s"),
        harness.figure("fresh process: lab start (CPU)", cpu["lab start"], None, "s"),
        harness.figure("lab start, peak memory", rss["lab start"], None, "MiB"),
        harness.figure("first Step Functions call, deferred from start (CPU)",
                       cpu["lab start + first Step Functions call"] - cpu["lab start"], None, "s"),
        harness.figure("first lab.trace(), deferred from start (CPU)",
                       cpu["lab start + first trace"] - cpu["lab start"], None, "s"),
    ]


if __name__ == "__main__":
    harness.main(run)
