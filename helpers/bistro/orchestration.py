"""The Lambda Bistro's order process as a Step Functions state machine (notebook 05; reused by 06 and 08).

    from helpers.bistro import orchestration
    arns = orchestration.deploy()                 # tables, functions, topic, inbox queue, state machine
    sfn.start_execution(stateMachineArn=arns["state_machine"], input=json.dumps(order))
    orchestration.couriers_accept()               # the couriers answer every offered job
    orchestration.history(sfn.get_execution_history(executionArn=arn)["events"])

Everything is built from the files a learner reads in notebook 05: the handlers in
`notebooks/bistro/orchestration/<context>.py` and the definition `order.asl.json`, whose
`${NotificationsTopic}` placeholder is filled in the way SAM's `DefinitionSubstitutions` would.
Each call deletes what it is about to create, so it can run twice (in one notebook or several).
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import pandas as pd

from ..cleanup import delete_if_exists
from ..clients import client
from ..packaging import zip_code
from ..source import read_code

#: Where the code lives, relative to notebooks/.
CODE_DIR = "bistro/orchestration"
DEFINITION_FILE = f"{CODE_DIR}/order.asl.json"
STATE_MACHINE = "bistro-order"
TOPIC = "bistro-notifications"
INBOX = "bistro-customer-inbox"

#: Each context's table and its key (partition key, then sort key).
TABLES: dict[str, tuple[str, ...]] = {
    "bistro-orders": ("order_id",),
    "bistro-payments": ("charge_id",),
    "bistro-kitchen": ("order_id", "item_id"),
    "bistro-deliveries": ("order_id",),
}
#: Each function: (code file under CODE_DIR, handler function).
FUNCTIONS: dict[str, tuple[str, str]] = {
    "bistro-charge-card": ("payment.py", "charge"),
    "bistro-refund-payment": ("payment.py", "refund"),
    "bistro-prepare-line": ("kitchen.py", "prepare"),
    "bistro-release-kitchen": ("kitchen.py", "release"),
    "bistro-dispatch-courier": ("delivery.py", "dispatch"),
}
#: The tables each code file reads, as environment variables.
ENVIRONMENT: dict[str, dict[str, str]] = {
    "payment.py": {"PAYMENTS_TABLE": "bistro-payments"},
    "kitchen.py": {"KITCHEN_TABLE": "bistro-kitchen"},
    "delivery.py": {"DELIVERIES_TABLE": "bistro-deliveries"},
}


def create_table(name: str, key: tuple[str, ...]) -> str:
    """An on-demand DynamoDB table with string keys; returns its ARN."""
    delete_if_exists("table", name)
    roles = ("HASH", "RANGE")
    return client("dynamodb").create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": k, "KeyType": r} for k, r in zip(key, roles)],
        AttributeDefinitions=[{"AttributeName": k, "AttributeType": "S"} for k in key],
    )["TableDescription"]["TableArn"]


def create_function(name: str, role_arn: str, **environment: str) -> str:
    """Deploy one context function from its code file; extra `environment` variables are added."""
    filename, handler = FUNCTIONS[name]
    delete_if_exists("function", name)
    return client("lambda").create_function(
        FunctionName=name, Runtime="python3.12", Role=role_arn, Handler=f"{filename[:-3]}.{handler}",
        Code={"ZipFile": zip_code(read_code(f"{CODE_DIR}/{filename}"), filename)}, Timeout=10,
        Environment={"Variables": {**ENVIRONMENT[filename], **environment}})["FunctionArn"]


def deploy_contexts(role_arn: str | None = None) -> dict[str, str]:
    """The contexts the state machine calls: four tables, five functions, the notifications topic
    and a customer inbox queue subscribed to it. Returns {name: ARN} (and "inbox_url")."""
    role_arn = role_arn or _lab_role()
    arns = {name: create_table(name, key) for name, key in TABLES.items()}
    arns |= {name: create_function(name, role_arn) for name in FUNCTIONS}
    sns, sqs = client("sns"), client("sqs")
    delete_if_exists("topic", TOPIC)
    delete_if_exists("queue", INBOX)
    arns[TOPIC] = sns.create_topic(Name=TOPIC)["TopicArn"]
    arns["inbox_url"] = sqs.create_queue(QueueName=INBOX)["QueueUrl"]
    arns[INBOX] = sqs.get_queue_attributes(QueueUrl=arns["inbox_url"], AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=arns[TOPIC], Protocol="sqs", Endpoint=arns[INBOX],
                  Attributes={"RawMessageDelivery": "true"})
    return arns


def definition(topic_arn: str) -> str:
    """The state machine's ASL (order.asl.json) with the notifications topic filled in."""
    return read_code(DEFINITION_FILE).replace("${NotificationsTopic}", topic_arn)


def deploy(role_arn: str | None = None) -> dict[str, str]:
    """Everything: the contexts (see `deploy_contexts`) and the `bistro-order` state machine
    ("state_machine" in the result)."""
    arns = deploy_contexts(role_arn)
    delete_if_exists("state_machine", STATE_MACHINE)
    arns["state_machine"] = client("stepfunctions").create_state_machine(
        name=STATE_MACHINE, definition=definition(arns[TOPIC]), roleArn=role_arn or _lab_role(),
    )["stateMachineArn"]
    return arns


def couriers_accept(order_ids: Iterable[str] | None = None, eta_minutes: int = 25) -> list[str]:
    """What the couriers' app does (notebook 05) for every job still OFFERED in bistro-deliveries, or
    for those of `order_ids`: SendTaskSuccess with the courier's name, then the job marked ACCEPTED.
    Returns the orders whose execution took the answer (a timed-out task's token is refused)."""
    dynamodb, sfn = client("dynamodb"), client("stepfunctions")
    wanted = set(order_ids) if order_ids is not None else None
    if wanted is None:
        jobs = [job for page in dynamodb.get_paginator("scan").paginate(TableName="bistro-deliveries")
                for job in page["Items"]]
    else:  # a read per order instead of a scan of every job (notebook 06 asks after each order)
        jobs = [item for order_id in sorted(wanted) if (item := dynamodb.get_item(
            TableName="bistro-deliveries", Key={"order_id": {"S": order_id}}).get("Item"))]
    accepted = []
    for job in jobs:
        order_id = job["order_id"]["S"]
        if job["status"]["S"] != "OFFERED" or (wanted is not None and order_id not in wanted):
            continue
        try:
            sfn.send_task_success(taskToken=job["task_token"]["S"], output=json.dumps(
                {"name": job["courier"]["S"], "eta_minutes": eta_minutes}))
            accepted.append(order_id)
        except (sfn.exceptions.TaskTimedOut, sfn.exceptions.InvalidToken):
            pass
        dynamodb.update_item(TableName="bistro-deliveries", Key={"order_id": job["order_id"]},
                             UpdateExpression="SET #s = :s", ExpressionAttributeNames={"#s": "status"},
                             ExpressionAttributeValues={":s": {"S": "ACCEPTED"}})
    return sorted(accepted)


def _lab_role() -> str:
    from ..lab import current

    return current().role_arn


# -- reading an execution's history -----------------------------------------------------------
#: The event types that tell an execution's story (the others repeat what these say).
STORY_EVENTS = ("ExecutionStarted", "StateEntered", "TaskFailed", "TaskSucceeded", "TaskSubmitted",
                "TaskTimedOut", "MapIterationStarted", "ExecutionSucceeded", "ExecutionFailed",
                "ExecutionTimedOut", "ExecutionAborted")


def history(events: list[dict[str, Any]], everything: bool = False) -> pd.DataFrame:
    """GetExecutionHistory's events as a table: seconds since the start, the event, its state, and
    what happened (the resource called, the error, the iteration). `everything`: keep every event."""
    by_id = {event["id"]: event for event in events}
    start = events[0]["timestamp"] if events else None
    rows = []
    for event in events:
        kind = event["type"]
        if not everything and not any(kind.endswith(story) or kind == story for story in STORY_EVENTS):
            continue
        rows.append({"id": event["id"], "t (s)": round((event["timestamp"] - start).total_seconds(), 3),
                     "event": kind, "state": _state_of(event, by_id), "detail": _detail(event)})
    return pd.DataFrame(rows, columns=["id", "t (s)", "event", "state", "detail"]).set_index("id")


def _state_of(event: dict[str, Any], by_id: dict[int, dict[str, Any]]) -> str:
    """The state an event belongs to: its own name, or that of the state entered before it."""
    seen = set()
    while event and event["id"] not in seen:
        seen.add(event["id"])
        for key in ("stateEnteredEventDetails", "stateExitedEventDetails", "mapIterationStartedEventDetails"):
            if key in event:
                return event[key]["name"]
        if event["type"].startswith("Execution"):
            return ""
        event = by_id.get(event.get("previousEventId", 0))
    return ""


def _detail(event: dict[str, Any]) -> str:
    details = next((v for k, v in event.items() if k.endswith("EventDetails")), {})
    if "error" in details:
        cause = str(details.get("cause", ""))
        try:  # a Lambda error's cause is its JSON payload: keep the message
            cause = json.loads(cause).get("errorMessage", cause)
        except (ValueError, AttributeError):
            pass
        return f"{details['error']}: {cause}"[:90]
    if "index" in details:
        return f"item {details['index']}"
    if event["type"] == "TaskSubmitted":
        return "waiting for the task token"
    if event["type"] == "TaskSucceeded":
        output = details.get("output", "")
        try:  # a Lambda task's output wraps the function's answer in Payload
            output = json.dumps(json.loads(output)["Payload"])
        except (ValueError, KeyError, TypeError):
            pass
        return output[:90]
    return ""
