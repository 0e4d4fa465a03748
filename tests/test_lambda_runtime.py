"""The synchronous invocation model: real handler code, AWS's responses, logs and errors."""
from __future__ import annotations

import base64
import json

import boto3
import pytest
from botocore.exceptions import ClientError

import helpers


def deploy(lab: helpers.Lab, code: str | dict[str, str], name: str = "fn", **config) -> dict:
    return boto3.client("lambda").create_function(
        FunctionName=name, Runtime="python3.12", Role=lab.role_arn,
        Handler=config.pop("Handler", "lambda_function.handler"),
        Code={"ZipFile": helpers.zip_code(code)}, **config)


def invoke(name: str = "fn", payload: object = None, **kwargs) -> dict:
    response = boto3.client("lambda").invoke(
        FunctionName=name, Payload=json.dumps(payload if payload is not None else {}), **kwargs)
    response["Body"] = response["Payload"].read()
    return response


def tail(response: dict) -> str:
    return base64.b64decode(response["LogResult"]).decode()


COUNTER = """
import os
STARTED = 0
STARTED += 1
calls = 0
def handler(event, context):
    global calls
    calls += 1
    print("event", event)
    return {"inits": STARTED, "calls": calls, "greeting": os.environ.get("GREETING")}
"""


def test_handler_runs_and_returns_its_payload(lab):
    """aws-semantics.md 1.1 [L4][L5]: RequestResponse returns 200 and the handler's result."""
    deploy(lab, COUNTER, Environment={"Variables": {"GREETING": "hello"}})
    response = invoke(payload={"a": 1})
    assert response["StatusCode"] == 200
    assert "FunctionError" not in response
    assert json.loads(response["Body"]) == {"inits": 1, "calls": 1, "greeting": "hello"}
    assert response["ExecutedVersion"] == "$LATEST"


def test_init_runs_once_per_environment_and_state_persists_warm(lab):
    """aws-semantics.md 2 [L20]: init once per environment; warm invokes reuse it and its state."""
    deploy(lab, COUNTER)
    bodies = [json.loads(invoke()["Body"]) for _ in range(3)]
    assert [b["calls"] for b in bodies] == [1, 2, 3]
    assert {b["inits"] for b in bodies} == {1}


def test_new_configuration_gets_a_fresh_environment(lab):
    """aws-semantics.md 2 [L20]: a new code or configuration version gets new environments."""
    deploy(lab, COUNTER)
    invoke(), invoke()
    boto3.client("lambda").update_function_configuration(FunctionName="fn", MemorySize=256)
    assert json.loads(invoke()["Body"])["calls"] == 1
    boto3.client("lambda").update_function_code(
        FunctionName="fn", ZipFile=helpers.zip_code(COUNTER.replace('"calls"', '"n"')))
    assert json.loads(invoke()["Body"])["n"] == 1


def test_report_line_fields_cold_then_warm(lab):
    """aws-semantics.md 2 [L22][L23][L24]: START/END/REPORT; Init Duration only on a cold start;
    billed = ceil(duration + init)."""
    deploy(lab, COUNTER, MemorySize=256)
    cold, warm = tail(invoke(LogType="Tail")), tail(invoke(LogType="Tail"))
    for log in (cold, warm):
        lines = log.splitlines()
        assert lines[0].startswith("START RequestId: ") and lines[0].endswith("Version: $LATEST")
        assert lines[1].startswith("event {")
        assert lines[2].startswith("END RequestId: ")
        fields = dict(f.split(": ", 1) for f in lines[3].split("\t")[1:] if f)
        assert fields["Memory Size"] == "256 MB"
        assert {"Duration", "Billed Duration", "Max Memory Used"} <= fields.keys()
    cold_fields = dict(f.split(": ", 1) for f in cold.splitlines()[3].split("\t")[1:] if f)
    assert "Init Duration" in cold_fields and "Init Duration" not in warm
    duration = float(cold_fields["Duration"].split()[0]) + float(cold_fields["Init Duration"].split()[0])
    assert int(cold_fields["Billed Duration"].split()[0]) == -(-duration // 1)


def test_log_tail_is_the_last_4_kb(lab):
    """aws-semantics.md 1.1 [L4][L8]: LogType=Tail returns base64 of the last 4 KB of the log."""
    deploy(lab, "def handler(event, context):\n    print('x' * 10000)\n    return 1\n")
    response = invoke(LogType="Tail")
    assert len(base64.b64decode(response["LogResult"])) == 4096
    assert tail(response).rstrip().splitlines()[-1].startswith("REPORT RequestId:")


def test_logs_reach_cloudwatch_logs(lab):
    """aws-semantics.md 2 [L22]: print and logging go to /aws/lambda/NAME, logging in its format."""
    code = """
import logging
logger = logging.getLogger()
logger.setLevel(logging.INFO)
def handler(event, context):
    print("plain print")
    logger.info("structured %s", 42)
    return None
"""
    deploy(lab, code)
    invoke()
    events = boto3.client("logs").filter_log_events(logGroupName="/aws/lambda/fn")["events"]
    messages = [e["message"] for e in events]
    assert "plain print" in messages
    info = next(m for m in messages if m.startswith("[INFO]"))
    level, timestamp, req_id, text = info.split("\t")
    assert text == "structured 42" and timestamp.endswith("Z") and len(req_id) == 36
    streams = boto3.client("logs").describe_log_streams(logGroupName="/aws/lambda/fn")["logStreams"]
    assert streams[0]["logStreamName"].startswith("2026/01/05/[$LATEST]")


def test_context_object_has_every_documented_field(lab):
    """aws-semantics.md 2 [L21]: the context object's fields; remaining time counts down."""
    code = """
import time
def handler(event, context):
    before = context.get_remaining_time_in_millis()
    time.sleep(1)
    return {"before": before, "after": context.get_remaining_time_in_millis(),
            "fields": {k: getattr(context, k) for k in ("function_name", "function_version",
                "invoked_function_arn", "memory_limit_in_mb", "aws_request_id", "log_group_name",
                "log_stream_name", "identity", "client_context")}}
"""
    deploy(lab, code, Timeout=5, MemorySize=512)
    body = json.loads(invoke()["Body"])
    assert 4900 <= body["before"] <= 5000
    assert body["before"] - body["after"] >= 1000
    fields = body["fields"]
    assert fields["function_name"] == "fn" and fields["memory_limit_in_mb"] == 512
    assert fields["invoked_function_arn"] == "arn:aws:lambda:us-east-1:123456789012:function:fn"
    assert fields["log_group_name"] == "/aws/lambda/fn" and "[$LATEST]" in fields["log_stream_name"]


def test_unhandled_exception_payload(lab):
    """aws-semantics.md 1.1 [L6]: a raised exception gives FunctionError Unhandled and
    {errorMessage, errorType, stackTrace} with /var/task paths; still HTTP 200."""
    deploy(lab, "def handler(event, context):\n    return event['action']\n")
    response = invoke(payload={})
    assert response["StatusCode"] == 200 and response["FunctionError"] == "Unhandled"
    error = json.loads(response["Body"])
    assert error["errorMessage"] == "'action'" and error["errorType"] == "KeyError"
    assert error["stackTrace"][0].startswith('  File "/var/task/lambda_function.py", line 2, in handler')


@pytest.mark.parametrize("files, handler, error_type, message", [
    ({"lambda_function.py": "def handler(event, context)\n    return 1\n"}, "lambda_function.handler",
     "Runtime.UserCodeSyntaxError", "Syntax error in module 'lambda_function'"),
    ({"lambda_function.py": "import requests_not_installed\n"}, "lambda_function.handler",
     "Runtime.ImportModuleError",
     "Unable to import module 'lambda_function': No module named 'requests_not_installed'"),
    ({"lambda_function.py": "def other(event, context):\n    return 1\n"}, "lambda_function.handler",
     "Runtime.HandlerNotFound", "Handler 'handler' missing on module 'lambda_function'"),
    ({"lambda_function.py": "x = 1\n"}, "missing_module.handler",
     "Runtime.ImportModuleError", "Unable to import module 'missing_module': No module named 'missing_module'"),
])
def test_runtime_errors(lab, files, handler, error_type, message):
    """aws-semantics.md 1.1 [L6]: syntax errors, missing modules and handlers give Runtime.* types."""
    deploy(lab, files, Handler=handler)
    response = invoke()
    error = json.loads(response["Body"])
    assert response["FunctionError"] == "Unhandled"
    assert error["errorType"] == error_type and error["errorMessage"].startswith(message)


def test_not_json_serialisable_result_is_a_marshal_error(lab):
    """aws-semantics.md 1.1 [L6]: the Python runtime reports results it cannot serialise."""
    deploy(lab, "def handler(event, context):\n    return {1, 2}\n")
    error = json.loads(invoke()["Body"])
    assert error["errorType"] == "Runtime.MarshalError"
    assert "not JSON serializable" in error["errorMessage"]


def test_timeout_cuts_a_sleeping_handler_on_the_virtual_clock(lab):
    """aws-semantics.md 2 [S4][L25][X1]: past its timeout a handler is cut off with
    'Task timed out after 3.00 seconds'; the sleep costs no real time; the lab stays usable."""
    deploy(lab, "import time\ndef handler(event, context):\n    time.sleep(600)\n    return 'never'\n")
    response = invoke(LogType="Tail")
    error = json.loads(response["Body"])
    assert response["FunctionError"] == "Unhandled"
    assert error["errorMessage"].endswith("Task timed out after 3.00 seconds")
    assert "Duration: 3000.00 ms" in tail(response)
    deploy(lab, "def handler(event, context):\n    return 'fine'\n", name="other")
    assert json.loads(invoke("other")["Body"]) == "fine"


def test_timeout_stops_a_busy_loop(lab):
    """aws-semantics.md 2 [L25]: a CPU-bound handler is also stopped at its timeout (its work is
    counted, so it stops at the same point every run)."""
    deploy(lab, "def handler(event, context):\n    while True:\n        pass\n", Timeout=1)
    error = json.loads(invoke()["Body"])
    assert error["errorMessage"].endswith("Task timed out after 1.00 seconds")


def test_dry_run_returns_204_without_running(lab):
    """aws-semantics.md 1.1 [L4][L7b]: DryRun returns 204 and does not run the function."""
    deploy(lab, COUNTER)
    response = invoke(InvocationType="DryRun")
    assert response["StatusCode"] == 204 and response["Body"] == b""
    assert json.loads(invoke()["Body"])["calls"] == 1


def test_versions_and_aliases_run_their_own_code(lab):
    """aws-semantics.md 1.1 [L4]: Qualifier selects a version or alias; X-Amz-Executed-Version."""
    client = boto3.client("lambda")
    deploy(lab, "def handler(event, context):\n    return 'v1'\n")
    client.publish_version(FunctionName="fn")
    client.update_function_code(FunctionName="fn", ZipFile=helpers.zip_code(
        "def handler(event, context):\n    return 'v2'\n"))
    client.publish_version(FunctionName="fn")
    client.create_alias(FunctionName="fn", Name="live", FunctionVersion="1")
    assert json.loads(invoke(Qualifier="1")["Body"]) == "v1"
    assert json.loads(invoke(Qualifier="2")["Body"]) == "v2"
    live = invoke(Qualifier="live")
    assert json.loads(live["Body"]) == "v1" and live["ExecutedVersion"] == "1"
    assert json.loads(invoke("fn:live")["Body"]) == "v1"


@pytest.fixture
def canary(lab) -> str:
    """Versions 1 ('one') and 2 ('two') of "fn", and alias `canary` sending 25 % to version 2.
    Returns the function's ARN."""
    client = boto3.client("lambda")
    arn = deploy(lab, "def handler(event, context):\n    return 'one'\n")["FunctionArn"]
    client.publish_version(FunctionName="fn")
    client.update_function_code(FunctionName="fn", ZipFile=helpers.zip_code(
        "def handler(event, context):\n    return 'two'\n"))
    client.publish_version(FunctionName="fn")
    client.create_alias(FunctionName="fn", Name="canary", FunctionVersion="1",
                        RoutingConfig={"AdditionalVersionWeights": {"2": 0.25}})
    return arn


def test_alias_weights_split_traffic(canary):
    """Lambda alias routing: AdditionalVersionWeights sends that share of invocations to the other
    version (AliasRoutingConfiguration API reference)."""
    versions = [invoke(Qualifier="canary")["ExecutedVersion"] for _ in range(200)]
    assert 30 <= versions.count("2") <= 70 and set(versions) == {"1", "2"}


def test_alias_weights_apply_to_a_qualified_arn(canary):
    """Lambda alias routing: the weights hold however the alias is named, here as a qualified ARN
    (`arn:...:function:fn:canary`, Invoke API FunctionName)."""
    versions = [invoke(f"{canary}:canary")["ExecutedVersion"] for _ in range(200)]
    assert 30 <= versions.count("2") <= 70 and set(versions) == {"1", "2"}


def test_alias_weights_apply_to_asynchronous_invokes(lab, canary):
    """Lambda alias routing applies to every invocation of the alias, asynchronous ones included
    (AliasRoutingConfiguration API reference); each event runs one version."""
    client = boto3.client("lambda")
    for _ in range(200):
        assert client.invoke(FunctionName="fn", Qualifier="canary", InvocationType="Event")["StatusCode"] == 202
    versions = [hop.detail["report"].version for hop in lab.recorder.hops
                if (hop.service, hop.action) == ("lambda", "invoke")]
    assert len(versions) == 200 and 30 <= versions.count("2") <= 70 and set(versions) == {"1", "2"}


def test_reserved_concurrency_zero_throttles(lab):
    """aws-semantics.md 1.1 [L4][L7]: TooManyRequestsException, HTTP 429, with Reason."""
    deploy(lab, COUNTER)
    boto3.client("lambda").put_function_concurrency(FunctionName="fn", ReservedConcurrentExecutions=0)
    with pytest.raises(ClientError) as raised:
        invoke()
    error = raised.value.response
    assert error["Error"]["Code"] == "TooManyRequestsException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert error["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
    assert error["retryAfterSeconds"] == "1"


def test_payload_that_is_not_json_is_refused(lab):
    """Invoke API: a payload that is not JSON is refused with InvalidRequestContentException."""
    deploy(lab, COUNTER)
    with pytest.raises(ClientError) as raised:
        boto3.client("lambda").invoke(FunctionName="fn", Payload=b"{not json")
    assert raised.value.response["Error"]["Code"] == "InvalidRequestContentException"


def test_layers_are_importable(lab):
    """Lambda layers: a Python layer's python/ folder is on the import path."""
    client = boto3.client("lambda")
    layer = client.publish_layer_version(
        LayerName="shared", Content={"ZipFile": helpers.zip_code({"python/shared.py": "VALUE = 42\n"})},
        CompatibleRuntimes=["python3.12"])
    deploy(lab, "import shared\ndef handler(event, context):\n    return shared.VALUE\n",
           Layers=[layer["LayerVersionArn"]])
    assert json.loads(invoke()["Body"]) == 42


def test_two_functions_with_the_same_module_name_stay_separate(lab):
    """Each function's code lives in its own environment (aws-semantics.md 2 [L20])."""
    deploy(lab, "def handler(event, context):\n    return 'a'\n", name="a")
    deploy(lab, "def handler(event, context):\n    return 'b'\n", name="b")
    assert [json.loads(invoke(n)["Body"]) for n in ("a", "b", "a")] == ["a", "b", "a"]


def test_a_function_invoking_another_cold_runs_the_callee_s_own_code(lab):
    """Each environment imports its own `lambda_function`, even while a caller's is running
    (aws-semantics.md 2 [L20]): a synchronous Lambda-to-Lambda call reaches the callee's handler."""
    deploy(lab, "def handler(event, context):\n    return 'inner'\n", name="inner")
    deploy(lab, "import json, boto3\ndef handler(event, context):\n    payload = boto3.client('lambda')"
                ".invoke(FunctionName='inner')['Payload'].read()\n    return 'outer+' + json.loads(payload)\n",
           name="outer", Timeout=60, MemorySize=1769)  # boto3's first client is slow under load
    assert [json.loads(invoke(n)["Body"]) for n in ("outer", "inner", "outer")] == ["outer+inner", "inner", "outer+inner"]


def test_handler_boto3_calls_reach_the_sandbox(lab):
    """A handler's own boto3 calls go to the same mocked account (design.md, The Lambda runtime)."""
    code = """
import boto3
def handler(event, context):
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="from-handler")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="hi")
    return url
"""
    deploy(lab, code)
    url = json.loads(invoke()["Body"])
    messages = boto3.client("sqs").receive_message(QueueUrl=url)["Messages"]
    assert messages[0]["Body"] == "hi"


def test_step_functions_lambda_task_runs_the_handler(lab):
    """aws-semantics.md 6 [S7]: a lambda:invoke Task runs the same handler; nameless
    StartExecution works twice (StartExecution API: the name defaults to a UUID)."""
    deploy(lab, "def handler(event, context):\n    return {'doubled': event['n'] * 2}\n")
    sfn = boto3.client("stepfunctions")
    definition = {"StartAt": "Double", "States": {"Double": {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": "fn", "Payload.$": "$"}, "OutputPath": "$.Payload", "End": True}}}
    arn = sfn.create_state_machine(name="double", definition=json.dumps(definition),
                                   roleArn=lab.role_arn)["stateMachineArn"]
    executions = [sfn.start_execution(stateMachineArn=arn, input=json.dumps({"n": n}))["executionArn"]
                  for n in (2, 5)]
    assert executions[0] != executions[1]
    outputs = []
    for execution in executions:
        for _ in range(200):
            described = sfn.describe_execution(executionArn=execution)
            if described["status"] != "RUNNING":
                break
            import time as real_time
            real_time.sleep(0.01)
        outputs.append(json.loads(described["output"]))
    assert outputs == [{"doubled": 4}, {"doubled": 10}]
