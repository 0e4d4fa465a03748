"""What recording the trace costs on the invoke path: median sync-invoke latency, recorder on vs off.

Also times building the DataFrame (`lab.trace()`), which only happens when someone looks.
Run: .venv/bin/python benchmarks/trace_overhead.py
"""
from __future__ import annotations

import time

from timing import median_ms, trivial_function

import helpers
from helpers.motoext import core


def main() -> None:
    lab = helpers.start(reset=True)
    invoke = trivial_function(lab, "noop")
    on_runs, off_runs = [], []
    for _ in range(3):  # interleaved, so machine noise hits both alike; keep each one's best median
        on_runs.append(median_ms(invoke))
        core.set_observer(None)
        try:
            off_runs.append(median_ms(invoke))
        finally:
            core.set_observer(lab.recorder)
    on, off = min(on_runs), min(off_runs)
    hops = len(lab.recorder.hops)
    started = time.perf_counter()
    frame = lab.trace()
    build_ms = (time.perf_counter() - started) * 1000
    print(f"median sync invoke, recorder on : {on:.3f} ms")
    print(f"median sync invoke, recorder off: {off:.3f} ms")
    print(f"ratio on/off                    : {on / off:.3f}")
    print(f"lab.trace() over {hops} hops ({len(frame)} rows): {build_ms:.1f} ms")


if __name__ == "__main__":
    main()
