"""delete_if_exists lets a notebook cell that creates a resource run twice."""
from __future__ import annotations

import boto3
import pytest

import helpers


def test_delete_if_exists_removes_each_kind_and_tolerates_absence(lab):
    sqs, sns, events = boto3.client("sqs"), boto3.client("sns"), boto3.client("events")
    sqs.create_queue(QueueName="q")
    sns.create_topic(Name="t")
    events.create_event_bus(Name="bus")
    events.put_rule(Name="r", EventBusName="bus", EventPattern='{"source": ["x"]}')
    events.put_targets(Rule="r", EventBusName="bus", Targets=[{"Id": "1", "Arn": sns.list_topics()["Topics"][0]["TopicArn"]}])
    boto3.client("lambda").create_function(
        FunctionName="f", Runtime="python3.12", Role=lab.role_arn, Handler="lambda_function.handler",
        Code={"ZipFile": helpers.zip_code("def handler(e, c):\n    return 1\n")})
    for kind, name in [("function", "f"), ("queue", "q"), ("topic", "t"), ("bus", "bus")]:
        assert helpers.delete_if_exists(kind, name) is True
        assert helpers.delete_if_exists(kind, name) is False
    assert boto3.client("lambda").list_functions()["Functions"] == []
    with pytest.raises(ValueError, match="Unknown kind"):
        helpers.delete_if_exists("bucket", "b")
