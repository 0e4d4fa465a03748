"""Payment context: charges an order when it is placed (PaymentSucceeded or PaymentDeclined), and
gives the money back when the kitchen cannot cook it (OrderRejected -> PaymentRefunded).

The payment provider is a stand-in: like Stripe's test mode, it declines one test card token.
"""
import json
import os

import boto3

BUS, TABLE = os.environ["BUS_NAME"], os.environ["TABLE_NAME"]
DECLINED_TOKENS = {"tok_chargeDeclined"}     # the provider's test token that is always declined
events = boto3.client("events")
dynamodb = boto3.client("dynamodb")


def publish(detail_type, detail):
    response = events.put_events(Entries=[{"EventBusName": BUS, "Source": "bistro.payment",
                                           "DetailType": detail_type, "Detail": json.dumps({"version": 1, **detail})}])
    if response["FailedEntryCount"]:
        raise RuntimeError(response["Entries"][0]["ErrorMessage"])


def save(order_id, status, amount):
    dynamodb.put_item(TableName=TABLE, Item={"order_id": {"S": order_id}, "status": {"S": status},
                                             "amount": {"N": str(amount)}})


def handler(event, context):
    if event["detail-type"] == "OrderPlaced":
        charge(event["detail"])
    elif event["detail-type"] == "OrderRejected":
        refund(event["detail"])


def charge(order):
    who = {"order_id": order["order_id"], "customer_id": order["customer_id"], "amount": order["total"]}
    if order["payment"].get("token") in DECLINED_TOKENS:
        save(order["order_id"], "DECLINED", order["total"])
        publish("PaymentDeclined", {**who, "reason": "card declined"})
    else:
        save(order["order_id"], "PAID", order["total"])
        publish("PaymentSucceeded", {**who, "method": order["payment"]["method"], "order": order})


def refund(rejected):
    paid = dynamodb.get_item(TableName=TABLE, Key={"order_id": {"S": rejected["order_id"]}}).get("Item")
    if not paid or paid["status"]["S"] != "PAID":  # nothing to give back (or given back already)
        return
    save(rejected["order_id"], "REFUNDED", paid["amount"]["N"])
    publish("PaymentRefunded", {"order_id": rejected["order_id"], "customer_id": rejected["customer_id"],
                                "amount": float(paid["amount"]["N"]), "reason": rejected["reason"]})
