"""Execution environments behave like AWS's: isolated processes, on the lab's clock, within memory."""
from __future__ import annotations

import datetime as dt
import json
import logging
import os

import boto3
import pytest

import helpers
from lambdas import deploy, invoke
from helpers.runtime.clock import EPOCH


def report(response: dict) -> dict[str, str]:
    line = next(line for line in response["Log"].splitlines() if line.startswith("REPORT"))
    return dict(field.removeprefix("REPORT ").split(": ", 1) for field in line.split("\t") if field)


def ms(field: str) -> float:
    return float(field.split()[0])


@pytest.mark.parametrize("call, reason", [
    ("sys.exit(1)", "Runtime exited with error: exit status 1"),
    ("exit()", "Runtime exited without providing a reason"),
    ("os._exit(3)", "Runtime exited with error: exit status 3"),
    ("os.kill(os.getpid(), signal.SIGKILL)", "Runtime exited with error: signal: killed"),
])
def test_an_exit_ends_only_the_environment(lab, call, reason):
    """aws-semantics.md 2 [L20]; Runtime.ExitError as AWS reports it ("RequestId: ... Error: Runtime
    exited with error: exit status 1", github.com/awslabs/amazon-s3-find-and-forget/pull/283): the
    caller gets the error, the notebook carries on, and the next invocation is a cold start."""
    deploy(lab, "import os, sys, signal\nprint('loaded')\n"
                f"def handler(event, context):\n    print('about to exit')\n    {call}\n")
    response = invoke()
    assert response["FunctionError"] == "Unhandled"
    assert response["Body"]["errorType"] == "Runtime.ExitError"
    assert response["Body"]["errorMessage"] == f"RequestId: {report(response)['RequestId']} Error: {reason}"
    if "kill" not in call:
        assert "about to exit" in response["Log"]
    assert "Init Duration" in report(invoke())  # a new environment
    assert lab.runtime.environments("fn") == []


def test_environment_variables_stay_in_their_environment(lab):
    """aws-semantics.md 2 [L20]: each environment is its own process; a handler setting variables
    (even credentials) changes neither the notebook nor another function."""
    notebook_key = os.environ["AWS_ACCESS_KEY_ID"]
    deploy(lab, "import os\ndef handler(event, context):\n    os.environ['AWS_ACCESS_KEY_ID'] = 'stolen'\n"
                "    os.environ['LEAK'] = 'yes'\n    return os.environ['AWS_LAMBDA_FUNCTION_NAME']\n",
           Environment={"Variables": {"OWN": "a"}})
    deploy(lab, "import os\ndef handler(event, context):\n    return [os.environ.get(k) for k in "
                "('LEAK', 'OWN', 'AWS_ACCESS_KEY_ID')]\n", name="other")
    assert invoke()["Body"] == "fn"
    assert invoke("other")["Body"] == [None, None, notebook_key]
    assert os.environ["AWS_ACCESS_KEY_ID"] == notebook_key and "LEAK" not in os.environ


def test_monkeypatching_and_logging_configuration_do_not_leak(lab):
    """aws-semantics.md 2 [L20]: reassigning json.dumps or boto3.client, logging.basicConfig and the
    root logger's level stay inside the handler's environment."""
    deploy(lab, """
import json, logging, boto3
json.dumps = lambda *a, **k: '"patched"'
boto3.client = None
logging.basicConfig(level=logging.DEBUG)
logging.getLogger().setLevel(logging.DEBUG)
def handler(event, context):
    return "ok"
""")
    deploy(lab, "import json, boto3, logging\ndef handler(event, context):\n"
                "    return [json.dumps([1]), callable(boto3.client), logging.getLogger().level]\n", name="other")
    root_level = logging.getLogger().level
    assert invoke()["Body"] == "patched"  # the runtime's own json is the patched one, as on AWS
    assert invoke("other")["Body"] == ["[1]", True, logging.WARNING]
    assert json.dumps([1]) == "[1]" and callable(boto3.client) and logging.getLogger().level == root_level


def test_reset_discards_every_environment(lab):
    """aws-semantics.md 2 [L20]: after lab.reset() (a new account) nothing of old environments is left."""
    deploy(lab, "STATE = []\ndef handler(event, context):\n    STATE.append(1)\n    return len(STATE)\n")
    assert [invoke()["Body"] for _ in range(2)] == [1, 2]
    processes = [env._process for env in lab.runtime.environments()]
    lab.reset()
    assert lab.runtime.environments() == [] and not any(p.is_alive() for p in processes)
    deploy(lab, "STATE = []\ndef handler(event, context):\n    STATE.append(1)\n    return len(STATE)\n")
    assert invoke()["Body"] == 1


CLOCKS = """
import time, datetime
def handler(event, context):
    first = [time.time(), time.monotonic(), time.perf_counter()]
    time.sleep(90)
    return {"time": time.time(), "now": datetime.datetime.now(datetime.timezone.utc).isoformat(),
            "utcnow": datetime.datetime.utcnow().isoformat(), "today": datetime.date.today().isoformat(),
            "naive_now": datetime.datetime.now().isoformat(), "gmtime": time.strftime("%Y-%m-%d %H:%M"),
            "first": first, "monotonic": time.monotonic(), "perf": time.perf_counter()}
"""


def test_every_clock_a_handler_reads_is_the_lab_s(lab):
    """design.md "The virtual clock": time.time, datetime.now/utcnow/today, time.strftime, monotonic
    and perf_counter read the lab's clock inside a handler, and time.sleep passes on it (90 s here,
    within a 120 s timeout) without real waiting."""
    deploy(lab, CLOCKS, Timeout=120)
    lab.advance(hours=1)
    body = invoke()["Body"]
    start = EPOCH + dt.timedelta(hours=1)
    assert abs(body["time"] - (start.timestamp() + 90)) < 1
    assert body["now"].startswith("2026-01-05T10:01:3") and body["utcnow"].startswith("2026-01-05T10:01:3")
    assert body["naive_now"].startswith("2026-01-05T10:01:3")  # TZ is UTC, as in Lambda
    assert body["today"] == "2026-01-05" and body["gmtime"] == "2026-01-05 10:01"
    assert abs(body["first"][0] - start.timestamp()) < 1
    assert 89.9 < body["monotonic"] - body["first"][1] < 91 and 89.9 < body["perf"] - body["first"][2] < 91
    assert lab.now() == start  # the clock does not move while a handler runs


def test_a_handler_s_calls_happen_at_its_virtual_time_and_in_its_trace(lab):
    """design.md "The Lambda runtime": the handler's boto3 calls reach the lab's moto at the virtual
    time they are made (an S3 object's LastModified after a 61 s sleep) and carry the invocation's
    X-Ray trace header (the SDK's X-Amzn-Trace-Id from _X_AMZN_TRACE_ID)."""
    boto3.client("s3").create_bucket(Bucket="out")
    deploy(lab, "import boto3, time, os\ndef handler(event, context):\n    time.sleep(61)\n"
                "    boto3.client('s3').put_object(Bucket='out', Key='k', Body=b'x')\n"
                "    return os.environ['_X_AMZN_TRACE_ID']\n", Timeout=90)
    trace_id = invoke()["Body"]
    written = boto3.client("s3").head_object(Bucket="out", Key="k")["LastModified"]
    assert written == EPOCH + dt.timedelta(seconds=61)
    send = next(h for h in lab.recorder.hops if (h.service, h.action) == ("s3", "PutObject"))
    invoked = next(h for h in lab.recorder.hops if (h.service, h.action) == ("lambda", "Invoke"))
    assert send.trace == invoked.trace and trace_id.startswith(invoked.trace)


def test_out_of_memory_kills_the_environment(lab):
    """Lambda ends an environment that uses more than its memory: Runtime.OutOfMemory with
    "Runtime exited with error: signal: killed" (github.com/nasa-gcn/gcn.nasa.gov/pull/3628,
    github.com/awslabs/amazon-s3-find-and-forget/pull/283); Max Memory Used is the memory size. With
    enough memory the same code succeeds and Max Memory Used is measured."""
    code = "def handler(event, context):\n    data = b'x' * (300 * 2**20)\n    return len(data)\n"
    deploy(lab, code)
    small = invoke()
    assert small["Body"]["errorType"] == "Runtime.OutOfMemory"
    assert small["Body"]["errorMessage"].endswith("Error: Runtime exited with error: signal: killed")
    assert report(small)["Max Memory Used"] == "128 MB"
    deploy(lab, code, name="big", MemorySize=1024)
    big = invoke("big")
    assert big["Body"] == 300 * 2**20
    assert 330 <= int(report(big)["Max Memory Used"].split()[0]) < 400
    hello = deploy(lab, "def handler(event, context):\n    return 1\n", name="hello") and invoke("hello")
    assert int(report(hello)["Max Memory Used"].split()[0]) < 45


def test_stack_traces_keep_layer_frames(lab):
    """AWS's Python runtime keeps every frame after its bootstrap, layers' (/opt/python/...) included
    (aws-semantics.md 1.1 [L6])."""
    layer = boto3.client("lambda").publish_layer_version(
        LayerName="shared", Content={"ZipFile": helpers.zip_code(
            {"python/shared.py": "def check(order):\n    raise ValueError('bad order ' + order)\n"})})
    deploy(lab, "import shared\ndef handler(event, context):\n    shared.check('42')\n",
           Layers=[layer["LayerVersionArn"]])
    trace = invoke()["Body"]["stackTrace"]
    assert trace[0].startswith('  File "/var/task/lambda_function.py", line 3, in handler')
    assert trace[1].startswith('  File "/opt/python/shared.py", line 2, in check')
    assert len(trace) == 2


def test_init_past_10_s_is_retried_at_the_first_invoke(lab):
    """aws-semantics.md 2 [L20]: init has its own 10 s limit; past it, init is retried as part of the
    first invocation, under the function's timeout (Lambda developer guide, execution environment
    lifecycle)."""
    slow_init = "import time\ntime.sleep(12)\ndef handler(event, context):\n    return 'ready'\n"
    deploy(lab, slow_init, Timeout=3)
    short = invoke()
    assert short["Body"]["errorMessage"].endswith("Task timed out after 3.00 seconds")
    assert "INIT_REPORT Init Duration: 10000.00 ms\tPhase: init\tStatus: timeout" in short["Log"]
    deploy(lab, slow_init, name="patient", Timeout=30)
    long = invoke("patient")
    assert long["Body"] == "ready"
    assert "Init Duration" not in report(long) and 12000 <= ms(report(long)["Duration"]) < 12500


def test_init_within_10_s_does_not_count_against_the_function_timeout(lab):
    """aws-semantics.md 2 [L20]: an init of 5 s with a 3 s function timeout succeeds; the REPORT line
    shows it as Init Duration."""
    deploy(lab, "import time\ntime.sleep(5)\ndef handler(event, context):\n    return 'ready'\n")
    response = invoke()
    assert response["Body"] == "ready" and 5000 <= ms(report(response)["Init Duration"]) < 5500


def test_handler_calls_stay_in_the_sandbox(lab):
    """design.md principle 3: a handler's calls reach the lab's moto, from any boto3 session; a call
    to an endpoint moto does not serve is refused, never sent."""
    deploy(lab, """
import boto3
def handler(event, context):
    own = boto3.Session().client("sqs").create_queue(QueueName="own-session")["QueueUrl"]
    try:
        boto3.client("sqs", endpoint_url="https://sqs.example.com").list_queues()
        escaped = "not blocked"
    except Exception as error:
        escaped = type(error).__name__ + ": " + str(error)
    return [own, escaped]
""")
    own, escaped = invoke()["Body"]
    assert own.endswith("/own-session") and escaped.startswith("SandboxRefusal: The lab blocked a request")


def test_spawned_environments_behave_the_same(lab, monkeypatch):
    """Issue 10: where fork is missing or unsafe (Windows, macOS) environments are spawned: slower to
    start, the same behaviour (isolation, exit as Runtime.ExitError, the lab's clock)."""
    import multiprocessing

    from helpers.runtime import environment

    monkeypatch.setattr(environment, "_CONTEXT", multiprocessing.get_context("spawn"))
    deploy(lab, "import os, sys, time\ndef handler(event, context):\n    os.environ['LEAK'] = '1'\n"
                "    if event.get('exit'):\n        sys.exit(2)\n    return time.time()\n")
    assert invoke()["Body"] == pytest.approx(EPOCH.timestamp(), abs=1)
    assert invoke(payload={"exit": True})["Body"]["errorMessage"].endswith("exit status 2")
    assert "LEAK" not in os.environ


def test_new_code_retires_the_old_environments(lab):
    """aws-semantics.md 2 [L20]: after new code or configuration, invocations get new environments
    and the old ones are shut down (their processes end)."""
    deploy(lab, "def handler(event, context):\n    return 1\n")
    invoke()
    old = [env._process for env in lab.runtime.environments("fn")]
    boto3.client("lambda").update_function_code(FunctionName="fn", ZipFile=helpers.zip_code(
        "def handler(event, context):\n    return 2\n"))
    assert invoke()["Body"] == 2
    assert len(lab.runtime.environments("fn")) == 1 and not any(p.is_alive() for p in old)
