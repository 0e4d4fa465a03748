"""Every notebook executed headless, kernel start included, as the tests and the site run them.

Targets (issue 15, target 2): each notebook under 8 s, the whole series under 60 s (wall time, a
fresh kernel per notebook); the kernel's own CPU time is reported beside each (a busy machine
stretches the wall time, not that). The fixed cost of the machinery is reported beside them: importing
nbclient and nbformat (jsonschema is pinned below 4.24, which would import rfc3987_syntax and build its
grammar: a second of CPU), and jsonschema alone, as notebook 04's kernel imports it.
Run: python benchmarks/notebooks.py [--quick]   (quick: notebook 00 only)
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import harness

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))
_IMPORT = """
import resource, sys, json
import {modules}
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps(usage.ru_utime + usage.ru_stime))
"""


def import_cpu(modules: str) -> float:
    """CPU seconds of a fresh process importing `modules` (comma-separated)."""
    done = subprocess.run([sys.executable, "-c", _IMPORT.format(modules=modules)], capture_output=True, text=True,
                          check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


#: The cell appended to each notebook: the kernel's CPU seconds, and those of the processes it started
#: that are still alive (the warm server and the execution environments; `RUSAGE_CHILDREN` does not
#: see them, since they are the warm server's children), or None where psutil is missing.
_CPU_CELL = """
import json as _j, resource as _r
_u = _r.getrusage(_r.RUSAGE_SELF)
try:
    import psutil as _p
    _e = sum(sum(c.cpu_times()[:2]) for c in _p.Process().children(recursive=True))
except ImportError:
    _e = None
print(_j.dumps([_u.ru_utime + _u.ru_stime, _e]))
"""


def execute(path: Path) -> tuple[float, float, float | None]:
    """Wall seconds to start a kernel and run every cell of the notebook at `path`, the kernel's CPU
    seconds and its environments' (asked of the kernel by one extra cell at the end)."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(_CPU_CELL))
    started = time.perf_counter()
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    wall = time.perf_counter() - started
    kernel_cpu, environments_cpu = json.loads(nb.cells[-1].outputs[0]["text"])
    return wall, kernel_cpu, environments_cpu


def run(quick: bool) -> list[dict[str, Any]]:
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    rows = [harness.figure("import nbclient + nbformat (CPU)", import_cpu("nbclient, nbformat"), None, "s"),
            harness.figure("import jsonschema (CPU)", import_cpu("jsonschema"), None, "s")]
    timings = {path.stem: execute(path) for path in (NOTEBOOKS[:1] if quick else NOTEBOOKS)}
    for stem, (wall, kernel_cpu, environments_cpu) in timings.items():
        rows += [harness.figure(f"notebook {stem}, headless, kernel start included", wall, 8.0, "s"),
                 harness.figure(f"notebook {stem}, the kernel's CPU", kernel_cpu, None, "s")]
        if environments_cpu is not None:
            rows.append(harness.figure(f"notebook {stem}, its execution environments' CPU", environments_cpu,
                                       None, "s"))
    if not quick:
        rows.append(harness.figure(f"the series ({len(timings)} notebooks)",
                                   sum(wall for wall, _, _ in timings.values()), 60.0, "s"))
    return rows


if __name__ == "__main__":
    harness.main(run)
