# Exercise 2: a solution.
AWARD_POINTS = """
import json

def handler(event, context):
    failures = []
    for record in event["Records"]:
        try:
            order = json.loads(record["body"])
            points = int(order["total"])
            print(f"{points} points to {order['customer_id']} for {order['order_id']}")
        except Exception as error:
            print(f"cannot award points for message {record['messageId']}: {error!r}")
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}
"""
POINTS_MAPPING = {"BatchSize": 10, "FunctionResponseTypes": ["ReportBatchItemFailures"]}
