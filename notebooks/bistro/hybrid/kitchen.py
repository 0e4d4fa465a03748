"""Kitchen context, hybrid design: the tasks of the kitchen's own state machine (kitchen.asl.json).

The other contexts still see only events on the bus. Inside the kitchen, the state machine decides
the order of the steps, retries a line that fails and publishes the kitchen's facts (OrderPrepared,
OrderRejected); this code only does each step. Owns the kitchen table, as in notebook 04: one row per
menu item (portions left) and one ticket per order.
"""
import os

import boto3

TABLE = os.environ["TABLE_NAME"]
dynamodb = boto3.client("dynamodb")


def portions(line, sign):
    """Take (sign -1) or give back (+1) a line's portions; taking needs enough left."""
    update = {"TableName": TABLE, "Key": {"id": {"S": line["item_id"]}}, "UpdateExpression": "ADD portions :n",
              "ExpressionAttributeValues": {":n": {"N": str(sign * line["quantity"])}}}
    if sign < 0:
        update |= {"ConditionExpression": "portions >= :needed",
                   "ExpressionAttributeValues": {":n": {"N": str(-line["quantity"])},
                                                 ":needed": {"N": str(line["quantity"])}}}
    return {"Update": update}


def ticket(order_id, status, new=True):
    put = {"TableName": TABLE, "Item": {"id": {"S": order_id}, "ticket": {"S": status}}}
    return {"Put": put | ({"ConditionExpression": "attribute_not_exists(id)"} if new else {})}


def take_portions(order, context):
    """Take every line's portions and open the order's ticket, all or nothing."""
    try:
        dynamodb.transact_write_items(TransactItems=[portions(line, -1) for line in order["items"]]
                                      + [ticket(order["order_id"], "COOKING")])
    except dynamodb.exceptions.TransactionCanceledException as error:
        failed = [reason["Code"] == "ConditionalCheckFailed" for reason in error.response["CancellationReasons"]]
        if failed[-1]:
            return {"status": "DUPLICATE", "item_id": None}   # a ticket exists: this order was handled already
        return {"status": "OUT_OF_STOCK", "item_id": order["items"][failed.index(True)]["item_id"]}
    return {"status": "TAKEN", "item_id": None}


def prepare_line(event, context):
    """Cook one line of the order."""
    line = event["line"]
    print(f"COOKED {event['order_id']} {line['quantity']} x {line['name']}")
    return {"item_id": line["item_id"]}


def give_back(order, context):
    """Compensation: return the order's portions and mark its ticket REJECTED."""
    dynamodb.transact_write_items(TransactItems=[portions(line, +1) for line in order["items"]]
                                  + [ticket(order["order_id"], "REJECTED", new=False)])
    return {"given_back": len(order["items"])}
