"""Charge each order from the queue: the naive way (every delivery charges the card again)."""
import json
import os
import time
import uuid

import boto3

dynamodb = boto3.client("dynamodb")


def handler(event, context):
    for record in event["Records"]:
        order = json.loads(record["body"])
        dynamodb.put_item(TableName=os.environ["CHARGES_TABLE"], Item={  # the card provider's charge
            "charge_id": {"S": str(uuid.uuid4())}, "order_id": {"S": order["order_id"]},
            "amount": {"N": str(order["total"])}, "at": {"N": str(int(time.time()))}})
