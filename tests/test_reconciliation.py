"""Reconciliation: 1,000 messages through an SQS mapping with 20% failures end up processed or in the DLQ."""
from __future__ import annotations

import hashlib
import json

import boto3

import helpers
from helpers.runtime.clock import EPOCH

MESSAGES = 1000
#: Fails ~20% of bodies for good (poison) and ~10% only on their first receive (transient), by hash.
HANDLER = """
import hashlib
def kind(body):
    bucket = int(hashlib.sha256(body.encode()).hexdigest(), 16) % 10
    return "poison" if bucket < 2 else "transient" if bucket == 2 else "ok"
def handler(event, context):
    failures = []
    for record in event["Records"]:
        k = kind(record["body"])
        if k == "poison" or (k == "transient" and record["attributes"]["ApproximateReceiveCount"] == "1"):
            failures.append({"itemIdentifier": record["messageId"]})
        else:
            print("PROCESSED " + record["body"])
    return {"batchItemFailures": failures}
"""


def kind(body: str) -> str:
    bucket = int(hashlib.sha256(body.encode()).hexdigest(), 16) % 10
    return "poison" if bucket < 2 else "transient" if bucket == 2 else "ok"


def drain(url: str) -> list[str]:
    sqs, bodies = boto3.client("sqs"), []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        bodies += [m["Body"] for m in messages]
        sqs.delete_message_batch(QueueUrl=url, Entries=[
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)])
    return bodies


def test_thousand_messages_with_failures_are_all_accounted_for(lab):
    """aws-semantics.md 1.3 [L12][L14] and 5: successes are deleted, failures reappear after the
    visibility timeout, and after maxReceiveCount (3) receives they move to the DLQ: none is lost."""
    sqs, lambda_ = boto3.client("sqs"), boto3.client("lambda")
    lambda_.create_function(FunctionName="worker", Runtime="python3.12", Role=lab.role_arn,
                            Handler="lambda_function.handler", Code={"ZipFile": helpers.zip_code(HANDLER)})
    dlq_url = sqs.create_queue(QueueName="orders-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    url = sqs.create_queue(QueueName="orders", Attributes={"RedrivePolicy": json.dumps(
        {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "3"})})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    lambda_.create_event_source_mapping(EventSourceArn=arn, FunctionName="worker", BatchSize=10,
                                        FunctionResponseTypes=["ReportBatchItemFailures"])
    bodies = [f"order-{i:04d}" for i in range(MESSAGES)]
    for start in range(0, MESSAGES, 10):
        sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": body}
                                                      for i, body in enumerate(bodies[start:start + 10])])
    lab.advance(minutes=3)  # 30 s visibility timeout: receives at 0, 30, 60 s; redrive at 90 s

    logs = boto3.client("logs").get_paginator("filter_log_events")
    processed = [e["message"].removeprefix("PROCESSED ")
                 for page in logs.paginate(logGroupName="/aws/lambda/worker")
                 for e in page["events"] if e["message"].startswith("PROCESSED ")]
    dead = drain(dlq_url)
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    poison = sorted(b for b in bodies if kind(b) == "poison")

    assert 150 < len(poison) < 250  # about 20% fail for good, about 10% more fail once
    assert sorted(dead) == poison
    assert sorted(processed) == sorted(b for b in bodies if kind(b) != "poison")
    assert len(processed) + len(dead) == MESSAGES and not set(processed) & set(dead)
    assert attributes["ApproximateNumberOfMessages"] == attributes["ApproximateNumberOfMessagesNotVisible"] == "0"
    redrives = [h for h in lab.recorder.hops if (h.service, h.action) == ("sqs", "redrive")]
    assert len(redrives) == len(poison)
    assert {(h.time - EPOCH).total_seconds() for h in redrives} == {90}
