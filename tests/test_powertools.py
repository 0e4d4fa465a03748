"""Powertools for AWS Lambda (Python), deployed as a layer from the installed package, works as on AWS."""
from __future__ import annotations

import base64
import json

import boto3
import pytest

import helpers
from helpers.bistro.practices import powertools_layer
from helpers.runtime.clock import EPOCH

POWERTOOLS_ENV = {"POWERTOOLS_SERVICE_NAME": "orders", "POWERTOOLS_METRICS_NAMESPACE": "Lab",
                  "POWERTOOLS_TRACE_DISABLED": "true", "TABLE": "idempotency"}

HANDLER = """
import json
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.idempotency import (DynamoDBPersistenceLayer, IdempotencyConfig,
                                                           idempotent_function)
import os

logger, metrics, tracer = Logger(), Metrics(), Tracer()
app = APIGatewayRestResolver()
persistence = DynamoDBPersistenceLayer(table_name=os.environ["TABLE"])
processor = BatchProcessor(event_type=EventType.SQS)
CHARGES = []


@app.get("/orders/<order_id>")
def get_order(order_id):
    return {"order": order_id}


@idempotent_function(data_keyword_argument="order", persistence_store=persistence,
                     config=IdempotencyConfig(expires_after_seconds=3600))
def charge(order):
    CHARGES.append(order["id"])
    return {"charged": order["id"], "times": len(CHARGES)}


def record_handler(record):
    if record.body == "poison":
        raise ValueError("cannot process poison")


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event, context):
    metrics.add_metric(name="Orders", unit=MetricUnit.Count, value=1)
    logger.info("handling", extra={"kind": event.get("kind")})
    if event.get("kind") == "api":
        return app.resolve(event["request"], context)
    if event.get("kind") == "charge":
        return charge(order=event["order"])
    if event.get("kind") == "batch":
        return process_partial_response(event=event["sqs"], record_handler=record_handler,
                                        processor=processor, context=context)
    return "ok"
"""


@pytest.fixture
def powertools(lab) -> None:
    client = boto3.client("lambda")
    layer = powertools_layer()  # built from the installed PyPI package, as notebook 08 builds it
    boto3.client("dynamodb").create_table(
        TableName="idempotency", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    client.create_function(FunctionName="orders", Runtime="python3.12", Role=lab.role_arn,
                           Handler="lambda_function.handler", Code={"ZipFile": helpers.zip_code(HANDLER)},
                           Layers=[layer], Environment={"Variables": POWERTOOLS_ENV})


def invoke(event: dict) -> tuple[object, list[str]]:
    response = boto3.client("lambda").invoke(FunctionName="orders", Payload=json.dumps(event), LogType="Tail")
    assert "FunctionError" not in response, response["Payload"].read()
    return json.loads(response["Payload"].read()), base64.b64decode(response["LogResult"]).decode().splitlines()


def json_lines(log: list[str]) -> list[dict]:
    return [json.loads(line) for line in log if line.startswith("{")]


def test_default_settings_do_not_time_out_on_the_first_call(powertools):
    """aws-semantics.md 2 [L20]: with Lambda's defaults (128 MB, 3 s) the layer's import counts as
    init, under its own 10 s limit, not against the function's 3 s timeout."""
    body, log = invoke({})
    assert body == "ok"
    report = next(line for line in log if line.startswith("REPORT"))
    assert "Init Duration" in report


def test_logger_and_metrics_use_the_lab_s_clock(lab, powertools):
    """Powertools Logger writes JSON lines with the invocation's context; Metrics writes CloudWatch
    EMF whose _aws.Timestamp is the invocation's time: both the lab's clock, not today's date."""
    lab.advance(hours=2)
    _, log = invoke({"kind": "plain"})
    entries = json_lines(log)
    logged = next(e for e in entries if e.get("message") == "handling")
    assert logged["service"] == "orders" and logged["kind"] == "plain" and logged["cold_start"] is True
    assert logged["timestamp"].startswith("2026-01-05 11:00:0")
    emf = next(e for e in entries if "_aws" in e)
    assert emf["Orders"] == [1.0] and emf["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "Lab"
    assert abs(emf["_aws"]["Timestamp"] - (EPOCH.timestamp() + 7200) * 1000) < 2000


def test_idempotency_on_dynamodb_expires_on_the_lab_s_clock(lab, powertools):
    """Powertools Idempotency: a repeated payload returns the stored result without running again,
    until the record expires (expires_after_seconds) on the lab's clock."""
    order = {"kind": "charge", "order": {"id": "o-1", "amount": 5}}
    first, _ = invoke(order)
    second, _ = invoke(order)
    assert first == second == {"charged": "o-1", "times": 1}
    item = boto3.client("dynamodb").scan(TableName="idempotency")["Items"][0]
    assert int(item["expiration"]["N"]) == int(EPOCH.timestamp()) + 3600
    lab.advance(hours=1, seconds=1)
    assert invoke(order)[0] == {"charged": "o-1", "times": 2}


def test_event_handler_and_batch_processing(powertools):
    """Powertools event handler resolves an API Gateway REST event; batch processing reports the
    failed record as a batchItemFailures entry (aws-semantics.md 1.3 [L12])."""
    request = {"httpMethod": "GET", "path": "/orders/42", "resource": "/orders/{order_id}",
               "headers": {}, "queryStringParameters": None, "requestContext": {"requestId": "r"},
               "body": None, "isBase64Encoded": False}
    body, _ = invoke({"kind": "api", "request": request})
    assert body["statusCode"] == 200 and json.loads(body["body"]) == {"order": "42"}
    records = [{"messageId": str(i), "body": text, "receiptHandle": "h", "attributes": {},
                "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:q", "awsRegion": "us-east-1"}
               for i, text in enumerate(["fine", "poison", "fine"])]
    body, _ = invoke({"kind": "batch", "sqs": {"Records": records}})
    assert body == {"batchItemFailures": [{"itemIdentifier": "1"}]}
