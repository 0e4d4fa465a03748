"""Ordering context: takes an order from the API, keeps it, and announces it (OrderPlaced).

It cancels its own order (OrderCancelled) when payment says the money did not come in or went
back: PaymentDeclined or PaymentRefunded. It calls no other context.
"""
import json
import os

import boto3

BUS, TABLE = os.environ["BUS_NAME"], os.environ["TABLE_NAME"]
events = boto3.client("events")
dynamodb = boto3.client("dynamodb")


def publish(detail_type, detail):
    response = events.put_events(Entries=[{"EventBusName": BUS, "Source": "bistro.ordering",
                                           "DetailType": detail_type, "Detail": json.dumps({"version": 1, **detail})}])
    if response["FailedEntryCount"]:
        raise RuntimeError(response["Entries"][0]["ErrorMessage"])


def handler(event, context):
    if "detail-type" in event:                 # an event from the bus: the payment fell through
        return cancel(event["detail"], event["detail-type"])
    order = {key: event[key] for key in ("order_id", "customer_id", "restaurant_region", "items",
                                         "total", "currency", "payment")}
    dynamodb.put_item(TableName=TABLE, Item={"order_id": {"S": order["order_id"]}, "status": {"S": "PLACED"},
                                             "order": {"S": json.dumps(order)}})
    publish("OrderPlaced", order)
    return {"statusCode": 202, "body": json.dumps({"order_id": order["order_id"], "status": "PLACED"})}


def cancel(detail, because):
    dynamodb.update_item(TableName=TABLE, Key={"order_id": {"S": detail["order_id"]}},
                         UpdateExpression="SET #status = :cancelled, reason = :reason",
                         ExpressionAttributeNames={"#status": "status"},
                         ExpressionAttributeValues={":cancelled": {"S": "CANCELLED"},
                                                    ":reason": {"S": f"{because}: {detail['reason']}"}})
    publish("OrderCancelled", {"order_id": detail["order_id"], "customer_id": detail["customer_id"],
                               "reason": f"{because}: {detail['reason']}"})
