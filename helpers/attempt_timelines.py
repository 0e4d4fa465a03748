"""Notebook 01's "attempts on a timeline": five orders through one invocation model, some attempts failing.

    from helpers import attempt_timelines
    attempt_timelines.timeline_for("asynchronous", failure_rate=0.5, retries=2)   # a grid, orders down
    attempt_timelines.widget()                                                     # the same, with controls

The scenario driver is plumbing, not the lesson: it deploys a function, injects failures with
`lab.faults.fail(..., rate=..., seed=...)` (the same settings give the same timeline), sends the
orders the way the model does, and reads each attempt from the lab's recorded hops.
"""
from __future__ import annotations

import functools
import json
from typing import Any

import boto3
import pandas as pd

from .cleanup import delete_if_exists
from .data import load
from .lab import Lab, current
from .packaging import zip_code

MODELS = ("synchronous", "asynchronous", "SQS")
FUNCTION = "timeline-demo"
SEED = 2028


def _orders() -> list[dict[str, Any]]:
    return load("orders.json")[:5]


def _deploy(lab: Lab) -> None:
    delete_if_exists("function", FUNCTION)
    boto3.client("lambda").create_function(
        FunctionName=FUNCTION, Runtime="python3.12", Role=lab.role_arn, Handler="lambda_function.handler",
        Code={"ZipFile": zip_code("def handler(event, context):\n    return 'done'\n")})


def _queue(name: str, **attributes: str) -> tuple[str, str]:
    sqs = boto3.client("sqs")
    delete_if_exists("queue", name)
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def run_scenario(model: str, failure_rate: float, retries: int) -> pd.DataFrame:
    """Send five orders through `model`, failing a share of attempts: one row per attempt
    (order, at_s, ok) and each order's fate."""
    lab, lambda_ = current(), boto3.client("lambda")
    _deploy(lab)
    lab.faults.clear(FUNCTION)
    if failure_rate:
        lab.faults.fail(FUNCTION, rate=failure_rate, seed=SEED)
    if model == "synchronous":
        return _caller_retries(lab, retries)
    before, start = len(lab.recorder.hops), lab.now()
    if model == "asynchronous":
        _, failures_arn = _queue("timeline-failures")
        lambda_.put_function_event_invoke_config(FunctionName=FUNCTION, MaximumRetryAttempts=retries,
                                                 DestinationConfig={"OnFailure": {"Destination": failures_arn}})
        for order in _orders():
            lambda_.invoke(FunctionName=FUNCTION, InvocationType="Event", Payload=json.dumps(order))
        sink = "OnFailure destination"
    else:
        _, dlq_arn = _queue("timeline-dlq")
        url, arn = _queue("timeline-queue", VisibilityTimeout="30", RedrivePolicy=json.dumps(
            {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(retries + 1)}))
        lambda_.create_event_source_mapping(EventSourceArn=arn, FunctionName=FUNCTION, BatchSize=1)
        for order in _orders():
            boto3.client("sqs").send_message(QueueUrl=url, MessageBody=json.dumps(order))
        sink = "dead-letter queue"
    lab.run_until_idle()
    runs = [h for h in lab.recorder.hops[before:]
            if (h.service, h.action, h.resource) == ("lambda", "invoke", FUNCTION)]
    order_of = dict(zip(dict.fromkeys(h.trace for h in runs), [o["order_id"] for o in _orders()]))
    attempts = pd.DataFrame({"order": [order_of[h.trace] for h in runs],
                             "at_s": [(h.time - start).total_seconds() for h in runs],
                             "ok": [not h.detail["report"].function_error for h in runs]})
    return attempts.assign(fate=attempts.groupby("order")["ok"].transform("last").map(
        {True: "succeeded", False: sink}))


def _caller_retries(lab: Lab, retries: int) -> pd.DataFrame:
    """The synchronous model: Lambda retries nothing, so the caller retries failed orders itself
    (after 1 s, then 2 s)."""
    lambda_, start = boto3.client("lambda"), lab.now()
    rows, pending = [], _orders()
    for attempt in range(retries + 1):
        if attempt:
            lab.advance(seconds=attempt)
        failed = []
        for order in pending:
            ok = "FunctionError" not in lambda_.invoke(FunctionName=FUNCTION, Payload=json.dumps(order))
            rows.append({"order": order["order_id"], "at_s": (lab.now() - start).total_seconds(), "ok": ok})
            failed += [] if ok else [order]
        pending = failed
        if not pending:
            break
    lost = {o["order_id"] for o in pending}
    attempts = pd.DataFrame(rows)
    return attempts.assign(fate=attempts["order"].map(
        lambda order: "error returned to the caller" if order in lost else "succeeded"))


def timeline(attempts: pd.DataFrame) -> pd.DataFrame:
    """Orders down, virtual seconds across: ✓ a successful attempt, ✗ a failed one; then each order's fate."""
    marks = attempts.assign(mark=attempts["ok"].map({True: "✓", False: "✗"}))
    grid = marks.pivot_table(index="order", columns="at_s", values="mark", aggfunc="".join).fillna("")
    grid.columns = [f"{seconds:g} s" for seconds in grid.columns]
    return grid.join(attempts.groupby("order")["fate"].last())


@functools.lru_cache(maxsize=None)
def timeline_for(model: str, failure_rate: float, retries: int) -> pd.DataFrame:
    """The timeline of one scenario (the same settings always give the same one, so it is kept)."""
    return timeline(run_scenario(model, failure_rate, retries))


def widget():  # noqa: ANN201 - an ipywidgets box
    """Controls for the model, the failure rate and the retries, and the timeline they give."""
    import ipywidgets as widgets
    from IPython.display import display

    model = widgets.ToggleButtons(options=MODELS, value="asynchronous", description="Model")
    rate = widgets.FloatSlider(value=0.5, min=0, max=1, step=0.1, description="Failure rate",
                               readout_format=".0%", continuous_update=False)
    retries = widgets.IntSlider(value=2, min=0, max=2, description="Retries", continuous_update=False)
    shown = widgets.Output()

    def show(change: Any = None) -> None:
        with shown:
            shown.clear_output(wait=True)
            display(timeline_for(model.value, rate.value, retries.value))

    for control in (model, rate, retries):
        control.observe(show, "value")
    show()
    return widgets.VBox([model, widgets.HBox([rate, retries]), shown])
