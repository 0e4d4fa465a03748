"""boto3's own retry backoff and waiters wait on the virtual clock, not in real time."""
from __future__ import annotations

import time

import boto3

import helpers


def test_sdk_retry_of_a_throttled_invoke_waits_on_the_virtual_clock(lab):
    """aws-semantics.md 1.1 [L7][L19]: Lambda never retries a throttled sync call, the SDK does,
    after a backoff; in the lab the backoff passes on the virtual clock."""
    client = boto3.client("lambda")
    client.create_function(FunctionName="fn", Runtime="python3.12", Role=lab.role_arn,
                           Handler="lambda_function.handler",
                           Code={"ZipFile": helpers.zip_code("def handler(e, c):\n    return 'ok'\n")})
    lab.faults.throttle("fn", times=2)
    started = time.perf_counter()
    response = client.invoke(FunctionName="fn")
    assert response["Payload"].read() == b'"ok"'
    assert time.perf_counter() - started < 0.5
    assert lab.clock.elapsed().total_seconds() > 0


def test_waiters_poll_on_the_virtual_clock(lab):
    """botocore waiters poll with sleeps between attempts; those pass on the virtual clock."""
    sqs = boto3.client("sqs")
    started = time.perf_counter()
    waiter = boto3.client("lambda").get_waiter("function_exists")
    try:
        waiter.wait(FunctionName="never-created", WaiterConfig={"Delay": 5, "MaxAttempts": 3})
    except Exception as error:  # the waiter gives up after 3 polls
        assert "Max attempts exceeded" in str(error)
    assert time.perf_counter() - started < 0.5
    assert lab.clock.elapsed().total_seconds() >= 10
    assert sqs  # the lab stays usable
