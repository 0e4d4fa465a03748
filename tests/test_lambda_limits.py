"""Lambda's limits and input validation, refused at the API in AWS's words; the lab stays usable."""
from __future__ import annotations

import io
import json
import zipfile

import boto3
import pytest
from botocore.exceptions import ClientError

import helpers

HELLO = helpers.zip_code("def handler(event, context):\n    return 'hi'\n")


def create(lab: helpers.Lab, name: str = "fn", **config) -> dict:
    params = {"FunctionName": name, "Runtime": "python3.12", "Role": lab.role_arn,
              "Handler": "lambda_function.handler", "Code": {"ZipFile": HELLO}, **config}
    return boto3.client("lambda").create_function(**params)


def refused(call, *args, **kwargs) -> dict:
    with pytest.raises(ClientError) as raised:
        call(*args, **kwargs)
    return raised.value.response


def still_usable(lab: helpers.Lab) -> None:
    create(lab, name="after")
    assert json.loads(boto3.client("lambda").invoke(FunctionName="after")["Payload"].read()) == "hi"


def test_payload_over_6_mb_sync_and_1_mb_async_is_refused(lab):
    """Invoke API reference: the payload is limited to 6 MB synchronous and (aws-semantics.md [P1],
    since January 2026) 1 MB asynchronous; RequestTooLargeException, HTTP 413, nothing runs."""
    create(lab)
    client = boto3.client("lambda")
    big_sync = json.dumps("x" * (7 * 2**20))
    error = refused(client.invoke, FunctionName="fn", Payload=big_sync)
    assert error["Error"]["Code"] == "RequestTooLargeException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 413
    assert error["Error"]["Message"] == "Request must be smaller than 6291456 bytes for the InvokeFunction operation"
    error = refused(client.invoke, FunctionName="fn", InvocationType="Event", Payload=json.dumps("x" * (2 * 2**20)))
    assert error["Error"]["Code"] == "RequestTooLargeException"
    assert client.invoke(FunctionName="fn", InvocationType="Event", Payload=json.dumps("x" * 900_000))["StatusCode"] == 202
    assert client.invoke(FunctionName="fn", Payload=json.dumps("x" * (5 * 2**20)))["StatusCode"] == 200
    assert len([h for h in lab.recorder.hops if (h.service, h.action) == ("lambda", "invoke")]) == 2


def test_payload_that_is_not_utf8_is_refused(lab):
    """Invoke API reference: a payload that cannot be parsed as JSON (here not even UTF-8) gives
    InvalidRequestContentException and the function does not run."""
    create(lab)
    error = refused(boto3.client("lambda").invoke, FunctionName="fn", Payload=b'"\xff\xfe"')
    assert error["Error"]["Code"] == "InvalidRequestContentException"
    assert error["Error"]["Message"].startswith("Could not parse request body into json")
    still_usable(lab)


@pytest.mark.parametrize("runtime, code, message", [
    ("python2.7", "InvalidParameterValueException",
     "The runtime parameter of python2.7 is no longer supported for creating or updating AWS Lambda functions."),
    ("cobol", "ValidationException",
     "1 validation error detected: Value 'cobol' at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: ["),
    ("nodejs20.x", "UnsupportedRuntimeInLab", "AWS accepts Runtime nodejs20.x, but this lab runs Python handlers only"),
    ("java21", "UnsupportedRuntimeInLab", "AWS accepts Runtime java21, but this lab runs Python handlers only"),
])
def test_runtimes_lambda_or_the_lab_cannot_run_are_refused(lab, runtime, code, message):
    """Lambda runtimes (docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html): deprecated runtimes
    can no longer be used to create functions; values outside the API's Runtime enum fail validation.
    Runtimes AWS runs but the lab cannot (it runs Python only) are refused in the lab's own words."""
    error = refused(create, lab, Runtime=runtime)
    assert error["Error"]["Code"] == code and error["Error"]["Message"].startswith(message)
    still_usable(lab)


@pytest.mark.parametrize("config, code, message", [
    ({"Timeout": 901}, "ValidationException",
     "1 validation error detected: Value '901' at 'timeout' failed to satisfy constraint: "
     "Member must have value less than or equal to 900"),
    ({"MemorySize": 20000}, "ValidationException",
     "1 validation error detected: Value '20000' at 'memorySize' failed to satisfy constraint: "
     "Member must have value less than or equal to 10240"),
    ({"Environment": {"Variables": {"AWS_REGION": "eu-west-1"}}}, "InvalidParameterValueException",
     "Lambda was unable to configure your environment variables because the environment variables you have "
     "provided contains reserved keys that are currently not supported for modification. Reserved keys used "
     "in this request: AWS_REGION"),
    ({"Environment": {"Variables": {"BIG": "x" * 5000}}}, "InvalidParameterValueException",
     "Lambda was unable to configure your environment variables because the environment variables you have "
     "provided exceeded the 4KB limit. String measured: {\"BIG\":\"xxx"),
    ({"FunctionName": "my function"}, "ValidationException",
     "1 validation error detected: Value 'my function' at 'functionName' failed to satisfy constraint: "
     "Member must satisfy regular expression pattern: "),
])
def test_configuration_outside_lambda_s_limits_is_refused(lab, config, code, message):
    """aws-semantics.md 2-3 [L25][L27]: timeout at most 900 s, memory 128-10,240 MB, environment
    variables at most 4 KB and no reserved keys (Lambda quotas; defined runtime environment
    variables), function names of letters, digits, hyphens and underscores (CreateFunction API)."""
    error = refused(create, lab, **config)
    assert error["Error"]["Code"] == code and error["Error"]["Message"].startswith(message)
    still_usable(lab)


def test_update_function_configuration_checks_the_same_limits(lab):
    """aws-semantics.md 3 [L27]: UpdateFunctionConfiguration applies the same limits; 10,240 MB is allowed."""
    create(lab)
    client = boto3.client("lambda")
    error = refused(client.update_function_configuration, FunctionName="fn", Timeout=1000)
    assert error["Error"]["Code"] == "ValidationException"
    assert client.update_function_configuration(FunctionName="fn", MemorySize=10240)["MemorySize"] == 10240


def _zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


@pytest.mark.parametrize("package, message", [
    (b"this is not a zip", "Could not unzip uploaded file. Please check your file, then try to upload again."),
    (_zip({}), "Uploaded file must be a non-empty zip"),
])
def test_bad_packages_are_refused_at_create_update_and_publish(lab, package, message):
    """CreateFunction/UpdateFunctionCode/PublishLayerVersion: a package that is not a zip, or an empty
    one, is refused at once with InvalidParameterValueException (not at the first invoke)."""
    client = boto3.client("lambda")
    error = refused(create, lab, Code={"ZipFile": package})
    assert error["Error"] == {"Code": "InvalidParameterValueException", "Message": message}
    create(lab)
    error = refused(client.update_function_code, FunctionName="fn", ZipFile=package)
    assert error["Error"]["Message"] == message
    error = refused(client.publish_layer_version, LayerName="bad", Content={"ZipFile": package})
    assert error["Error"]["Message"] == message
    assert json.loads(client.invoke(FunctionName="fn")["Payload"].read()) == "hi"
