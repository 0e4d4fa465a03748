"""One boto3 client per service for the lab's own plumbing (deploying, placing orders, cleaning up).

Creating a boto3 client costs about 10 ms (its service model, endpoint rules and event hooks), more
than most calls it then makes; the lab's helpers make thousands of calls in a notebook. The clients
reach whatever the lab's sandbox serves at the time of each call, so one per process is enough,
across `lab.reset()` too. Notebook cells keep creating their own clients, as on AWS.
"""
from __future__ import annotations

import functools
from typing import Any

import boto3


@functools.lru_cache(maxsize=None)
def client(service: str) -> Any:
    """The shared client of `service` (``"dynamodb"``, ``"events"``...)."""
    return boto3.client(service)
