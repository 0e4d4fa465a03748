"""Serverless Patterns Lab: run AWS serverless patterns offline with boto3, moto and a virtual clock.

    import boto3, helpers
    lab = helpers.start()           # the sandbox for this kernel: nothing reaches AWS
    lambda_ = boto3.client("lambda")
    lambda_.create_function(..., Role=lab.role_arn, Code={"ZipFile": helpers.zip_code(code)})
    lab.advance(minutes=3)          # let virtual time pass: retries, redeliveries, waits
    server = helpers.serve()        # the same lab for the AWS CLI or a script, on 127.0.0.1
"""
from __future__ import annotations

from .cleanup import delete_if_exists
from .diagrams import draw_architecture, draw_sequence, draw_service_map, draw_state_machine
from .endpoint import connect
from .envcheck import check_environment
from .lab import Lab, current, start
from .packaging import zip_code
from .server import serve
from .source import read_code, show_code
from .trace import by_service, clear_trace, flows, for_trace, trace

__all__ = ["Lab", "by_service", "check_environment", "clear_trace", "connect", "current", "delete_if_exists",
           "draw_architecture", "draw_sequence", "draw_service_map", "draw_state_machine", "flows",
           "for_trace", "read_code", "serve", "show_code", "start", "trace", "zip_code"]
