"""Any of the bistro's dozen functions: some arithmetic, some waiting, on one or more threads.

Each function's environment variables say how much of each it does (see fleet.json).
"""
import os
import threading
import time

LINES, THREADS, WAIT_MS = (int(os.environ[name]) for name in ("LINES", "THREADS", "WAIT_MS"))


def crunch(lines):
    total = 0
    for line in range(lines):
        total = (total * 31 + line) % 1_000_003
    return total


def handler(event, context):
    time.sleep(WAIT_MS / 1000)                  # calls to DynamoDB, S3 or a partner's API
    workers = [threading.Thread(target=crunch, args=(LINES // THREADS,)) for _ in range(THREADS - 1)]
    for worker in workers:
        worker.start()
    crunch(LINES // THREADS)                    # this thread does its share too
    for worker in workers:
        worker.join()
    return {"ok": True}
