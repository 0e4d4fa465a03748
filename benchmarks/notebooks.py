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


def execute(path: Path) -> tuple[float, float]:
    """Wall seconds to start a kernel and run every cell of the notebook at `path`, and the kernel's
    CPU seconds (asked of the kernel by one extra cell at the end)."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(
        "import resource as _r; _u = _r.getrusage(_r.RUSAGE_SELF); print(_u.ru_utime + _u.ru_stime)"))
    started = time.perf_counter()
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    wall = time.perf_counter() - started
    return wall, float(nb.cells[-1].outputs[0]["text"])


def run(quick: bool) -> list[dict[str, Any]]:
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    rows = [harness.figure("import nbclient + nbformat (CPU)", import_cpu("nbclient, nbformat"), None, "s"),
            harness.figure("import jsonschema (CPU)", import_cpu("jsonschema"), None, "s")]
    timings = {path.stem: execute(path) for path in (NOTEBOOKS[:1] if quick else NOTEBOOKS)}
    for stem, (wall, kernel_cpu) in timings.items():
        rows += [harness.figure(f"notebook {stem}, headless, kernel start included", wall, 8.0, "s"),
                 harness.figure(f"notebook {stem}, the kernel's CPU", kernel_cpu, None, "s")]
    if not quick:
        rows.append(harness.figure(f"the series ({len(timings)} notebooks)",
                                   sum(wall for wall, _ in timings.values()), 60.0, "s"))
    return rows


if __name__ == "__main__":
    harness.main(run)
