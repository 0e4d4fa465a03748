"""Notebook 08's plumbing (helpers.bistro.practices) and its capstone check (helpers.checks.capstone),
without the notebook: the check passes the solution's design and names each plausible wrong one."""
from __future__ import annotations

import json

import boto3
import pandas as pd
import pytest

import helpers
from helpers.bistro import practices
from helpers.checks import capstone
from helpers.tables import story


def design(handler: str = "charge_once.py", visibility: str = "120", receives: str | None = "10",
           timeout: int = 10, entry_is_function: bool = False, layers: tuple[str, ...] = ()) -> str:
    """A takeaway design as a learner would build it in the exercise cell; returns its entry."""
    dlq_url, dlq_arn = practices.queue("takeaway-dlq")
    attributes = {"VisibilityTimeout": visibility}
    if receives:
        attributes["RedrivePolicy"] = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": receives})
    url, arn = practices.queue("takeaway-orders", **attributes)
    practices.function("takeaway", handler, timeout=timeout, layers=layers, CHARGES_TABLE=capstone.CHARGES_TABLE,
                       IDEMPOTENCY_TABLE=capstone.IDEMPOTENCY_TABLE)
    try:
        boto3.client("lambda").create_event_source_mapping(EventSourceArn=arn, FunctionName="takeaway")
    except boto3.client("lambda").exceptions.InvalidParameterValueException:
        pass                                               # the refusal the learner's cell would show
    return "takeaway" if entry_is_function else url


def test_the_solution_s_design_serves_every_order_once_and_parks_the_bad_one(lab: helpers.Lab) -> None:
    """aws-semantics.md 5 [L14] (redrive after maxReceiveCount) and 1.3 [L9] (visibility timeout): a
    queue that retries for 120 s × 10 outlasts the 10-minute outage; the order that always fails ends
    in the DLQ; duplicates from the app are charged once by the conditional write."""
    day = capstone.run_day(design())
    verdict = capstone.takeaway(day)
    assert verdict.passed, verdict
    assert day.count("served in time") == capstone.ORDERS - 1 and day.count("parked in the DLQ") == 1
    assert (day.orders["charges"] <= 1).all()
    assert day.orders.loc[f"tk-{capstone.POISON:03d}", "outcome"] == "parked in the DLQ"
    assert day.orders["in the outage"].sum() == 4
    assert verdict.message.startswith("39 orders charged once and in time, including the 4 placed during the outage")


def test_the_day_is_the_same_every_run(lab: helpers.Lab) -> None:
    """The same orders, outcomes and invocations on a second run; only the first day's cold starts
    (aws-semantics.md 2 [L20][L24]: init is billed) make its bill larger."""
    entry = design()
    first = capstone.run_day(entry)
    second = capstone.run_day(entry)
    pd.testing.assert_frame_equal(first.orders, second.orders)
    assert first.invocations == second.invocations and second.billed_ms < first.billed_ms


def test_the_untouched_cell_says_not_yet_with_a_hint(lab: helpers.Lab) -> None:
    """The exercise cell as shipped: the naive handler called synchronously by the app."""
    verdict = capstone.takeaway(capstone.run_day(design("charge_naive.py", entry_is_function=True)))
    assert not verdict.passed and "directly (synchronously)" in verdict.message
    assert "4 orders failed" in verdict.message and "Put a queue" in verdict.hint
    assert helpers.exercises.more_help("takeaway").startswith("The API to use:")
    assert "charge_once.py" in helpers.exercises.more_help("takeaway")


@pytest.mark.parametrize("settings, message, hint", [
    pytest.param(dict(receives=None), "the queue has no dead-letter queue: order tk-017", "RedrivePolicy",
                 id="no-dlq-so-the-bad-order-retries-all-day"),
    pytest.param(dict(visibility="30", receives="3"),
                 "4 orders placed during the 10-minute outage were parked in the DLQ: the queue gives up after "
                 "3 receives × 30 s = 90 s", "raise maxReceiveCount", id="gives-up-before-the-outage-ends"),
    pytest.param(dict(handler="charge_naive.py"), "3 orders were charged twice (tk-004, tk-011, tk-025)",
                 "charges each order once", id="no-idempotency-so-duplicates-double-charge"),
    pytest.param(dict(visibility="1500"), "missed their pickup: a visibility timeout of 1500 s",
                 "Shorten the visibility timeout", id="retries-too-far-apart"),
    pytest.param(dict(timeout=60, visibility="30"),
                 "no function reads the queue: all 40 orders are still waiting in it. (Lambda refuses a mapping "
                 "when the function's timeout, 60 s, is longer than the queue's visibility timeout, 30 s.)",
                 "Create the event source mapping", id="timeout-longer-than-visibility"),
])
def test_the_check_names_each_plausible_mistake(lab: helpers.Lab, settings: dict, message: str, hint: str) -> None:
    verdict = capstone.takeaway(capstone.run_day(design(**settings)))
    assert not verdict.passed
    assert message in verdict.message and hint in verdict.hint, str(verdict)


def test_powertools_idempotency_passes_the_day_too(lab: helpers.Lab) -> None:
    """Powertools' idempotency utility (a layer built from the PyPI package) charges each order once."""
    entry = design("charge_powertools.py", layers=(practices.powertools_layer(),))
    verdict = capstone.takeaway(capstone.run_day(entry))
    assert verdict.passed, verdict


def test_the_bill_uses_aws_lambda_prices(lab: helpers.Lab) -> None:
    """aws-semantics.md 3 [L23][L29]: \\$0.20 per million requests, \\$0.0000166667 per GB-second (x86)."""
    assert practices.usd_per_million(1000, memory_mb=1024) == round(0.20 + 16.6667, 2)
    frame = pd.DataFrame({"function": ["f", "f", None], "billed_ms": [500.0, 524.0, None]})
    bill = practices.bill(frame, memory_mb=1024)
    assert bill.loc["f", "invocations"] == 2 and bill.loc["f", "billed_ms"] == 1024
    assert bill.loc["f", "USD"] == pytest.approx(2 * 0.2e-6 + 1.024 * 0.0000166667, abs=1e-7)


def test_a_policy_allows_only_what_its_jobs_call() -> None:
    lith = practices.policy("place_order", "daily_report", "supplier_prices")
    assert [s["Action"] for s in practices.policy("place_order")["Statement"]] == ["dynamodb:PutItem"]
    assert len(lith["Statement"]) == 3 and all(s["Resource"] != "*" for s in lith["Statement"])


def test_the_audit_lists_each_asynchronous_edge_and_its_dlq(lab: helpers.Lab) -> None:
    dlq_arn = practices.queue("work-dlq")[1]
    _, arn = practices.queue("work", RedrivePolicy=json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "5"}))
    practices.function("worker", "pay.py")
    boto3.client("lambda").create_event_source_mapping(EventSourceArn=arn, FunctionName="worker")
    events = boto3.client("events")
    events.put_rule(Name="loose", EventPattern=json.dumps({"source": ["x"]}))
    events.put_targets(Rule="loose", Targets=[{"Id": "w", "Arn": arn}])
    boto3.client("cloudwatch").put_metric_alarm(
        AlarmName="a", Namespace="AWS/SQS", MetricName="ApproximateNumberOfMessagesVisible", Statistic="Maximum",
        Dimensions=[{"Name": "QueueName", "Value": "work-dlq"}], Period=60, EvaluationPeriods=1, Threshold=0,
        ComparisonOperator="GreaterThanThreshold")
    audit = practices.audit()
    assert audit.loc["queue work → worker"].tolist() == ["work-dlq", "yes"]
    assert audit.loc["rule loose → work"].tolist() == ["nowhere", "no"]


def test_a_stopped_recursive_loop_reads_as_such_in_a_trace_table(lab: helpers.Lab) -> None:
    """Lambda developer guide, recursive loop detection: an SQS loop is stopped after 16 invocations."""
    _, dlq_arn = practices.queue("in-dlq")
    url, arn = practices.queue("in", VisibilityTimeout="60", RedrivePolicy=json.dumps(
        {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "1"}))
    practices.function("mark-processed", "loop.py", OUTPUT_QUEUE=url)
    boto3.client("lambda").create_event_source_mapping(EventSourceArn=arn, FunctionName="mark-processed")
    boto3.client("sqs").send_message(QueueUrl=url, MessageBody="{}")
    lab.advance(minutes=3)
    table = story(lab.trace(service="lambda"), "step", "outcome")
    assert (table["step"] == "handler runs").sum() == 16
    assert table[table["step"] == "loop detected"]["outcome"].eq("stopped: not run").any()


def test_draw_design_keeps_only_the_design_s_resources(lab: helpers.Lab) -> None:
    entry = design()
    practices.queue("other")
    source = practices.draw_design("takeaway").source
    assert "takeaway-orders" in source and "takeaway-dlq" in source and "after 10 receives" in source
    assert "other" not in source and entry.endswith("takeaway-orders")


@pytest.mark.parametrize("entry", ["https://sqs.us-east-1.amazonaws.com/123456789012/no-such-queue", "no-such-function"])
def test_a_design_the_day_cannot_run_against_gets_a_verdict_not_an_error(lab: helpers.Lab, entry: str) -> None:
    day = capstone.run_day(entry)
    verdict = capstone.takeaway(day)
    assert not verdict.passed and "the day could not run against entry" in verdict.message
    assert "Set entry" in verdict.hint and int(day.summary.loc["lost", "the day"]) == 0
