"""Let a notebook cell that creates a resource run twice: delete the resource first if it exists.

On AWS, creating a function or a rule that already exists fails; a notebook cell run twice would
too. `delete_if_exists("function", "hello")` before the create call keeps the lesson's boto3 call
exactly as on AWS while making the cell safe to re-run.
"""
from __future__ import annotations

from typing import Callable

from botocore.exceptions import ClientError

from .clients import client as _client

_MISSING = {"ResourceNotFoundException", "AWS.SimpleQueueService.NonExistentQueue", "NotFound",
            "StateMachineDoesNotExist", "NotFoundException", "QueueDoesNotExist"}


def _function(name: str) -> None:
    client = _client("lambda")
    for mapping in client.list_event_source_mappings(FunctionName=name)["EventSourceMappings"]:
        client.delete_event_source_mapping(UUID=mapping["UUID"])
    client.delete_function(FunctionName=name)


def _queue(name: str) -> None:
    client = _client("sqs")
    client.delete_queue(QueueUrl=client.get_queue_url(QueueName=name)["QueueUrl"])


def _topic(name: str) -> bool:
    client = _client("sns")
    arns = [t["TopicArn"] for t in client.list_topics()["Topics"] if t["TopicArn"].rsplit(":", 1)[-1] == name]
    for arn in arns:
        client.delete_topic(TopicArn=arn)
    return bool(arns)


def _rule(name: str, bus: str = "default") -> None:
    client = _client("events")
    ids = [t["Id"] for t in client.list_targets_by_rule(Rule=name, EventBusName=bus)["Targets"]]
    if ids:
        client.remove_targets(Rule=name, EventBusName=bus, Ids=ids)
    client.delete_rule(Name=name, EventBusName=bus)


def _bus(name: str) -> None:
    client = _client("events")
    for rule in client.list_rules(EventBusName=name)["Rules"]:
        _rule(rule["Name"], name)
    client.delete_event_bus(Name=name)


def _state_machine(name: str) -> bool:
    client = _client("stepfunctions")
    arns = [m["stateMachineArn"] for m in client.list_state_machines()["stateMachines"] if m["name"] == name]
    for arn in arns:
        client.delete_state_machine(stateMachineArn=arn)
    return bool(arns)


# Each deleter raises a "not found" error, or returns False, when there is nothing to delete.
_DELETERS: dict[str, Callable[..., bool | None]] = {
    "function": _function, "queue": _queue, "topic": _topic, "rule": _rule, "bus": _bus,
    "state_machine": _state_machine,
    "table": lambda name: _client("dynamodb").delete_table(TableName=name),
    "stream": lambda name: _client("kinesis").delete_stream(StreamName=name,
                                                                  EnforceConsumerDeletion=True),
}


def delete_if_exists(kind: str, name: str, **where: str) -> bool:
    """Delete the `kind` resource called `name` if it exists; True if something was deleted.

    Kinds: function, queue, topic, rule (pass bus="..." for a custom bus), bus, state_machine,
    table, stream.
    """
    if kind not in _DELETERS:
        raise ValueError(f"Unknown kind {kind!r}: choose one of {', '.join(sorted(_DELETERS))}.")
    try:
        return _DELETERS[kind](name, **where) is not False
    except ClientError as error:
        if error.response["Error"]["Code"] in _MISSING:
            return False
        raise
