"""Notifications context: tells the customer what happened to their order, once per fact.

Its table keeps every message sent, keyed by order and event type, so a duplicate delivery of
the same event does not message the customer twice.
"""
import os

import boto3

TABLE = os.environ["TABLE_NAME"]
dynamodb = boto3.client("dynamodb")

TEXTS = {
    "PaymentSucceeded": "Thank you! Order {order_id} is confirmed and going to the kitchen.",
    "OrderDispatched": "Order {order_id} is on its way with {courier}, about {eta_minutes} minutes.",
    "OrderCancelled": "Sorry, order {order_id} is cancelled ({reason}).",
}


def handler(event, context):
    detail = event["detail"]
    text = TEXTS[event["detail-type"]].format(**detail)
    try:
        dynamodb.put_item(TableName=TABLE, ConditionExpression="attribute_not_exists(message_id)",
                          Item={"message_id": {"S": f"{detail['order_id']}#{event['detail-type']}"},
                                "customer_id": {"S": detail["customer_id"]}, "text": {"S": text}})
    except dynamodb.exceptions.ConditionalCheckFailedException:
        return                                   # sent already
    print(f"to {detail['customer_id']}: {text}")
