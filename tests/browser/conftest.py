"""Chromium through Playwright, kept on localhost: shared by the site and the JupyterLab tests.

The browser is Debian's chromium (`make test` installs it; CHROMIUM=/path/to/chrome picks another),
driven through Playwright's `executable_path`. Every request to a host other than localhost is
aborted and recorded, so a page that needs the internet fails its test.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

playwright_api = pytest.importorskip("playwright.sync_api", reason="make test installs requirements-docs.txt")

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
# Chromium as root in a container: no sandbox, no GPU, and none of its own background traffic.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


@dataclass
class Watch:
    """What a page did wrong: console errors, uncaught exceptions, requests that left localhost."""

    console_errors: list[str] = field(default_factory=list)
    escaped: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        return ([f"console: {e}" for e in self.console_errors] + [f"left localhost: {u}" for u in self.escaped]
                + [f"failed: {u}" for u in self.failed])


@pytest.fixture(scope="module")
def browser() -> Iterator[playwright_api.Browser]:
    """Headless Chromium, one per test module (each module runs in one xdist worker)."""
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM}: `make test` installs it as root (CHROMIUM= to use another)")
    with playwright_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def open_watched_page(browser: playwright_api.Browser) -> Iterator[tuple[playwright_api.Page, Watch]]:
    """A fresh page whose requests may reach localhost only, with its problems recorded."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    watch = Watch()

    def guard(route: playwright_api.Route) -> None:
        if urlsplit(route.request.url).hostname in LOCAL_HOSTS or route.request.url.startswith("data:"):
            route.continue_()
        else:
            watch.escaped.append(route.request.url)
            route.abort()

    page.route("**/*", guard)
    page.on("console", lambda message: message.type == "error" and watch.console_errors.append(
        f"{message.text} ({message.location.get('url')})"))
    page.on("pageerror", lambda error: watch.console_errors.append(f"uncaught: {error}"))
    page.on("response", lambda response: response.status >= 400 and watch.failed.append(
        f"{response.status} {response.url}"))
    yield page, watch
    context.close()


@pytest.fixture
def watched(browser: playwright_api.Browser) -> Iterator[tuple[playwright_api.Page, Watch]]:
    """A fresh watched page for one test."""
    yield from open_watched_page(browser)


@pytest.fixture(scope="module")
def module_watched(browser: playwright_api.Browser) -> Iterator[tuple[playwright_api.Page, Watch]]:
    """A watched page shared by a module's tests (a JupyterLab session, say)."""
    yield from open_watched_page(browser)


@pytest.fixture
def screenshot() -> Callable[[playwright_api.Page, str], Path]:
    """Save a full-page screenshot to test-artifacts/NAME.png for a person to look at."""
    def save(page: playwright_api.Page, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path
    return save
