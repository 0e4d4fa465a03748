"""Mark each order as processed: a copy-paste slip sends the result back to the queue it reads."""
import json
import os

import boto3

sqs = boto3.client("sqs")


def handler(event, context):
    for record in event["Records"]:
        order = json.loads(record["body"])
        sqs.send_message(QueueUrl=os.environ["OUTPUT_QUEUE"], MessageBody=json.dumps({**order, "processed": True}))
