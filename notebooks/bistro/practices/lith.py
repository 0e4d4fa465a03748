"""A Lambda-lith: every job of the bistro in one function, routed on event["job"]."""
import csv
import io
import json
import os
import statistics
import xml.dom.minidom  # the supplier's XML price list

import boto3

dynamodb, sqs, events, sns, s3 = (boto3.client(name) for name in ("dynamodb", "sqs", "events", "sns", "s3"))


def place_order(event):
    dynamodb.put_item(TableName=os.environ["ORDERS_TABLE"], Item={"order_id": {"S": event["order_id"]}})
    return {"placed": event["order_id"]}


def daily_report(event):
    totals = [float(t) for t in event["totals"]]
    out = io.StringIO()
    csv.writer(out).writerow([len(totals), statistics.mean(totals)])
    return {"report": out.getvalue().strip()}


def supplier_prices(event):
    return {"items": len(xml.dom.minidom.parseString(event["xml"]).getElementsByTagName("item"))}


JOBS = {"place_order": place_order, "daily_report": daily_report, "supplier_prices": supplier_prices}


def handler(event, context):
    return JOBS[event["job"]](event)
