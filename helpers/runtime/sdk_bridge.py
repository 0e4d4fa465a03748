"""A handler's boto3 calls, carried from its execution environment's process to the lab's moto.

In the environment (`install_forwarder`): every botocore request is sent, as method, URL, headers and
body, over the environment's pipe instead of the network, with the operation's name and parameters
for the trace. In the lab's process (`serve`): the request is answered by the same moto that the
notebook's calls reach, on the thread that waits for the invocation, so the call belongs to the
invocation's flow (its X-Ray trace header) and happens in order, at the lab's virtual time.
"""
from __future__ import annotations

import io
import pickle
import threading
from typing import Any, Callable, Iterator

#: What the environment's side needs to send a request and hear the answer.
Call = Callable[[dict[str, Any]], dict[str, Any]]


class _RawBody(io.BytesIO):
    """The raw body of a response, as botocore reads it (`stream()` for streaming bodies)."""

    def stream(self, **_: Any) -> Iterator[bytes]:
        contents = self.read()
        while contents:
            yield contents
            contents = self.read()


def _picklable(params: Any) -> Any:
    """The call's parameters for the trace; anything that cannot cross the pipe is shown by repr."""
    if _can_pickle(params):
        return params
    return {key: value if _can_pickle(value) else repr(value) for key, value in dict(params).items()}


def _can_pickle(value: Any) -> bool:
    try:
        pickle.dumps(value)
        return True
    except Exception:
        return False


def install_forwarder(call: Call) -> None:
    """Send every botocore request of this process over `call` (in the environment's process):
    requests of sessions created from now on, and of boto3's default session."""
    from botocore.awsrequest import AWSResponse
    from botocore.compat import HTTPHeaders
    from botocore.handlers import BUILTIN_HANDLERS

    current = threading.local()

    def keep_params(params: dict[str, Any], **_: Any) -> None:
        current.params = params

    def keep_operation(model: Any, **_: Any) -> None:
        current.operation = (model.service_model.endpoint_prefix, model.name)

    def forward(request: Any, **_: Any) -> Any:
        body = request.body
        if hasattr(body, "read"):
            body = body.read()
        if isinstance(body, str):
            body = body.encode("utf-8")
        prefix, operation = getattr(current, "operation", ("", ""))
        reply = call({"method": request.method, "url": request.url,
                      "headers": {k: v.decode() if isinstance(v, bytes) else str(v)
                                  for k, v in request.headers.items()},
                      "body": body or b"", "service": prefix, "operation": operation,
                      "params": _picklable(getattr(current, "params", {}))})
        headers = HTTPHeaders()
        for key, value in reply["headers"].items():
            headers[key] = value
        return AWSResponse(request.url, reply["status"], headers, _RawBody(reply["body"]))

    handlers = [("before-parameter-build", keep_params), ("before-call", keep_operation), ("before-send", forward)]
    BUILTIN_HANDLERS.extend(handlers)  # sessions created from now on
    import boto3

    if boto3.DEFAULT_SESSION is not None:  # the session preloaded in the warm server process
        for event, handler in handlers:
            boto3.DEFAULT_SESSION._session.register(event, handler)


def serve(request: dict[str, Any]) -> dict[str, Any]:
    """Answer one forwarded request with the lab's moto (in the lab's process)."""
    from botocore.awsrequest import AWSPreparedRequest
    from botocore.compat import HTTPHeaders
    from moto.core.models import botocore_stubber

    from ..motoext.core import notify
    from ..sandbox import SandboxEscapeError

    headers = HTTPHeaders()
    for key, value in request["headers"].items():
        headers[key] = value
    prepared = AWSPreparedRequest(method=request["method"], url=request["url"], headers=headers,
                                  body=request["body"], stream_output=False)
    if request["operation"]:  # every API call is a hop of the invocation's flow
        from ..motoext.core import _resource_of

        notify(request["service"], request["operation"], _resource_of(request["params"]),
               params=request["params"])
    answer = botocore_stubber.process_request(prepared)
    if answer is None:
        raise SandboxEscapeError(f"The lab blocked a request to {request['url']}: it is not handled by "
                                 "the sandbox and would have left this machine.")
    status, response_headers, body = answer
    return {"status": status, "headers": {str(k): str(v) for k, v in dict(response_headers).items()},
            "body": body.encode("utf-8") if isinstance(body, str) else bytes(body or b"")}
