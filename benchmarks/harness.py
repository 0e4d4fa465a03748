"""The benchmark convention, and `make bench`: run every benchmark, print one table, write it as JSON.

The convention (one rule): a benchmark is a script `benchmarks/<name>.py` that defines

    def run(quick: bool) -> list[dict]:
        ...
        return [figure("sync invoke / plain moto call", measured=1.3, target=1.5, unit="x")]

Each dict is one row of the table: `figure` (what is measured), `target` (the upper bound the issue
sets; None for a figure that is only reported), `measured`, `unit` and `passed` (build it with
`figure()`). `quick=True` is the short version CI runs: the same code on a small input, so it fails
when something stops working, never on timing. End the script with `harness.main(run)` so it also
runs on its own (`python benchmarks/<name>.py [--quick]`).

    python benchmarks/harness.py            # every benchmark, each in its own process
    python benchmarks/harness.py --quick    # the short versions (what tests/test_bench.py runs)

The table is printed and written to `benchmarks/results/latest.json` (quick runs to
`quick.json`), with the machine it ran on; book/benchmarks.md shows the latest.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
#: Scripts in this folder that are not benchmarks.
NOT_BENCHMARKS = {"harness", "timing"}


def figure(name: str, measured: float, target: float | None, unit: str) -> dict[str, Any]:
    """One row: `measured` passes when it is at most `target` (None: reported, no target)."""
    return {"figure": name, "target": target, "measured": measured, "unit": unit,
            "passed": target is None or measured <= target}


def benchmarks() -> list[Path]:
    """Every benchmark script, in name order."""
    return sorted(path for path in HERE.glob("*.py") if path.stem not in NOT_BENCHMARKS)


def run_one(path: Path, quick: bool) -> list[dict[str, Any]]:
    """Run one benchmark in a process of its own; its rows, or one failed row saying why."""
    command = [sys.executable, str(path), "--json"] + (["--quick"] if quick else [])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(HERE.parent), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run(command, capture_output=True, text=True, cwd=HERE.parent, env=env)
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        error = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return [{"figure": f"{path.stem}: did not finish ({error})", "target": None, "measured": math.nan,
                 "unit": "", "passed": False, "benchmark": path.stem}]
    return [{**row, "benchmark": path.stem} for row in json.loads(lines[-1])]


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        names = [line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                 if line.startswith("model name")]
        cpu = names[0] if names else cpu
        memory_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                         if line.startswith("MemTotal"))
    except (OSError, StopIteration, ValueError):
        memory_kb = 0
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(memory_kb / 2**20, 1),
            "system": f"{platform.system()} {platform.release()}", "python": platform.python_version(),
            "load_average": [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None}


def ratio(row: dict[str, Any]) -> float | None:
    """measured / target (below 1 is within target)."""
    target = row.get("target")
    return row["measured"] / target if target else None


def _number(value: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def table(rows: list[dict[str, Any]]) -> str:
    """The rows as a Markdown table: figure, target, measured, ratio, pass/fail."""
    lines = ["| figure | target | measured | ratio | result |", "|---|---:|---:|---:|---|"]
    for row in rows:
        target = f"≤ {_number(row['target'])} {row['unit']}" if row.get("target") is not None else "(reported)"
        share = ratio(row)
        lines.append(f"| {row['figure']} | {target} | {_number(row['measured'])} {row['unit']} | "
                     f"{'-' if share is None else f'{share:.2f}'} | {'pass' if row['passed'] else 'FAIL'} |")
    return "\n".join(lines)


def chart_svg(rows: list[dict[str, Any]], width: int = 720) -> str:
    """A bar per figure with a target: measured as a share of its target (the line at 1 is the target)."""
    bars = [(row["figure"], ratio(row), row["passed"]) for row in rows if ratio(row) is not None]
    label_w, bar_h, gap, top = 300, 18, 8, 24
    scale_max = max([1.5] + [min(share, 4.0) for _, share, _ in bars])
    plot_w = width - label_w - 60
    height = top + len(bars) * (bar_h + gap) + 20
    x_of = lambda share: label_w + plot_w * min(share, 4.0) / scale_max  # noqa: E731
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'font-family="Helvetica, Arial, sans-serif" font-size="12" role="img" '
             f'aria-label="Each figure as a share of its target">',
             f'<text x="{label_w}" y="14" fill="#555">measured / target (the dashed line is the target)</text>']
    for i, (name, share, passed) in enumerate(bars):
        y = top + i * (bar_h + gap)
        short = name if len(name) <= 46 else name[:45] + "…"
        parts.append(f'<text x="{label_w - 8}" y="{y + 13}" text-anchor="end">{_escape(short)}</text>')
        parts.append(f'<rect x="{label_w}" y="{y}" width="{x_of(share) - label_w:.1f}" height="{bar_h}" '
                     f'fill="{"#2e7d32" if passed else "#c62828"}"/>')
        parts.append(f'<text x="{x_of(share) + 4:.1f}" y="{y + 13}">{share:.2f}</text>')
    line_x = x_of(1.0)
    parts.append(f'<line x1="{line_x:.1f}" y1="{top - 4}" x2="{line_x:.1f}" y2="{height - 16}" stroke="#333" '
                 'stroke-dasharray="4 3"/>')
    parts.append("</svg>")
    return "\n".join(parts)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def report(rows: list[dict[str, Any]], quick: bool) -> dict[str, Any]:
    """The JSON document `make bench` writes."""
    return {"when": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "quick": quick,
            "machine": machine(), "results": rows}


def main(run: Callable[[bool], list[dict[str, Any]]] | None = None) -> None:
    """Command line: one benchmark's `run` (when given) or all of them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the short version (for CI)")
    parser.add_argument("--json", action="store_true", help="print the rows as one JSON line")
    args = parser.parse_args()
    if run is not None:
        rows = run(args.quick)
        print(json.dumps(rows) if args.json else table(rows))
        return
    rows = []
    for path in benchmarks():
        print(f"== {path.stem}", file=sys.stderr, flush=True)
        rows += run_one(path, args.quick)
    document = report(rows, args.quick)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / ("quick.json" if args.quick else "latest.json")).write_text(json.dumps(document, indent=1) + "\n")
    print(table(rows))
    print(f"\nMachine: {document['machine']}")
    if any(math.isnan(row["measured"]) for row in rows):  # a benchmark broke; a missed target is data
        sys.exit(1)


if __name__ == "__main__":
    main()
