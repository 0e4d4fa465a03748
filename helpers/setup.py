"""Set the lab up and run it with Python alone: the route for Windows, and what `make` calls.

    python helpers/setup.py lab        # check the machine, create .venv with the lab's packages, open JupyterLab
    python helpers/setup.py test       # ... plus the tests' and the site's packages and the AWS CLI, then the suite
    python helpers/setup.py test-fast  # the suite without notebook execution or the browser
    python helpers/setup.py server     # the lab's AWS on 127.0.0.1 for the AWS CLI (see the README)
    python helpers/setup.py env [--test] [--docs]   # set up only

Run it with the Python you want the lab to use (3.11+; `py -3.12 helpers/setup.py lab` on Windows).
Each package set installs once and again only when its requirements file changes. Like
`preflight.py` beside it, this file parses on any Python 3, so an old one gets the pre-flight's
message rather than a syntax error.
"""
import argparse
import os
import shutil
import subprocess
import sys

if __package__:
    from . import preflight
else:  # run as a script: this folder is on sys.path, and the helpers package (boto3, moto...) is not imported
    import preflight

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV = os.path.join(ROOT, ".venv")
CLI_VENV = os.path.join(VENV, "awscli")
#: Package sets: the stamp file written once a set is installed, and the files it is installed from.
SETS = {
    "lab": (".installed", ["requirements.txt", "pyproject.toml"]),
    "test": (".installed-test", ["requirements-dev.txt", "requirements-cli.txt"]),
    "docs": (".installed-docs", ["requirements-docs.txt"]),
}
#: JupyterLab opens a notebook with its kernel already started (no "Select Kernel" dialog).
LAB_SETTINGS = '{"@jupyterlab/notebook-extension:tracker": {"autoStartDefaultKernel": true}}\n'
COMMANDS = ("preflight", "env", "dot", "lab", "test", "test-fast", "server")
GRAPHVIZ_FIX = ("Install Graphviz, then run this again. Debian/Ubuntu: sudo apt-get install graphviz; "
                "macOS: brew install graphviz; Windows: winget install graphviz (then open a new terminal); "
                "conda: conda install -c conda-forge graphviz")


def executable(venv, name):
    """A program inside a virtual environment, on this platform's layout."""
    if os.name == "nt":
        return os.path.join(venv, "Scripts", name + ".exe")
    return os.path.join(venv, "bin", name)


def run(*command):
    """A set-up step: stop at the first that fails."""
    print("+ " + " ".join(command), flush=True)
    subprocess.check_call(list(command), cwd=ROOT)


def launch(command):
    """The program the learner asked for (JupyterLab, the tests, the server); returns its exit code."""
    return subprocess.call(command, cwd=ROOT)


def stale(name):
    """True when a package set was never installed or a file it comes from changed since."""
    stamp, sources = SETS[name]
    stamp_path = os.path.join(VENV, stamp)
    if not os.path.exists(stamp_path):
        return True
    newest = max(os.path.getmtime(os.path.join(ROOT, source)) for source in sources)
    return os.path.getmtime(stamp_path) < newest


def mark_installed(name):
    with open(os.path.join(VENV, SETS[name][0]), "w") as stamp:
        stamp.write("")


def pip_install(venv, *arguments):
    run(executable(venv, "python"), "-m", "pip", "install", "--quiet", *arguments)


def new_venv(venv):
    if not os.path.exists(executable(venv, "python")):
        run(sys.executable, "-m", "venv", venv)
        pip_install(venv, "--upgrade", "pip")


def install_lab():
    """The notebooks' packages and the project (editable): what `make lab` needs, nothing more."""
    new_venv(VENV)
    pip_install(VENV, "-r", "requirements.txt")
    pip_install(VENV, "--no-deps", "-e", ".")
    settings = os.path.join(VENV, "share", "jupyter", "lab", "settings")
    os.makedirs(settings, exist_ok=True)
    with open(os.path.join(settings, "overrides.json"), "w") as overrides:
        overrides.write(LAB_SETTINGS)


def install_test():
    """The test runner's packages, and the AWS CLI in an environment of its own (.venv/awscli).

    The CLI pins docutils below the version the site's Sphinx needs, so the two cannot share one
    environment; the tests run the CLI as a program, as a learner would.
    """
    pip_install(VENV, "-r", "requirements-dev.txt")
    new_venv(CLI_VENV)
    pip_install(CLI_VENV, "-r", "requirements-cli.txt")


def install_docs():
    pip_install(VENV, "-r", "requirements-docs.txt")


INSTALLERS = {"lab": install_lab, "test": install_test, "docs": install_docs}


def stop_if(problems):
    if problems:
        print("Pre-flight check failed; nothing was installed.\n- " + "\n- ".join(problems))
        sys.exit(1)


def ensure(*names):
    """Check the machine (all of it when something is to install), then install each named set that
    is missing or out of date."""
    todo = [name for name in ("lab",) + names if stale(name)]
    stop_if(preflight.problems(purpose="test" if "test" in todo else "lab") if todo
            else [problem for problem in [preflight.check_python()] if problem])
    for name in todo:
        INSTALLERS[name]()
        mark_installed(name)


def ensure_graphviz():
    """Graphviz's `dot` draws the diagrams: installed with apt-get when missing and we are root."""
    if shutil.which("dot"):
        return
    if hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        print("Installing Graphviz (dot) with apt-get...", flush=True)
        run("apt-get", "update", "-qq")
        subprocess.check_call(["apt-get", "install", "-y", "-qq", "graphviz"],
                              env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"), stdout=subprocess.DEVNULL)
        return
    print("Graphviz's 'dot' is missing. " + GRAPHVIZ_FIX)
    sys.exit(1)


def jupyter_lab_command(port):
    command = [executable(VENV, "jupyter"), "lab", "--notebook-dir=notebooks", "--ip=127.0.0.1",
               "--port=" + str(port), "--no-browser"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    return command


def pytest_command(fast):
    command = [executable(VENV, "python"), "-m", "pytest", "-n", "2", "--dist", "loadfile"]
    if fast:
        command += ["-m", "not notebooks and not browser"]
    return command


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python helpers/setup.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=COMMANDS)
    parser.add_argument("--test", action="store_true", help="env: also the tests' packages and the AWS CLI")
    parser.add_argument("--docs", action="store_true", help="env: also the site's packages")
    parser.add_argument("--port", type=int, help="lab: JupyterLab's port (8888); server: the lab's (4599)")
    args = parser.parse_args(argv)
    if args.command == "preflight":
        return preflight.main(["--make"] if shutil.which("make") else [])
    if args.command == "dot":
        ensure_graphviz()
        return 0
    if args.command == "env":
        ensure(*[name for name, wanted in (("test", args.test), ("docs", args.docs)) if wanted])
        return 0
    if args.command in ("test", "test-fast"):
        ensure(*(("test", "docs") if args.command == "test" else ("test",)))
        ensure_graphviz()
        return launch(pytest_command(args.command == "test-fast"))
    ensure()
    ensure_graphviz()
    if args.command == "server":
        return launch([executable(VENV, "python"), "-m", "helpers.server", "--port", str(args.port or 4599)])
    return launch(jupyter_lab_command(args.port or 8888))


if __name__ == "__main__":
    sys.exit(main())
