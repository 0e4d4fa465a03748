"""Kitchen context: prepares an order line by line, and throws the order away if it is cancelled.
Owns the bistro-kitchen table (one ticket per order line)."""
import os

import boto3
from boto3.dynamodb.conditions import Key

tickets = boto3.resource("dynamodb").Table(os.environ["KITCHEN_TABLE"])


def prepare(event, context):
    """Prepare one order line: write its ticket."""
    order_id, line = event["order_id"], event["line"]
    tickets.put_item(Item={"order_id": order_id, "item_id": line["item_id"], "quantity": line["quantity"],
                           "status": "PREPARED"})
    print(f"PREPARED {order_id} {line['quantity']} x {line['name']}")
    return {"item_id": line["item_id"], "quantity": line["quantity"]}


def release(event, context):
    """Compensation: bin whatever was prepared for the order (safe to run twice)."""
    order_id = event["order_id"]
    prepared = tickets.query(KeyConditionExpression=Key("order_id").eq(order_id))["Items"]
    for ticket in prepared:
        tickets.update_item(Key={"order_id": order_id, "item_id": ticket["item_id"]},
                            UpdateExpression="SET #s = :s", ExpressionAttributeNames={"#s": "status"},
                            ExpressionAttributeValues={":s": "BINNED"})
    print(f"BINNED {order_id} {len(prepared)} line(s)")
    return {"binned": len(prepared)}
