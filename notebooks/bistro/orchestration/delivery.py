"""Delivery context: offers the order to a courier and keeps the task token until the courier answers.
Owns the bistro-deliveries table; the courier's app reads it and calls SendTaskSuccess."""
import os

import boto3

deliveries = boto3.resource("dynamodb").Table(os.environ["DELIVERIES_TABLE"])
COURIERS = {"north": "Noor", "south": "Sam", "east": "Eva", "west": "Wes"}


def dispatch(event, context):
    """Offer the order to the region's courier; Step Functions waits until the token comes back."""
    courier = COURIERS[event["region"]]
    deliveries.put_item(Item={"order_id": event["order_id"], "courier": courier, "status": "OFFERED",
                              "task_token": event["task_token"]})
    print(f"OFFERED {event['order_id']} to {courier}")
    return {"offered_to": courier}
