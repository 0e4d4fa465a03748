"""Fetch a delivery quote from a partner's API: waiting, hardly any CPU (I/O-bound)."""
import time


def handler(event, context):
    time.sleep(event.get("wait_ms", 120) / 1000)        # the partner's API answers in 120 ms
    return {"quote": "ok"}
