"""Test helpers for SQS queues: make one, read everything that arrived in it, make it fail."""
from __future__ import annotations

import json

import boto3
from moto.core.exceptions import JsonRESTError
from moto.sqs.models import SQSBackend


def make_queue(name: str, **attributes: str) -> tuple[str, str]:
    """Create a queue; return its URL and ARN."""
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def drain(url: str) -> list[dict]:
    """Every message waiting in the queue (received with all attributes, then deleted)."""
    sqs = boto3.client("sqs")
    found = []
    while True:
        batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"],
                                    AttributeNames=["All"]).get("Messages", [])
        if not batch:
            return found
        for message in batch:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        found.extend(batch)


def bodies(url: str) -> list:
    """The JSON bodies of every message waiting in the queue."""
    return [json.loads(message["Body"]) for message in drain(url)]


class ServiceUnavailable(JsonRESTError):
    code = 503

    def __init__(self) -> None:
        super().__init__("ServiceUnavailable", "Service is unavailable.")


def fail_sends_to(monkeypatch, queue_name: str, times: int) -> None:
    """A transient SQS outage: the next `times` SendMessage calls to `queue_name` answer 503."""
    original = SQSBackend.send_message
    left = {"n": times}

    def send_message(self, queue_name_arg, *args, **kwargs):
        if queue_name_arg == queue_name and left["n"] > 0:
            left["n"] -= 1
            raise ServiceUnavailable()
        return original(self, queue_name_arg, *args, **kwargs)

    monkeypatch.setattr(SQSBackend, "send_message", send_message)
