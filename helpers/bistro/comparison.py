"""The same orders through three designs of the Lambda Bistro, with the same injected failures (notebook 06).

    from helpers.bistro import comparison
    run = comparison.run("choreography", orders, rate=0.2)    # deploy, place the orders, settle
    run.orders                                                 # one row per order: outcome, time, messages
    comparison.side_by_side([run, ...])                        # the designs' totals, one column each

The designs are those of notebooks 04 (`choreography`), 05 (`orchestration`) and the hybrid of
`helpers.bistro.hybrid`. In each, the function that cooks fails a share `rate` of its invocations
(`lab.faults.fail`, drawn from `seed`: the same picks on every run). Orders arrive one a minute on
the lab's clock; the couriers of the orchestrated design answer as soon as they are offered a job.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..clients import client
from ..data import load
from ..lab import current
from ..prices import gb_second_price, request_price, state_transition_price
from . import choreography, hybrid, orchestration

DESIGNS = ("choreography", "orchestration", "hybrid")
#: The function that cooks in each design: the one that fails.
COOKS = {"choreography": "kitchen", "orchestration": "bistro-prepare-line", "hybrid": "kitchen-prepare-line"}
#: us-east-1 prices in USD: EventBridge custom events (aws.amazon.com/eventbridge/pricing), Lambda
#: requests and x86 GB-seconds (aws.amazon.com/lambda/pricing), DynamoDB on-demand write request
#: units (aws.amazon.com/dynamodb/pricing/on-demand), Step Functions Standard state transitions
#: (aws.amazon.com/step-functions/pricing).
PRICES = {"custom events": 1.00 / 1e6, "Lambda requests": request_price(), "Lambda GB-seconds": gb_second_price(),
          "DynamoDB write units": 0.625 / 1e6, "state transitions": state_transition_price()}
OUTCOMES = ("delivered", "cancelled", "stuck")
#: Portions of every menu item the kitchen has for the comparison: more than 300 orders need.
LUNCH_PORTIONS = 500


@dataclass
class Run:
    """One design's run: its orders (one row each) and the part of the trace it recorded."""

    design: str
    rate: float
    orders: pd.DataFrame
    frame: pd.DataFrame = field(repr=False)

    def usage(self) -> pd.Series:
        """What the run would be billed for (see `choreography.usage`), with the state transitions."""
        return pd.concat([choreography.usage(self.frame),
                          pd.Series({"state transitions": int(_billed(self.frame).sum())})])


def deploy(design: str) -> dict[str, str]:
    """Deploy one design from scratch (the kitchen stocked for a long lunch: nothing runs out)."""
    if design == "orchestration":
        return orchestration.deploy()
    arns = hybrid.deploy() if design == "hybrid" else choreography.deploy()
    choreography.stock_kitchen({item["id"]: LUNCH_PORTIONS for item in load("menu.json")["items"]})
    return arns


def run(design: str, orders: Sequence[dict[str, Any]], rate: float = 0.0, seed: int = 7,
        every_s: float = 60.0, settle_minutes: float = 15.0) -> Run:
    """Deploy `design`, place `orders` one every `every_s` seconds with its cook failing a share `rate`
    of invocations, and let everything settle. The same arguments give the same run."""
    lab = current()
    arns = deploy(design)
    since = lab.recorder.hops[-1].seq if lab.recorder.hops else -1
    with lab.faults.fail(COOKS[design], rate=rate, seed=seed):
        for index, order in enumerate(orders):
            if index:
                lab.advance(seconds=every_s)
            _place(design, order, arns)
        lab.advance(minutes=settle_minutes)
        if design == "orchestration":
            orchestration.couriers_accept()
            lab.advance(minutes=settle_minutes)
    frame = lab.trace()
    frame = frame[frame["seq"] > since]
    return Run(design, rate, per_order(frame), frame)


def _place(design: str, order: dict[str, Any], arns: dict[str, str]) -> None:
    if design != "orchestration":
        choreography.place(order)
        return
    client("stepfunctions").start_execution(
        stateMachineArn=arns["state_machine"], name=order["order_id"], input=json.dumps(order))
    orchestration.couriers_accept([order["order_id"]])


def _billed(frame: pd.DataFrame) -> pd.Series:
    """Which hops are state transitions Step Functions bills: each state entered, and each retry."""
    return frame["service"].eq("states") & frame["action"].eq("transition") & frame["phase"].isin(["entered", "retry"])


def per_order(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per order of a run: its outcome (delivered, cancelled, stuck), where it stopped, the
    seconds from its first hop to its last, Lambda invocations (and how many failed), events
    published and state transitions."""
    frame = frame.dropna(subset=["trace"])
    types = choreography.published(frame)
    invoke = frame["kind"].eq("invoke")
    marks = pd.DataFrame({"trace": frame["trace"], "t": frame["t"], "invoke": invoke,
                          "failed": invoke & frame["error"].astype(bool), "billed": _billed(frame),
                          "events": types.str.count(", ").add(1).where(types.ne(""), 0)})
    totals = marks.groupby("trace", sort=False).agg(
        start=("t", "min"), end=("t", "max"), invocations=("invoke", "sum"), failed=("failed", "sum"),
        events=("events", "sum"), transitions=("billed", "sum"))
    stops = _orchestrated_stops(frame)
    stops = pd.concat([stops, _choreographed_stops(frame[types.ne("")], types)[lambda s: ~s.index.isin(stops.index)]])
    rows = stops.join(totals, how="inner")
    orders = pd.DataFrame({
        "order_id": rows["order_id"], "outcome": rows["outcome"], "stopped at": rows["stopped at"],
        "span_s": (rows["end"] - rows["start"]).astype(float), "invocations": rows["invocations"].astype(int),
        "failed": rows["failed"].astype(int), "events": rows["events"].astype(int),
        "transitions": rows["transitions"].astype(int)}).astype({"order_id": str, "outcome": str, "stopped at": str})
    return orders.sort_values("order_id", ignore_index=True)


def _orchestrated_stops(frame: pd.DataFrame) -> pd.DataFrame:
    """Per flow of the orchestration (the execution is named after the order): the order, its
    outcome from the execution's last status, and the last state it entered."""
    execution = frame["service"].eq("states") & frame["action"].eq("execution") \
        & frame["resource"].astype(str).str.contains(f":execution:{orchestration.STATE_MACHINE}:")
    executions = frame[execution].groupby("trace", sort=False).agg(resource=("resource", "first"),
                                                                      status=("status", "last"))
    transition = frame["service"].eq("states") & frame["action"].eq("transition")
    states = frame[transition].groupby("trace", sort=False)["state"].last()
    status = executions["status"].where(executions["status"].notna(), "RUNNING")
    return pd.DataFrame({
        "order_id": executions["resource"].astype(str).str.rsplit(":", n=1).str[-1],
        "outcome": status.map({"SUCCEEDED": "delivered", "FAILED": "cancelled"}).fillna("stuck"),
        "stopped at": states.reindex(executions.index).fillna("-")}, index=executions.index)


def _choreographed_stops(calls: pd.DataFrame, types: pd.Series) -> pd.DataFrame:
    """Per flow of a choreography: the order (in the first event published), the last event
    published and the outcome it means. `calls`: the flows' PutEvents rows."""
    by_flow = pd.DataFrame({"trace": calls["trace"], "detail": calls["detail"], "types": types[calls.index]}) \
        .groupby("trace", sort=False).agg(detail=("detail", "first"), types=("types", "last"))
    last = by_flow["types"].str.split(", ").str[-1]
    return pd.DataFrame({
        "order_id": [json.loads(((detail.get("params") or {}).get("Entries") or [{}])[0].get("Detail", "{}")).get(
            "order_id") for detail in by_flow["detail"]],
        "outcome": last.map({"OrderDispatched": "delivered", "OrderCancelled": "cancelled"}).fillna("stuck"),
        "stopped at": last}, index=by_flow.index)


def side_by_side(runs: Sequence[Run]) -> pd.DataFrame:
    """The designs' totals, one column each: outcomes, time, messages, invocations."""
    columns = {}
    for one in runs:
        orders = one.orders
        counts = orders["outcome"].value_counts()
        columns[one.design] = {**{outcome: int(counts.get(outcome, 0)) for outcome in OUTCOMES},
                               "Lambda invocations": int(orders["invocations"].sum()),
                               "failed invocations": int(orders["failed"].sum()),
                               "events published": int(orders["events"].sum()),
                               "state transitions": int(orders["transitions"].sum()),
                               "mean end-to-end (s)": round(float(orders["span_s"].mean()), 1),
                               "slowest order (s)": round(float(orders["span_s"].max()), 1)}
    return pd.DataFrame({design: pd.Series(values, dtype=object) for design, values in columns.items()})


def bill(runs: Sequence[Run]) -> pd.DataFrame:
    """USD per million orders at `PRICES`, one column per design, and the total."""
    table = pd.DataFrame({one.design: one.usage() / len(one.orders) * pd.Series(PRICES) * 1e6 for one in runs})
    table.loc["total"] = table.sum()
    return table.round(2)


def met_a_failure(runs: Sequence[Run]) -> pd.DataFrame:
    """The orders whose cook failed at least once in some design: per design, the outcome, the
    seconds the order took and the failed invocations (e.g. "delivered, 60 s (1 failed)")."""
    joined = pd.concat({one.design: one.orders.set_index("order_id") for one in runs}, axis=1)
    rows = joined[joined.xs("failed", axis=1, level=1).gt(0).any(axis=1)]
    return pd.DataFrame({one.design: [f"{o}, {s:.0f} s" + (f" ({f} failed)" if f else "") for o, s, f in zip(
        rows[(one.design, "outcome")], rows[(one.design, "span_s")], rows[(one.design, "failed")])]
        for one in runs}, index=rows.index)


def chart(runs: Sequence[Run], title: str = "") -> Any:
    """Two panels side by side: each design's outcomes, and its messages and invocations."""
    import matplotlib.pyplot as plt

    table = side_by_side(runs)
    figure, (outcomes, messages) = plt.subplots(1, 2, figsize=(7.4, 3.3), layout="constrained")
    bottom = pd.Series(0, index=table.columns)
    for outcome, color in zip(OUTCOMES, ("#2e7d32", "#f9a825", "#c62828")):
        outcomes.bar(table.columns, table.loc[outcome], bottom=bottom, label=outcome, color=color)
        bottom += table.loc[outcome]
    outcomes.set_title("orders, by outcome", fontsize=10)
    outcomes.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=3, frameon=False)
    outcomes.yaxis.get_major_locator().set_params(integer=True)
    kinds = ["Lambda invocations", "events published", "state transitions"]
    for index, (kind, color) in enumerate(zip(kinds, ("#ff9900", "#e7157b", "#7b42bc"))):
        positions = [x + (index - 1) * 0.27 for x in range(len(table.columns))]
        messages.bar(positions, table.loc[kind], 0.27, label=kind, color=color)
    messages.set_xticks(range(len(table.columns)), table.columns)
    messages.set_title("messages and invocations", fontsize=10)
    messages.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=2, frameon=False)
    for axes in (outcomes, messages):
        axes.tick_params(labelsize=8)
        axes.spines[["top", "right"]].set_visible(False)
    if title:
        figure.suptitle(title, fontsize=11)
    plt.close(figure)
    return figure


def explorer(orders: Sequence[dict[str, Any]], runs: Sequence[Run] = (), seed: int = 7,
             more: Sequence[dict[str, Any]] = ()) -> Any:
    """A slider for the cook's failure rate and the designs' totals side by side at that rate; with
    `more` (a larger workload), buttons to run that instead of `orders`.

    Each (workload, rate)'s runs are kept, so going back is instant; `runs` (of `orders`, at one rate)
    seed the cache. A new choice runs every design again: a few seconds for 20 orders, about ten
    times that for 200 (each order costs every design a few dozen AWS calls)."""
    import ipywidgets as widgets
    from IPython.display import display

    workloads = {f"{len(orders)} orders": orders, **({f"{len(more)} orders": more} if more else {})}
    cache: dict[tuple[str, float], pd.DataFrame] = {}
    if runs:
        cache[(next(iter(workloads)), round(runs[0].rate, 2))] = side_by_side(runs)
    slider = widgets.FloatSlider(value=runs[0].rate if runs else 0.2, min=0.0, max=0.5, step=0.1,
                                 description="failure rate", readout_format=".0%", continuous_update=False)
    size = widgets.ToggleButtons(options=list(workloads), description="workload")
    output = widgets.Output()

    def show(_: object = None) -> None:
        key = (size.value, round(slider.value, 2))
        if key not in cache:
            with output:
                print(f"Running {size.value} through the three designs at {key[1]:.0%}...")
            cache[key] = side_by_side([run(design, workloads[size.value], rate=key[1], seed=seed)
                                       for design in DESIGNS])
        output.clear_output(wait=True)
        with output:
            display(cache[key])

    slider.observe(show, names="value")
    size.observe(show, names="value")
    show()
    return widgets.VBox([widgets.HBox([slider, size]) if more else slider, output])
