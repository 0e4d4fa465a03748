"""EventBridge API destinations: events sent over HTTP, in the lab only to this machine.

On AWS an API destination is an HTTPS endpoint that a rule's target invokes with the (transformed)
event as the body, the target's `HttpParameters` (headers, query string, `*` path values) and the
connection's authorization (an API key header or basic auth); a response of 401, 407, 409, 429 or
5xx is retried, any other error is not
(https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-api-destinations.html).

Nothing leaves the machine in the lab, so PutTargets refuses an API destination whose endpoint is
not a loopback address (`http://127.0.0.1:<port>/...`, `localhost`, `[::1]`): a learner starts a
small HTTP server in the notebook and points the destination at it. Delivery is a real request to
that server, made when the delivery falls due on the virtual clock.
"""
from __future__ import annotations

import base64
import ipaddress
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from moto.events.exceptions import ValidationException
from moto.utilities.arns import parse_arn

from .targets import DeliveryError

#: Statuses AWS retries (eb-api-destinations "API destination error codes").
RETRIED_STATUSES = frozenset({401, 407, 409, 429})
#: Seconds the lab waits for the local endpoint to answer.
TIMEOUT_S = 5.0


def is_api_destination(arn: str) -> bool:
    """Whether `arn` names an API destination (any string is accepted: PutTargets checks ARNs later)."""
    parts = arn.split(":", 5)
    return len(parts) == 6 and parts[2] == "events" and parts[5].startswith("api-destination/")


def is_loopback(url: str) -> bool:
    """Whether `url` points at this machine (127.0.0.0/8, ::1 or localhost)."""
    host = urllib.parse.urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _destination(arn: str) -> Any | None:
    from moto.events.models import events_backends

    parsed = parse_arn(arn)
    return events_backends[parsed.account][parsed.region].destinations.get(parsed.resource_id.split("/")[0])


def check_target(target: dict[str, Any]) -> None:
    """PutTargets: refuse an API destination the lab cannot reach without leaving the machine."""
    destination = _destination(target["Arn"])
    if destination is not None and not is_loopback(destination.invocation_endpoint):
        raise ValidationException(
            f"Target {target['Id']}: the lab delivers API destinations only to this machine, and "
            f"{destination.invocation_endpoint} is not a loopback address. Start a local HTTP server and "
            "point the API destination at it (InvocationEndpoint='http://127.0.0.1:<port>/path').")


def _authorization(connection_arn: str) -> dict[str, str]:
    from moto.events.models import events_backends

    parsed = parse_arn(connection_arn)
    name = parsed.resource_id.split("/")[0]
    connection = events_backends[parsed.account][parsed.region].connections.get(name)
    if connection is None:
        return {}
    parameters = connection.auth_parameters
    headers = {}
    if connection.authorization_type == "API_KEY":
        key = parameters.get("ApiKeyAuthParameters") or {}
        headers[key.get("ApiKeyName", "x-api-key")] = key.get("ApiKeyValue", "")
    elif connection.authorization_type == "BASIC":
        basic = parameters.get("BasicAuthParameters") or {}
        token = base64.b64encode(f"{basic.get('Username', '')}:{basic.get('Password', '')}".encode()).decode()
        headers["Authorization"] = f"Basic {token}"
    for header in ((parameters.get("InvocationHttpParameters") or {}).get("HeaderParameters") or []):
        headers[header["Key"]] = header["Value"]
    return headers


def invoke(target: dict[str, Any], payload: str) -> int:
    """Send `payload` to the target's API destination; returns the HTTP status (raises on failure)."""
    destination = _destination(target["Arn"])
    if destination is None:
        raise DeliveryError("NO_RESOURCE", f"API destination {target['Arn']} does not exist.", retryable=False)
    if not is_loopback(destination.invocation_endpoint):
        raise DeliveryError("INVALID_PARAMETER", "The lab delivers API destinations only to this machine.",
                            retryable=False)
    http = target.get("HttpParameters") or {}
    url = destination.invocation_endpoint
    for value in http.get("PathParameterValues") or []:
        url = url.replace("*", urllib.parse.quote(value), 1)
    query = http.get("QueryStringParameters") or {}
    if query:
        url += ("&" if "?" in url else "?") + urllib.parse.urlencode(query)
    headers = {"Content-Type": "application/json; charset=utf-8",
               **_authorization(destination.connection_arn), **(http.get("HeaderParameters") or {})}
    request = urllib.request.Request(url, data=payload.encode("utf-8"), headers=headers,
                                     method=destination.http_method)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:  # noqa: S310 - loopback only
            return response.status
    except urllib.error.HTTPError as err:
        code = "THROTTLING" if err.code == 429 else "INTERNAL_ERROR" if err.code >= 500 else "INVALID_PARAMETER"
        raise DeliveryError(code, f"The endpoint answered {err.code} {err.reason}.",
                            retryable=err.code in RETRIED_STATUSES or err.code >= 500) from None
    except (urllib.error.URLError, OSError) as err:  # nothing listening yet: retried, as a 5xx would be
        raise DeliveryError("INTERNAL_ERROR", f"The endpoint could not be reached: {err}.", retryable=True) from None
