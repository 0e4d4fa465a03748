"""Serverless Patterns Lab: run AWS serverless patterns offline with boto3, moto and a virtual clock.

    import boto3, helpers
    lab = helpers.start()           # the sandbox for this kernel: nothing reaches AWS
    lambda_ = boto3.client("lambda")
    lambda_.create_function(..., Role=lab.role_arn, Code={"ZipFile": helpers.zip_code(code)})
    lab.advance(minutes=3)          # let virtual time pass: retries, redeliveries, waits
    server = helpers.serve()        # the same lab for the AWS CLI or a script, on 127.0.0.1
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from . import sandbox
from .cleanup import delete_if_exists
from .packaging import zip_code
from .source import read_code, show_code
from .trace import by_service, clear_trace, flows, for_trace, trace

if TYPE_CHECKING:
    from .diagrams import draw_architecture, draw_sequence, draw_service_map, draw_state_machine
    from .envcheck import check_environment
    from .endpoint import connect
    from .lab import Lab, current, start
    from .server import serve

sandbox.protect()  # from the first import on: a cell run before `helpers.start()` cannot reach AWS

#: Names whose module is imported when first asked for, so `import helpers` stays cheap (the lab
#: brings moto, the diagrams graphviz, the environment check `packaging`).
_LAZY = {"Lab": "lab", "current": "lab", "start": "lab", "check_environment": "envcheck",
         "draw_architecture": "diagrams", "draw_sequence": "diagrams", "draw_service_map": "diagrams",
         "draw_state_machine": "diagrams", "serve": "server", "connect": "endpoint"}

__all__ = ["Lab", "by_service", "check_environment", "clear_trace", "connect", "current", "delete_if_exists",
           "draw_architecture", "draw_sequence", "draw_service_map", "draw_state_machine", "flows",
           "for_trace", "read_code", "serve", "show_code", "start", "trace", "zip_code"]


def __getattr__(name: str) -> Any:
    """The names in `_LAZY`, from their module, imported on first use."""
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
