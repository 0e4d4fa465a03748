"""Notebook 07 (Lambda power tuning) shows what its prose says, with the same figures on every run.

Durations are modeled from counted work (helpers/runtime/duration_model.py), so the tuned tables are
identical on every run and every machine: these tests assert exact cells, and that the figures the
prose quotes are the ones the run produced.
"""
from __future__ import annotations

import ast
import math
import re

import pytest

from notebook_runner import executed, notebook, outputs_of

pytestmark = pytest.mark.notebooks
FUNCTIONS = ["cpu-bound", "io-bound", "multi-threaded"]
NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


@pytest.fixture(scope="module")
def nb():
    return executed(notebook("07"))


def plain(nb, tag: str) -> str:
    cells = [c for c in nb.cells if tag in c.get("metadata", {}).get("tags", [])]
    return "\n".join(o.get("data", {}).get("text/plain", o.get("text", "")) for c in cells for o in c.outputs)


def rows(text: str) -> dict[str, list[float]]:
    """The trailing numbers of each row of a printed DataFrame, joined across its wrapped blocks."""
    table: dict[str, list[float]] = {}
    for line in text.splitlines():
        tokens = line.split()
        if len(tokens) < 2 or not NUMBER.match(tokens[-1]):
            continue
        numbers = []
        for token in reversed(tokens[1:]):
            if not NUMBER.match(token):
                break
            numbers.insert(0, float(token))
        table.setdefault(tokens[0], []).extend(numbers)
    return table


def tuned(nb) -> dict[str, dict[int, dict[str, float]]]:
    """function -> memory -> {duration, billed, per_million} from the tuned table."""
    result: dict[str, dict[int, dict[str, float]]] = {f: {} for f in FUNCTIONS}
    for memory, values in rows(plain(nb, "tuned-table")).items():
        for i, function in enumerate(FUNCTIONS):
            duration, billed, per_million = values[3 * i:3 * i + 3]
            result[function][int(memory)] = {"duration": duration, "billed": billed, "per_million": per_million}
    return result


def prose(nb) -> str:
    return " ".join(" ".join(c.source for c in nb.cells if c.cell_type == "markdown").split())


def test_memory_buys_a_vcpu_share_and_one_thread_stops_at_one_vcpu(nb):
    """aws-semantics.md 3 [L27]: 1,769 MB = one vCPU, at most six."""
    table = rows(plain(nb, "vcpus"))
    assert table["128"][:1] == [0.07] and table["10240"][:1] == [5.79]
    single = {m: v[1] for m, v in table.items()}
    assert single["3008"] == single["5120"] == single["10240"] == 13.8     # no gain past one vCPU


def test_measuring_by_hand_shows_a_cold_start_then_warm_invocations(nb):
    """aws-semantics.md 2 [L23][L24]: the cold REPORT has Init Duration, billed with the invocation."""
    lines = [line.split() for line in plain(nb, "by-hand").splitlines()[1:]]
    duration, billed, init = map(float, lines[0][1:])
    assert duration == 0.84 and init > 0 and billed == math.ceil(duration + init)
    assert [line[1:3] for line in lines[1:]] == [["0.84", "1.0"]] * 4
    assert all(line[3:] == ["none", "(warm)"] for line in lines[1:])


def test_tuned_tables_are_the_same_on_every_run(nb):
    table = tuned(nb)
    assert list(table["cpu-bound"]) == [128, 256, 512, 1024, 1536, 3008, 5120, 10240]
    assert table["cpu-bound"][128] == {"duration": 6.69, "billed": 7, "per_million": 0.2146}
    assert table["cpu-bound"][1024] == {"duration": 0.84, "billed": 1, "per_million": 0.2167}
    assert table["io-bound"][128] == {"duration": 121.16, "billed": 122, "per_million": 0.4542}
    assert table["multi-threaded"][10240] == {"duration": 0.30, "billed": 1, "per_million": 0.3667}


def test_single_threaded_code_stops_gaining_past_one_vcpu_and_threads_keep_gaining(nb):
    """aws-semantics.md 3 [L27]: CPU in proportion to memory; one thread uses one vCPU at most."""
    table = tuned(nb)
    cpu = {m: v["duration"] for m, v in table["cpu-bound"].items()}
    threads = {m: v["duration"] for m, v in table["multi-threaded"].items()}
    assert cpu[128] / cpu[1024] == pytest.approx(8, rel=0.01)
    assert cpu[3008] == cpu[5120] == cpu[10240] < cpu[1536]
    assert threads[128] > threads[3008] > threads[5120] > threads[10240]
    io = [v["duration"] for v in table["io-bound"].values()]
    assert max(io) - min(io) < 1.5                                          # waiting is not scaled


def test_the_prose_quotes_the_run(nb):
    table, text = tuned(nb), prose(nb)
    cpu, io, threads = (table[f] for f in FUNCTIONS)
    for quoted in (f"{cpu[128]['duration']} ms at 128 MB", f"to {cpu[1024]['duration']} ms at 1,024 MB",
                   f"{cpu[3008]['duration']} ms from 3,008 MB",
                   f"(${cpu[128]['per_million']} to ${cpu[1024]['per_million']})",
                   f"from ${io[128]['per_million']} to ${io[10240]['per_million']} per million",
                   f"{threads[128]['duration']} ms at 128 MB, {threads[3008]['duration']} ms at 3,008 MB",
                   f"{threads[10240]['duration']:.2f} ms at 10,240 MB"):
        assert quoted in text, quoted


def test_strategies_match_the_prose(nb):
    """The tool's analyzer (aws-semantics rows nb07 [L31d]) on the tuned statistics."""
    picked = rows(plain(nb, "strategies"))
    assert picked["cost"] == [128, 128, 128]
    assert picked["speed"] == [3008, 3008, 10240]
    assert picked["balanced"] == [1024, 128, 3008] * 2                        # w = 0.5, then w = 0.8
    text = prose(nb)
    assert "**cost** picks 128 MB for all three" in text
    assert "1,024 MB for the CPU-bound function" in text and "3,008 MB for the multi-threaded one" in text


def test_the_fleet_is_tuned_in_one_go_and_the_optimizer_sets_each_memory(nb):
    """The fleet table: before/after memory, duration and monthly bill; the figures the prose quotes."""
    fleet = rows(plain(nb, "fleet"))
    assert len(fleet) == 12
    assert fleet["price-order"] == [128, 1024, 5.31, 0.66, 1.06, 1.08]
    assert fleet["fraud-score"][:4] == [128, 3008, 9.41, 4.26]
    for background in ("send-receipt", "loyalty-points", "search-index", "stock-sync", "nightly-report"):
        assert fleet[background][1] == 128
    totals = ast.literal_eval(plain(nb, "fleet-totals"))
    assert totals == {"memory set by the Optimizer": True, "$/month before": 17.49, "$/month after": 13.66}
    text = prose(nb)
    assert "from 5.31 ms to 0.66 ms" in text and "from 9.41 ms to 4.26 ms" in text
    assert "from $17.49 to $13.66 a month" in text


def test_state_machine_diagrams_fit_the_page(nb):
    """design.md: diagrams fit the content column (about 750 px)."""
    for tag in ("tuner-diagram", "execution-diagram"):
        svg = outputs_of(nb, tag)
        width = float(re.search(r'<svg width="([\d.]+)pt"', svg).group(1))
        assert width * 4 / 3 <= 750
        for state in ("Initializer", "Publisher", "IsCountReached", "Executor", "Cleaner", "Analyzer", "Optimizer"):
            assert state in svg


def test_charts_and_widget_are_shown(nb):
    plot = [c for c in nb.cells if "plot" in c.get("metadata", {}).get("tags", [])]
    assert any("image/png" in o.get("data", {}) for c in plot for o in c.outputs)
    widget = [c for c in nb.cells if "widget" in c.get("metadata", {}).get("tags", [])]
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for c in widget for o in c.outputs)


def test_conventions_cells_of_25_lines_at_most_and_no_nan(nb):
    """design.md, Notebook conventions."""
    assert all(len(c.source.splitlines()) <= 25 for c in nb.cells if c.cell_type == "code")
    for tag in ("by-hand", "prices", "tuned-table", "strategies", "both-architectures", "fleet"):
        assert "NaN" not in plain(nb, tag), tag
