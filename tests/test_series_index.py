"""The series index and the instructor's guide (issue 13): every notebook listed with the time it states,
every notebook linked to its neighbours, and a guide whose agendas add up and whose commands exist.

Generic over notebooks/NN-*.ipynb: a notebook that lands is held to the same bar, and the pages are
brought up to date with `python book/series_index.py` (the first test fails until they are).
"""
from __future__ import annotations

import ast
import importlib.util
import json
import re
import sys
from pathlib import Path

import pytest

from notebook_runner import NOTEBOOKS
from test_notebook_conventions import stated_minutes

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "notebooks" / "INSTRUCTORS.md"
SECTIONS_HEADING = "What to demonstrate and what to leave to the attendees"
INDEXES = (ROOT / "README.md", ROOT / "book" / "index.md", ROOT / "notebooks" / "README.md")


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


series_index = _load("series_index", ROOT / "book" / "series_index.py")
forward_links = _load("forward_links", ROOT / "book" / "_ext" / "forward_links.py")


def _section(text: str, heading: str) -> str:
    """The text under `## heading`, up to the next level-2 heading."""
    return text.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]


def _markdown(path: Path) -> list[str]:
    return [c["source"] if isinstance(c["source"], str) else "".join(c["source"])
            for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "markdown"]


# ---- the index ------------------------------------------------------------------------------------

def test_the_generated_pages_are_up_to_date():
    notebooks = series_index.series()
    stale = [str(page.relative_to(ROOT)) for page, blocks in series_index.PAGES.items()
             if series_index.render(page.read_text(), blocks, notebooks) != page.read_text()]
    assert stale == [], f"out of date: {stale}; run `python book/series_index.py`"


@pytest.mark.parametrize("page", INDEXES, ids=lambda p: str(p.relative_to(ROOT)))
def test_each_index_lists_every_notebook_with_the_time_it_states(page: Path):
    rows = {line[2:4]: line for line in page.read_text().splitlines() if re.match(r"\| \d\d \|", line)}
    assert sorted(rows) == [p.name[:2] for p in NOTEBOOKS], f"{page.name}: one row per notebook, no other"
    for path in NOTEBOOKS:
        row = rows[path.name[:2]]
        assert f"{path.name})" in row, f"{page.name}: the row of {path.name[:2]} should link to {path.name}"
        time = re.findall(r"\| (\d+) min\b", row)
        assert time == [str(stated_minutes(path))], f"{page.name}: {path.name} states {stated_minutes(path)} min"


def test_the_index_names_what_each_notebook_builds_on_from_its_own_opening():
    """04 says 01 and 02 help; 05 says 04 does: the index's "builds on" column says so too."""
    rows = {line[2:4]: line.split(" | ")[-1] for line in (ROOT / "notebooks" / "README.md").read_text().splitlines()
            if re.match(r"\| \d\d \|", line)}
    for nb in series_index.series():
        named = re.findall(r"\[(\d\d)\]", rows[nb.number])
        assert named == list(nb.builds_on) and set(named) <= {p.name[:2] for p in NOTEBOOKS}
        assert all(n < nb.number for n in named)
    assert series_index.read(NOTEBOOKS[0]).builds_on == ()


# ---- the links between notebooks ----------------------------------------------------------------

def _nav_links(text: str) -> list[tuple[str, str]]:
    """(number, file) of every notebook linked from the series' navigation lines in `text`."""
    lines = [line for line in text.splitlines() if "*Serverless Patterns Lab*" in line or line.startswith("**Next**")]
    return [(target[:2], target) for line in lines
            for target in re.findall(r"\]\(((?:\d\d-[\w.-]+\.ipynb)|README\.md)\)", line)]


def _resolves(target: str) -> bool:
    """An existing notebook, or a planned one not landed yet (the site renders that link as plain text)."""
    if (ROOT / "notebooks" / target).is_file():
        return True
    number = target[:2]
    landed = forward_links.notebook_numbers(ROOT / "notebooks")
    return series_index.PLANNED.get(number) == target and number not in landed


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_each_notebook_links_to_its_neighbours_and_the_last_back_to_the_start(path: Path):
    cells = _markdown(path)
    number = path.name[:2]
    following, preceding = f"{int(number) + 1:02d}", f"{int(number) - 1:02d}"
    for where, text in (("opening", cells[0]), ("closing", cells[-1])):
        links = _nav_links(text)
        assert all(_resolves(target) for _, target in links), f"{path.name} ({where}): broken link in {links}"
        later = {n for n, t in links if t.endswith(".ipynb") and n > number}
        earlier = {n for n, t in links if t.endswith(".ipynb") and n < number}
        if number == series_index.LAST:
            assert "00" in earlier or any(t == "README.md" for _, t in links), \
                f"{path.name} ({where}) is the last notebook: it should link back to 00 or the index"
            earlier -= {"00"}
        else:
            assert later == {following}, f"{path.name} ({where}) should link on to {following}, not {later}"
        back = {preceding} if number != "00" else set()
        assert earlier == back if where == "opening" else earlier <= back, \
            f"{path.name} ({where}) should link back to {preceding}, not {earlier}"


def test_a_link_to_a_notebook_not_landed_is_accepted_only_under_its_planned_name():
    landed = forward_links.notebook_numbers(ROOT / "notebooks")
    for number, name in series_index.PLANNED.items():
        assert _resolves(name)
        if number not in landed:
            assert not _resolves(f"{number}-a-typo.ipynb")
    assert not _resolves("09-beyond-the-plan.ipynb")


# ---- the instructor's guide -------------------------------------------------------------------------

def test_the_guide_mentions_every_notebook_in_an_agenda_and_the_sections_table():
    text = GUIDE.read_text()
    agendas, sections = _section(text, "Agendas"), _section(text, SECTIONS_HEADING)
    for path in NOTEBOOKS:
        assert f"({path.name})" in agendas, f"no agenda has {path.name}"
        assert f"| {path.name[:2]} · [" in sections, f"the sections table has no row for {path.name}"


def _agendas(text: str) -> dict[str, tuple[str, list[tuple[str, int, str]]]]:
    """{agenda name: (its Length line, [(start, minutes, what)])}."""
    found = {}
    for block in _section(text, "Agendas").split("\n### ")[1:]:
        name, body = block.split("\n", 1)
        length = re.search(r"\*\*Length\*\*: (.+)", body)[1]
        rows = [(m[1], int(m[2]), m[3]) for m in re.finditer(r"^\| (\d\d:\d\d) \| (\d+) min \| (.+) \|$", body, re.M)]
        found[name] = (length, rows)
    return found


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


def test_each_agenda_adds_up_to_its_stated_length_and_fits_its_day():
    agendas = _agendas(GUIDE.read_text())
    assert len(agendas) >= 3 and any(n.startswith("Half day") for n in agendas) and \
        any(n.startswith("Full day") for n in agendas)
    for name, (length, rows) in agendas.items():
        stated = re.fullmatch(r"(\d+) h (\d\d) min, (\d\d:\d\d) to (\d\d:\d\d)\.", length)
        assert stated, f"{name}: Length should read 'H h MM min, HH:MM to HH:MM.'"
        total = int(stated[1]) * 60 + int(stated[2])
        assert sum(minutes for _, minutes, _ in rows) == total, f"{name}: the sessions and breaks add up differently"
        assert rows[0][0] == stated[3] and _minutes(stated[4]) - _minutes(stated[3]) == total
        for (start, minutes, _), (following, _, _) in zip(rows, rows[1:]):
            assert _minutes(start) + minutes == _minutes(following), f"{name}: {start} + {minutes} min != {following}"
        limit = next(v for k, v in series_index.LIMITS.items() if name.startswith(k))
        assert total <= limit, f"{name} lasts {total} min, more than {limit}"
        pauses = [what for _, _, what in rows if not what[:2].isdigit()]
        assert set(pauses) <= {"Break", "Lunch", "Questions and wrap-up"}
        assert not rows[0][2].startswith(("Break", "Lunch")) and rows[-1][2] == "Questions and wrap-up"


def test_each_agenda_gives_a_notebook_the_time_it_states():
    """A notebook taken whole gets its stated time; one taken in sittings gets each sitting's, adding up."""
    by_number = {p.name[:2]: p for p in NOTEBOOKS}
    for name, (_, rows) in _agendas(GUIDE.read_text()).items():
        given: dict[str, int] = {}
        for _, minutes, what in rows:
            if what[:2].isdigit():
                given[what[:2]] = given.get(what[:2], 0) + minutes
                sitting = re.search(r"sitting (\d) of (\d): ", what)
                if sitting:
                    opening = _markdown(by_number[what[:2]])[0]
                    assert f"about {minutes}" in opening, f"{name}: {what[:2]} states no sitting of {minutes} min"
        assert given == {n: stated_minutes(by_number[n]) for n in given}, name


def test_the_sections_to_demonstrate_are_the_notebooks_own_headings():
    by_number = {p.name[:2]: p for p in NOTEBOOKS}
    rows = [line for line in _section(GUIDE.read_text(), SECTIONS_HEADING).splitlines()
            if re.match(r"\| \d\d · ", line)]
    assert len(rows) == len(NOTEBOOKS)
    for row in rows:
        number = row[2:4]
        own = set(series_index.headings(by_number[number]))
        demo, theirs = (cell.strip() for cell in row.strip("|").split(" | ")[1:])
        named = [h for cell in (demo, theirs) for h in cell.split("; ")]
        assert [h for h in named if h not in own] == [], f"{number}: not headings of the notebook"
        assert set(demo.split("; ")).isdisjoint(theirs.split("; "))


def test_a_notebook_without_its_own_entry_gets_the_default_split(tmp_path):
    notebook = tmp_path / "42-new.ipynb"
    cells = [{"cell_type": "markdown", "metadata": {}, "source": s} for s in (
        "# 42 · New\n\n**What you need**: 05. **Time**: about 30 minutes.",
        "## Start the lab", "## The idea\n### A detail", "## Try it: a widget", "## Exercise: do it", "## Summary")]
    notebook.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    demo, theirs = series_index.demo_and_attendees(series_index.read(notebook))
    assert (demo, theirs) == (["The idea"], ["Try it: a widget", "Exercise: do it"])
    assert series_index.read(notebook).builds_on == ("05",)


def test_an_agenda_leaves_out_a_notebook_not_landed_and_the_break_beside_it():
    present = {nb.number: nb for nb in series_index.series() if nb.number in {"00", "02"}}
    rows = series_index.agenda_rows(["00", ("Break", 10), "01", ("Break", 15), "02", ("Lunch", 60), "06"], present)
    assert [what[:2] if what[:2].isdigit() else what for what, _ in rows] == \
        ["00", "Break", "02", "Questions and wrap-up"]


def _rendered_strings(path: Path) -> list[str]:
    """Every string literal of a module, an f-string's fields shown as `…`."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.JoinedStr):
            found.append("".join(v.value if isinstance(v, ast.Constant) else "…" for v in node.values))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.append(node.value)
    return found


def _says(quote: str, strings: list[str]) -> bool:
    pattern = r".*?".join(re.escape(part) for part in quote.split("…"))
    return any(re.search(pattern, " ".join(s.split())) for s in strings)


def test_the_guide_quotes_the_checks_word_for_word():
    strings = [s for path in sorted((ROOT / "helpers" / "checks").glob("*.py")) for s in _rendered_strings(path)]
    stuck = _section(GUIDE.read_text(), "Where people get stuck")
    quotes = [" ".join(q.split()) for q in re.findall(r"“([^”]+)”", stuck)]
    assert len(quotes) >= 10
    assert [q for q in quotes if not _says(q, strings)] == []


def test_the_guide_says_where_people_get_stuck_in_every_exercise():
    stuck = _section(GUIDE.read_text(), "Where people get stuck")
    entries = dict(re.findall(r"^### (\d\d · [\w-]+)\n(.+?)(?=^### |\Z)", stuck, re.M | re.S))
    exercises = [f"{p.name[:2]} · {t.split(':', 1)[1]}" for p in NOTEBOOKS for c in json.loads(p.read_text())["cells"]
                 for t in c.get("metadata", {}).get("tags", []) if t.startswith("exercise:")]
    assert sorted(entries) == sorted(exercises), "add the missing ones to STUCK in book/series_index.py"
    assert all("“" in text for text in entries.values()), "each entry quotes its check"


def _code_spans(text: str) -> list[str]:
    return re.findall(r"`([^`\n]+)`", text)


def test_every_command_the_guide_quotes_exists():
    import helpers

    text = GUIDE.read_text()
    spans = _code_spans(text)
    targets = set(re.findall(r"^([\w-]+):", (ROOT / "Makefile").read_text(), re.M))
    setup = ast.parse((ROOT / "helpers" / "setup.py").read_text()).body
    setup_commands = next(ast.literal_eval(node.value) for node in setup
                          if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "COMMANDS")
    env_name = re.search(r"^name: (\S+)", (ROOT / "environment.yml").read_text(), re.M)[1]
    checked = 0
    for span in spans:
        for target in re.findall(r"\bmake ([\w-]+)", span):
            assert target in targets, f"`{span}`: no Makefile target {target}"
            checked += 1
        for path in re.findall(r"(?<![\w<])((?:[\w.-]+/)*[\w.-]+\.(?:py|yml|ipynb))\b", span):
            path = path.removeprefix("lab/tree/")  # a JupyterLab URL's path: from the repository's root
            assert (ROOT / path).is_file() or (ROOT / "notebooks" / path).is_file(), f"`{span}`: no file {path}"
            checked += 1
        for command in re.findall(r"helpers/setup\.py (\w[\w-]*)", span):
            assert command in setup_commands, f"`{span}`: helpers/setup.py has no command {command}"
        for dotted in re.findall(r"\bhelpers\.([\w.]+)\(", span):
            obj = helpers
            for part in dotted.split("."):
                obj = getattr(obj, part, None) or __import__(f"{obj.__name__}.{part}", fromlist=[part])
            assert callable(obj), f"`{span}`: helpers.{dotted} is not a function"
            checked += 1
        for method in re.findall(r"\blab\.(\w+)\(", span):
            assert callable(getattr(helpers.Lab, method, None)), f"`{span}`: the lab has no {method}()"
            checked += 1
        for name in re.findall(r"conda (?:activate|env remove -n) ([\w-]+)", span):
            assert name == env_name, f"`{span}`: environment.yml names the environment {env_name}"
    assert checked >= 10


@pytest.mark.parametrize("page", [GUIDE, ROOT / "notebooks" / "README.md"], ids=lambda p: p.name)
def test_the_pages_name_no_notebook_not_written_yet(page: Path):
    """The site build fails on such prose (book/_ext/forward_links.py); the pages only list what landed."""
    landed = forward_links.notebook_numbers(ROOT / "notebooks")
    assert forward_links.missing_references(page.read_text(), landed) == []
