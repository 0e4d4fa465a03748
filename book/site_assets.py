"""Fetch the scripts the site serves itself, so that no page needs a CDN.

From the npm registry (versions pinned in package.json and package-lock.json): the Jupyter widget
manager's embed bundle, require.js (which the bundle needs) and MathJax. They are copied into
_build/site-assets/vendor/, which _config.yml adds to the site's _static folder, with
THIRD-PARTY-LICENSES.txt: the licence of every npm package installed, bundled ones included.

Usage: python book/site_assets.py
"""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

BOOK = Path(__file__).resolve().parent
NPM = BOOK / "_build" / "npm"
VENDOR = BOOK / "_build" / "site-assets" / "vendor"


def npm_install() -> Path:
    """Install the pinned packages into _build/npm; return its node_modules."""
    shutil.rmtree(NPM, ignore_errors=True)
    NPM.mkdir(parents=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copy(BOOK / name, NPM / name)
    subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"],
                   cwd=NPM, check=True)
    return NPM / "node_modules"


def licences(modules: Path) -> str:
    """Name, version, licence and licence text of every installed package."""
    parts = []
    for manifest in sorted(modules.glob("**/package.json")):
        meta = json.loads(manifest.read_text())
        if manifest.parent.parent.name != "node_modules" and not manifest.parent.parent.name.startswith("@"):
            continue  # a package's inner package.json (e.g. dist/), not a package
        if "name" not in meta or "version" not in meta:
            continue
        texts = [p.read_text(errors="replace") for p in sorted(manifest.parent.glob("LICEN[SC]E*")) if p.is_file()]
        parts.append(f"{meta['name']} {meta['version']}: {meta.get('license', 'see package')}\n"
                     + "\n".join(texts))
    return ("=" * 72 + "\n").join(parts)


def copy_assets(modules: Path) -> None:
    """Copy the files the pages load into the vendor folder."""
    shutil.rmtree(VENDOR, ignore_errors=True)
    VENDOR.mkdir(parents=True)
    shutil.copy(modules / "requirejs" / "require.js", VENDOR / "require.js")
    shutil.copytree(modules / "@jupyter-widgets" / "html-manager" / "dist", VENDOR / "html-manager",
                    ignore=shutil.ignore_patterns("*.map"))
    shutil.copytree(modules / "mathjax" / "es5", VENDOR / "mathjax")
    (VENDOR / "THIRD-PARTY-LICENSES.txt").write_text(licences(modules))


if __name__ == "__main__":
    copy_assets(npm_install())
