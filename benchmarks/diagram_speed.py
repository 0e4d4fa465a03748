"""An architecture of 50+ resources drawn from the lab and rendered to SVG: target under one second.

Run: python benchmarks/diagram_speed.py [--quick]
"""
from __future__ import annotations

import json
import statistics
import time
from typing import Any

import boto3
import harness

import helpers
from helpers.diagrams.inventory import read_inventory

ROUNDS = 5


def build(lab: helpers.Lab) -> None:
    """12 queues (6 with DLQs), 4 topics and 8 subscriptions, a bus with 8 rules, 20 functions with
    destinations, 6 event source mappings, 4 state machines, 2 tables."""
    sqs, sns, events, lambda_, sfn = (boto3.client(s) for s in ("sqs", "sns", "events", "lambda", "stepfunctions"))
    code = helpers.zip_code("def handler(event, context):\n    return event\n")
    queues = []
    for i in range(6):
        dlq = sqs.create_queue(QueueName=f"dlq-{i}")["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        url = sqs.create_queue(QueueName=f"work-{i}", Attributes={
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "3"})})["QueueUrl"]
        queues.append((sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"],
                       dlq_arn))
    topics = [sns.create_topic(Name=f"topic-{i}")["TopicArn"] for i in range(4)]
    functions = [lambda_.create_function(FunctionName=f"fn-{i}", Runtime="python3.12", Role=lab.role_arn,
                                         Handler="lambda_function.handler", Code={"ZipFile": code})["FunctionArn"]
                 for i in range(20)]
    for i, topic in enumerate(topics):
        for queue, _ in queues[i:i + 2]:
            sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue,
                          Attributes={"FilterPolicy": json.dumps({"kind": [f"k{i}"]})})
    for i, (queue, dlq) in enumerate(queues):
        lambda_.create_event_source_mapping(EventSourceArn=queue, FunctionName=f"fn-{i}", BatchSize=10)
        lambda_.put_function_event_invoke_config(FunctionName=f"fn-{i + 6}", DestinationConfig={
            "OnSuccess": {"Destination": topics[i % 4]}, "OnFailure": {"Destination": dlq}})
    events.create_event_bus(Name="shop")
    for i in range(8):
        events.put_rule(Name=f"rule-{i}", EventBusName="shop",
                        EventPattern=json.dumps({"source": ["shop"], "detail-type": [f"Event{i}"]}))
        events.put_targets(Rule=f"rule-{i}", EventBusName="shop", Targets=[
            {"Id": "fn", "Arn": functions[i + 8], "DeadLetterConfig": {"Arn": queues[i % 6][1]}}])
    for i in range(4):
        definition = {"StartAt": "A", "States": {
            "A": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                  "Parameters": {"FunctionName": functions[12 + i]}, "Next": "B"},
            "B": {"Type": "Task", "Resource": "arn:aws:states:::sns:publish",
                  "Parameters": {"TopicArn": topics[i], "Message.$": "$"}, "End": True}}}
        sfn.create_state_machine(name=f"flow-{i}", roleArn=lab.role_arn, definition=json.dumps(definition))
    for name in ("orders", "stock"):
        boto3.client("dynamodb").create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                                              KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                                              AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])


def run(quick: bool) -> list[dict[str, Any]]:
    lab = helpers.start(reset=True)
    build(lab)
    inventory = read_inventory(lab.account_id, lab.region)
    samples = []
    for _ in range(1 if quick else ROUNDS):
        started = time.perf_counter()
        svg = helpers.draw_architecture(lab).svg()
        samples.append(time.perf_counter() - started)
        assert svg is not None, "Graphviz's dot is missing: install graphviz to run this benchmark"
    lab.reset()
    return [harness.figure(f"architecture of {len(inventory.resources)} resources, {len(inventory.links)} links, "
                           "drawn to SVG", statistics.median(samples), 1.0, "s")]


if __name__ == "__main__":
    harness.main(run)
