"""The same calls in-process and through the lab's server (server mode), median latency side by side.

What a terminal or a second notebook pays for sharing the lab: HTTP on loopback, request parsing
and the response's serialisation, on top of the call itself.
Run: .venv/bin/python benchmarks/server_call.py [--quick]
"""
from __future__ import annotations

from typing import Any

import boto3
import harness
from timing import median_ms, trivial_function

import helpers


def run(quick: bool) -> list[dict[str, Any]]:
    lab = helpers.start()
    server = helpers.serve()
    trivial_function(lab, "bench")
    local = boto3.client("lambda")
    served = boto3.client("lambda", endpoint_url=server.url)
    cases = {
        "get_function": (lambda: local.get_function(FunctionName="bench"),
                         lambda: served.get_function(FunctionName="bench")),
        "invoke (trivial handler)": (lambda: local.invoke(FunctionName="bench", Payload=b"{}"),
                                     lambda: served.invoke(FunctionName="bench", Payload=b"{}")),
    }
    rows = []
    for name, (in_process, over_http) in cases.items():
        runs = [(median_ms(in_process, 5 if quick else 200), median_ms(over_http, 5 if quick else 200))
                for _ in range(1 if quick else 3)]
        local_ms, served_ms = min(r[0] for r in runs), min(r[1] for r in runs)
        rows.append(harness.figure(f"{name}: through the server / in-process", served_ms / local_ms, None, "x"))
    server.stop()
    return rows


if __name__ == "__main__":
    harness.main(run)
