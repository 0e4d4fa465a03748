"""Test helpers for SQS queues: make one, and read everything that arrived in it."""
from __future__ import annotations

import json

import boto3


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
