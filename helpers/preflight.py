"""Pre-flight check, run before anything installs: can this machine run the lab?

    python3 helpers/preflight.py            # check this machine (helpers/setup.py runs it too)
    python3 helpers/preflight.py --make     # also require `make`: what `make lab` runs first

Written for any Python 3 (it must run, and explain, on the old Python it turns away), with no
package beyond the standard library. Exits 0 when the lab can be set up, 1 with the fixes otherwise.
"""
import argparse
import os
import platform
import shutil
import sys

MINIMUM = (3, 11)
#: Free disk space the lab's environment needs, with room to spare (measured sizes are in the README).
NEEDED_GB = {"lab": 1.0, "test": 2.0}

PYTHON_FIX = {
    "Linux": "Debian/Ubuntu: sudo apt-get install python3.11 python3.11-venv (Ubuntu 22.04: from the "
             "deadsnakes PPA), then: make lab PYTHON=python3.11",
    "Darwin": "macOS: brew install python@3.12, then: make lab PYTHON=python3.12",
    "Windows": "Windows: winget install Python.Python.3.12 (or python.org), then: py -3.12 helpers/setup.py lab",
}
CONDA_FIX = ("Or take the conda route, which brings its own Python: "
             "conda env create -f environment.yml (see the README).")


def check_python(version=None):
    """A problem with this Python, or None."""
    version = tuple(version or sys.version_info[:3])
    if version[:2] >= MINIMUM:
        return None
    found = ".".join(str(part) for part in version)
    fix = PYTHON_FIX.get(platform.system(), PYTHON_FIX["Linux"])
    why = ""
    if version[:2] in ((3, 9), (3, 10)):
        why = " (the pinned pandas, NumPy and Matplotlib install only on 3.11 or newer)"
    return "Python {0} found; the lab needs Python {1}.{2} or newer{3}.\n  Fix: {4}\n  {5}".format(
        found, MINIMUM[0], MINIMUM[1], why, fix, CONDA_FIX)


def check_venv():
    """A problem creating virtual environments (Debian ships venv's pip apart), or None."""
    try:
        import ensurepip  # noqa: F401
        import venv  # noqa: F401
    except ImportError:
        minor = "{0}.{1}".format(*sys.version_info[:2])
        return ("Python's venv module (with ensurepip) is missing.\n  Fix: sudo apt-get install "
                "python{0}-venv".format(minor))
    return None


def check_make(which=shutil.which):
    """A problem with `make`, or None."""
    if which("make"):
        return None
    return ("`make` is not installed.\n  Fix: Debian/Ubuntu: sudo apt-get install make; macOS: "
            "xcode-select --install; Windows: no make needed: python helpers/setup.py lab")


def check_disk(folder, needed_gb, disk_usage=shutil.disk_usage):
    """A problem with the free space where the environment goes, or None."""
    free_gb = disk_usage(folder).free / 1e9
    if free_gb >= needed_gb:
        return None
    return ("Only {0:.1f} GB free in {1}; the lab's environment needs about {2:.1f} GB.\n"
            "  Fix: free some space, or clone the lab onto a disk with more room.".format(free_gb, folder, needed_gb))


def notes(need_make=False, which=shutil.which):
    """What is not a blocker but worth knowing before the install starts."""
    found = []
    if not need_make and check_make(which):
        found.append("`make` is not installed: use `python helpers/setup.py lab` (it does what `make lab` does).")
    if which("dot"):
        return found
    return found + ["Graphviz's `dot` is not installed: the set-up installs it with apt-get when run as root; "
            "otherwise install it (Debian/Ubuntu: sudo apt-get install graphviz; macOS: brew install "
            "graphviz; Windows: winget install graphviz) or take the conda route, which brings it."]


def problems(need_make=False, purpose="lab", folder=None):
    """Every blocker found, as messages naming their fix."""
    folder = folder or os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    found = [check_python(), check_venv(), check_disk(folder, NEEDED_GB[purpose])]
    if need_make:
        found.append(check_make())
    return [problem for problem in found if problem]


def main(argv=None):
    parser = argparse.ArgumentParser(description="Check this machine before the lab installs anything.")
    parser.add_argument("--make", action="store_true", help="also require make (the make route)")
    parser.add_argument("--purpose", choices=sorted(NEEDED_GB), default="lab",
                        help="what is about to install: the lab's packages, or the tests' as well")
    args = parser.parse_args(argv)
    found = problems(args.make, args.purpose)
    for note in notes(args.make):
        print("Note: " + note)
    if not found:
        print("Pre-flight check passed: Python {0}, {1:.0f} GB free.".format(
            platform.python_version(), shutil.disk_usage(os.path.dirname(os.path.abspath(__file__))).free / 1e9))
        return 0
    print("Pre-flight check failed; nothing was installed.")
    for problem in found:
        print("- " + problem)
    return 1


if __name__ == "__main__":
    sys.exit(main())
