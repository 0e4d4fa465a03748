"""Nothing leaves the machine: fake credentials only, and no botocore request to a real endpoint.

With the lab on, botocore reads no real credential (environment variables, `~/.aws`, instance
metadata) and any request that moto does not answer fails loudly instead of reaching AWS.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import botocore.httpsession

ACCOUNT_ID = "123456789012"
REGION = "us-east-1"

#: Variables through which botocore could find real credentials, profiles or endpoints.
_REAL_AWS_VARIABLES = (
    "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ROLE_ARN", "AWS_ROLE_SESSION_NAME",
    "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_ENDPOINT_URL",
    "AWS_CREDENTIAL_EXPIRATION", "AWS_SECURITY_TOKEN",
)
_LOOPBACK = {"localhost", "127.0.0.1", "::1"}
_original_send = botocore.httpsession.URLLib3Session.send


class SandboxEscapeError(RuntimeError):
    """A request was about to leave the machine for a real AWS endpoint."""


def isolate_credentials(workdir: Path) -> None:
    """Point botocore at fake credentials and empty config files; forget any cached session."""
    empty = workdir / "aws-config-empty"
    empty.write_text("")
    for name in list(os.environ):
        if name in _REAL_AWS_VARIABLES or name.startswith("AWS_ENDPOINT_URL_"):
            del os.environ[name]
    os.environ.update({
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION,
        "AWS_CONFIG_FILE": str(empty), "AWS_SHARED_CREDENTIALS_FILE": str(empty),
        "AWS_EC2_METADATA_DISABLED": "true",
    })
    boto3.DEFAULT_SESSION = None


def _guarded_send(self: Any, request: Any) -> Any:
    host = urlsplit(request.url).hostname or ""
    if host not in _LOOPBACK:
        raise SandboxEscapeError(
            f"The lab blocked a request to {request.url}: it is not handled by the sandbox and would "
            "have left this machine. Every AWS call in the lab must go to the mocked services."
        )
    return _original_send(self, request)


def block_network() -> None:
    """Refuse every botocore HTTP request that is not to this machine (moto answers the rest)."""
    botocore.httpsession.URLLib3Session.send = _guarded_send
