"""Payment context: charges an order's card and refunds it. Owns the bistro-payments table."""
import os
from decimal import Decimal

import boto3

payments = boto3.resource("dynamodb").Table(os.environ["PAYMENTS_TABLE"])


class PaymentDeclined(Exception):
    """The bank said no: trying again will not change its mind."""


class PaymentProviderTimeout(Exception):
    """The card provider did not answer in time: trying again may well work."""


def call_card_provider(charge_id, order):
    """The card provider (a stand-in): times out on the first PROVIDER_TIMEOUTS calls of each charge."""
    calls = payments.update_item(
        Key={"charge_id": charge_id}, UpdateExpression="ADD provider_calls :one",
        ExpressionAttributeValues={":one": 1}, ReturnValues="UPDATED_NEW")["Attributes"]["provider_calls"]
    if calls <= int(os.environ.get("PROVIDER_TIMEOUTS", "0")):
        raise PaymentProviderTimeout(f"no answer for {charge_id} (call {calls})")
    return not order["payment_will_decline"]


def charge(event, context):
    """Charge the order's total; `charge_id` is an idempotency key (one per execution)."""
    order, charge_id = event["order"], event["charge_id"]
    if not call_card_provider(charge_id, order):
        raise PaymentDeclined(f"card of {order['customer_id']} declined for {order['order_id']}")
    payments.update_item(
        Key={"charge_id": charge_id}, UpdateExpression="SET order_id = :o, amount = :a, #s = :s",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":o": order["order_id"], ":a": Decimal(str(order["total"])), ":s": "CHARGED"})
    print(f"CHARGED {order['order_id']} {order['total']}")
    return {"charge_id": charge_id, "amount": order["total"]}


def refund(event, context):
    """Compensation: give back what `charge_id` took, if anything (safe to run twice)."""
    charge_id = event["charge_id"]
    item = payments.get_item(Key={"charge_id": charge_id}).get("Item", {})
    if item.get("status") != "CHARGED":
        print(f"NOTHING TO REFUND {charge_id}")
        return {"refunded": 0}
    payments.update_item(Key={"charge_id": charge_id}, UpdateExpression="SET #s = :s",
                         ExpressionAttributeNames={"#s": "status"}, ExpressionAttributeValues={":s": "REFUNDED"})
    print(f"REFUNDED {item['order_id']} {item['amount']}")
    return {"refunded": float(item["amount"])}
