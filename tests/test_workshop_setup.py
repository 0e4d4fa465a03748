"""A workshop that does not fail at the door: the pre-flight check, the Python set-up route (what
`make` calls, and Windows uses alone), the split package sets, and the hosted (repo2docker) configuration."""
from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
from collections import namedtuple
from pathlib import Path

import pytest
import yaml

import helpers.setup as setup
from helpers import preflight

ROOT = Path(__file__).resolve().parents[1]
Usage = namedtuple("Usage", "total used free")
#: Packages only the tests or the site need: never part of what `make lab` or Binder installs.
NOT_FOR_THE_LAB = ("pytest", "pytest-xdist", "nbclient", "jupyter-book", "sphinx", "myst-nb", "playwright",
                   "awscli", "jupyter-repo2docker")


@pytest.mark.parametrize("script", ["helpers/preflight.py", "helpers/setup.py"])
def test_the_setup_scripts_parse_on_any_python3(script):
    """An old Python must reach the pre-flight's message, not a SyntaxError in the file that holds it."""
    ast.parse((ROOT / script).read_text(), feature_version=(3, 6))


@pytest.mark.parametrize("version", [(3, 9, 18), (3, 10, 13)])
def test_python_39_and_310_are_turned_away_with_the_fix_named(version):
    message = preflight.check_python(version)
    assert message.startswith(f"Python {version[0]}.{version[1]}.{version[2]} found; the lab needs Python 3.11")
    assert "pandas" in message and "Fix:" in message and "environment.yml" in message


def test_python_311_and_newer_pass():
    assert preflight.check_python((3, 11, 0)) is None and preflight.check_python((3, 13, 1)) is None


def _old_pythons() -> list[str]:
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    found = sorted(pyenv.glob("3.[69].*/bin/python")) + sorted(pyenv.glob("3.10.*/bin/python"))
    found += [Path(path) for path in ("/usr/bin/python3.9", "/usr/bin/python3.10") if Path(path).exists()]
    return [str(path) for path in found]


def test_a_real_old_python_gets_the_message_and_nothing_installs(tmp_path):
    """Run by an actual Python 3.6/3.9/3.10 (where one is installed), both scripts stop with exit 1."""
    interpreters = _old_pythons()
    if not interpreters:
        pytest.skip("no Python older than 3.11 on this machine (the check itself is tested above)")
    for interpreter in interpreters:
        for script in ("helpers/preflight.py", "helpers/setup.py"):
            args = [interpreter, str(ROOT / script)] + (["env"] if script.endswith("setup.py") else [])
            done = subprocess.run(args, capture_output=True, text=True, cwd=tmp_path, timeout=60)
            assert done.returncode == 1, (interpreter, script, done.stderr)
            assert "the lab needs Python 3.11 or newer" in done.stdout and "nothing was installed" in done.stdout


def test_make_and_disk_space_are_checked():
    assert "sudo apt-get install make" in preflight.check_make(which=lambda name: None)
    assert preflight.check_make(which=lambda name: "/usr/bin/make") is None
    low = preflight.check_disk("/x", 1.0, disk_usage=lambda folder: Usage(100e9, 99.7e9, 0.3e9))
    assert low.startswith("Only 0.3 GB free in /x; the lab's environment needs about 1.0 GB")
    assert preflight.check_disk("/x", 1.0, disk_usage=lambda folder: Usage(100e9, 50e9, 50e9)) is None


def test_without_make_the_check_points_to_the_python_route():
    [note, *_] = preflight.notes(need_make=False, which=lambda name: None)
    assert "python helpers/setup.py lab" in note


@pytest.fixture
def recorded(tmp_path, monkeypatch):
    """helpers/setup.py with its venv in tmp_path and every command recorded instead of run."""
    commands: list[list[str]] = []

    def run(*command):
        commands.append(list(command))
        if command[1:3] == ("-m", "venv"):
            python = Path(setup.executable(command[3], "python"))
            python.parent.mkdir(parents=True)
            python.touch()

    monkeypatch.setattr(setup, "VENV", str(tmp_path / ".venv"))
    monkeypatch.setattr(setup, "CLI_VENV", str(tmp_path / ".venv" / "awscli"))
    monkeypatch.setattr(setup, "run", run)
    monkeypatch.setattr(setup, "launch", lambda command: commands.append(["LAUNCH", *command]) or 0)
    monkeypatch.setattr(setup, "ensure_graphviz", lambda: commands.append(["GRAPHVIZ"]))
    return commands


def _installs(commands: list[list[str]]) -> list[str]:
    return [" ".join(c[c.index("install") + 1:]) for c in commands if "install" in c]


def test_the_python_route_sets_up_the_lab_as_make_lab_does(recorded, tmp_path):
    """`python helpers/setup.py lab`: venv, the lab's packages only, the project, kernel auto-start, dot, JupyterLab."""
    assert setup.main(["lab"]) == 0
    assert recorded[0] == [sys.executable, "-m", "venv", str(tmp_path / ".venv")]
    assert _installs(recorded) == ["--quiet --upgrade pip", "--quiet -r requirements.txt", "--quiet --no-deps -e ."]
    settings = tmp_path / ".venv/share/jupyter/lab/settings/overrides.json"
    assert json.loads(settings.read_text()) == {"@jupyterlab/notebook-extension:tracker": {"autoStartDefaultKernel": True}}
    assert recorded[-2] == ["GRAPHVIZ"]
    assert recorded[-1][:3] == ["LAUNCH", setup.executable(str(tmp_path / ".venv"), "jupyter"), "lab"]
    assert "--notebook-dir=notebooks" in recorded[-1] and "--ip=127.0.0.1" in recorded[-1]
    recorded.clear()
    assert setup.main(["lab"]) == 0
    assert _installs(recorded) == [], "a second start installs nothing"


def test_the_python_route_adds_the_tests_packages_and_the_cli_only_for_test(recorded, tmp_path):
    setup.main(["lab"])
    recorded.clear()
    assert setup.main(["test"]) == 0
    assert _installs(recorded) == ["--quiet -r requirements-dev.txt", "--quiet --upgrade pip",
                                   "--quiet -r requirements-cli.txt", "--quiet -r requirements-docs.txt"]
    cli_venv = [c for c in recorded if c[1:3] == ["-m", "venv"]]
    assert cli_venv == [[sys.executable, "-m", "venv", str(tmp_path / ".venv" / "awscli")]]
    assert recorded[-1][:4] == ["LAUNCH", setup.executable(str(tmp_path / ".venv"), "python"), "-m", "pytest"]


def test_the_python_route_installs_nothing_when_the_check_fails(recorded, monkeypatch, capsys):
    monkeypatch.setattr(setup.preflight, "check_python", lambda version=None: "Python 3.10.13 found; ...")
    with pytest.raises(SystemExit) as stopped:
        setup.main(["lab"])
    assert stopped.value.code == 1 and recorded == []
    assert "nothing was installed" in capsys.readouterr().out


def test_an_old_python_is_turned_away_even_with_everything_installed(recorded, monkeypatch):
    setup.main(["env"])
    recorded.clear()
    monkeypatch.setattr(setup.preflight, "check_python", lambda version=None: "Python 3.9.18 found; ...")
    with pytest.raises(SystemExit):
        setup.main(["lab"])
    assert recorded == []


def test_graphviz_missing_without_root_names_the_fix(monkeypatch, capsys):
    monkeypatch.setattr(setup.shutil, "which", lambda name: None)
    monkeypatch.setattr(setup.os, "geteuid", lambda: 1000, raising=False)
    with pytest.raises(SystemExit):
        setup.ensure_graphviz()
    assert "winget install graphviz" in capsys.readouterr().out


@pytest.mark.skipif(shutil.which("make") is None, reason="the make route needs make")
def test_make_lab_checks_first_and_installs_through_the_python_route():
    """`make lab` runs the pre-flight, then the same set-up script, and never the tests' packages."""
    def make_plan(target: str) -> subprocess.CompletedProcess:
        # As a user types it: not as a sub-make of the `make test` that may be running this suite (which
        # would print "Entering directory" and pass its flags down).
        env = {k: v for k, v in os.environ.items() if k not in ("MAKELEVEL", "MAKEFLAGS", "MFLAGS")}
        return subprocess.run(["make", "-n", "-B", target], cwd=ROOT, capture_output=True, text=True, check=True,
                              env=env)

    plan = make_plan("lab").stdout
    lines = plan.splitlines()
    assert lines[0] == "python3 helpers/preflight.py --make"
    assert "python3 helpers/setup.py env" in lines and "python3 helpers/setup.py dot" in lines
    assert "requirements-dev" not in plan and "requirements-docs" not in plan and "--test" not in plan
    test_plan = make_plan("test").stdout
    assert "python3 helpers/setup.py env --test" in test_plan.splitlines()
    server_plan = make_plan("server")
    assert server_plan.stdout.splitlines()[-1] == ".venv/bin/python -m helpers.server --port 4599"


def _names(path: Path) -> set[str]:
    names = set()
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            names.add(re.split(r"[\[=<>]", line, maxsplit=1)[0].lower())
    return names


def test_the_lab_set_holds_only_what_the_notebooks_need():
    lab = _names(ROOT / "requirements.txt")
    # jsonschema: notebook 04 checks events against their contracts (JSON Schema). greenlet: a waiting
    # Step Functions execution is a suspended greenlet and a clock job, not a parked thread (issue 15).
    # aws-lambda-powertools: notebook 08 deploys it as a layer built from the installed package.
    assert lab == {"moto", "boto3", "jupyterlab", "ipykernel", "ipywidgets", "pandas", "graphviz", "matplotlib",
                   "jsonschema", "greenlet", "aws-lambda-powertools"}
    elsewhere = _names(ROOT / "requirements-dev.txt") | _names(ROOT / "requirements-docs.txt") | _names(
        ROOT / "requirements-cli.txt")
    assert not lab & elsewhere and set(NOT_FOR_THE_LAB) & elsewhere == set(NOT_FOR_THE_LAB) - {"sphinx"} | (
        {"sphinx"} & elsewhere)


def test_repo2docker_builds_the_hosted_lab_from_environment_yml():
    """What Binder or a JupyterHub would build: repo2docker renders its Dockerfile here (no Docker needed)."""
    assert not (ROOT / "binder").exists() and not (ROOT / ".binder").exists(), "a binder/ folder hides environment.yml"
    repo2docker = Path(sys.executable).with_name("jupyter-repo2docker")
    done = subprocess.run([str(repo2docker), "--no-build", "--no-run", "--debug", "--user-id", "1000",
                           "--user-name", "jovyan", str(ROOT)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    dockerfile = done.stdout + done.stderr
    assert "Building conda environment for python=3.11" in dockerfile
    assert 'env update -p ${NB_PYTHON_PREFIX} --file "environment.yml"' in dockerfile
    assert "./postBuild" in dockerfile
    assert '-r "requirements.txt"' not in dockerfile, "the pinned packages come from environment.yml alone"


def test_the_hosted_environment_has_graphviz_and_no_test_packages():
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert environment["channels"] == ["conda-forge"] and "graphviz" in environment["dependencies"]
    pip_section = next(d["pip"] for d in environment["dependencies"] if isinstance(d, dict))
    assert not {re.split(r"[\[=]", line)[0] for line in pip_section} & set(NOT_FOR_THE_LAB)
    post_build = (ROOT / "postBuild").read_text()
    assert os.access(ROOT / "postBuild", os.X_OK) and post_build.startswith("#!/bin/bash")
    assert f"echo '{setup.LAB_SETTINGS.strip()}'" in post_build


def test_the_readme_binder_badge_opens_notebook_00():
    readme = (ROOT / "README.md").read_text()
    [link] = re.findall(r"\(https://mybinder\.org/v2/gh/[^)\s]+\)", readme)
    urlpath = re.search(r"urlpath=([^)&]+)", link).group(1)
    assert urlpath == "lab/tree/notebooks/00-welcome.ipynb" and (ROOT / urlpath.removeprefix("lab/tree/")).exists()
    assert "badge_logo.svg" in readme


def test_every_setup_command_the_readme_names_exists():
    """The README's commands stay runnable: each `make X` is a target, each `helpers/setup.py X` a command."""
    readme = (ROOT / "README.md").read_text()
    targets = set(re.findall(r"^([a-z][\w-]*):", (ROOT / "Makefile").read_text(), flags=re.M))
    named = set(re.findall(r"(?:`|^)make ([a-z][\w-]*)", readme, flags=re.M))
    assert {"lab", "test", "server", "docs"} <= named and named <= targets, named - targets
    commands = set(re.findall(r"helpers/setup\.py ([a-z-]+)", readme))
    assert {"lab", "test", "server"} <= commands
    assert commands <= set(setup.COMMANDS)
