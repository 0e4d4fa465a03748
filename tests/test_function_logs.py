"""helpers.function_logs: a function's CloudWatch Logs read back as one row per invocation."""
from __future__ import annotations

import json

import boto3

import helpers
from helpers.function_logs import invocations

#: Prints two lines, then succeeds, raises or outlasts its 1 s timeout, as the event says.
HANDLER = """
import time
def handler(event, context):
    print("got", event["n"])
    print("second line")
    if event["end"] == "raise":
        raise ValueError("bad order " + str(event["n"]))
    if event["end"] == "sleep":
        time.sleep(2)
"""


def test_one_row_per_invocation_with_its_lines_and_outcome(lab):
    """aws-semantics.md 1.1 [L4][L6] (an unhandled error is logged as `[ERROR] Type: message`) and 2 [X1]
    (a timeout is logged as `Task timed out after N.NN seconds`)."""
    boto3.client("lambda").create_function(
        FunctionName="fn", Runtime="python3.12", Role=lab.role_arn, Handler="lambda_function.handler",
        Code={"ZipFile": helpers.zip_code(HANDLER)}, Timeout=1)
    before = lab.now()
    boto3.client("lambda").invoke(FunctionName="fn", Payload=json.dumps({"n": 0, "end": "ok"}))
    lab.advance(seconds=5)
    start = lab.now()
    for n, end in enumerate(("ok", "raise", "sleep"), start=1):
        boto3.client("lambda").invoke(FunctionName="fn", Payload=json.dumps({"n": n, "end": end}))
        lab.advance(seconds=10)
    rows = invocations("fn", since=start)
    assert list(rows.columns) == ["at_s", "printed", "outcome"]
    assert rows["at_s"].tolist() == [0.0, 10.0, 20.0]
    assert rows["printed"].tolist() == [
        ["got 1", "second line"], ["got 2", "second line"], ["got 3", "second line"]]
    assert rows["outcome"].tolist() == ["ok", "ValueError: bad order 2", "Task timed out after 1.00 seconds"]
    assert len(invocations("fn", since=before)) == 4


def test_a_function_that_has_not_run_since_has_no_rows(lab):
    """Rows start at `since`: earlier invocations are left out."""
    boto3.client("lambda").create_function(
        FunctionName="fn", Runtime="python3.12", Role=lab.role_arn, Handler="lambda_function.handler",
        Code={"ZipFile": helpers.zip_code(HANDLER)})
    boto3.client("lambda").invoke(FunctionName="fn", Payload=json.dumps({"n": 0, "end": "ok"}))
    lab.advance(seconds=1)
    assert invocations("fn", since=lab.now()).empty
