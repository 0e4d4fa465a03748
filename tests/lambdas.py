"""Deploying and invoking a test's handler code as a function, as a learner would with boto3."""
from __future__ import annotations

import base64
import json

import boto3

import helpers


def deploy(lab: helpers.Lab, code: str | dict[str, str], name: str = "fn", **config) -> dict:
    """Create function `name` from `code` (python3.12, handler lambda_function.handler unless given)."""
    return boto3.client("lambda").create_function(
        FunctionName=name, Runtime="python3.12", Role=lab.role_arn,
        Handler=config.pop("Handler", "lambda_function.handler"),
        Code={"ZipFile": helpers.zip_code(code)}, **config)


def invoke(name: str = "fn", payload: object = None, **kwargs) -> dict:
    """Invoke `name` synchronously with `payload` as JSON; adds the parsed answer ("Body") and the
    decoded log tail ("Log")."""
    response = boto3.client("lambda").invoke(
        FunctionName=name, Payload=json.dumps(payload if payload is not None else {}), LogType="Tail", **kwargs)
    response["Body"] = json.loads(response["Payload"].read())
    response["Log"] = base64.b64decode(response["LogResult"]).decode()
    return response
