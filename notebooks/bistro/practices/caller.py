"""Lambda calling Lambda synchronously: the order function waits for the payment function."""
import json

import boto3

lambda_ = boto3.client("lambda")


def handler(event, context):
    response = lambda_.invoke(FunctionName="pay", Payload=json.dumps(event))  # waits, and bills, meanwhile
    if "FunctionError" in response:
        raise RuntimeError(f"payment failed: {response['Payload'].read().decode()}")
    return {"order": event["order_id"], "payment": json.loads(response["Payload"].read())}
