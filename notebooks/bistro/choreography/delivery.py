"""Delivery context: gives each prepared order to a courier of its region (OrderDispatched)."""
import json
import os
import zlib

import boto3

BUS, TABLE = os.environ["BUS_NAME"], os.environ["TABLE_NAME"]
COURIERS = ["Ana", "Bo", "Chidi", "Dana"]
events = boto3.client("events")
dynamodb = boto3.client("dynamodb")


def publish(detail_type, detail):
    response = events.put_events(Entries=[{"EventBusName": BUS, "Source": "bistro.delivery",
                                           "DetailType": detail_type, "Detail": json.dumps({"version": 1, **detail})}])
    if response["FailedEntryCount"]:
        raise RuntimeError(response["Entries"][0]["ErrorMessage"])


def handler(event, context):
    prepared = event["detail"]
    courier = COURIERS[zlib.crc32(prepared["order_id"].encode()) % len(COURIERS)]
    dynamodb.put_item(TableName=TABLE, Item={"order_id": {"S": prepared["order_id"]}, "courier": {"S": courier},
                                             "region": {"S": prepared["restaurant_region"]}})
    publish("OrderDispatched", {"order_id": prepared["order_id"], "customer_id": prepared["customer_id"],
                                "courier": courier, "eta_minutes": 25})
