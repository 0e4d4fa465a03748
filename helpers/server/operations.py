"""Which AWS API operation an HTTP request to the lab's server is, and with which parameters.

The lab records every boto3 call a notebook makes as a hop of the trace (`helpers.motoext.core`
hooks botocore on the client side). A request from the AWS CLI or another process arrives as plain
HTTP, so the server reads the same facts off the wire: the service from the `X-Amz-Target` header or
the SigV4 credential scope, the operation from the target, the `Action` form field, or the REST
route (method and URI template) in botocore's own service model.
"""
from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote

import botocore.session
from botocore.model import OperationModel, ServiceModel

#: botocore names of the services the lab serves (the services its moto extension covers).
LAB_SERVICES = ("lambda", "sqs", "sns", "events", "stepfunctions", "logs", "dynamodb", "dynamodbstreams",
                "kinesis", "iam", "sts", "s3", "scheduler", "xray")


@dataclass(frozen=True)
class ApiCall:
    """One request, as an SDK would have named it."""

    endpoint_prefix: str
    operation: str
    params: dict[str, Any] = field(default_factory=dict)


@functools.lru_cache(maxsize=1)
def _models() -> tuple[dict[str, ServiceModel], dict[str, ServiceModel]]:
    session = botocore.session.get_session()
    by_target: dict[str, ServiceModel] = {}
    by_signing_name: dict[str, ServiceModel] = {}
    for name in LAB_SERVICES:
        model = session.get_service_model(name)
        if model.metadata.get("targetPrefix"):
            by_target[model.metadata["targetPrefix"]] = model
        by_signing_name.setdefault(model.signing_name, model)
    return by_target, by_signing_name


def credential_scope(authorization: str) -> tuple[str, str] | None:
    """(region, signing name) from a SigV4 `Authorization` header's credential scope."""
    match = re.search(r"Credential=[^/]+/[^/]+/([^/]+)/([^/]+)/aws4_request", authorization)
    return (match.group(1), match.group(2)) if match else None


def _uri_pattern(template: str) -> re.Pattern[str]:
    path = template.split("?", 1)[0]
    parts = re.split(r"(\{[^}]+\})", path)
    regex = "".join(
        (f"(?P<{part[1:-2]}>.+)" if part.endswith("+}") else f"(?P<{part[1:-1]}>[^/]+)")
        if part.startswith("{") else re.escape(part) for part in parts)
    return re.compile(regex + "$")


def _rest_operation(model: ServiceModel, method: str, path: str) -> tuple[OperationModel, dict[str, str]] | None:
    best: tuple[int, OperationModel, dict[str, str]] | None = None
    for name in model.operation_names:
        operation = model.operation_model(name)
        if operation.http.get("method") != method:
            continue
        template = operation.http.get("requestUri", "/")
        match = _uri_pattern(template).match(path)
        literal = len(re.sub(r"\{[^}]+\}", "", template.split("?", 1)[0]))
        if match and (best is None or literal > best[0]):
            best = (literal, operation, {k: unquote(v) for k, v in match.groupdict().items()})
    return (best[1], best[2]) if best else None


def _json(body: bytes) -> dict[str, Any]:
    try:
        value = json.loads(body or b"{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def identify(method: str, path: str, query: str, headers: dict[str, str], body: bytes) -> ApiCall | None:
    """The API call an HTTP request makes, or None for one the lab does not know."""
    by_target, by_signing_name = _models()
    target = headers.get("x-amz-target", "")
    if "." in target:
        prefix, operation = target.rsplit(".", 1)
        model = by_target.get(prefix)
        return ApiCall(model.endpoint_prefix, operation, _json(body)) if model else None
    scope = credential_scope(headers.get("authorization", ""))
    model = by_signing_name.get(scope[1]) if scope else None
    if model is None:
        return None
    if headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        form = {key: values[0] for key, values in parse_qs(body.decode("utf-8", "replace")).items()}
        return ApiCall(model.endpoint_prefix, form.pop("Action", ""), form) if "Action" in form else None
    found = _rest_operation(model, method, path)
    if found is None:
        return None
    operation, params = found
    params.update({key: values[0] for key, values in parse_qs(query).items()})
    if operation.input_shape is not None and "payload" not in operation.input_shape.serialization:
        params.update(_json(body))
    return ApiCall(model.endpoint_prefix, operation.name, params)
