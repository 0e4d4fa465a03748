"""Publish each new outbox record (from the outbox table's stream) to EventBridge."""
import os

import boto3

events = boto3.client("events")


def handler(event, context):
    entries = [{"Source": "bistro.orders", "EventBusName": os.environ["BUS"],
                "DetailType": r["dynamodb"]["NewImage"]["detail_type"]["S"],
                "Detail": r["dynamodb"]["NewImage"]["detail"]["S"]}
               for r in event["Records"] if r["eventName"] == "INSERT"]
    for start in range(0, len(entries), 10):  # PutEvents takes up to 10 entries
        events.put_events(Entries=entries[start:start + 10])
