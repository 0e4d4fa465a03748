"""Observer context: records every event of the bus in an order timeline. It decides nothing and
publishes nothing; it answers the question no other context can: where is this order now?

Events of one order can share the same `time` (a second), so the observer numbers them in the
order it receives them: an atomic counter per order (row seq 0), then one row per event.
"""
import json
import os

import boto3

TABLE = os.environ["TABLE_NAME"]
dynamodb = boto3.client("dynamodb")


def handler(event, context):
    order_id = event["detail"].get("order_id", "-")
    counter = dynamodb.update_item(TableName=TABLE, Key={"order_id": {"S": order_id}, "seq": {"N": "0"}},
                                   UpdateExpression="ADD last_seq :one", ExpressionAttributeValues={":one": {"N": "1"}},
                                   ReturnValues="UPDATED_NEW")
    dynamodb.put_item(TableName=TABLE, Item={
        "order_id": {"S": order_id}, "seq": counter["Attributes"]["last_seq"],
        "time": {"S": event["time"]}, "event": {"S": event["detail-type"]}, "source": {"S": event["source"]},
        "id": {"S": event["id"]}, "body": {"S": json.dumps(event)}})
