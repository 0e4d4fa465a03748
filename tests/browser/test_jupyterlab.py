"""JupyterLab itself (issue 6): `make lab`'s server, notebook 00 run through the UI in Chromium.

The server is started as `make lab` starts it, on a free port with a random token; its user settings
and workspaces live in a temporary folder with autosave off, so the committed notebook keeps no
outputs. Run All goes through the Run menu; then no cell shows an error, and the memory slider,
moved with the keyboard, makes the lab answer again.
"""
from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "00-welcome.ipynb"
# User settings for this server only: no autosave, every cell in the page (no windowing), the
# notebook's kernel started without asking, no news.
SETTINGS = {
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none", "autoStartDefaultKernel": True},
    "@jupyterlab/apputils-extension/notification": {"checkForUpdates": False, "fetchNews": "false"},
}


@pytest.fixture(scope="module")
def lab_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """JupyterLab on notebooks/, started like `make lab`; yields its URL with the token."""
    home = tmp_path_factory.mktemp("jupyterlab")
    for plugin, values in SETTINGS.items():
        path = home / "settings" / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    port, token = free_port(), secrets.token_hex(16)
    env = os.environ | {"JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
                        "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces")}
    log = (home / "server.log").open("w")
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "jupyter"), "lab", "--notebook-dir=notebooks", "--ip=127.0.0.1",
         f"--port={port}", "--no-browser", f"--ServerApp.token={token}", *root_flag()],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_until_up(f"http://127.0.0.1:{port}/api/status?token={token}", server, home / "server.log")
        yield f"http://127.0.0.1:{port}/lab/tree/{NOTEBOOK.name}?token={token}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def root_flag() -> list[str]:
    """Jupyter refuses to run as root (CI, containers) without --allow-root."""
    return ["--allow-root"] if os.geteuid() == 0 else []


def wait_until_up(url: str, server: subprocess.Popen, log: Path, timeout: float = 90) -> None:
    """Poll the server's status API until it answers; fail with its log if it dies or hangs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"jupyter lab exited with {server.returncode}:\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"jupyter lab did not answer within {timeout} s:\n{log.read_text()[-4000:]}")


def code_cell_count(path: Path) -> int:
    return sum(cell["cell_type"] == "code" for cell in json.loads(path.read_text())["cells"])


@pytest.fixture(scope="module")
def ran_all(module_watched: tuple, lab_url: str) -> tuple[Page, object]:
    """Notebook 00 opened in JupyterLab and run with Run > Run All Cells, every cell finished."""
    page, watch = module_watched
    with page.expect_websocket(lambda socket: "/api/kernels/" in socket.url, timeout=60_000):
        page.goto(lab_url)
    expect(page.locator(".jp-StatusBar-Widget", has_text="| Idle")).to_be_visible(timeout=60_000)
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-item[data-command='runmenu:run-all']").click()
    page.wait_for_function(
        """cells => [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')]
             .filter(p => /\\[\\d+\\]/.test(p.textContent)).length === cells""",
        arg=code_cell_count(NOTEBOOK), timeout=120_000)
    expect(page.locator(".jp-StatusBar-Widget", has_text="| Idle")).to_be_visible(timeout=30_000)
    return page, watch


def test_run_all_shows_no_error_and_draws_the_slider(ran_all: tuple, screenshot):
    page, watch = ran_all
    assert page.locator("[data-mime-type='application/vnd.jupyter.error']").count() == 0
    slider = page.locator(".widget-slider")
    slider.scroll_into_view_if_needed()
    expect(slider.locator(".noUi-handle")).to_have_attribute("aria-valuenow", "128.0")
    expect(page.locator(".widget-html")).to_contain_text("ms at 128 MB")
    screenshot(page, "jupyterlab-00-welcome")
    assert watch.problems() == []


def test_after_run_all_the_slider_moved_with_the_keyboard_makes_the_lab_answer(ran_all: tuple):
    page, watch = ran_all
    handle = page.locator(".widget-slider .noUi-handle")
    handle.click()
    page.keyboard.press("ArrowRight")
    expect(handle).to_have_attribute("aria-valuenow", "192.0")
    expect(page.locator(".widget-html")).to_contain_text("ms at 192 MB", timeout=30_000)
    assert watch.problems() == []


def test_the_committed_notebook_was_not_saved(ran_all: tuple):
    """Autosave is off for the test's server: the notebook keeps no outputs."""
    assert all(not cell.get("outputs") for cell in json.loads(NOTEBOOK.read_text())["cells"])
