"""The environment check notebook 00 runs: what is installed, what is missing, how to fix it."""
from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from importlib import metadata

from packaging.requirements import Requirement

DISTRIBUTION = "serverless-patterns-lab"
_FIX = "run `make lab` from the repository root (or `conda env update -f environment.yml`)"


@dataclass
class Check:
    """One line of the environment check."""

    component: str
    expected: str
    found: str
    ok: bool
    fix: str = ""


def _package_checks() -> list[Check]:
    checks = []
    for line in metadata.requires(DISTRIBUTION) or []:
        requirement = Requirement(line)
        if requirement.marker:
            continue
        try:
            found = metadata.version(requirement.name)
        except metadata.PackageNotFoundError:
            found = "missing"
        ok = found != "missing" and requirement.specifier.contains(found, prereleases=True)
        checks.append(Check(requirement.name, str(requirement.specifier) or "any", found, ok,
                            "" if ok else f"pinned version needed: {_FIX}"))
    return checks


def _dot_check() -> Check:
    dot = shutil.which("dot")
    if not dot:
        return Check("graphviz `dot` binary", "on PATH", "missing", False,
                     "install Graphviz: `sudo apt-get install graphviz` (Debian/Ubuntu), "
                     "`brew install graphviz` (macOS) or `conda install -c conda-forge graphviz`")
    version = subprocess.run([dot, "-V"], capture_output=True, text=True).stderr.strip()
    return Check("graphviz `dot` binary", "on PATH", version or dot, True)


def _widgets_check() -> Check:
    try:
        import ipywidgets

        return Check("ipywidgets (interactive widgets)", ">=8", ipywidgets.__version__,
                     int(ipywidgets.__version__.split(".")[0]) >= 8)
    except ImportError:
        return Check("ipywidgets (interactive widgets)", ">=8", "missing", False, _FIX)


def run_checks() -> list[Check]:
    """Check Python, the pinned packages, Graphviz's `dot` and widgets; say how to fix each miss."""
    python_ok = sys.version_info >= (3, 11)
    checks = [Check("Python", ">=3.11", sys.version.split()[0], python_ok,
                    "" if python_ok else "use Python 3.11 or newer")]
    return checks + _package_checks() + [_dot_check(), _widgets_check()]


def check_environment():  # noqa: ANN201 - a pandas DataFrame
    """The environment check as a table, problems first, each with how to fix it."""
    import pandas as pd

    frame = pd.DataFrame([vars(c) for c in run_checks()])
    return frame.sort_values("ok", kind="stable").reset_index(drop=True)
