"""Recursive loops: stopped after 16 invocations as AWS does; any loop can be stopped with Jupyter's Stop."""
from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from typing import Callable

import boto3
import pytest

import helpers

SELF_INVOKING = """
import boto3, os
def handler(event, context):
    if event.get("n", 0) < event.get("limit", 10**9):
        boto3.client("lambda").invoke(FunctionName=os.environ["AWS_LAMBDA_FUNCTION_NAME"],
                                      InvocationType="Event", Payload=json_dumps(event))
    return event.get("n", 0)
import json
def json_dumps(event):
    return json.dumps({**event, "n": event.get("n", 0) + 1})
"""


def deploy(lab: helpers.Lab, code: str, name: str = "loop") -> None:
    boto3.client("lambda").create_function(
        FunctionName=name, Runtime="python3.12", Role=lab.role_arn, Handler="lambda_function.handler",
        Code={"ZipFile": helpers.zip_code(code)}, Timeout=30)


def invocations(lab: helpers.Lab, name: str = "loop") -> int:
    return len([h for h in lab.recorder.hops if (h.service, h.action, h.resource) == ("lambda", "invoke", name)])


def queue(name: str) -> tuple[str, str]:
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def test_an_asynchronous_self_invocation_loop_stops_after_16(lab):
    """What's New 2023-07-13 "AWS Lambda detects recursive loops" and the Lambda developer guide (Use
    Lambda recursive loop detection): a function invoked more than 16 times by the same event is
    stopped and the event goes to the on-failure destination; RecursiveLoop defaults to Terminate."""
    deploy(lab, SELF_INVOKING)
    url, arn = queue("failures")
    client = boto3.client("lambda")
    client.put_function_event_invoke_config(FunctionName="loop",
                                            DestinationConfig={"OnFailure": {"Destination": arn}})
    assert client.get_function_recursion_config(FunctionName="loop")["RecursiveLoop"] == "Terminate"
    client.invoke(FunctionName="loop", InvocationType="Event", Payload=b"{}")
    assert invocations(lab) == 16
    record = json.loads(boto3.client("sqs").receive_message(QueueUrl=url)["Messages"][0]["Body"])
    assert record["requestPayload"] == {"n": 16}
    assert [h for h in lab.recorder.hops if h.action == "recursion-stop"]


def test_allow_lets_an_intended_recursion_run(lab):
    """PutFunctionRecursionConfig API: with RecursiveLoop Allow, Lambda takes no action."""
    deploy(lab, SELF_INVOKING)
    client = boto3.client("lambda")
    assert client.put_function_recursion_config(FunctionName="loop", RecursiveLoop="Allow")["RecursiveLoop"] == "Allow"
    assert client.get_function_recursion_config(FunctionName="loop")["RecursiveLoop"] == "Allow"
    client.invoke(FunctionName="loop", InvocationType="Event", Payload=json.dumps({"limit": 30}))
    assert invocations(lab) == 31


def test_a_queue_loop_stops_after_16_and_the_message_reaches_the_dlq(lab):
    """What's New 2023-07-13: SQS -> Lambda -> the same queue is stopped after 16 invocations and the
    event sent to the dead-letter queue (the queue's redrive policy)."""
    sqs = boto3.client("sqs")
    dlq_url, dlq_arn = queue("dlq")
    url = sqs.create_queue(QueueName="work", Attributes={"RedrivePolicy": json.dumps(
        {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "1"})})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    deploy(lab, f"import boto3\ndef handler(event, context):\n    for r in event['Records']:\n"
                f"        boto3.client('sqs').send_message(QueueUrl='{url}', MessageBody=r['body'])\n")
    boto3.client("lambda").create_event_source_mapping(EventSourceArn=arn, FunctionName="loop", BatchSize=1)
    sqs.send_message(QueueUrl=url, MessageBody="again")
    lab.advance(minutes=2)
    assert invocations(lab) == 16
    assert [m["Body"] for m in sqs.receive_message(QueueUrl=dlq_url)["Messages"]] == ["again"]


def interrupt_after(seconds: float, until: Callable[[], bool] = lambda: True,
                    start: bool = True) -> threading.Thread:
    """Press Jupyter's Stop (SIGINT to the kernel's process) after `seconds`, once `until()` holds
    (`start=False`: the caller starts the thread, inside the block that expects the interrupt)."""
    def press() -> None:
        time.sleep(seconds)
        while not until():
            time.sleep(0.01)
        os.kill(os.getpid(), signal.SIGINT)

    thread = threading.Thread(target=press)
    if start:
        thread.start()
    return thread


def assert_consistent(lab: helpers.Lab) -> None:
    """Nothing is left to resume, no function code leaked into the notebook, and the lab works."""
    assert lab.clock.next_due() is None or lab.clock.next_due() > lab.now()
    assert not any("serverless-lab-" in p for p in sys.path) and "lambda_function" not in sys.modules
    before = len(lab.recorder.hops)
    boto3.client("sqs").list_queues()
    assert not [h for h in lab.recorder.hops[before:] if h.action == "invoke"]
    boto3.client("lambda").create_function(
        FunctionName="fresh", Runtime="python3.12", Role=lab.role_arn, Handler="lambda_function.handler",
        Code={"ZipFile": helpers.zip_code("def handler(event, context):\n    return 'fresh'\n")})
    assert json.loads(boto3.client("lambda").invoke(FunctionName="fresh")["Payload"].read()) == "fresh"
    lab.reset()
    assert lab.runtime.environments() == [] and lab.clock.pending == 0


def test_stop_ends_a_loop_detection_does_not_cover(lab):
    """design.md "The Lambda runtime" (issue: loops not covered must be stoppable): with
    RecursiveLoop Allow the loop is endless; Stop (KeyboardInterrupt) ends it inside the call that
    started it, and nothing resumes in a later call or in lab.reset()."""
    deploy(lab, SELF_INVOKING)
    boto3.client("lambda").put_function_recursion_config(FunctionName="loop", RecursiveLoop="Allow")
    timer = interrupt_after(0.0, until=lambda: invocations(lab) > 20)
    with pytest.raises(KeyboardInterrupt):
        boto3.client("lambda").invoke(FunctionName="loop", InvocationType="Event", Payload=b"{}")
    timer.join()
    assert invocations(lab) > 16
    assert_consistent(lab)


@pytest.mark.parametrize("delay", [0.0, 0.01, 0.03, 0.07, 0.15, 0.3, 0.6])
def test_stop_at_any_moment_leaves_the_lab_consistent(lab, delay):
    """Issue 10: a KeyboardInterrupt at any point of deploying, invoking (cold and warm, sync and
    async) leaves the lab consistent: it deploys, invokes and resets afterwards."""
    timer = interrupt_after(delay, start=False)
    try:
        timer.start()  # inside the try: with no delay, Stop may land while the timer is starting
        for round_ in range(20):
            deploy(lab, "import time\ndef handler(event, context):\n    return sum(range(20000))\n",
                   name=f"fn{round_}")
            client = boto3.client("lambda")
            client.invoke(FunctionName=f"fn{round_}")
            client.invoke(FunctionName=f"fn{round_}", InvocationType="Event")
        timer.join()
    except KeyboardInterrupt:
        pass
    timer.join()
    assert_consistent(lab)


def test_stop_during_an_asynchronous_attempt_keeps_the_event_s_retries(lab, tmp_path):
    """aws-semantics.md 1.2 [L1]: an asynchronous attempt that ends abnormally is a failed attempt,
    retried 1 minute later; Stop during it leaves the event's log, invoke record and retry in place."""
    marker = tmp_path / "started"
    deploy(lab, "import os\ndef handler(event, context):\n    if os.path.exists(event['marker']):\n"
                "        return 'second attempt'\n    open(event['marker'], 'w').close()\n"
                "    while True:\n        pass\n")
    boto3.client("lambda").update_function_configuration(FunctionName="loop", Timeout=900, MemorySize=10240)
    timer = interrupt_after(0.0, until=marker.exists)
    with pytest.raises(KeyboardInterrupt):
        boto3.client("lambda").invoke(FunctionName="loop", InvocationType="Event",
                                      Payload=json.dumps({"marker": str(marker)}))
    timer.join()
    first = [h for h in lab.recorder.hops if (h.service, h.action) == ("lambda", "invoke")]
    assert len(first) == 1 and first[0].detail["report"].error_type == "Runtime.ExitError"
    assert [h.detail["delay_s"] for h in lab.recorder.hops if h.action == "retry"] == [60]
    lab.advance(minutes=1)
    second = [h for h in lab.recorder.hops if (h.service, h.action) == ("lambda", "invoke")][1]
    assert second.detail["report"].function_error is None and second.detail["attempt"] == 2


def test_after_stop_the_next_call_starts_its_own_flow(lab):
    """design.md "The virtual clock" (each outermost call is a flow): a call cut by Stop does not
    leave its flow behind for the next, unrelated calls to join."""
    deploy(lab, SELF_INVOKING)
    boto3.client("lambda").put_function_recursion_config(FunctionName="loop", RecursiveLoop="Allow")
    timer = interrupt_after(0.0, until=lambda: invocations(lab) > 3)
    with pytest.raises(KeyboardInterrupt):
        boto3.client("lambda").invoke(FunctionName="loop", InvocationType="Event", Payload=b"{}")
    timer.join()
    stopped = lab.recorder.hops[-1].trace
    boto3.client("sqs").list_queues()
    boto3.client("sqs").list_queues()
    first, second = [h.trace for h in lab.recorder.hops if h.action == "ListQueues"]
    assert len({stopped, first, second}) == 3
