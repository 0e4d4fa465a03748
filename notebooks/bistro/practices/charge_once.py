"""Charge each order once: a conditional write keyed on the order makes a redelivery a no-op."""
import json
import os
import time

import boto3

dynamodb = boto3.client("dynamodb")


def handler(event, context):
    for record in event["Records"]:
        order = json.loads(record["body"])
        try:
            dynamodb.put_item(TableName=os.environ["CHARGES_TABLE"], Item={
                "charge_id": {"S": f"charge-{order['order_id']}"}, "order_id": {"S": order["order_id"]},
                "amount": {"N": str(order["total"])}, "at": {"N": str(int(time.time()))}},
                ConditionExpression="attribute_not_exists(charge_id)")
        except dynamodb.exceptions.ConditionalCheckFailedException:
            print(f"{order['order_id']} is already charged: nothing to do")
