"""The Lambda Bistro's order state machine (helpers.bistro.orchestration): what notebooks 05, 06 and 08 rely on.

Each scenario asserts what AWS would show for the same definition (aws-semantics.md 6).
"""
from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

import helpers
from helpers.bistro import orchestration
from helpers.data import load

ORDERS = {order["order_id"]: order for order in load("orders.json")}
COMPENSATIONS = ["BinTheFood", "RefundPayment", "CancelOrder", "TellCustomerSorry", "OrderCancelled"]


@pytest.fixture
def bistro(lab: helpers.Lab) -> dict[str, str]:
    return orchestration.deploy()


def _start(arns: dict[str, str], order_id: str) -> str:
    return boto3.client("stepfunctions").start_execution(
        stateMachineArn=arns["state_machine"], input=json.dumps(ORDERS[order_id]))["executionArn"]


def _entered(execution_arn: str) -> list[str]:
    events = boto3.client("stepfunctions").get_execution_history(executionArn=execution_arn)["events"]
    return [e["stateEnteredEventDetails"]["name"] for e in events if e["type"].endswith("StateEntered")]


def _courier_accepts(order_id: str) -> None:
    job = boto3.client("dynamodb").get_item(TableName="bistro-deliveries", Key={"order_id": {"S": order_id}})["Item"]
    boto3.client("stepfunctions").send_task_success(
        taskToken=job["task_token"]["S"], output=json.dumps({"name": job["courier"]["S"]}))


def _status(order_id: str) -> dict[str, Any]:
    item = boto3.client("dynamodb").get_item(TableName="bistro-orders", Key={"order_id": {"S": order_id}})["Item"]
    return {key: value["S"] for key, value in item.items()}


def _inbox(arns: dict[str, str]) -> list[str]:
    messages = boto3.client("sqs").receive_message(QueueUrl=arns["inbox_url"], MaxNumberOfMessages=10)
    return [m["Body"] for m in messages.get("Messages", [])]


def test_deploy_creates_every_piece_and_can_run_twice(lab: helpers.Lab) -> None:
    first = orchestration.deploy()
    second = orchestration.deploy()
    assert first == second
    assert set(orchestration.TABLES) | set(orchestration.FUNCTIONS) | {"state_machine"} <= set(second)
    definition = boto3.client("stepfunctions").describe_state_machine(
        stateMachineArn=second["state_machine"])["definition"]
    assert "${" not in definition and second[orchestration.TOPIC] in definition


def test_a_card_order_waits_for_the_courier_then_succeeds(lab: helpers.Lab, bistro: dict[str, str]) -> None:
    """aws-semantics.md 6 [S7]: .waitForTaskToken pauses the task until SendTaskSuccess returns the token;
    the task's result is the output sent with it; the DynamoDB and SNS integrations need no code."""
    sfn = boto3.client("stepfunctions")
    execution = _start(bistro, "ord-0042")
    assert sfn.describe_execution(executionArn=execution)["status"] == "RUNNING"
    assert _status("ord-0042")["status"] == "PLACED"
    lab.advance(minutes=4)
    _courier_accepts("ord-0042")

    described = sfn.describe_execution(executionArn=execution)
    assert described["status"] == "SUCCEEDED"
    output = json.loads(described["output"])
    assert output["results"] == {"payment": {"method": "card", "charge_id": execution.rsplit(":", 1)[-1]},
                                 "lines_prepared": 3}
    assert output["courier"] == {"name": "Sam"}
    assert _status("ord-0042") == {"order_id": "ord-0042", "customer_id": "cust-029", "status": "ON_ITS_WAY",
                                   "courier": "Sam"}
    assert _inbox(bistro) == ["Order ord-0042 is on its way with Sam."]
    assert _entered(execution)[-3:] == ["OfferToCourier", "MarkOnItsWay", "TellCustomer"]


def test_cash_skips_the_charge(lab: helpers.Lab, bistro: dict[str, str]) -> None:
    """aws-semantics.md 6 [S9]: a Choice state takes the first matching rule."""
    execution = _start(bistro, "ord-0001")
    entered = _entered(execution)
    assert "PayOnDelivery" in entered and "ChargeCard" not in entered


def test_a_throttled_kitchen_line_is_retried_after_two_seconds(lab: helpers.Lab, bistro: dict[str, str]) -> None:
    """aws-semantics.md 6 [S4][S6]: a throttled invoke is Lambda.TooManyRequestsException; the retrier
    waits IntervalSeconds (2 s) and the line is prepared on the second attempt."""
    lab.faults.throttle("bistro-prepare-line", times=1)
    execution = _start(bistro, "ord-0042")
    lab.advance(seconds=2)
    events = boto3.client("stepfunctions").get_execution_history(executionArn=execution)["events"]
    failed = [e["taskFailedEventDetails"]["error"] for e in events if e["type"] == "TaskFailed"]
    assert failed == ["Lambda.TooManyRequestsException"]
    table = orchestration.history(events)
    assert table["t (s)"].max() == 2.0
    assert table["state"].iloc[-1] == "OfferToCourier"


def test_a_declined_card_is_compensated_in_reverse_order(lab: helpers.Lab, bistro: dict[str, str]) -> None:
    """aws-semantics.md 6 [S10]: the saga's compensations run in reverse order of the steps they undo;
    the execution ends in the Fail state with its error and a cause built with States.Format."""
    execution = _start(bistro, "ord-0004")
    described = boto3.client("stepfunctions").describe_execution(executionArn=execution)
    assert (described["status"], described["error"]) == ("FAILED", "OrderCancelled")
    assert described["cause"].startswith("PaymentDeclined: ")
    entered = _entered(execution)
    assert entered[-len(COMPENSATIONS):] == COMPENSATIONS
    assert entered.count("PrepareLine") == 3           # the kitchen cooked while the card was declined
    assert _status("ord-0004")["status"] == "CANCELLED" and _status("ord-0004")["reason"] == "PaymentDeclined"
    assert _inbox(bistro) == ["Sorry, order ord-0004 is cancelled (PaymentDeclined). Any payment is refunded."]


def test_a_courier_who_never_answers_times_the_task_out(lab: helpers.Lab, bistro: dict[str, str]) -> None:
    """aws-semantics.md 6 [S4][S7]: a task past its TimeoutSeconds fails with States.Timeout, which the
    Catch routes to the compensations; the card charge is refunded."""
    sfn = boto3.client("stepfunctions")
    execution = _start(bistro, "ord-0042")
    lab.advance(seconds=899)
    assert sfn.describe_execution(executionArn=execution)["status"] == "RUNNING"
    lab.advance(seconds=1)
    described = sfn.describe_execution(executionArn=execution)
    assert (described["status"], described["error"]) == ("FAILED", "OrderCancelled")
    assert described["cause"].startswith("States.Timeout")
    assert _entered(execution)[-len(COMPENSATIONS):] == COMPENSATIONS
    payment = boto3.client("dynamodb").get_item(TableName="bistro-payments", Key={
        "charge_id": {"S": execution.rsplit(":", 1)[-1]}})["Item"]
    assert payment["status"]["S"] == "REFUNDED"
    with pytest.raises(sfn.exceptions.ClientError):  # too late: the token is no longer valid
        _courier_accepts("ord-0042")


def test_a_flaky_provider_without_a_retrier_fails_the_charge(lab: helpers.Lab, bistro: dict[str, str]) -> None:
    """The starting point of notebook 05's exercise: ChargeCard has no retrier, so its Catch ends the
    payment branch with the provider's error and the order is compensated (aws-semantics.md 6 [S4])."""
    boto3.client("lambda").update_function_configuration(FunctionName="bistro-charge-card", Environment={
        "Variables": {"PAYMENTS_TABLE": "bistro-payments", "PROVIDER_TIMEOUTS": "2"}})
    execution = _start(bistro, "ord-0042")
    described = boto3.client("stepfunctions").describe_execution(executionArn=execution)
    assert (described["status"], described["error"]) == ("FAILED", "OrderCancelled")
    assert described["cause"].startswith("PaymentProviderTimeout: ")
    events = boto3.client("stepfunctions").get_execution_history(executionArn=execution)["events"]
    failed = [e["taskFailedEventDetails"]["error"] for e in events if e["type"] == "TaskFailed"]
    assert failed == ["PaymentProviderTimeout"]        # once, not retried; the kitchen finished its lines


def test_couriers_accept_answers_each_offered_job_once(lab: helpers.Lab, bistro: dict[str, str]) -> None:
    """aws-semantics.md 6 [S7]: each waiting task resumes with the output sent with its token; a token
    whose task timed out is refused, and the job is not offered again."""
    sfn = boto3.client("stepfunctions")
    late = _start(bistro, "ord-0002")
    lab.advance(minutes=15)
    waiting = [_start(bistro, order_id) for order_id in ("ord-0042", "ord-0001")]
    assert orchestration.couriers_accept() == ["ord-0001", "ord-0042"]
    assert orchestration.couriers_accept() == []
    assert [sfn.describe_execution(executionArn=arn)["status"] for arn in waiting] == ["SUCCEEDED", "SUCCEEDED"]
    assert sfn.describe_execution(executionArn=late)["status"] == "FAILED"
