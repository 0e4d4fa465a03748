"""Kitchen context: cooks a paid order (OrderPrepared), or rejects it when an item has run out
(OrderRejected), which sets off the compensations: payment refunds, ordering cancels.

Its table holds one row per menu item (portions left) and one ticket per order. Taking the
portions and writing the ticket is one transaction: all of it happens, or none of it.
"""
import json
import os

import boto3

BUS, TABLE = os.environ["BUS_NAME"], os.environ["TABLE_NAME"]
events = boto3.client("events")
dynamodb = boto3.client("dynamodb")


def publish(detail_type, detail):
    response = events.put_events(Entries=[{"EventBusName": BUS, "Source": "bistro.kitchen",
                                           "DetailType": detail_type, "Detail": json.dumps({"version": 1, **detail})}])
    if response["FailedEntryCount"]:
        raise RuntimeError(response["Entries"][0]["ErrorMessage"])


def ticket(order_id, status):
    return {"Put": {"TableName": TABLE, "Item": {"id": {"S": order_id}, "ticket": {"S": status}},
                    "ConditionExpression": "attribute_not_exists(id)"}}     # one ticket per order


def take(line):
    return {"Update": {"TableName": TABLE, "Key": {"id": {"S": line["item_id"]}},
                       "UpdateExpression": "ADD portions :taken", "ConditionExpression": "portions >= :needed",
                       "ExpressionAttributeValues": {":taken": {"N": str(-line["quantity"])},
                                                     ":needed": {"N": str(line["quantity"])}}}}


def handler(event, context):
    order = event["detail"]["order"]
    who = {"order_id": order["order_id"], "customer_id": order["customer_id"]}
    try:
        dynamodb.transact_write_items(TransactItems=[take(line) for line in order["items"]]
                                      + [ticket(order["order_id"], "PREPARED")])
    except dynamodb.exceptions.TransactionCanceledException as error:
        failed = [reason["Code"] == "ConditionalCheckFailed" for reason in error.response["CancellationReasons"]]
        if failed[-1]:
            return                                   # a ticket exists: this order was handled already
        missing = order["items"][failed.index(True)]
        dynamodb.transact_write_items(TransactItems=[ticket(order["order_id"], "REJECTED")])
        publish("OrderRejected", {**who, "item_id": missing["item_id"], "reason": f"out of {missing['name']}"})
        return
    publish("OrderPrepared", {**who, "restaurant_region": order["restaurant_region"]})
