"""The project's own files install one set of pinned packages, and the lab checks moto's shape."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement

from helpers import motoext
from helpers.motoext.patching import LabSetupError, Patch

ROOT = Path(__file__).resolve().parents[1]


def _pins(lines: list[str]) -> dict[str, str]:
    pins = {}
    for line in lines:
        line = line.strip()
        if not line or line.startswith(("#", "-")):
            continue
        requirement = Requirement(line)
        pins[requirement.name.lower()] = f"{sorted(requirement.extras)} {requirement.specifier}"
    return pins


def test_environment_yml_names_the_same_pins_as_requirements():
    """The conda route and the pip route install the same pinned packages (issue 2)."""
    requirements = _pins((ROOT / "requirements.txt").read_text().splitlines())
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in environment["dependencies"] if isinstance(d, dict))
    assert _pins(pip_section) == requirements
    conda = [d for d in environment["dependencies"] if isinstance(d, str)]
    assert "graphviz" in conda and any(d.startswith("python=3.11") for d in conda)
    assert "-e ." in pip_section


def test_every_requirement_is_pinned_exactly_and_moto_to_the_patched_version():
    """Pin moto to one exact version: the one every patch was written against (design.md); every other
    package of every set (lab, tests, AWS CLI, site) is pinned too."""
    files = sorted(ROOT.glob("requirements*.txt"))
    assert [f.name for f in files] == ["requirements-cli.txt", "requirements-dev.txt", "requirements-docs.txt",
                                       "requirements.txt"]
    for path in files:
        for line in path.read_text().splitlines():
            if line.strip() and not line.startswith("#"):
                assert re.search(r"==[\w.]+$", line.strip()), (path.name, line)
    assert f"]=={motoext.MOTO_VERSION}" in (ROOT / "requirements.txt").read_text()


def test_every_patched_moto_function_still_has_its_expected_signature():
    """The start-up check passes on the pinned moto (design.md, Layers)."""
    motoext.verify(motoext.ALL_PATCHES)
    assert all(patch.rule for patch in motoext.ALL_PATCHES)


def test_a_changed_moto_function_fails_fast_with_a_clear_message():
    """An upgraded moto whose function changed shape stops the lab with instructions (design.md)."""
    changed = Patch(target="moto.awslambda.models:LambdaFunction._invoke_lambda",
                    signature="(self, event, context)", rule="example", make=lambda original: original)
    with pytest.raises(LabSetupError, match=r"LambdaFunction\._invoke_lambda.*\n.*make lab"):
        motoext.verify([changed])


def test_ci_runs_the_readme_test_command():
    """CI runs what the README tells a new user to run."""
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text()
    assert "make lab" in readme and "make test" in readme
