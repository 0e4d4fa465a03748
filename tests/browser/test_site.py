"""The static site (issue 6), built by `make docs` and served on localhost, read in Chromium.

Every page loads without a console error and without a request leaving localhost; every graphviz
diagram is an SVG with its nodes; every saved widget view mounts; next/previous links follow the
series' order; search finds notebook 00; every diagram fits the content column at 1366x768 (or sits
in a scroll container that says so); the solutions page publishes every exercise's solution, folded;
screenshots go to test-artifacts/.
"""
from __future__ import annotations

import fcntl
import os
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from functools import partial
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "book" / "_build" / "html"
NOTEBOOKS = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))
ASSETS = ROOT / "book" / "_build" / "site-assets"
#: The pages book/_toc.yml puts after the notebooks, in its order.
AFTER_THE_SERIES = ["solutions", "INSTRUCTORS", "benchmarks"]


@pytest.fixture(scope="module")
def site() -> Path:
    """The site, built (or brought up to date) by `make docs`; a file lock keeps builds one at a time."""
    if not ASSETS.exists() and shutil.which("npm") is None:
        pytest.skip("npm is missing: the site's scripts come from the npm registry (make test says how)")
    lock = ROOT / "book" / "_build" / "build.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    with lock.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}
        build = subprocess.run(["make", "--no-print-directory", "docs"], cwd=ROOT, env=env,
                               capture_output=True, text=True)
    assert build.returncode == 0, f"make docs failed:\n{build.stdout[-6000:]}\n{build.stderr[-6000:]}"
    return SITE


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """Keep the test output free of access logs."""


@pytest.fixture(scope="module")
def base_url(site: Path) -> Iterator[str]:
    """The site served by Python's http.server on a free localhost port."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(QuietHandler, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def pages(site: Path) -> list[str]:
    """Every HTML page of the site, as paths relative to its root."""
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html")
                  if not p.relative_to(site).parts[0].startswith("_"))


class ExternalResources(HTMLParser):
    """Collects script and link URLs that point to another host."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        url = dict(attrs).get({"script": "src", "link": "href"}.get(tag, ""))
        if url and urlsplit(url).hostname not in (None, "localhost", "127.0.0.1"):
            self.found.append(f"<{tag}> {url}")


def test_the_site_has_the_landing_page_and_every_notebook(site: Path):
    assert {"index.html", "search.html"} <= set(pages(site))
    assert [p for p in pages(site) if p.startswith("notebooks/")] == \
        sorted([f"notebooks/{n}.html" for n in NOTEBOOKS] + [f"notebooks/{p}.html" for p in AFTER_THE_SERIES[:2]])


def test_the_landing_page_and_the_instructors_guide_link_every_notebook(site: Path):
    """Issue 13: the landing page's table and the guide's agendas and sections table reach every notebook."""
    landing, guide = (site / "index.html").read_text(), (site / "notebooks" / "INSTRUCTORS.html").read_text()
    for notebook in NOTEBOOKS:
        assert f'href="notebooks/{notebook}.html"' in landing
        assert guide.count(f'href="{notebook}.html"') >= 2, f"the guide's agendas and sections table link {notebook}"
    assert "Length" in guide and 'href="solutions.html"' in guide


def test_every_exercise_links_to_a_solution_the_site_publishes_folded(site: Path):
    """Issue 12: each exercise's link (solutions.html#<name>) lands on a heading of the published page,
    whose solution code sits in a <details> block (folded until opened)."""
    solutions = (site / "notebooks" / "solutions.html").read_text()
    for notebook in NOTEBOOKS:
        page = (site / "notebooks" / f"{notebook}.html").read_text()
        for name in re.findall(r'href="solutions\.html#([\w-]+)"', page):
            heading = re.search(rf'<section id="{name}">(.*?)</section>', solutions, re.S)
            assert heading, f"{notebook} links to solutions.html#{name}, which the page does not have"
            assert re.search(r"<details>.*?<pre>.*?</details>", heading.group(1), re.S), f"{name}: not folded"
    names = re.findall(r'<section id="([\w-]+)">\s*<h3>', solutions)
    linked = {n for notebook in NOTEBOOKS for n in re.findall(
        r'href="solutions\.html#([\w-]+)"', (site / "notebooks" / f"{notebook}.html").read_text())}
    assert names and set(names) == linked


#: The content column's width at 1366x768, with a little slack for rounding.
COLUMN_SLACK_PX = 2
DIAGRAM_WIDTHS = """() => {
  const article = document.querySelector('article.bd-article') || document.querySelector('main');
  const column = article ? article.getBoundingClientRect().width : window.innerWidth;
  return [...document.querySelectorAll('svg')].filter(s => s.querySelector('g.graph')).map(s => ({
    width: s.getBoundingClientRect().width, column,
    scroller: !!s.closest('[data-scroll-note]') && !!s.closest('[data-scroll-note]').textContent.includes('scroll'),
    title: (s.querySelector('g.graph > title') || {}).textContent}));
}"""


def test_every_diagram_fits_the_content_column(browser, base_url: str, site: Path, screenshot):
    """design.md (diagrams fit the site's content column, about 750 px); issue 12 measured 02's sequence
    diagram at 4,901 px in a 757 px column at 1366x768."""
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    too_wide = {}
    for path in pages(site):
        page.goto(base_url + path, wait_until="networkidle")
        for svg in page.evaluate(DIAGRAM_WIDTHS):
            if svg["width"] > svg["column"] + COLUMN_SLACK_PX and not svg["scroller"]:
                too_wide.setdefault(path, []).append(f"{svg['title']}: {svg['width']:.0f} px > {svg['column']:.0f} px")
    page.goto(base_url + "notebooks/02-event-driven-eventbridge.html#what-is-happening-in-the-exchange-of-events")
    screenshot(page, "site-notebook-02-sequence")
    context.close()
    assert too_wide == {}


def test_no_page_loads_a_script_or_stylesheet_from_another_host(site: Path):
    offenders = {}
    for page in pages(site):
        parser = ExternalResources()
        parser.feed((site / page).read_text())
        if parser.found:
            offenders[page] = parser.found
    assert offenders == {}


MOUNTED_WIDGETS = """() => {
  const views = [...document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]')];
  return {views: views.length,
          mounted: views.filter(v => v.parentElement.querySelector('.jupyter-widgets')).length};
}"""
GRAPHVIZ_SVGS = """() => [...document.querySelectorAll('svg')].filter(s => s.querySelector('g.graph'))
  .map(s => s.querySelectorAll('g.node').length)"""


def test_every_page_loads_cleanly_with_its_diagrams_and_widgets(watched: tuple, base_url: str, site: Path):
    page, watch = watched
    report = {}
    for path in pages(site):
        page.goto(base_url + path, wait_until="networkidle")
        widgets = page.evaluate(MOUNTED_WIDGETS)
        if widgets["views"]:
            page.wait_for_function(f"() => ({MOUNTED_WIDGETS})().mounted === {widgets['views']}", timeout=15_000)
        problems = watch.problems()
        problems += ["graphviz SVG without nodes" for nodes in page.evaluate(GRAPHVIZ_SVGS) if nodes == 0]
        problems += [f"broken image {src}" for src in page.evaluate(
            "() => [...document.images].filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src)")]
        if problems:
            report[path] = problems
        watch.console_errors.clear(), watch.escaped.clear(), watch.failed.clear()
    assert report == {}


def test_notebook_00_shows_its_table_and_its_slider(watched: tuple, base_url: str, screenshot):
    page, watch = watched
    page.goto(base_url + "notebooks/00-welcome.html", wait_until="networkidle")
    expect(page.locator(".widget-slider")).to_be_visible(timeout=15_000)
    expect(page.locator(".widget-html")).to_contain_text("ms at 128 MB")
    expect(page.locator("table.dataframe", has_text="memory (MB)")).to_be_visible()
    expect(page.locator("a.reference.download")).to_have_attribute("href", re.compile(r"00-welcome\.ipynb$"))
    screenshot(page, "site-notebook-00")
    assert watch.problems() == []


def test_next_and_previous_links_follow_the_series(watched: tuple, base_url: str, screenshot):
    page, _ = watched
    page.goto(base_url + "index.html")
    screenshot(page, "site-landing")
    visited = []
    while page.locator("a.right-next").count():
        page.locator("a.right-next").click()
        page.wait_for_load_state()
        visited.append(urlsplit(page.url).path.rsplit("/", 1)[-1].removesuffix(".html"))
    assert visited == [*NOTEBOOKS, *AFTER_THE_SERIES]  # the solutions, the instructor's guide, the benchmarks
    for expected in [*reversed(visited[:-1]), "index"]:
        page.locator("a.left-prev").click()
        page.wait_for_load_state()
        assert urlsplit(page.url).path.endswith(f"/{expected}.html")


def test_search_finds_a_word_of_notebook_00(watched: tuple, base_url: str):
    page, watch = watched
    page.goto(base_url + "search.html?q=REPORT")
    expect(page.locator("#search-results a[href*='00-welcome']").first).to_be_visible(timeout=15_000)
    assert watch.problems() == []
