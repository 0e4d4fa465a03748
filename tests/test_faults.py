"""Failure injection: functions fail, slow down or are throttled without editing their code."""
from __future__ import annotations

import base64
import json

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

import helpers
from helpers.runtime.clock import EPOCH

#: Counts the invocations that really ran its code, so a test can tell injected failures apart.
COUNTER = """
calls = 0
def handler(event, context):
    global calls
    calls += 1
    return {"calls": calls}
"""
RAISES = "def handler(event, context):\n    raise RuntimeError('real error')\n"


def deploy(lab: helpers.Lab, code: str = COUNTER, name: str = "fn", **config) -> str:
    return boto3.client("lambda").create_function(
        FunctionName=name, Runtime="python3.12", Role=lab.role_arn, Handler="lambda_function.handler",
        Code={"ZipFile": helpers.zip_code(code)}, **config)["FunctionArn"]


def invoke(name: str = "fn", **kwargs) -> dict:
    response = boto3.client("lambda").invoke(FunctionName=name, Payload=b"{}", **kwargs)
    response["Body"] = json.loads(response["Payload"].read())
    return response


def failures(count: int) -> list[bool]:
    return ["FunctionError" in invoke() for _ in range(count)]


def test_injected_failure_looks_like_an_unhandled_exception(lab):
    """aws-semantics.md 1.1 [L6]: an injected failure comes back as FunctionError Unhandled with an
    error payload of the same shape as a handler's own exception."""
    deploy(lab)
    deploy(lab, RAISES, name="real")
    lab.faults.fail("fn")
    injected, real = invoke(LogType="Tail"), invoke("real")
    assert injected["StatusCode"] == 200
    assert injected["FunctionError"] == real["FunctionError"] == "Unhandled"
    assert set(injected["Body"]) == set(real["Body"]) == {"errorMessage", "errorType", "stackTrace"}
    assert injected["Body"]["errorType"] == "InjectedFault"
    log = base64.b64decode(injected["LogResult"]).decode()
    assert "[ERROR] InjectedFault" in log and "REPORT RequestId" in log


def test_fail_the_next_n_invocations(lab):
    """aws-semantics.md 1.1 [L6]: the next `times` invocations fail, the handler does not run, then all is normal."""
    deploy(lab)
    lab.faults.fail("fn", times=3)
    assert failures(3) == [True, True, True]
    assert invoke()["Body"] == {"calls": 1}
    assert lab.faults.active == []


def test_fail_a_share_of_invocations_deterministically(lab):
    """aws-semantics.md 1.1 [L6] and design.md principle 4: `rate` fails about that share, the same
    invocations on every run."""
    deploy(lab)
    lab.faults.fail("fn", rate=0.2)
    first = failures(100)
    assert 10 <= sum(first) <= 30
    lab = helpers.start(reset=True)
    deploy(lab)
    lab.faults.fail("fn", rate=0.2)
    assert failures(100) == first


def test_slow_adds_virtual_duration(lab):
    """aws-semantics.md 2 [L22]: the added time shows in the REPORT Duration, at no real cost."""
    deploy(lab, Timeout=10)
    lab.faults.slow("fn", seconds=4)
    log = base64.b64decode(invoke(LogType="Tail")["LogResult"]).decode()
    duration = float(log.split("Duration: ")[1].split(" ms")[0])
    assert 4000 <= duration < 4500


def test_slow_past_the_timeout_times_out(lab):
    """aws-semantics.md 2 [S4][X1]: slowed past its timeout, the invocation times out."""
    deploy(lab, Timeout=3)
    lab.faults.slow("fn", seconds=5)
    response = invoke()
    assert response["FunctionError"] == "Unhandled"
    assert response["Body"]["errorMessage"].endswith("Task timed out after 3.00 seconds")


def test_throttle_sync_invocations(lab):
    """aws-semantics.md 1.1 [L4][L7][L19]: a throttled sync call gets 429 TooManyRequestsException,
    with the Reason reserved concurrency 0 gives; Lambda does not retry it (boto3 would: one attempt here)."""
    deploy(lab)
    lab.faults.throttle("fn", times=2)
    no_retries = boto3.client("lambda", config=Config(retries={"total_max_attempts": 1}))
    for _ in range(2):
        with pytest.raises(ClientError) as raised:
            no_retries.invoke(FunctionName="fn")
        assert raised.value.response["Error"]["Code"] == "TooManyRequestsException"
        assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429
        assert raised.value.response["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
    assert invoke()["Body"] == {"calls": 1}


def test_async_injected_failures_are_retried_like_real_errors(lab):
    """aws-semantics.md 1.2 [L1][L3b]: two injected failures, then success on the third attempt at t+180 s."""
    deploy(lab)
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="ok")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    boto3.client("lambda").put_function_event_invoke_config(
        FunctionName="fn", DestinationConfig={"OnSuccess": {"Destination": arn}})
    lab.faults.fail("fn", times=2)
    boto3.client("lambda").invoke(FunctionName="fn", InvocationType="Event", Payload=b"{}")
    lab.run_until_idle()
    [message] = sqs.receive_message(QueueUrl=url)["Messages"]
    record = json.loads(message["Body"])
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["responsePayload"] == {"calls": 1}
    assert record["timestamp"] == "2026-01-05T09:03:00.000Z"


def test_async_injected_throttle_is_retried_with_backoff(lab):
    """aws-semantics.md 1.2 [L1]: a throttled event goes back on the queue: retried after 1 s, then 2 s."""
    deploy(lab)
    lab.faults.throttle("fn", times=2)
    boto3.client("lambda").invoke(FunctionName="fn", InvocationType="Event", Payload=b"{}")
    lab.run_until_idle()
    ran = [h for h in lab.recorder.hops if h.action == "invoke"]
    assert [(h.time - EPOCH).total_seconds() for h in ran] == [3.0]
    assert ran[0].detail["report"].function_error is None


def test_faults_as_context_managers_clear_and_reset(lab):
    """design.md principle 5 (a cell run twice): a fault lasts for its block, `clear()` removes all,
    and a lab reset forgets them."""
    deploy(lab)
    with lab.faults.fail("fn"):
        assert failures(2) == [True, True]
    assert failures(1) == [False]
    lab.faults.fail("fn")
    lab.faults.slow("fn", seconds=1)
    lab.faults.clear("fn")
    assert lab.faults.active == []
    lab.faults.throttle("fn")
    helpers.start(reset=True)
    assert lab.faults.active == []


def test_faults_name_the_function_by_name_or_arn_and_reject_bad_arguments(lab):
    """aws-semantics.md 1.1 [L4]: like Invoke, a fault accepts a function's name or ARN."""
    arn = deploy(lab)
    lab.faults.fail(arn, times=1)
    assert failures(2) == [True, False]
    with pytest.raises(ValueError):
        lab.faults.fail("fn", rate=1.5)
    with pytest.raises(ValueError):
        lab.faults.fail("fn", times=0)


def test_a_seeded_rate_picks_the_same_invocations_whatever_ran_before(lab):
    """design.md principle 4 (deterministic): with `seed`, a fault's draws do not depend on the
    random numbers the lab used before it (a widget re-running a scenario gets the same picks)."""
    deploy(lab)
    lab.faults.fail("fn", rate=0.3, seed=7)
    first = failures(40)
    assert 4 <= sum(first) <= 20
    lab.faults.clear()
    failures(13)  # other invocations draw request ids from the shared generator meanwhile
    lab.faults.fail("fn", rate=0.3, seed=7)
    assert failures(40) == first
