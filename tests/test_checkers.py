"""Each exercise check names the mistake a plausible wrong attempt makes (issue 12's measured cases).

Each test builds the wrong attempt against the lab, runs the check, and asserts the message it gets
(and that the first-tier hint does not give the answer away).
"""
from __future__ import annotations

import json

import boto3
import pytest

import helpers
from helpers.checks import coupling, eventbridge, invocation
from helpers.exercises import more_help
from helpers.patterns import InvalidEventPattern, validate

FAILS_ON_WALLET = """
def handler(event, context):
    if event["payment_method"] == "wallet":
        raise RuntimeError("the wallet provider rejected the receipt")
"""


def deploy(lab, name: str, code: str) -> None:
    boto3.client("lambda").create_function(
        FunctionName=name, Runtime="python3.12", Role=lab.role_arn, Handler="lambda_function.handler",
        Code={"ZipFile": helpers.zip_code(code)})


def new_queue(name: str, **attributes: str) -> tuple[str, str]:
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


@pytest.fixture
def receipts(lab):
    deploy(lab, "send-receipt", FAILS_ON_WALLET)
    url, arn = new_queue("receipt-failures")
    boto3.client("lambda").put_function_event_invoke_config(
        FunctionName="send-receipt", DestinationConfig={"OnFailure": {"Destination": arn}})
    return url


def invoke_async(payment_method: str) -> None:
    boto3.client("lambda").invoke(FunctionName="send-receipt", InvocationType="Event", Payload=json.dumps(
        {"order_id": "ord-0001", "payment_method": payment_method}))


def test_an_order_that_does_not_fail_is_said_to_succeed_not_to_be_retrying(lab, receipts):
    invoke_async("card")
    lab.advance(minutes=3)
    verdict = invocation.on_failure_destination("send-receipt", receipts, "ord-0001")
    assert not verdict.passed
    assert "succeeded every time: the event succeeded, so nothing will retry" in verdict.message
    assert "still retrying" not in verdict.message and "wallet" in verdict.hint


def test_a_failing_order_before_its_retries_ran_is_still_retrying(lab, receipts):
    invoke_async("wallet")
    verdict = invocation.on_failure_destination("send-receipt", receipts, "ord-0001")
    assert "failed 1 of its 3 attempts so far: Lambda is still retrying" in verdict.message
    lab.advance(minutes=3)
    assert invocation.on_failure_destination("send-receipt", receipts, "ord-0001").passed


def test_a_synchronous_invoke_is_told_it_never_reaches_a_destination(lab, receipts):
    boto3.client("lambda").invoke(FunctionName="send-receipt", Payload=json.dumps(
        {"order_id": "ord-0001", "payment_method": "wallet"}))
    verdict = invocation.on_failure_destination("send-receipt", receipts, "ord-0001")
    assert "ran synchronously" in verdict.message and "InvocationType" in verdict.hint


AWARD_POINTS = """
import json

def handler(event, context):
    failures = []
    for record in event["Records"]:
        try:
            int(json.loads(record["body"])["total"])
        except Exception:
            failures.append({IDENTIFIER})
    return {"batchItemFailures": failures}
"""


def send_points_batch(lab, identifier: str) -> str:
    url, arn = new_queue("loyalty-points", VisibilityTimeout="30")
    deploy(lab, "award-points", AWARD_POINTS.replace("{IDENTIFIER}", identifier))
    boto3.client("lambda").create_event_source_mapping(
        EventSourceArn=arn, FunctionName="award-points", BatchSize=10,
        FunctionResponseTypes=["ReportBatchItemFailures"])
    bodies = [{"order_id": "ord-1", "total": 10}, {"order_id": "ord-broken", "total": "x"},
              {"order_id": "ord-2", "total": 20}]
    boto3.client("sqs").send_message_batch(QueueUrl=url, Entries=[
        {"Id": str(i), "MessageBody": json.dumps(body)} for i, body in enumerate(bodies)])
    lab.advance(seconds=30)
    return url


@pytest.mark.parametrize("identifier", [
    '{"itemIdentifier": json.loads(record["body"])["order_id"]}',    # the order id, not the message id
    'record["messageId"]',                                            # a bare string, not an object
])
def test_an_invalid_failure_report_is_named_as_such(lab, identifier):
    """aws-semantics.md 1.3 [L12][L16]: a wrong identifier or a wrong shape fails the whole batch."""
    verdict = invocation.partial_batch_failures("award-points", send_points_batch(lab, identifier))
    assert not verdict.passed
    assert "its failure report was invalid" in verdict.message and "itemIdentifier" in verdict.message
    assert "the handler raised" not in verdict.message


def test_a_valid_failure_report_passes(lab):
    url = send_points_batch(lab, '{"itemIdentifier": record["messageId"]}')
    assert invocation.partial_batch_failures("award-points", url).passed


def test_a_string_threshold_is_an_invalid_pattern_in_aws_words():
    """EventBridge refuses a numeric operand that is not a number: InvalidEventPatternException,
    "Event pattern is not valid. Reason: ..." (rows/ed2.md [E17]:
    github.com/aws-cloudformation/cloudformation-coverage-roadmap/issues/251)."""
    pattern = {"source": ["bistro.orders"], "detail-type": ["OrderPlaced"],
               "detail": {"restaurant_region": ["north"], "total": [{"numeric": [">", "50"]}]}}
    verdict = eventbridge.large_orders(pattern)
    assert not verdict.passed and "TypeError" not in verdict.message
    assert "InvalidEventPatternException: Event pattern is not valid. Reason: Value of > must be numeric" \
        in verdict.message
    assert "50, not \"50\"" in verdict.hint
    with pytest.raises(InvalidEventPattern):
        validate(json.dumps(pattern))


def test_the_large_orders_hint_comes_in_tiers():
    verdict = eventbridge.large_orders({"source": ["bistro.orders"], "detail-type": ["OrderPlaced"]})
    assert not verdict.passed and "numeric" not in verdict.hint
    assert more_help("large-orders").startswith("The API to use:")
    assert '"numeric": [">", 50]' in more_help("large-orders")


def test_the_dlq_made_the_target_itself_is_named(lab):
    events = boto3.client("events")
    events.create_event_bus(Name="bistro")
    events.put_rule(Name="kitchen-printer", EventBusName="bistro", EventPattern=json.dumps({"source": ["x"]}))
    _, dlq_arn = new_queue("bistro-dlq")
    events.put_targets(Rule="kitchen-printer", EventBusName="bistro", Targets=[{"Id": "printer", "Arn": dlq_arn}])
    verdict = eventbridge.dead_letter_queue("bistro", "kitchen-printer", "printer", "bistro-dlq")
    assert not verdict.passed
    assert "was made the target itself" in verdict.message and "lacks the attributes" not in verdict.message
    assert "DeadLetterConfig" in verdict.hint


SOUND_CHOICES = {"card-check": "sync", "ticket-printer": "queue", "new-teams": "bus"}


def test_a_reason_must_name_the_property_that_decides():
    words = coupling.choose_the_pattern(SOUND_CHOICES, {name: "a b c d" for name in SOUND_CHOICES})
    assert not words.passed and "does not name the property that decides it" in words.message
    assert "temporal coupling" in words.hint
    reasons = {"card-check": "the page must wait for the answer before it loads",
               "ticket-printer": "the queue buffers tickets through an hour's jam at the printer's pace",
               "new-teams": "each team adds its own rule and filters on content; the producer does not change"}
    assert coupling.choose_the_pattern(SOUND_CHOICES, reasons).passed


def test_a_topic_for_new_teams_fits_and_is_told_what_a_bus_adds():
    """A topic also fans out with filter policies (aws-semantics.md 5 [Q2]); the check must not fault it
    for a reason that applies to EventBridge too."""
    reasons = {"card-check": "the page must wait for the answer before it loads",
               "ticket-printer": "the queue buffers tickets through an hour's jam at the printer's pace",
               "new-teams": "the topic fans out to every team's subscription with a filter policy"}
    verdict = coupling.choose_the_pattern({**SOUND_CHOICES, "new-teams": "topic"}, reasons)
    assert verdict.passed and "topic fits too" in verdict.message and "archive and replay" in verdict.message
