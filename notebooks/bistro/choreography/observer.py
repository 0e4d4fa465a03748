"""Observer context: records every event of the bus in an order timeline. It decides nothing and
publishes nothing; it answers the question no other context can: where is this order now?

One row per event, keyed by order and event id, so a second delivery of the same event is not
recorded twice. Events of one order can share the same `time` (a second), so the observer also
numbers them in the order it receives them, with an atomic counter per order (row `#counter`).
"""
import json
import os

import boto3

TABLE = os.environ["TABLE_NAME"]
dynamodb = boto3.client("dynamodb")


def handler(event, context):
    order_id = event["detail"].get("order_id", "-")
    counter = dynamodb.update_item(TableName=TABLE, Key={"order_id": {"S": order_id}, "event_id": {"S": "#counter"}},
                                   UpdateExpression="ADD last_seq :one", ExpressionAttributeValues={":one": {"N": "1"}},
                                   ReturnValues="UPDATED_NEW")
    try:
        dynamodb.put_item(TableName=TABLE, ConditionExpression="attribute_not_exists(event_id)", Item={
            "order_id": {"S": order_id}, "event_id": {"S": event["id"]}, "seq": counter["Attributes"]["last_seq"],
            "time": {"S": event["time"]}, "event": {"S": event["detail-type"]}, "body": {"S": json.dumps(event)}})
    except dynamodb.exceptions.ConditionalCheckFailedException:
        print(f"{event['id']} recorded already")
