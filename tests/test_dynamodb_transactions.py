"""TransactWriteItems in the lab: all or nothing, as on AWS, at a cost that does not grow with the tables.

AWS: "The actions are completed atomically so that either all of them succeed, or all of them
fail" (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html,
row D1 of the DynamoDB rows). moto backs up whole tables to undo a cancelled transaction; the lab
undoes only the items the transaction names (helpers/motoext/dynamodb.py), and these tests pin that
the result is the same.
"""
from __future__ import annotations

import copy

import boto3
import pytest

import helpers


def _table(dynamodb, name: str, range_key: bool = False, stream: bool = False) -> None:
    keys = [("pk", "HASH")] + ([("sk", "RANGE")] if range_key else [])
    extra = {"StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}} if stream else {}
    dynamodb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                          AttributeDefinitions=[{"AttributeName": k, "AttributeType": "S"} for k, _ in keys],
                          KeySchema=[{"AttributeName": k, "KeyType": role} for k, role in keys], **extra)


def _everything(dynamodb, *tables: str) -> dict[str, list]:
    return {name: sorted(dynamodb.scan(TableName=name)["Items"], key=str) for name in tables}


@pytest.fixture
def dynamodb(lab: helpers.Lab):
    client = boto3.client("dynamodb")
    _table(client, "stock", stream=True)
    _table(client, "tickets", range_key=True)
    client.put_item(TableName="stock", Item={"pk": {"S": "salmon"}, "portions": {"N": "2"}})
    client.put_item(TableName="stock", Item={"pk": {"S": "rice"}, "portions": {"N": "9"}})
    client.put_item(TableName="tickets", Item={"pk": {"S": "ord-1"}, "sk": {"S": "l1"}, "status": {"S": "OPEN"}})
    return client


def _take(item: str, quantity: int) -> dict:
    return {"Update": {"TableName": "stock", "Key": {"pk": {"S": item}}, "UpdateExpression": "ADD portions :n",
                       "ConditionExpression": "portions >= :q",
                       "ExpressionAttributeValues": {":n": {"N": str(-quantity)}, ":q": {"N": str(quantity)}}}}


def _ticket(order: str, line: str, new: bool = True) -> dict:
    put = {"TableName": "tickets", "Item": {"pk": {"S": order}, "sk": {"S": line}, "status": {"S": "COOKING"}}}
    return {"Put": put | ({"ConditionExpression": "attribute_not_exists(pk)"} if new else {})}


def test_a_cancelled_transaction_writes_nothing(dynamodb):
    """Writes made before the failing action (an update, a new item in a new partition, a delete)
    are all undone; the reasons name the failed action."""
    before = _everything(dynamodb, "stock", "tickets")
    items = [_take("rice", 3), _ticket("ord-2", "l1"), {"Delete": {"TableName": "tickets", "Key": {
        "pk": {"S": "ord-1"}, "sk": {"S": "l1"}}}}, _take("salmon", 5)]
    with pytest.raises(dynamodb.exceptions.TransactionCanceledException) as cancelled:
        dynamodb.transact_write_items(TransactItems=items)
    codes = [reason["Code"] for reason in cancelled.value.response["CancellationReasons"]]
    assert codes == ["None", "None", "None", "ConditionalCheckFailed"]
    assert _everything(dynamodb, "stock", "tickets") == before


def test_a_cancelled_transaction_leaves_no_stream_record(dynamodb):
    stream = dynamodb.describe_table(TableName="stock")["Table"]["LatestStreamArn"]
    streams = boto3.client("dynamodbstreams")
    shard = streams.describe_stream(StreamArn=stream)["StreamDescription"]["Shards"][0]["ShardId"]

    def records() -> list[str]:
        iterator = streams.get_shard_iterator(StreamArn=stream, ShardId=shard,
                                              ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        return [r["eventName"] for r in streams.get_records(ShardIterator=iterator)["Records"]]

    written = records()
    with pytest.raises(dynamodb.exceptions.TransactionCanceledException):
        dynamodb.transact_write_items(TransactItems=[_take("rice", 1), _take("salmon", 5)])
    assert records() == written
    dynamodb.transact_write_items(TransactItems=[_take("rice", 1), _take("salmon", 2)])
    assert records() == written + ["MODIFY", "MODIFY"]


def test_a_transaction_that_succeeds_writes_everything(dynamodb):
    dynamodb.transact_write_items(TransactItems=[_take("salmon", 2), _ticket("ord-2", "l1")])
    stock = dynamodb.get_item(TableName="stock", Key={"pk": {"S": "salmon"}})["Item"]
    assert stock["portions"] == {"N": "0"}
    assert dynamodb.get_item(TableName="tickets", Key={"pk": {"S": "ord-2"}, "sk": {"S": "l1"}})["Item"]["status"] == {
        "S": "COOKING"}


def test_refused_transactions_change_nothing_and_name_the_mistake(dynamodb):
    """Two actions on one item are refused (ValidationException); a failed condition cancels."""
    before = _everything(dynamodb, "stock", "tickets")
    with pytest.raises(dynamodb.exceptions.ClientError, match="multiple operations on one item"):
        dynamodb.transact_write_items(TransactItems=[_take("rice", 1), _take("rice", 2)])
    with pytest.raises(dynamodb.exceptions.TransactionCanceledException):
        dynamodb.transact_write_items(TransactItems=[_take("rice", 1), _ticket("ord-1", "l1")])
    assert _everything(dynamodb, "stock", "tickets") == before


def test_a_transaction_copies_only_the_items_it_names(dynamodb, monkeypatch):
    """Its cost does not grow with the tables: no table is deep-copied, whatever its size."""
    for index in range(50):
        dynamodb.put_item(TableName="tickets", Item={"pk": {"S": f"ord-{index}"}, "sk": {"S": "l1"}})
    copied = []
    real = copy.deepcopy

    def counting(value, memo=None):
        copied.append(type(value).__name__)
        return real(value, memo)

    monkeypatch.setattr(copy, "deepcopy", counting)
    dynamodb.transact_write_items(TransactItems=[_take("rice", 1), _ticket("ord-99", "l1")])
    assert copied.count("DynamoType") < 20    # the rice's attributes; a copy of the tickets' table: 200
    assert dynamodb.get_item(TableName="stock", Key={"pk": {"S": "rice"}})["Item"]["portions"] == {"N": "8"}
