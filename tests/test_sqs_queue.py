"""SQS queues on their own: FIFO deduplication, long polling, visibility and counts on the lab's clock."""
from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

import helpers
from tests.queues import make_queue

FIFO = {"FifoQueue": "true"}


def _receive(url: str, **params) -> list[dict]:
    return boto3.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10, **params).get("Messages", [])


def _counts(url: str) -> tuple[int, int, int]:
    attributes = boto3.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return (int(attributes["ApproximateNumberOfMessages"]), int(attributes["ApproximateNumberOfMessagesNotVisible"]),
            int(attributes["ApproximateNumberOfMessagesDelayed"]))


def _elapsed(lab: helpers.Lab) -> float:
    return lab.clock.elapsed().total_seconds()


def test_fifo_deduplication_id_holds_for_five_minutes_even_after_the_first_copy_was_deleted(lab):
    """aws-semantics.md 5 [Q6]: duplicates sent within the 5-minute interval are accepted but not
    delivered, and "Amazon SQS continues tracking the deduplication ID even after the message has
    been received and deleted" (FIFO-key-terms)."""
    sqs = boto3.client("sqs")
    url, _ = make_queue("orders.fifo", **FIFO)
    sqs.send_message(QueueUrl=url, MessageBody="first", MessageGroupId="g", MessageDeduplicationId="o-1")
    [message] = _receive(url)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    lab.advance(minutes=4)
    answer = sqs.send_message(QueueUrl=url, MessageBody="again", MessageGroupId="g", MessageDeduplicationId="o-1")
    assert answer["MessageId"]  # accepted successfully...
    assert _receive(url) == []  # ...but not delivered
    lab.advance(minutes=1)  # 5 minutes after the first send: a new message
    sqs.send_message(QueueUrl=url, MessageBody="later", MessageGroupId="g", MessageDeduplicationId="o-1")
    assert [m["Body"] for m in _receive(url)] == ["later"]
    assert [h.action for h in lab.recorder.hops if h.service == "sqs" and h.action in ("send", "deduplicated")] == [
        "send", "deduplicated", "send"]


def test_content_based_deduplication_and_the_message_group_scope(lab):
    """aws-semantics.md 5 [Q6]: content-based deduplication hashes the body (SHA-256); with
    DeduplicationScope messageGroup the same id in another group is a different message
    (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/high-throughput-fifo.html)."""
    sqs = boto3.client("sqs")
    url, _ = make_queue("content.fifo", **FIFO, ContentBasedDeduplication="true")
    for group in ("a", "a", "b"):
        sqs.send_message(QueueUrl=url, MessageBody="same body", MessageGroupId=group)
    assert len(_receive(url)) == 1
    scoped, _ = make_queue("scoped.fifo", **FIFO, DeduplicationScope="messageGroup",
                           FifoThroughputLimit="perMessageGroupId")
    for group in ("a", "a", "b"):
        sqs.send_message(QueueUrl=scoped, MessageBody=group, MessageGroupId=group, MessageDeduplicationId="x")
    assert sorted(m["Body"] for m in _receive(scoped)) == ["a", "b"]


def test_long_polling_waits_on_the_virtual_clock_for_a_delayed_message(lab):
    """aws-semantics.md 5 [Q7]: ReceiveMessage with WaitTimeSeconds waits until a message is available
    (here after its 5 s delay) and returns it; the wait passes on the lab's clock."""
    sqs = boto3.client("sqs")
    url, _ = make_queue("slow")
    sqs.send_message(QueueUrl=url, MessageBody="late", DelaySeconds=5)
    assert _receive(url) == []
    assert [m["Body"] for m in _receive(url, WaitTimeSeconds=20)] == ["late"]
    assert _elapsed(lab) == 5


def test_long_polling_returns_empty_after_the_wait_and_a_message_visible_again_during_it(lab):
    """aws-semantics.md 5 [Q5][Q7]: an empty queue answers after the full wait; a received message
    whose visibility timeout runs out during the wait is returned then."""
    sqs = boto3.client("sqs")
    url, _ = make_queue("empty")
    assert _receive(url, WaitTimeSeconds=20) == []
    assert _elapsed(lab) == 20
    sqs.send_message(QueueUrl=url, MessageBody="retry me")
    assert len(_receive(url, VisibilityTimeout=7)) == 1
    [again] = _receive(url, WaitTimeSeconds=20)
    assert again["Body"] == "retry me" and _elapsed(lab) == 27


def test_the_queue_attribute_sets_the_default_wait(lab):
    """aws-semantics.md 5 [Q7]: ReceiveMessageWaitTimeSeconds on the queue applies when the call gives none."""
    url, _ = make_queue("patient", ReceiveMessageWaitTimeSeconds="10")
    assert _receive(url) == [] and _elapsed(lab) == 10


def test_long_polling_from_inside_a_handler_returns_at_once(lab):
    """The clock cannot move while it runs a handler: its long poll answers at once (empty)."""
    sqs, lambda_ = boto3.client("sqs"), boto3.client("lambda")
    url, _ = make_queue("inner")
    lambda_.create_function(
        FunctionName="poller", Runtime="python3.12", Role=lab.role_arn, Handler="lambda_function.handler",
        Code={"ZipFile": helpers.zip_code(
            "import boto3\ndef handler(event, context):\n"
            f"    return len(boto3.client('sqs').receive_message(QueueUrl='{url}', WaitTimeSeconds=20)"
            ".get('Messages', []))\n")})
    assert lambda_.invoke(FunctionName="poller")["Payload"].read() == b"0"
    lambda_.invoke(FunctionName="poller", InvocationType="Event")  # runs as the clock's own work
    assert _elapsed(lab) == 0
    assert [h.detail["report"].function_error for h in lab.recorder.hops if h.action == "invoke"] == [None, None]
    sqs.send_message(QueueUrl=url, MessageBody="still works")
    assert len(_receive(url)) == 1


def test_counts_follow_delays_visibility_and_deletes(lab):
    """aws-semantics.md 5 [Q4][Q5]: ApproximateNumberOfMessages / NotVisible / Delayed as messages
    wait out a delay, are received, reappear, and are deleted."""
    sqs = boto3.client("sqs")
    url, _ = make_queue("counted")
    sqs.send_message(QueueUrl=url, MessageBody="now")
    sqs.send_message(QueueUrl=url, MessageBody="soon", DelaySeconds=10)
    assert _counts(url) == (1, 0, 1)
    [first] = _receive(url, VisibilityTimeout=30)
    assert _counts(url) == (0, 1, 1)
    lab.advance(seconds=10)
    assert _counts(url) == (1, 1, 0)
    lab.advance(seconds=20)
    assert _counts(url) == (2, 0, 0)
    for message in _receive(url):
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    assert _counts(url) == (0, 0, 0)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=first["ReceiptHandle"])  # an older handle: still fine


def test_change_message_visibility_makes_a_message_visible_at_once_or_later(lab):
    """aws-semantics.md 5 [Q5]: ChangeMessageVisibility(0) makes it visible at once; a longer timeout
    counts from now."""
    sqs = boto3.client("sqs")
    url, _ = make_queue("visibility")
    sqs.send_message(QueueUrl=url, MessageBody="m")
    [message] = _receive(url)
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0)
    [message] = _receive(url)
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=100)
    lab.advance(seconds=99)
    assert _receive(url) == []
    lab.advance(seconds=1)
    assert len(_receive(url)) == 1


def test_a_fifo_group_waits_while_one_of_its_messages_is_in_flight(lab):
    """aws-semantics.md 5 [Q6b]: strict order within a MessageGroupId, one at a time; other groups flow."""
    sqs = boto3.client("sqs")
    url, _ = make_queue("groups.fifo", **FIFO, ContentBasedDeduplication="true")
    for body, group in (("a1", "a"), ("a2", "a"), ("b1", "b")):
        sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId=group)
    first = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1)["Messages"]
    assert [m["Body"] for m in first] == ["a1"]
    assert [m["Body"] for m in _receive(url)] == ["b1"]  # group a waits for a1
    sqs.delete_message(QueueUrl=url, ReceiptHandle=first[0]["ReceiptHandle"])
    assert [m["Body"] for m in _receive(url)] == ["a2"]


def test_purge_and_an_unknown_receipt_handle(lab):
    """PurgeQueue deletes every message; a receipt handle the queue never gave is ReceiptHandleIsInvalid
    (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_DeleteMessage.html)."""
    sqs = boto3.client("sqs")
    url, _ = make_queue("purged")
    sqs.send_message(QueueUrl=url, MessageBody="m")
    sqs.purge_queue(QueueUrl=url)
    assert _counts(url) == (0, 0, 0) and _receive(url) == []
    with pytest.raises(ClientError) as error:
        sqs.delete_message(QueueUrl=url, ReceiptHandle="not-a-handle")
    assert error.value.response["Error"]["Code"] == "ReceiptHandleIsInvalid"
