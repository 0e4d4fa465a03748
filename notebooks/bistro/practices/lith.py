"""A Lambda-lith: every job of the bistro in one function, routed on event["job"]."""
import csv
import io
import json
import os
import statistics
import xml.dom.minidom  # the supplier's XML price list

import boto3

dynamodb, s3, events = boto3.client("dynamodb"), boto3.client("s3"), boto3.client("events")


def place_order(event):
    dynamodb.put_item(TableName=os.environ["ORDERS_TABLE"], Item={"order_id": {"S": event["order_id"]}})
    return {"placed": event["order_id"]}


def daily_report(event):
    totals = [float(t) for t in event["totals"]]
    out = io.StringIO()
    csv.writer(out).writerow([len(totals), statistics.mean(totals)])
    s3.put_object(Bucket=os.environ["REPORTS_BUCKET"], Key=f"{event['day']}.csv", Body=out.getvalue())
    return {"report": out.getvalue().strip()}


def supplier_prices(event):
    items = xml.dom.minidom.parseString(event["xml"]).getElementsByTagName("item")
    events.put_events(Entries=[{"Source": "bistro.suppliers", "DetailType": "PricesReceived",
                                "Detail": json.dumps({"items": len(items)})}])
    return {"items": len(items)}


JOBS = {"place_order": place_order, "daily_report": daily_report, "supplier_prices": supplier_prices}


def handler(event, context):
    return JOBS[event["job"]](event)
