"""Server mode: the real AWS CLI, in a process of its own, against the lab served on 127.0.0.1.

Each test drives `aws` (a subprocess whose only configuration is the lab-written profile and fake
keys) and checks what AWS would answer; the lab's clock moves through `POST /lab-api/advance`.
"""
from __future__ import annotations

import base64
import http.server
import json
import os
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Iterator

import boto3
import pytest

import helpers
from helpers.diagrams.inventory import read_inventory
from helpers.endpoint import Endpoint, EndpointError
from helpers.endpoint.inventory import read_inventory_via_api
from helpers.endpoint.reports import report_frame
from helpers.server import HOST, LabServer
from helpers.server.operations import ApiCall, identify
from tests.awscli import ROOT, AwsCli

ECHO = '''
import json

def handler(event, context):
    print("got", json.dumps(event))
    if event.get("fail"):
        raise ValueError("asked to fail")
    return {"echo": event}
'''
FORWARD = '''
import json, os
import boto3

def handler(event, context):
    boto3.client("sqs").send_message(QueueUrl=os.environ["QUEUE_URL"], MessageBody=json.dumps(event))
    return "forwarded"
'''


@pytest.fixture(scope="module")
def server() -> Iterator[LabServer]:
    running = helpers.serve()
    yield running
    running.stop()


@pytest.fixture
def aws(server: LabServer, lab: helpers.Lab, tmp_path: Path) -> AwsCli:
    return AwsCli(server.write_profile(tmp_path / "lab-aws"), tmp_path / "home", server.url)


def lab_api(server: LabServer, method: str, action: str, body: dict[str, Any] | None = None) -> Any:
    data = json.dumps(body).encode() if body is not None else (b"" if method == "POST" else None)
    request = urllib.request.Request(f"{server.url}/lab-api/{action}", data=data, method=method)
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def deploy(aws: AwsCli, lab: helpers.Lab, tmp_path: Path, name: str, code: str, **environment: str) -> None:
    package = tmp_path / f"{name}.zip"
    package.write_bytes(helpers.zip_code(code))
    args = ["lambda", "create-function", "--function-name", name, "--runtime", "python3.12",
            "--role", lab.role_arn, "--handler", "lambda_function.handler", "--zip-file", f"fileb://{package}"]
    if environment:
        args += ["--environment", json.dumps({"Variables": environment})]
    assert aws(*args)["FunctionName"] == name


def create_queue(aws: AwsCli, name: str) -> tuple[str, str]:
    url = aws("sqs", "create-queue", "--queue-name", name)["QueueUrl"]
    arn = aws("sqs", "get-queue-attributes", "--queue-url", url, "--attribute-names", "QueueArn")
    return url, arn["Attributes"]["QueueArn"]


def bodies(aws: AwsCli, queue_url: str) -> list[str]:
    answer = aws("sqs", "receive-message", "--queue-url", queue_url, "--max-number-of-messages", "10")
    return [message["Body"] for message in (answer or {}).get("Messages", [])]


def test_the_server_listens_on_loopback_only(server: LabServer):
    """Nothing outside this machine can reach the lab (design.md, Principles 3)."""
    assert server.url.startswith(f"http://{HOST}:") and HOST == "127.0.0.1"


def test_the_cli_deploys_a_zip_and_invokes_it_synchronously(aws, lab, tmp_path):
    """RequestResponse: 200, the handler's result, and LogType=Tail's base64 log ending in REPORT
    (aws-semantics.md 1.1, Status code and Log tail [L4][L8])."""
    deploy(aws, lab, tmp_path, "echo", ECHO)
    out = tmp_path / "out.json"
    answer = aws("lambda", "invoke", "--function-name", "echo", "--payload", '{"n": 1}', "--log-type", "Tail", str(out))
    assert answer["StatusCode"] == 200 and "FunctionError" not in answer
    assert json.loads(out.read_text()) == {"echo": {"n": 1}}
    log = base64.b64decode(answer["LogResult"]).decode()
    assert 'got {"n": 1}' in log and "REPORT RequestId:" in log


def test_an_uncaught_error_comes_back_unhandled_through_the_cli(aws, lab, tmp_path):
    """A raised exception: still 200, FunctionError Unhandled, AWS's error payload (aws-semantics.md 1.1 [L6])."""
    deploy(aws, lab, tmp_path, "echo", ECHO)
    out = tmp_path / "out.json"
    answer = aws("lambda", "invoke", "--function-name", "echo", "--payload", '{"fail": true}', str(out))
    assert answer["StatusCode"] == 200 and answer["FunctionError"] == "Unhandled"
    assert json.loads(out.read_text())["errorType"] == "ValueError"


def test_an_async_invoke_returns_202_and_retries_on_the_lab_clock(aws, server, lab, tmp_path):
    """Event: 202 with an empty body; a failing function is tried again 1 and then 2 minutes later
    (aws-semantics.md 1.2 [L1][L2]); the clock moves through the lab's HTTP endpoint."""
    deploy(aws, lab, tmp_path, "echo", ECHO)
    out = tmp_path / "out.json"
    answer = aws("lambda", "invoke", "--function-name", "echo", "--invocation-type", "Event",
                 "--payload", '{"fail": true}', str(out))
    assert answer["StatusCode"] == 202 and out.read_bytes() == b""

    def attempts() -> int:
        return len(lab.trace(service="lambda").query("action == 'invoke'"))

    assert attempts() == 1  # the first attempt ran before the CLI's call returned
    assert lab_api(server, "POST", "advance", {"seconds": 59})["now"].endswith("09:00:59+00:00")
    assert attempts() == 1
    lab_api(server, "POST", "advance", {"seconds": 1})
    assert attempts() == 2
    lab_api(server, "POST", "advance", {"minutes": 2})
    assert attempts() == 3


def test_a_handlers_own_boto3_calls_reach_the_served_account(aws, lab, tmp_path):
    """A handler deployed by the CLI runs in the lab; what it sends, the CLI reads (design.md, The Lambda runtime)."""
    queue_url, _ = create_queue(aws, "forwarded")
    deploy(aws, lab, tmp_path, "forward", FORWARD, QUEUE_URL=queue_url)
    aws("lambda", "invoke", "--function-name", "forward", "--invocation-type", "Event",
        "--payload", '{"order": 7}', str(tmp_path / "out.json"))
    assert bodies(aws, queue_url) == ['{"order": 7}']


def test_put_events_delivers_to_a_queue_the_cli_reads(aws, lab):
    """A rule matching the event sends it, in EventBridge's envelope, to its SQS target (aws-semantics.md 4 [E1][E4])."""
    queue_url, queue_arn = create_queue(aws, "orders")
    aws("events", "put-rule", "--name", "orders", "--event-pattern", json.dumps({"source": ["shop"]}))
    aws("events", "put-targets", "--rule", "orders", "--targets", json.dumps([{"Id": "q", "Arn": queue_arn}]))
    entries = [{"Source": "shop", "DetailType": "OrderPlaced", "Detail": '{"id": 1}'},
               {"Source": "other", "DetailType": "OrderPlaced", "Detail": '{"id": 2}'}]
    assert aws("events", "put-events", "--entries", json.dumps(entries))["FailedEntryCount"] == 0
    [body] = bodies(aws, queue_url)
    event = json.loads(body)
    assert event["detail"] == {"id": 1} and event["account"] == lab.account_id and event["version"] == "0"


def test_an_execution_waits_on_the_lab_clock_until_advanced_over_http(aws, server, lab, tmp_path):
    """A Wait of an hour passes only when the clock is advanced, then the Task invokes the function
    (aws-semantics.md 6, States [S9])."""
    deploy(aws, lab, tmp_path, "echo", ECHO)
    function_arn = f"arn:aws:lambda:{lab.region}:{lab.account_id}:function:echo"
    definition = {"StartAt": "Wait", "States": {
        "Wait": {"Type": "Wait", "Seconds": 3600, "Next": "Echo"},
        "Echo": {"Type": "Task", "Resource": function_arn, "End": True}}}
    machine = aws("stepfunctions", "create-state-machine", "--name", "later", "--role-arn", lab.role_arn,
                  "--definition", json.dumps(definition))["stateMachineArn"]
    execution = aws("stepfunctions", "start-execution", "--state-machine-arn", machine,
                    "--input", '{"n": 5}')["executionArn"]
    assert aws("stepfunctions", "describe-execution", "--execution-arn", execution)["status"] == "RUNNING"
    lab_api(server, "POST", "advance", {"hours": 1})
    described = aws("stepfunctions", "describe-execution", "--execution-arn", execution)
    assert described["status"] == "SUCCEEDED" and json.loads(described["output"]) == {"echo": {"n": 5}}


def test_the_cli_reads_the_functions_logs(aws, lab, tmp_path):
    """print goes to CloudWatch Logs between START and END, followed by REPORT (design.md, The Lambda runtime)."""
    deploy(aws, lab, tmp_path, "echo", ECHO)
    aws("lambda", "invoke", "--function-name", "echo", "--payload", '{"n": 2}', str(tmp_path / "out.json"))
    events = aws("logs", "filter-log-events", "--log-group-name", "/aws/lambda/echo")["events"]
    messages = [event["message"].split(" RequestId")[0] for event in events]
    assert messages == ["START", 'got {"n": 2}', "END", "REPORT"]


def test_the_notebook_and_the_cli_see_one_account_and_one_trace(aws, lab):
    """What the notebook creates the CLI lists, and the CLI's calls are hops of the lab's trace."""
    boto3.client("sqs").create_queue(QueueName="from-the-notebook")
    urls = aws("sqs", "list-queues")["QueueUrls"]
    assert urls == [f"https://sqs.{lab.region}.amazonaws.com/{lab.account_id}/from-the-notebook"]
    calls = lab.trace(setup=True)
    assert [(row.service, row.action) for row in calls.itertuples()] == [("sqs", "CreateQueue"), ("sqs", "ListQueues")]


def test_the_profile_alone_reaches_the_lab(server, lab, tmp_path):
    """`aws --profile serverless-lab` finds the endpoint in the lab-written config; ~/.aws is never written."""
    files = server.write_profile(tmp_path / "lab-aws")
    home = tmp_path / "home"
    cli = AwsCli(files, home, endpoint_url=None)
    assert cli("lambda", "list-functions") == {"Functions": []}
    assert "endpoint_url = " + server.url in Path(files["AWS_CONFIG_FILE"]).read_text()
    assert not (home / ".aws").exists()


def test_the_lab_api_resets_reads_the_clock_and_the_trace(aws, server, lab):
    """reset, now and trace are the notebook's `lab.reset()`, `lab.now()` and `lab.trace()` over HTTP."""
    aws("sqs", "create-queue", "--queue-name", "gone-after-reset")
    lab_api(server, "POST", "advance", {"minutes": 5})
    rows = lab_api(server, "GET", "trace?setup=true")
    assert [(row["service"], row["action"], row["caller"]) for row in rows] == [("sqs", "CreateQueue", "client")]
    assert lab_api(server, "POST", "reset") == {"now": "2026-01-05T09:00:00+00:00", "pending": 0}
    assert aws("sqs", "list-queues") is None or aws("sqs", "list-queues").get("QueueUrls", []) == []
    assert lab_api(server, "GET", "now")["now"] == "2026-01-05T09:00:00+00:00"


def test_the_lab_api_answers_a_bad_request_in_words(server, lab):
    """A clock moved backwards or an unknown endpoint gets a clear error, and the lab stays usable."""
    with pytest.raises(urllib.error.HTTPError) as backwards:
        lab_api(server, "POST", "advance", {"seconds": -1})
    assert backwards.value.code == 400 and b"only moves forward" in backwards.value.read()
    with pytest.raises(urllib.error.HTTPError) as unknown:
        lab_api(server, "POST", "teleport", {})
    assert unknown.value.code == 404
    assert lab_api(server, "POST", "advance", {"seconds": 1})["now"].endswith("09:00:01+00:00")


# -- endpoint mode: the lab's helpers against an AWS-compatible endpoint (the lab's server standing in for LocalStack)

WIRED_MACHINE = {"StartAt": "Echo", "States": {"Echo": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                                                         "Parameters": {"FunctionName": "echo"}, "End": True}}}


def _wire_a_little_of_everything(ep: Endpoint) -> None:
    sqs, sns, events, lambda_ = (ep.client(s) for s in ("sqs", "sns", "events", "lambda"))
    dlq = sqs.create_queue(QueueName="dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    work = sqs.create_queue(QueueName="work", Attributes={"RedrivePolicy": json.dumps(
        {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "3"})})["QueueUrl"]
    work_arn = sqs.get_queue_attributes(QueueUrl=work, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    topic = sns.create_topic(Name="orders")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=work_arn,
                  Attributes={"FilterPolicy": json.dumps({"kind": ["paid"]}), "RawMessageDelivery": "true"})
    function_arn = ep.deploy("echo", ECHO)["FunctionArn"]
    lambda_.put_function_event_invoke_config(FunctionName="echo", DestinationConfig={"OnFailure": {"Destination": dlq_arn}})
    lambda_.create_event_source_mapping(EventSourceArn=work_arn, FunctionName="echo", BatchSize=5)
    events.create_event_bus(Name="shop")
    events.put_rule(Name="placed", EventBusName="shop", EventPattern=json.dumps({"source": ["shop"]}))
    events.put_targets(Rule="placed", EventBusName="shop", Targets=[
        {"Id": "fn", "Arn": function_arn, "DeadLetterConfig": {"Arn": dlq_arn}}])
    ep.client("stepfunctions").create_state_machine(name="flow", roleArn=ep.role_arn,
                                                    definition=json.dumps(WIRED_MACHINE))
    ep.client("dynamodb").create_table(
        TableName="orders", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})
    ep.client("kinesis").create_stream(StreamName="clicks", ShardCount=1)


@pytest.fixture
def endpoint(server: LabServer, lab: helpers.Lab) -> Endpoint:
    return Endpoint(server.url)


def test_the_endpoint_inventory_read_through_the_api_is_the_labs_own(endpoint, lab):
    """Diagrams drawn from what an endpoint holds (List/Describe calls) show what the lab's own drawing shows."""
    _wire_a_little_of_everything(endpoint)
    via_api = read_inventory_via_api(endpoint.client, lab.account_id, lab.region)
    direct = read_inventory(lab.account_id, lab.region)
    assert {(r.arn, r.kind, r.name, tuple(r.notes), r.group, r.missing) for r in via_api.resources.values()} == {
        (r.arn, r.kind, r.name, tuple(r.notes), r.group, r.missing) for r in direct.resources.values()}
    assert sorted(via_api.links, key=repr) == sorted(direct.links, key=repr)
    assert len(via_api.resources) == 9
    assert endpoint.draw_architecture().source == helpers.draw_architecture(lab).source


def test_deploy_creates_then_updates_a_function_at_the_endpoint(endpoint, lab, tmp_path):
    """`deploy` zips handler code like `helpers.zip_code` and creates the function, or replaces its code."""
    assert endpoint.deploy("greet", "def handler(event, context):\n    return 'hello'\n")["State"] == "Active"
    endpoint.deploy("greet", "def handler(event, context):\n    return 'hello again'\n")
    answer = endpoint.client("lambda").invoke(FunctionName="greet")
    assert json.loads(answer["Payload"].read()) == "hello again"


def test_where_only_logs_can_be_read_the_trace_is_the_report_lines(endpoint, lab):
    """An emulator without the lab's recorder: one row per invocation from REPORT lines, the first one cold
    (https://docs.aws.amazon.com/lambda/latest/dg/python-logging.html)."""
    endpoint.deploy("echo", ECHO)
    for n in (1, 2):
        endpoint.client("lambda").invoke(FunctionName="echo", Payload=json.dumps({"n": n}))
    frame = report_frame(endpoint.client)
    assert list(frame["function"]) == ["echo", "echo"] and list(frame["cold"]) == [True, False]
    assert frame["billed_ms"].ge(1).all() and frame["memory_mb"].eq(128).all()


def test_a_script_in_another_process_connects_deploys_advances_and_reads_the_trace(server, lab, tmp_path):
    """`helpers.connect(url)` in a separate process: plain boto3 calls reach the served lab, and the
    async retry 1 minute later (aws-semantics.md 1.2 [L1]) shows in the lab's trace read over HTTP."""
    script = tmp_path / "script.py"
    script.write_text(f'''
import json, boto3, helpers
ep = helpers.connect("{server.url}")
ep.deploy("echo", {ECHO!r})
boto3.client("lambda").invoke(FunctionName="echo", InvocationType="Event", Payload=json.dumps({{"fail": True}}))
ep.advance(minutes=1)
rows = ep.trace(service="lambda")
print(json.dumps([[row["action"], row["t"]] for _, row in rows.iterrows()]))
''')
    environment = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120,
                          env={**environment, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout.strip().splitlines()[-1])
    assert ["invoke", 0.0] in rows and ["invoke", 60.0] in rows and ["Invoke", 0.0] in rows


def test_an_endpoint_without_the_labs_clock_says_so(tmp_path):
    """Advancing time at an emulator that runs on real time is a clear error, not a silent no-op."""
    with http.server.HTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler) as plain:
        thread = threading.Thread(target=plain.handle_request, daemon=True)
        thread.start()
        with pytest.raises(EndpointError, match="not the lab's server"):
            Endpoint(f"http://127.0.0.1:{plain.server_address[1]}").advance(seconds=1)
        thread.join()


@pytest.mark.parametrize("url", ["https://lambda.us-east-1.amazonaws.com", "https://sqs.eu-west-1.api.aws"])
def test_endpoint_mode_refuses_aws_itself(url):
    """Nothing reaches AWS unless the learner turns real-AWS mode on (design.md, Principles 3)."""
    with pytest.raises(ValueError, match="helpers.realaws"):
        helpers.connect(url)


def test_an_unexpected_error_answers_500_and_the_server_keeps_serving(endpoint, monkeypatch):
    """One request that breaks inside the lab gets InternalFailure; the next one is served as usual."""
    from botocore.config import Config
    from botocore.exceptions import ClientError

    import helpers.server.app as app

    sqs = endpoint.session.client("sqs", endpoint_url=endpoint.url, config=Config(retries={"max_attempts": 1}))
    with monkeypatch.context() as patched:
        patched.setattr(app, "botocore_stubber", SimpleNamespace(process_request=lambda request: 1 / 0))
        with pytest.raises(ClientError, match="InternalFailure"):
            sqs.list_queues()
    assert sqs.create_queue(QueueName="still-here")["QueueUrl"].endswith("/still-here")


def _notebook(*sources: str) -> Any:
    import nbformat

    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in sources])


@pytest.mark.notebooks
def test_a_serving_notebook_runs_the_cli_in_a_cell(tmp_path):
    """`helpers.serve()` in a kernel: a `!aws ...` cell reaches the kernel's own lab while the cell waits."""
    from tests.awscli import cli_path
    from tests.notebook_runner import execute, text_of

    nb = execute(_notebook(
        "import boto3, helpers\nlab = helpers.start()\nserver = helpers.serve()",
        f"!{cli_path()} --endpoint-url {{server.url}} sqs create-queue --queue-name from-a-cell",
        "print(boto3.client('sqs').list_queues()['QueueUrls'])"), tmp_path)
    assert "['https://sqs.us-east-1.amazonaws.com/123456789012/from-a-cell']" in text_of(nb)


@pytest.mark.notebooks
def test_a_second_notebook_works_on_the_served_account(server, lab, tmp_path):
    """Another kernel connects, creates a queue with plain boto3 and moves the clock: the serving lab sees both."""
    from tests.notebook_runner import execute

    execute(_notebook(f"import boto3, helpers\nep = helpers.connect({server.url!r})",
                      "boto3.client('sqs').create_queue(QueueName='from-notebook-2')", "ep.advance(minutes=1)"), tmp_path)
    assert boto3.client("sqs").list_queues()["QueueUrls"][0].endswith("/from-notebook-2")
    assert lab.now().isoformat() == "2026-01-05T09:01:00+00:00"


def _signed(service: str) -> dict[str, str]:
    return {"authorization": f"AWS4-HMAC-SHA256 Credential=testing/20260105/us-east-1/{service}/aws4_request, "
                             "SignedHeaders=host, Signature=0"}


@pytest.mark.parametrize(("method", "path", "query", "headers", "body", "expected"), [
    ("POST", "/2015-03-31/functions/echo/invocations", "", _signed("lambda"), b'{"n": 1}',
     ApiCall("lambda", "Invoke", {"FunctionName": "echo"})),
    ("GET", "/2015-03-31/functions/echo/configuration", "Qualifier=live", _signed("lambda"), b"",
     ApiCall("lambda", "GetFunctionConfiguration", {"FunctionName": "echo", "Qualifier": "live"})),
    ("POST", "/", "", {**_signed("sns"), "content-type": "application/x-www-form-urlencoded"},
     b"Action=Publish&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A123456789012%3Aorders&Message=hi",
     ApiCall("sns", "Publish", {"TopicArn": "arn:aws:sns:us-east-1:123456789012:orders", "Message": "hi"})),
    ("POST", "/", "", {"x-amz-target": "AWSStepFunctions.StartExecution"}, b'{"stateMachineArn": "arn:m"}',
     ApiCall("states", "StartExecution", {"stateMachineArn": "arn:m"})),
    ("POST", "/", "", {"x-amz-target": "SomethingElse.Do"}, b"{}", None),
])
def test_requests_are_named_as_the_sdk_names_them(method, path, query, headers, body, expected):
    """The trace records a CLI's call with the same service, operation and resource as a notebook's boto3 call."""
    assert identify(method, path, query, headers, body) == expected


def test_make_server_serves_a_lab_of_its_own_until_stopped(tmp_path):
    """`make server` (`python -m helpers.server`): prints the endpoint and the CLI set-up, writes the profile
    in the folder it is given, answers, and stops on SIGTERM."""
    import re
    import signal

    environment = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    process = subprocess.Popen([sys.executable, "-m", "helpers.server", "--port", "0", "--profile-dir", str(tmp_path)],
                               stdout=subprocess.PIPE, text=True, cwd=ROOT, env={**environment, "PYTHONPATH": str(ROOT)})
    try:
        first = process.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+", first).group(0)
        with urllib.request.urlopen(f"{url}/lab-api/now", timeout=30) as response:
            assert json.loads(response.read())["now"] == "2026-01-05T09:00:00+00:00"
        assert f"endpoint_url = {url}" in (tmp_path / "config").read_text()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        process.kill()
