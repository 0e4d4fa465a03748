"""The invocation path's shortcuts (issue 15) change nothing a learner can see: the pipe carries any
message, logs land in CloudWatch Logs in order, retried failures log the same stack trace, a changed
configuration still gets a fresh environment, and an environment whose process ended is replaced."""
from __future__ import annotations

import multiprocessing
import os
import signal
import threading

import boto3
import pytest

from helpers.runtime.channel import Channel
from lambdas import deploy, invoke


@pytest.mark.parametrize("size", [0, 100, 16_000, 16_400, 3 * 2**20])
def test_the_channel_carries_messages_of_any_size_and_reports_the_end(size):
    """Messages up to and past the one-write size arrive whole and in order; a closed end is EOFError."""
    left, right = multiprocessing.Pipe()
    sender, receiver = Channel(left), Channel(right)
    body = os.urandom(size)
    # a pipe holds 64 KB: a large message is read by a thread while it is written
    got: list = []
    reader = threading.Thread(target=lambda: got.extend([receiver.recv(), receiver.recv()]))
    reader.start()
    sender.send(("invoke", {"payload": body}))
    sender.send(("done", {"n": size}))
    reader.join()
    assert got == [("invoke", {"payload": body}), ("done", {"n": size})]
    sender.close()
    with pytest.raises(EOFError):
        receiver.recv()
    receiver.close()


def test_large_payloads_and_calls_cross_the_pipe(lab):
    """aws-semantics.md 1.1 [L4]: a response of several MB and a handler's call with a large body
    reach their destination whole (both are more than one write on the pipe)."""
    boto3.client("sqs").create_queue(QueueName="big")
    deploy(lab, "import boto3\nsqs = boto3.client('sqs')\ndef handler(event, context):\n"
                "    url = sqs.get_queue_url(QueueName='big')['QueueUrl']\n"
                "    sqs.send_message(QueueUrl=url, MessageBody='m' * 200_000)\n"
                "    return 'r' * 3_000_000\n")
    assert invoke()["Body"] == "r" * 3_000_000
    url = boto3.client("sqs").get_queue_url(QueueName="big")["QueueUrl"]
    message = boto3.client("sqs").receive_message(QueueUrl=url)["Messages"][0]
    assert message["Body"] == "m" * 200_000


def test_log_lines_reach_cloudwatch_logs_in_order(lab):
    """aws-semantics.md 2 [L22]: each invocation's START, printed lines, END and REPORT, in the order
    invocations ran, one event per line, stamped with the invocation's start."""
    deploy(lab, "def handler(event, context):\n    print('first', event['n'])\n    print('second')\n"
                "    return event['n']\n")
    tails = [invoke(payload={"n": n})["Log"] for n in range(3)]
    logs = boto3.client("logs")
    stream = logs.describe_log_streams(logGroupName="/aws/lambda/fn")["logStreams"][0]["logStreamName"]
    events = logs.get_log_events(logGroupName="/aws/lambda/fn", logStreamName=stream, startFromHead=True)["events"]
    assert [e["message"] for e in events] == [line for tail in tails for line in tail.splitlines()]
    starts = [e["timestamp"] for e in events if e["message"].startswith("START")]
    assert starts == sorted(starts) and len(starts) == 3


def test_every_attempt_of_a_failing_event_logs_the_same_stack_trace(lab):
    """aws-semantics.md 1.2 [L1], 1.1 [L6]: each of the three attempts fails with the same error and
    stack trace; a handler failing elsewhere gets its own frames."""
    deploy(lab, "def check(event):\n    if event.get('deep'):\n        raise KeyError('deep')\n"
                "    raise ValueError('shallow')\n"
                "def handler(event, context):\n    return check(event)\n")
    boto3.client("lambda").invoke(FunctionName="fn", InvocationType="Event", Payload=b"{}")
    lab.advance(minutes=5)
    events = boto3.client("logs").filter_log_events(logGroupName="/aws/lambda/fn")["events"]
    errors = [e["message"] for e in events if e["message"].startswith("[ERROR]")]
    assert len(errors) == 3 and len(set(errors)) == 1
    assert 'line 6, in handler' in errors[0] and 'line 4, in check' in errors[0]
    deep = invoke(payload={"deep": True})["Body"]
    assert deep["errorType"] == "KeyError" and deep["stackTrace"][1].startswith(
        '  File "/var/task/lambda_function.py", line 3, in check')


def test_changed_environment_variables_reach_a_fresh_environment(lab):
    """aws-semantics.md 2 [L20]: a new configuration (here only its variables) gets new environments."""
    deploy(lab, "import os\ndef handler(event, context):\n    return os.environ['GREETING']\n",
           Environment={"Variables": {"GREETING": "hello"}})
    assert invoke()["Body"] == "hello"
    boto3.client("lambda").update_function_configuration(
        FunctionName="fn", Environment={"Variables": {"GREETING": "bonjour"}})
    again = invoke()
    assert again["Body"] == "bonjour" and "Init Duration" in again["Log"]


def test_an_environment_whose_process_ended_is_replaced(lab):
    """aws-semantics.md 2 [L20]: an environment that is gone is not reused; the next invocation is a
    cold start in a new one, and the old one is no longer counted."""
    deploy(lab, "def handler(event, context):\n    return 1\n")
    invoke()
    (env,) = lab.runtime.environments("fn")
    os.kill(env._process.pid, signal.SIGKILL)
    env._process.join(5)
    response = invoke()
    assert response["Body"] == 1 and "Init Duration" in response["Log"]
    assert len(lab.runtime.environments("fn")) == 1 and lab.runtime.environments("fn")[0] is not env
