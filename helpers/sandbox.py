"""Nothing leaves the machine: fake credentials only, and no connection to another host.

With the lab on, botocore reads no real credential (environment variables, `~/.aws`, instance
metadata), and any request that moto does not answer fails loudly instead of reaching the network:

- botocore (whichever copy is `botocore`, the AWS CLI v1's bundled one included) refuses to send a
  request to a host other than this machine, naming the URL;
- below every client (requests, urllib, http.client, urllib3, a second copy of botocore, raw
  sockets), Python's `socket` refuses to look up a host name or connect to an address that is not
  this machine's loopback. Loopback (JupyterLab, a local HTTP endpoint a learner starts) works.

The guard is for the whole process and stays on after `lab.reset()`, however often it runs.
"""
from __future__ import annotations

import ipaddress
import os
import socket
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit

import boto3

ACCOUNT_ID = "123456789012"
REGION = "us-east-1"

#: Variables through which botocore could find real credentials, profiles or endpoints.
_REAL_AWS_VARIABLES = (
    "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ROLE_ARN", "AWS_ROLE_SESSION_NAME",
    "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_ENDPOINT_URL",
    "AWS_CREDENTIAL_EXPIRATION", "AWS_SECURITY_TOKEN",
)
_LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}
_WHAT_TO_DO = ("The lab runs offline: start it with `lab = helpers.start()` and call the mocked AWS services "
               "through boto3 (without endpoint_url), or start a local server and use 127.0.0.1 or localhost.")


class SandboxEscapeError(RuntimeError):
    """A request or connection was about to leave the machine."""


def isolate_credentials(workdir: Path | None = None) -> None:
    """Point botocore at fake credentials and empty config files (in `workdir`, or the null device);
    forget any cached session."""
    empty = Path(os.devnull) if workdir is None else workdir / "aws-config-empty"
    if workdir is not None:
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


def _address(host: str | bytes | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """`host` as an IP address, or None when it is a name."""
    text = host.decode("ascii", "replace") if isinstance(host, bytes) else (host or "")
    try:
        return ipaddress.ip_address(text.strip("[]").split("%")[0])
    except ValueError:
        return None


def is_loopback(host: str | bytes | None) -> bool:
    """Whether `host` (a name or an address) is this machine's loopback."""
    name = (host.decode("ascii", "replace") if isinstance(host, bytes) else (host or "")).rstrip(".").lower()
    if name in _LOOPBACK_NAMES or name.endswith(".localhost"):
        return True
    address = _address(host)
    return address is not None and address.is_loopback


def _refuse(what: str) -> SandboxEscapeError:
    return SandboxEscapeError(f"The lab's sandbox blocked {what}, which would have left this machine. {_WHAT_TO_DO}")


def _check_address(family: int, address: Any) -> None:
    if family in (socket.AF_INET, socket.AF_INET6) and not is_loopback(address[0]):
        raise _refuse(f"a connection to {address[0]} port {address[1]}")


Guard = Callable[[Callable[..., Any]], Callable[..., Any]]


def _guard(make: Guard) -> Guard:
    """Mark what `make` builds as the lab's, so `block_network` never wraps it twice."""
    def marked(original: Callable[..., Any]) -> Callable[..., Any]:
        guarded = make(original)
        guarded.__lab_guard__ = True  # type: ignore[attr-defined]
        return guarded

    return marked


@_guard
def _guard_send(original: Callable[..., Any]) -> Callable[..., Any]:
    def send(self: Any, request: Any) -> Any:
        if not is_loopback(urlsplit(request.url).hostname):
            raise _refuse(f"a request to {request.url}, which the mocked AWS services do not answer")
        return original(self, request)

    return send


@_guard
def _guard_lookup(original: Callable[..., Any]) -> Callable[..., Any]:
    """A name lookup (DNS) only for this machine's names; addresses pass (connecting checks them)."""
    def lookup(host: Any, *args: Any, **kwargs: Any) -> Any:
        local = host is None or is_loopback(host) or host == socket.gethostname()
        if not (local or _address(host) is not None):
            raise _refuse(f"a look-up of the host name {host!r}")
        return original(host, *args, **kwargs)

    return lookup


@_guard
def _guard_connect(original: Callable[..., Any]) -> Callable[..., Any]:
    def connect(self: socket.socket, address: Any, *args: Any) -> Any:
        _check_address(self.family, address)
        return original(self, address, *args)

    return connect


@_guard
def _guard_sendto(original: Callable[..., Any]) -> Callable[..., Any]:
    def sendto(self: socket.socket, data: Any, *args: Any) -> Any:
        _check_address(self.family, args[-1])  # sendto(data, address) or sendto(data, flags, address)
        return original(self, data, *args)

    return sendto


@_guard
def _guard_create_connection(original: Callable[..., Any]) -> Callable[..., Any]:
    def create_connection(address: Any, *args: Any, **kwargs: Any) -> Any:
        _check_address(socket.AF_INET, address)
        return original(address, *args, **kwargs)

    return create_connection


#: (owner, attribute, guard) for every way out of the process this module closes.
_GUARDS: list[tuple[Any, str, Guard]] = [
    (socket.socket, "connect", _guard_connect),
    (socket.socket, "connect_ex", _guard_connect),
    (socket.socket, "sendto", _guard_sendto),
    (socket, "create_connection", _guard_create_connection),
    (socket, "getaddrinfo", _guard_lookup),
    (socket, "gethostbyname", _guard_lookup),
    (socket, "gethostbyname_ex", _guard_lookup),
]


def protect() -> None:
    """What `import helpers` does before any lab starts: fake credentials, no way off the machine
    (a boto3 call made before `helpers.start()` is refused instead of reaching AWS)."""
    isolate_credentials()
    block_network()


def block_network() -> None:
    """Refuse every connection and name look-up that is not for this machine (moto answers AWS calls).

    Idempotent: run again (after a reset, or once `botocore` names another copy) it guards only
    what is not guarded yet.
    """
    import botocore.httpsession as httpsession  # whichever copy `botocore` is now (the AWS CLI's, say)

    for owner, name, guard in [*_GUARDS, (httpsession.URLLib3Session, "send", _guard_send)]:
        current = getattr(owner, name)
        if not getattr(current, "__lab_guard__", False):
            setattr(owner, name, guard(current))
