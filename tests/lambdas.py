"""Deploying a test's handler code as a function, as a learner would with boto3."""
from __future__ import annotations

import boto3

import helpers


def deploy(lab: helpers.Lab, code: str | dict[str, str], name: str = "fn", **config) -> dict:
    """Create function `name` from `code` (python3.12, handler lambda_function.handler unless given)."""
    return boto3.client("lambda").create_function(
        FunctionName=name, Runtime="python3.12", Role=lab.role_arn,
        Handler=config.pop("Handler", "lambda_function.handler"),
        Code={"ZipFile": helpers.zip_code(code)}, **config)
