"""Charge each order once with Powertools for AWS Lambda: its idempotency utility remembers each
order's result in a DynamoDB table; its Logger writes structured (JSON) logs."""
import json
import os
import time
import uuid

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.idempotency import (DynamoDBPersistenceLayer, IdempotencyConfig,
                                                           idempotent_function)

logger = Logger()
dynamodb = boto3.client("dynamodb")
persistence = DynamoDBPersistenceLayer(table_name=os.environ["IDEMPOTENCY_TABLE"])
config = IdempotencyConfig(event_key_jmespath="order_id", expires_after_seconds=3600)


@idempotent_function(data_keyword_argument="order", persistence_store=persistence, config=config)
def charge(order):
    charge_id = str(uuid.uuid4())  # the same naive charge as before, now behind the utility
    dynamodb.put_item(TableName=os.environ["CHARGES_TABLE"], Item={
        "charge_id": {"S": charge_id}, "order_id": {"S": order["order_id"]},
        "amount": {"N": str(order["total"])}, "at": {"N": str(int(time.time()))}})
    logger.info("charged", extra={"order_id": order["order_id"], "amount": order["total"]})
    return {"charge_id": charge_id}


@logger.inject_lambda_context
def handler(event, context):
    config.register_lambda_context(context)
    for record in event["Records"]:
        charge(order=json.loads(record["body"]))
