"""One function, one job: place an order."""
import os

import boto3

dynamodb = boto3.client("dynamodb")


def handler(event, context):
    dynamodb.put_item(TableName=os.environ["ORDERS_TABLE"], Item={"order_id": {"S": event["order_id"]}})
    return {"placed": event["order_id"]}
