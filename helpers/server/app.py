"""The lab's HTTP front door: AWS API requests to the lab's moto, and `/lab-api/` for the lab itself.

An AWS request takes the same path inside the lab as a notebook's own boto3 call: moto's botocore
stubber (`moto.core.models.botocore_stubber`), so the lab's clock, runtime and patches apply, work due
now runs before the response is sent, and the call is recorded in the trace. The lab's own endpoints
(JSON in, JSON out) are what `lab.advance()`, `lab.reset()` and `lab.trace()` do in a notebook:

    POST /lab-api/advance          {"seconds": 60} (or "minutes", "hours")
    POST /lab-api/run-until-idle
    POST /lab-api/reset
    GET  /lab-api/now
    GET  /lab-api/trace?setup=true&flow=last&service=lambda
"""
from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Callable, Iterable

from botocore.awsrequest import AWSPreparedRequest
from moto.core.models import botocore_stubber
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.wrappers import Request, Response

from .. import sandbox
from ..motoext.core import bound_trace, new_trace_header, record_api_call
from .operations import credential_scope, identify

if TYPE_CHECKING:
    from ..lab import Lab

LAB_API = "/lab-api/"


def _json_response(value: Any, status: int = 200) -> Response:
    return Response(json.dumps(value, default=str), status=status, mimetype="application/json")


def _clock_state(lab: Lab) -> dict[str, Any]:
    return {"now": lab.now().isoformat(), "pending": lab.clock.pending}


class LabApp:
    """A WSGI application serving one lab."""

    def __init__(self, lab: Lab) -> None:
        self.lab = lab
        self._hosts = DomainDispatcherApplication(create_backend_app)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        if request.path.startswith(LAB_API):
            response = self._lab_api(request)
        else:
            response = self._aws(request, environ)
        return response(environ, start_response)

    # -- the lab's own endpoints ---------------------------------------------------------------
    def _lab_api(self, request: Request) -> Response:
        action = request.path[len(LAB_API):].strip("/")
        body = request.get_json(silent=True, force=True) or {}
        try:
            if (request.method, action) == ("POST", "advance"):
                amounts = {unit: float(body.get(unit, 0)) for unit in ("seconds", "minutes", "hours")}
                return _json_response({"ran": self.lab.advance(**amounts), **_clock_state(self.lab)})
            if (request.method, action) == ("POST", "run-until-idle"):
                return _json_response({"ran": self.lab.run_until_idle(), **_clock_state(self.lab)})
            if (request.method, action) == ("POST", "reset"):
                self.lab.reset()
                return _json_response(_clock_state(self.lab))
            if (request.method, action) == ("GET", "now"):
                return _json_response(_clock_state(self.lab))
            if (request.method, action) == ("GET", "trace"):
                return self._trace(request)
        except (ValueError, RuntimeError) as error:
            return _json_response({"error": type(error).__name__, "message": str(error)}, status=400)
        return _json_response({"error": "NotFound", "message": f"No lab endpoint {request.method} {request.path}; "
                               "see helpers.server.app for the list."}, status=404)

    def _trace(self, request: Request) -> Response:
        filters: dict[str, Any] = {"setup": request.args.get("setup", "false").lower() == "true"}
        for name in ("flow", "service"):
            if request.args.get(name):
                filters[name] = request.args[name]
        frame = self.lab.trace(**filters)
        records = json.loads(frame.to_json(orient="records", date_format="iso", default_handler=str))
        return _json_response(records)

    # -- AWS ------------------------------------------------------------------------------------
    def _aws_host(self, environ: dict[str, Any], path: str, authorization: str) -> str | None:
        """The AWS host name the request was meant for (moto's own inference, from the SigV4 scope)."""
        host = self._hosts.infer_service_region_host(environ, path)
        if host is None or "." in host:
            return host
        scope = credential_scope(authorization)
        region = scope[0] if scope else sandbox.REGION
        # moto's dispatcher names some backends rather than hosts; the stubber matches real host names.
        return {"dynamodb": f"dynamodb.{region}.amazonaws.com",
                "dynamodbstreams": f"streams.dynamodb.{region}.amazonaws.com"}.get(host)

    def _aws(self, request: Request, environ: dict[str, Any]) -> Response:
        body = request.get_data()
        headers = {key.lower(): value for key, value in request.headers.items()}
        host = self._aws_host(environ, request.path, headers.get("authorization", ""))
        if host is None:
            return _json_response({"message": "The lab's server could not tell which AWS service this "
                                   "request is for: sign it with SigV4 (any SDK or the AWS CLI does)."}, 400)
        query = environ.get("QUERY_STRING", "")
        raw_path = (environ.get("REQUEST_URI") or environ.get("RAW_URI") or request.path).split("?", 1)[0]
        url = f"https://{host}{raw_path}"
        aws_request = AWSPreparedRequest(
            method=request.method, url=url + (f"?{query}" if query else ""),
            headers={**dict(request.headers.items()), "Host": host}, body=body, stream_output=False)
        call = identify(request.method, request.path, query, headers, body)
        with bound_trace(new_trace_header()):
            if call is not None:
                record_api_call(call.endpoint_prefix, call.operation, call.params)
            try:
                result = botocore_stubber.process_request(aws_request)
            except Exception as error:  # noqa: BLE001 - one bad request must not stop the server
                return _json_response({"__type": "InternalFailure", "message": f"{type(error).__name__}: {error}"},
                                      status=500)
        if result is None:
            return _json_response({"message": f"The lab does not serve {host}{request.path}."}, status=404)
        status, response_headers, content = result
        response = Response(content, status=status)
        for key, value in response_headers.items():
            if key.lower() not in ("content-length", "status", "server", "date"):
                response.headers[key] = str(value)
        return response
