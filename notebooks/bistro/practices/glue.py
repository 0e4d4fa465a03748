"""A glue function: it only reshapes an OrderPlaced event and forwards it to the kitchen's queue."""
import json
import os

import boto3

sqs = boto3.client("sqs")


def handler(event, context):
    ticket = {"order": event["detail"]["order_id"], "lines": event["detail"]["items"]}
    sqs.send_message(QueueUrl=os.environ["KITCHEN_QUEUE"], MessageBody=json.dumps(ticket))
