"""Power tuning plumbing for notebook 07: AWS's price table, costs, the tuner's results as tables and
charts, the memory-and-architecture widget.

The tuner itself (a Step Functions state machine and its Lambda functions) lives in
`notebooks/bistro/tuner/`, where the notebook shows and deploys it; this module only reads prices and
presents what the tuner measured.
"""
from __future__ import annotations

import base64
import math
import re
from typing import Any

import pandas as pd

from .prices import ARCHITECTURES, gb_second_price, prices, request_price
from .runtime.duration_model import MAX_VCPUS, ONE_VCPU_MB, vcpus

#: The tool's smallest power value: its prices are the 128 MB price scaled by memory / 128.
MIN_RAM_MB = 128


def millisecond_price(memory_mb: int, architecture: str = "x86_64", table: dict | None = None) -> float:
    """Price of one billed millisecond at `memory_mb`: GB-second price x GB / 1000."""
    return gb_second_price(architecture, table) * memory_mb / 1024 / 1000


def base_costs(table: dict | None = None) -> dict[str, float]:
    """The tuner's `baseCosts`: the price of a millisecond at 128 MB per architecture."""
    return {arch: millisecond_price(MIN_RAM_MB, arch, table) for arch in ARCHITECTURES}


def invocation_cost(billed_ms: float, memory_mb: int, architecture: str = "x86_64",
                    table: dict | None = None) -> float:
    """What one invocation costs: the request plus its GB-seconds (duration rounded up to 1 ms)."""
    return request_price(table) + math.ceil(billed_ms) * millisecond_price(memory_mb, architecture, table)


def price_table() -> pd.DataFrame:
    """The price table as the notebook shows it: one row per architecture and tier."""
    table = prices()
    rows = [{"architecture": arch, "GB-seconds a month up to": tier["up_to_gb_seconds_per_month"] or "and above",
             "$ per GB-second": f"{tier['price_per_gb_second']:.10f}",
             "$ per ms at 128 MB": f"{tier['price_per_gb_second'] * MIN_RAM_MB / 1024 / 1000:.4g}"}
            for arch in ARCHITECTURES for tier in table["duration"][arch]]
    return pd.DataFrame(rows).set_index("architecture")


def what_memory_buys(power_values: list[int]) -> pd.DataFrame:
    """Per memory size, the vCPU share (duration_model.vcpus) and how much faster than at 128 MB
    single-threaded and six-threaded code run."""
    rows = []
    for memory in power_values:
        share = vcpus(memory)
        rows.append({"memory (MB)": memory, "vCPUs": round(share, 2),
                     "1 thread: x faster than 128 MB": round(min(1.0, share) / vcpus(MIN_RAM_MB), 1),
                     f"{MAX_VCPUS} threads: x faster than 128 MB": round(min(MAX_VCPUS, share) / vcpus(MIN_RAM_MB), 1)})
    return pd.DataFrame(rows).set_index("memory (MB)")


_REPORT_FIELD = re.compile(r"\t([A-Za-z ]+): ([\d.]+)")


def report(log_result: str) -> dict[str, float]:
    """The fields of the REPORT line in an invoke's base64 `LogResult` (LogType="Tail")."""
    lines = base64.b64decode(log_result).decode().splitlines()
    line = next(line for line in reversed(lines) if line.startswith("REPORT"))
    return {name: float(value) for name, value in _REPORT_FIELD.findall(line)}


def tuning_frame(analysis: dict[str, Any], architecture: str = "x86_64") -> pd.DataFrame:
    """The tuner's `stats` (output with includeOutputResults) as a table indexed by memory: average
    duration, the tool's average price, the billed milliseconds it implies, and the cost of a million
    invocations on each architecture including the requests."""
    rows = []
    for stat in sorted(analysis["stats"], key=lambda s: int(s["value"])):
        memory = int(stat["value"])
        billed = round(stat["averagePrice"] / millisecond_price(memory, architecture))
        rows.append({"memory (MB)": memory, "duration (ms)": round(stat["averageDuration"], 2),
                     "billed (ms)": billed, "tool's averagePrice ($)": stat["averagePrice"],
                     **{f"$ per million, {arch}": round(1e6 * invocation_cost(billed, memory, arch), 4)
                        for arch in ARCHITECTURES}})
    return pd.DataFrame(rows).set_index("memory (MB)")


def plot_tuning(frames: dict[str, pd.DataFrame], title: str = ""):  # noqa: ANN201 - a matplotlib Figure
    """Duration and cost against memory, one panel per function, the way the tool's visualisation
    draws them: duration on the left axis, cost on the right, memory on a log scale."""
    import matplotlib.pyplot as plt

    width = 3.4 * len(frames)
    fig, axes = plt.subplots(1, len(frames), figsize=(width, 3.1), squeeze=False)
    for ax, (name, frame) in zip(axes[0], frames.items()):
        memory = frame.index.to_list()
        ax.plot(memory, frame["duration (ms)"], "o-", color="tab:blue")
        ax.set(xscale="log", title=name, xlabel="memory (MB)")
        ax.set_ylabel("duration (ms)", color="tab:blue")
        ax.set_xticks(memory, [str(m) for m in memory], fontsize=7, rotation=60)
        ax.minorticks_off()
        ax.axvline(ONE_VCPU_MB, color="grey", lw=0.8, ls=":")
        cost = ax.twinx()
        cost.plot(memory, frame["$ per million, x86_64"], "s--", color="tab:red")
        cost.set_ylabel("$ per million", color="tab:red")
        cost.set_ylim(bottom=0)
        ax.set_ylim(bottom=0)
    fig.suptitle(title or "Duration (blue, left) and cost (red, right); dotted: 1,769 MB = 1 vCPU", fontsize=10)
    # Fixed margins (inches) for the axis labels: tight_layout would draw the figure once more to find them.
    fig.subplots_adjust(left=0.6 / width, right=1 - 0.6 / width, bottom=0.25, top=0.82, wspace=0.55)
    return fig


def choice(frame: pd.DataFrame, memory: int, architecture: str, per_month: int) -> dict[str, Any]:
    """One configuration of a tuned function: its duration and costs (the widget's reading)."""
    row = frame.loc[memory]
    per_million = row[f"$ per million, {architecture}"]
    return {"memory (MB)": memory, "architecture": architecture, "duration (ms)": row["duration (ms)"],
            "$ per million": per_million, "$ a month": round(per_million * per_month / 1e6, 2)}


def memory_widget(frames: dict[str, pd.DataFrame], per_month: int = 10_000_000):  # noqa: ANN201
    """Pick a function, a memory size and an architecture; see its duration and costs."""
    import ipywidgets as widgets
    from IPython.display import display

    function = widgets.Dropdown(options=list(frames), description="function")
    memory = widgets.SelectionSlider(options=list(next(iter(frames.values())).index), description="memory (MB)")
    architecture = widgets.ToggleButtons(options=list(ARCHITECTURES), description="architecture")
    out = widgets.Output()

    def show(_: Any = None) -> None:
        frame = frames[function.value]
        reading = choice(frame, memory.value, architecture.value, per_month)
        cheapest = frame[f"$ per million, {architecture.value}"].idxmin()
        out.clear_output(wait=True)
        with out:
            display(pd.DataFrame([reading]).set_index("memory (MB)"))
            print(f"cheapest on {architecture.value}: {cheapest} MB; fastest: {frame['duration (ms)'].idxmin()} MB "
                  f"({per_month:,} invocations a month)")

    for control in (function, memory, architecture):
        control.observe(show, names="value")
    show()
    return widgets.VBox([widgets.HBox([function, architecture]), memory, out])


def analyzer_input(execution_arn: str) -> dict[str, Any]:
    """The input the execution's Analyzer state received (its `stats`, `strategy`, ...), read from
    the execution history, to run the Analyzer again with another strategy.

    The history is read from the lab's Step Functions as the diagrams read it: the events
    GetExecutionHistory returns, without moto serialising the whole history (about 145 events, 65 ms)
    for the one event wanted.
    """
    import json

    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    from .lab import current

    lab = current()
    events = stepfunctions_parser_backends[lab.account_id][lab.region].get_execution_history(execution_arn)["events"]
    entered = [e["stateEnteredEventDetails"] for e in events if e["type"] == "TaskStateEntered"]
    return json.loads(next(d["input"] for d in entered if d["name"] == "Analyzer"))


def fleet_summary(fleet: list[dict[str, Any]], outputs: dict[str, dict[str, Any]]) -> pd.DataFrame:
    """One row per tuned function: its memory before and after, duration and monthly bill at each."""
    rows = []
    for function in fleet:
        analysis = outputs[function["name"]]
        frame = tuning_frame(analysis, function["arch"])
        before, after = function["memory"], int(analysis["power"])
        monthly = frame[f"$ per million, {function['arch']}"] * function["per_month"] / 1e6
        rows.append({"function": function["name"], "job": function["job"], "strategy": function["strategy"],
                     "MB before": before, "MB after": after,
                     "ms before": frame.loc[before, "duration (ms)"], "ms after": frame.loc[after, "duration (ms)"],
                     "$/month before": round(monthly[before], 2), "$/month after": round(monthly[after], 2)})
    return pd.DataFrame(rows).set_index("function")
