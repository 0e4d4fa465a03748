"""Endpoint mode: the lab's helpers against any AWS-compatible endpoint URL.

    ep = helpers.connect("http://127.0.0.1:4566")   # LocalStack, or the lab's own server (`make server`)
    ep.deploy("hello", code)                           # zip the handler, create (or update) the function
    ep.draw_architecture()                             # drawn from what the endpoint holds
    ep.trace()                                         # the lab's trace where the endpoint is the lab;
                                                       # elsewhere each invocation's REPORT line from Logs
    ep.advance(minutes=3)                              # only the lab's server has a clock to move

`connect()` also points this process's plain `boto3.client("sqs")` at the endpoint, with fake keys,
so a notebook's cells run unchanged against it. Endpoints on AWS itself are refused: that is
`helpers.realaws`, which a learner turns on explicitly with their own profile.
"""
from __future__ import annotations

import functools
import json
import os
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlencode, urlsplit

import boto3
import pandas as pd

from .. import sandbox
from ..diagrams.architecture import draw_inventory
from ..diagrams.render import Diagram
from ..packaging import zip_code
from .inventory import read_inventory_via_api
from .reports import report_frame

#: The trust policy of the role `deploy` creates when given none (the same one the lab seeds).
TRUST_POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
ROLE_NAME = "lab-lambda-role"


class EndpointError(RuntimeError):
    """The endpoint cannot do what was asked (for example, move a clock it does not have)."""


def refuse_aws(url: str) -> None:
    """Endpoint mode never talks to AWS itself (real AWS is `helpers.realaws`, on request)."""
    host = urlsplit(url).hostname or ""
    if not urlsplit(url).scheme.startswith("http") or not host:
        raise ValueError(f"Not an endpoint URL: {url!r} (expected e.g. http://127.0.0.1:4566).")
    if host.endswith((".amazonaws.com", ".amazonaws.com.cn", ".api.aws")):
        raise ValueError(f"{url} is AWS itself. Endpoint mode is for emulators (LocalStack, the lab's server); "
                         "to deploy to your own account, use helpers.realaws.")


class Endpoint:
    """An AWS-compatible endpoint, with fake credentials, as the lab's helpers see it."""

    def __init__(self, url: str, region: str = sandbox.REGION) -> None:
        refuse_aws(url)
        self.url = url.rstrip("/")
        self.region = region
        self.session = boto3.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name=region)

    def client(self, service: str) -> Any:
        """A boto3 client for `service` at this endpoint."""
        return self.session.client(service, endpoint_url=self.url)

    @functools.cached_property
    def account_id(self) -> str:
        """The endpoint's account (the lab's is 123456789012; LocalStack's 000000000000)."""
        return self.client("sts").get_caller_identity()["Account"]

    # -- deploying ------------------------------------------------------------------------------
    @property
    def role_arn(self) -> str:
        return f"arn:aws:iam::{self.account_id}:role/{ROLE_NAME}"

    def ensure_role(self) -> str:
        """The IAM role functions run as, created if the endpoint does not have it yet."""
        iam = self.client("iam")
        try:
            return iam.get_role(RoleName=ROLE_NAME)["Role"]["Arn"]
        except iam.exceptions.NoSuchEntityException:
            return iam.create_role(RoleName=ROLE_NAME, AssumeRolePolicyDocument=TRUST_POLICY)["Role"]["Arn"]

    def deploy(self, name: str, source: str | dict[str, str], handler: str = "lambda_function.handler",
               runtime: str = "python3.12", **settings: Any) -> dict[str, Any]:
        """Zip handler code (`helpers.zip_code`) and create the function, or update its code if it exists.

        `settings` are `create_function` parameters (MemorySize, Timeout, Environment...).
        """
        lambda_ = self.client("lambda")
        package = zip_code(source)
        try:
            lambda_.get_function(FunctionName=name)
        except lambda_.exceptions.ResourceNotFoundException:
            role = settings.pop("Role", None) or self.ensure_role()
            return lambda_.create_function(FunctionName=name, Runtime=runtime, Role=role, Handler=handler,
                                           Code={"ZipFile": package}, **settings)
        return lambda_.update_function_code(FunctionName=name, ZipFile=package)

    # -- reading --------------------------------------------------------------------------------
    def draw_architecture(self, *, legend: bool = True, title: str = "") -> Diagram:
        """The resources the endpoint holds and how they are wired, drawn as the lab draws its own."""
        inventory = read_inventory_via_api(self.client, self.account_id, self.region)
        return draw_inventory(inventory, legend=legend, title=title)

    def trace(self, **filters: Any) -> pd.DataFrame:
        """The lab's trace when the endpoint is the lab's server; elsewhere, one row per invocation
        read from each function's REPORT lines in CloudWatch Logs."""
        try:
            return pd.DataFrame(self._lab_api("GET", "trace", query=filters))
        except EndpointError:
            if filters:
                raise EndpointError("Only the lab's server records flows to filter; this endpoint's "
                                    "trace is the functions' REPORT lines (call trace() without filters).") from None
            return report_frame(self.client)

    def advance(self, seconds: float = 0, minutes: float = 0, hours: float = 0) -> dict[str, Any]:
        """Let virtual time pass on the lab's server (emulators and AWS run on real time)."""
        return self._lab_api("POST", "advance", {"seconds": seconds, "minutes": minutes, "hours": hours})

    def reset(self) -> dict[str, Any]:
        """Delete everything on the lab's server and put its clock back."""
        return self._lab_api("POST", "reset", {})

    def _lab_api(self, method: str, action: str, body: dict[str, Any] | None = None,
                 query: dict[str, Any] | None = None) -> Any:
        url = f"{self.url}/lab-api/{action}" + (f"?{urlencode(query)}" if query else "")
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=300) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            try:
                answer = json.loads(error.read())
            except ValueError:
                answer = None
            if not (isinstance(answer, dict) and "error" in answer):
                raise EndpointError(f"{self.url} is not the lab's server: it has no virtual clock or trace "
                                    "(time passes for real there).") from None
            raise EndpointError(f"{answer['error']}: {answer.get('message', '')}") from None

    def use_for_boto3(self) -> None:
        """Make this process's `boto3.client(...)` (no arguments) reach the endpoint with fake keys."""
        os.environ.update({"AWS_ENDPOINT_URL": self.url, "AWS_ACCESS_KEY_ID": "test",
                           "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": self.region})
        for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN"):
            os.environ.pop(name, None)
        boto3.DEFAULT_SESSION = None

    def __repr__(self) -> str:
        return f"<Endpoint {self.url} (region {self.region}, fake credentials)>"


def connect(url: str, region: str = sandbox.REGION, use_for_boto3: bool = True) -> Endpoint:
    """An `Endpoint` for `url`; by default this process's plain boto3 clients go there too."""
    endpoint = Endpoint(url, region)
    if use_for_boto3:
        endpoint.use_for_boto3()
    return endpoint


__all__ = ["Endpoint", "EndpointError", "connect", "refuse_aws"]
