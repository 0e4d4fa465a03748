"""Real-AWS mode's code path, run against the lab's own server ONLY (never AWS: the sandbox keeps
refusing real endpoints here, and a test checks that it does)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

import boto3
import pytest

import helpers
from helpers import realaws
from helpers.sandbox import SandboxEscapeError
from helpers.server import LabServer

KITCHEN = '''
def handler(event, context):
    return {"cooked": event.get("detail", event)}
'''


@pytest.fixture(scope="module")
def server() -> Iterator[LabServer]:
    running = helpers.serve()
    yield running
    running.stop()


def _app(server: LabServer, tmp_path: Path, resources: list[realaws.Resource]) -> realaws.Deployment:
    files = server.write_profile(tmp_path / "lab-aws")
    return realaws.Deployment(resources, profile="serverless-lab", region="us-east-1", enable=True,
                              endpoint_url=server.url, config_file=files["AWS_CONFIG_FILE"],
                              credentials_file=files["AWS_SHARED_CREDENTIALS_FILE"])


def _restaurant() -> list[realaws.Resource]:
    return [realaws.Rule("placed", pattern={"source": ["shop"]}, targets=["kitchen", "orders"]),
            realaws.StateMachine("flow", {"StartAt": "Cook", "States": {"Cook": {
                "Type": "Task", "Resource": "${kitchen}", "End": True}}}),
            realaws.Function("kitchen", KITCHEN),
            realaws.Queue("orders")]


def test_real_aws_mode_is_off_unless_turned_on_with_a_profile():
    with pytest.raises(realaws.RealAwsDisabled, match="enable=True"):
        realaws.Deployment([], profile="mine", region="eu-west-1")
    with pytest.raises(realaws.RealAwsDisabled, match="own AWS CLI profile"):
        realaws.Deployment([], profile="", region="eu-west-1", enable=True)


def test_it_refuses_to_reach_aws_from_a_kernel_running_the_lab(lab):
    """Principle 3 (design.md): with the lab on, nothing reaches AWS, not even on request."""
    with pytest.raises(realaws.RealAwsDisabled, match="fresh kernel"):
        realaws.Deployment([], profile="mine", region="eu-west-1", enable=True)


def test_even_with_the_switch_bypassed_nothing_leaves_the_machine(lab, tmp_path, server):
    """Real AWS's URL, in the lab's process: the mock answers it, the sandbox lets nothing out (design.md, Principles 3)."""
    config, credentials = tmp_path / "config", tmp_path / "credentials"
    config.write_text("[profile mine]\nregion = us-east-1\n")  # no endpoint_url: AWS's own
    credentials.write_text("[mine]\naws_access_key_id = testing\naws_secret_access_key = testing\n")
    app = realaws.Deployment([realaws.Queue("orders")], profile="mine", region="us-east-1", enable=True,
                             endpoint_url="http://unused", config_file=str(config), credentials_file=str(credentials))
    app.endpoint_url = None
    assert app.client("sqs").meta.endpoint_url == "https://sqs.us-east-1.amazonaws.com"
    with app.deploy(confirm=True):
        assert boto3.client("sqs").list_queues()["QueueUrls"][0].endswith(app.name("orders"))
    with pytest.raises(SandboxEscapeError):
        boto3.client("sqs", endpoint_url="https://example.invalid").list_queues()


def test_the_plan_lists_every_resource_and_an_estimate_at_list_prices(lab, tmp_path, server):
    """Prices: Lambda $0.20/M requests and $0.0000166667/GB-s (aws-semantics.md 3 [L23][L30]); Step Functions
    $0.025 per 1,000 transitions (6 [S3]); SQS $0.40/M requests [WS1]; EventBridge $1.00/M events [WS2]."""
    app = _app(server, tmp_path, _restaurant())
    plan = app.plan(runs=1000, duration_ms=100)
    for name in ("Queue spl-{id}-orders", "Function spl-{id}-kitchen (python3.12, 128 MB, 3 s)",
                 "StateMachine spl-{id}-flow (1 states, Standard)", "Rule spl-{id}-placed"):
        assert name.format(id=app.deployment_id) in plan
    assert f"tagged serverless-patterns-lab={app.deployment_id}" in plan
    lambda_cost = 1000 * (0.20 / 1e6 + 0.125 * 0.1 * 0.0000166667)
    expected = lambda_cost + 1000 * 3 * 0.40 / 1e6 + 1000 * 1.00 / 1e6 + 1000 * 2 * 0.025 / 1000
    assert app.estimate(1000, 100) == pytest.approx(expected) and f"${expected:.4f}" in plan


def test_without_confirm_nothing_is_created(lab, tmp_path, server, capsys):
    app = _app(server, tmp_path, _restaurant())
    app.deploy()
    assert app.created == [] and "Nothing was created" in capsys.readouterr().out
    assert boto3.client("lambda").list_functions()["Functions"] == []


def test_deploy_creates_tagged_wired_resources_then_removes_them_all(lab, tmp_path, server):
    """Deployed to the lab's server: a rule delivers to the function and the queue, the state machine
    calls the function; leaving the block removes every function, queue, rule, state machine and role."""
    app = _app(server, tmp_path, _restaurant())
    with app.deploy(confirm=True):
        lambda_ = app.client("lambda")
        tags = lambda_.list_tags(Resource=app.arn("kitchen"))["Tags"]
        assert tags == {"serverless-patterns-lab": app.deployment_id}
        app.client("events").put_events(Entries=[{"Source": "shop", "DetailType": "OrderPlaced", "Detail": '{"id": 1}'}])
        queue_url = next(c.name for c in app.created if c.kind == "queue")
        [message] = app.client("sqs").receive_message(QueueUrl=queue_url)["Messages"]
        assert json.loads(message["Body"])["detail"] == {"id": 1}
        execution = app.client("stepfunctions").start_execution(stateMachineArn=app.arn("flow"), input='{"n": 1}')
        lab.run_until_idle()
        described = app.client("stepfunctions").describe_execution(executionArn=execution["executionArn"])
        assert described["status"] == "SUCCEEDED" and json.loads(described["output"]) == {"cooked": {"n": 1}}
        assert len(app.leftovers()) == 6  # 4 resources and 2 roles
    assert app.created == [] and app.leftovers() == []


def test_a_failure_half_way_removes_what_was_already_created(lab, tmp_path, server):
    resources = [realaws.Queue("orders"), realaws.Function("kitchen", KITCHEN),
                 realaws.Rule("placed", pattern={"source": ["shop"]}, targets=["no-such-thing"])]
    app = _app(server, tmp_path, resources)
    with pytest.raises(KeyError, match="no-such-thing"):
        app.deploy(confirm=True)
    assert app.created == [] and app.leftovers() == []


def test_an_error_inside_the_block_still_removes_everything(lab, tmp_path, server):
    app = _app(server, tmp_path, [realaws.Queue("orders")])
    with pytest.raises(ZeroDivisionError):
        with app.deploy(confirm=True):
            assert app.leftovers() == [app.name("orders")]
            1 / 0
    assert app.leftovers() == []
