"""Run the real AWS CLI against the lab's server, as a learner would in a terminal."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]


def cli_path() -> str:
    """The pinned CLI `make test` installs (requirements-cli.txt), else an `aws` on PATH."""
    bindir = "Scripts" if sys.platform == "win32" else "bin"
    pinned = ROOT / ".venv" / "awscli" / bindir / ("aws.cmd" if sys.platform == "win32" else "aws")
    found = os.environ.get("LAB_AWS_CLI") or (str(pinned) if pinned.exists() else shutil.which("aws"))
    if not found:
        pytest.skip("The AWS CLI is not installed: `make test` installs the pinned one into .venv/awscli.")
    return found


class AwsCli:
    """`aws ...` with only the lab's config files and fake keys in its environment (nothing of yours)."""

    def __init__(self, files: dict[str, str], home: Path, endpoint_url: str | None) -> None:
        self.env = {"PATH": os.environ.get("PATH", ""), "HOME": str(home), "LANG": "C.UTF-8",
                    "AWS_EC2_METADATA_DISABLED": "true", **files}
        self.endpoint_url = endpoint_url
        self.executable = cli_path()

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [self.executable, "--profile", "serverless-lab", "--output", "json"]
        if self.endpoint_url:
            command += ["--endpoint-url", self.endpoint_url]
        done = subprocess.run([*command, *args], env=self.env, capture_output=True, text=True, timeout=120)
        if check and done.returncode != 0:
            raise AssertionError(f"aws {' '.join(args)} failed ({done.returncode}): {done.stderr}")
        return done

    def __call__(self, *args: str) -> Any:
        out = self.run(*args).stdout
        return json.loads(out) if out.strip() else None
