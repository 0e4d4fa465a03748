"""Place an order and its OrderPlaced event in one transaction: the order and an outbox record."""
import json
import os
import time

import boto3

dynamodb = boto3.client("dynamodb")


def handler(event, context):
    order_id = event["order_id"]
    dynamodb.transact_write_items(TransactItems=[
        {"Put": {"TableName": os.environ["ORDERS_TABLE"], "ConditionExpression": "attribute_not_exists(order_id)",
                 "Item": {"order_id": {"S": order_id}, "total": {"N": str(event["total"])}}}},
        {"Put": {"TableName": os.environ["OUTBOX_TABLE"], "Item": {
            "event_id": {"S": f"OrderPlaced-{order_id}"}, "detail_type": {"S": "OrderPlaced"},
            "detail": {"S": json.dumps({"order_id": order_id, "total": event["total"]})},
            "at": {"N": str(int(time.time()))}}}},
    ])
    return {"placed": order_id}
