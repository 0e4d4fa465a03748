"""Power tuning: the price table, costs, and the tuner's formulas, as the real tool computes them.

The tuner's functions (notebooks/bistro/tuner/) are Python ports of aws-lambda-power-tuning's
lambda/*.js; these tests run their formulas on small fixed inputs whose answers were worked out by hand
from the JavaScript (analyzer.js, executor.js, utils.js; rows file nb07, source L31d).
"""
from __future__ import annotations

import base64
import importlib.util
import math
import sys
from pathlib import Path
from types import ModuleType

import pandas as pd
import pytest

from helpers import power_tuning
from helpers.checks.power_tuning import best, monthly, pick_the_memory
from helpers.runtime.duration_model import vcpus

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
TUNER = NOTEBOOKS / "bistro" / "tuner"
SOLUTION = NOTEBOOKS / "solutions" / "07-lambda-power-tuning" / "pick-the-memory.py"
REPORT = ("REPORT RequestId: 6c71074c-2944-46ea-b00c-451c695d5435\tDuration: 56.44 ms\tBilled Duration: 179 ms\t"
          "Memory Size: 128 MB\tMax Memory Used: 32 MB\tInit Duration: 122.29 ms\t")


def tuner_module(name: str, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """A tuner function's module, imported as its Lambda package would (beside utils.py)."""
    monkeypatch.syspath_prepend(str(TUNER))
    monkeypatch.delitem(sys.modules, "utils", raising=False)
    monkeypatch.setenv("sfCosts", "0.000025")
    monkeypatch.setenv("minRAM", "128")
    monkeypatch.setenv("baseCosts", '{"x86_64": 2.1e-9, "arm64": 1.7e-9}')
    spec = importlib.util.spec_from_file_location(f"tuner_{name}", TUNER / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# -- the price table --------------------------------------------------------------------------------

def test_price_table_matches_aws_semantics_section_3():
    """aws-semantics.md 3 [L23][L29][L30][X2]: requests $0.20 per million; x86 $0.0000166667 per GB-s
    for the first 6 billion GB-s a month (then -10%, -20% above 15 billion); Arm $0.0000133334; free tier
    1 M requests and 400,000 GB-s a month."""
    table = power_tuning.prices()
    assert table["region"] == "us-east-1" and table["read_on"]
    assert table["requests"]["price_per_million"] == 0.20
    x86, arm = table["duration"]["x86_64"], table["duration"]["arm64"]
    assert [t["up_to_gb_seconds_per_month"] for t in x86] == [6e9, 15e9, None]
    assert x86[0]["price_per_gb_second"] == 0.0000166667
    assert x86[1]["price_per_gb_second"] == pytest.approx(0.9 * 0.0000166667, rel=1e-4)
    assert x86[2]["price_per_gb_second"] == pytest.approx(0.8 * 0.0000166667, rel=1e-4)
    assert arm[0]["price_per_gb_second"] == 0.0000133334
    assert arm[0]["price_per_gb_second"] == pytest.approx(0.8 * x86[0]["price_per_gb_second"], rel=1e-4)
    assert table["free_tier_per_month"] == {"requests": 1_000_000, "gb_seconds": 400_000}
    assert table["step_functions_standard"]["price_per_state_transition"] == 0.025 / 1000   # [S3]
    assert all(url.startswith("https://") for url in table["sources"].values())


def test_a_millisecond_at_128_mb_is_the_tools_base_cost():
    """The tool's baseCosts (template.yml): 2.1e-9 x86 and 1.7e-9 arm64 per ms at 128 MB, AWS's rounded
    figures; ours are computed from the GB-second price (0.125 GB / 1000)."""
    costs = power_tuning.base_costs()
    assert costs["x86_64"] == pytest.approx(0.0000166667 * 0.125 / 1000)
    assert costs["x86_64"] == pytest.approx(2.1e-9, rel=0.01)
    assert costs["arm64"] == pytest.approx(1.7e-9, rel=0.02)


def test_an_invocation_costs_its_request_plus_its_rounded_up_gb_seconds():
    """aws-semantics.md 3 [L23]: duration is rounded up to the next millisecond, memory in GB = MB / 1024."""
    cost = power_tuning.invocation_cost(99.2, 1024, "x86_64")
    assert cost == pytest.approx(0.20 / 1e6 + 100 / 1000 * 1.0 * 0.0000166667)
    assert power_tuning.invocation_cost(99.2, 1024, "arm64") < cost
    with pytest.raises(ValueError, match="x86_64, arm64"):
        power_tuning.invocation_cost(1, 128, "graviton")


def test_what_memory_buys():
    """aws-semantics.md 3 [L27]: 1,769 MB is one vCPU, six at most; one thread stops gaining at one vCPU."""
    assert vcpus(1769) == 1 and vcpus(10240) == pytest.approx(10240 / 1769)
    table = power_tuning.what_memory_buys([128, 1769, 3538, 10240])
    assert table["1 thread: x faster than 128 MB"].to_list() == [1.0, 13.8, 13.8, 13.8]
    assert table["6 threads: x faster than 128 MB"].to_list() == [1.0, 13.8, 27.6, 80.0]


def test_report_reads_the_fields_of_a_log_tail():
    """aws-semantics.md 2 [L22][L23]: REPORT fields are separated by tabs."""
    tail = base64.b64encode(f"START RequestId: x\nhello\nEND RequestId: x\n{REPORT}\n".encode()).decode()
    assert power_tuning.report(tail) == {"Duration": 56.44, "Billed Duration": 179, "Memory Size": 128,
                                         "Max Memory Used": 32, "Init Duration": 122.29}


# -- the tuner's formulas (utils.js, executor.js, analyzer.js) ---------------------------------------

def test_durations_are_read_with_the_tools_regular_expressions(monkeypatch):
    utils = tuner_module("utils", monkeypatch)
    assert utils.extract_duration(REPORT, "durationMs") == 56.44
    assert utils.extract_duration(REPORT, "initDurationMs") == 122.29
    assert utils.extract_duration(REPORT, "billedDurationMs") == 179
    results = [{"LogResult": base64.b64encode(REPORT.encode()).decode()}, {}]
    assert utils.durations(results, "durationMs", "initDurationMs") == [pytest.approx(178.73), 0.0]


def test_average_duration_is_the_trimmed_mean(monkeypatch):
    """executor.js computeAverageDuration: drop int(n * discardTopBottom) values at each end."""
    utils = tuner_module("utils", monkeypatch)
    values = [9.0, 1.0, 5.0, 3.0, 100.0, 2.0, 4.0, 6.0, 8.0, 7.0]
    assert utils.average_duration(values, 0.2) == pytest.approx((3 + 4 + 5 + 6 + 7 + 8) / 6)
    assert utils.average_duration(values[:4], 0.2) == pytest.approx(4.5)      # int(0.8) = 0: nothing dropped
    assert utils.average_duration([], 0.2) == 0


def test_price_is_whole_milliseconds_at_the_scaled_128_mb_price(monkeypatch):
    """utils.js computePrice: Math.ceil(duration) * minCost * (value / minRAM); no request price."""
    utils = tuner_module("utils", monkeypatch)
    assert utils.compute_price(2.1e-9, 128, 1024, 4.2) == pytest.approx(5 * 2.1e-9 * 8)
    assert utils.step_functions_cost(8) == 0.00075                            # 6 + 3 * 8 transitions


STATS = [  # power, cost, duration: 256 ties 128 on cost and is faster; 1024 and 2048 tie on speed
    {"value": 128, "averagePrice": 2.0e-8, "averageDuration": 40.0, "totalCost": 1e-7},
    {"value": 256, "averagePrice": 2.0e-8, "averageDuration": 20.0, "totalCost": 1e-7},
    {"value": 512, "averagePrice": 2.4e-8, "averageDuration": 12.0, "totalCost": 1.2e-7},
    {"value": 1024, "averagePrice": 4.0e-8, "averageDuration": 10.0, "totalCost": 2e-7},
    {"value": 2048, "averagePrice": 8.0e-8, "averageDuration": 10.0, "totalCost": 4e-7},
]


@pytest.mark.parametrize("options, power", [
    ({}, 256),                                               # default strategy cost; tie -> the faster
    ({"strategy": "cost"}, 256),
    ({"strategy": "speed"}, 1024),                           # tie on duration -> the cheaper
    # balanced, w = 0.5: 128 .625, 256 .375, 512 .3, 1024 .375, 2048 .625
    ({"strategy": "balanced"}, 512),
    # w = 0: speed alone; w = 1: cost alone
    ({"strategy": "balanced", "balancedWeight": 0.0}, 1024),
    ({"strategy": "balanced", "balancedWeight": 1.0}, 128),  # min keeps the first of equals, as sort does
    # w = 0.1: 128 .925, 256 .475, 512 .3, 1024 .275, 2048 .325
    ({"strategy": "balanced", "balancedWeight": 0.1}, 1024),
    ({"strategy": "balanced", "balancedWeight": 7}, 128),    # clamped to 1
])
def test_strategies_pick_what_the_tools_analyzer_picks(monkeypatch, options, power):
    """analyzer.js: findCheapest, findFastest, findBalanced (value = w * cost / maxCost +
    (1 - w) * duration / maxDuration, minimised), weight clamped to [0, 1]."""
    analyzer = tuner_module("analyzer", monkeypatch)
    result = analyzer.handler({"stats": STATS, "num": 5, **options}, None)
    assert result["power"] == power


def test_analyzer_output_has_the_tools_shape(monkeypatch):
    """README: results.power, cost, duration, stateMachine.{executionCost, lambdaCost}, stats[]."""
    analyzer = tuner_module("analyzer", monkeypatch)
    result = analyzer.handler({"stats": STATS, "num": 5, "includeOutputResults": True}, None)
    assert set(result) == {"power", "cost", "duration", "stateMachine", "stats"}
    assert result["stateMachine"] == {"executionCost": round(0.000025 * (6 + 3 * 5), 5),
                                      "lambdaCost": pytest.approx(9.2e-7)}
    assert result["stats"][0] == {"value": 128, "averagePrice": 2.0e-8, "averageDuration": 40.0}
    with pytest.raises(ValueError, match="Wrong input"):
        analyzer.handler({"stats": [{"value": 128, "averageDuration": 0}]}, None)


def test_initializer_refuses_what_the_tool_refuses(monkeypatch):
    initializer = tuner_module("initializer", monkeypatch)
    with pytest.raises(ValueError, match="Missing or empty lambdaARN"):
        initializer.handler({"num": 5}, None)
    with pytest.raises(ValueError, match="num below 5"):
        initializer.handler({"lambdaARN": "arn:aws:lambda:us-east-1:123456789012:function:f", "num": 4}, None)


def test_publisher_walks_the_configurations_then_stops(monkeypatch):
    """publisher.js: one configuration per pass; `continue` false after the last, and the list dropped."""
    publisher = tuner_module("publisher", monkeypatch)
    published = []
    monkeypatch.setattr(publisher, "create_power_configuration", lambda *args: published.append(args))
    state = {"lambdaARN": "f", "lambdaConfigurations": {
        "powerValues": [128, 256], "iterator": {"index": 0, "count": 3, "continue": True},
        "initConfigurations": [{"powerValue": 128, "alias": "RAM128"}, {"powerValue": 256, "alias": "RAM256"},
                               {"powerValue": 1024}]}}
    while state["lambdaConfigurations"]["iterator"]["continue"]:
        state["lambdaConfigurations"] = publisher.handler(state, None)
    assert published == [("f", 128, "RAM128"), ("f", 256, "RAM256"), ("f", 1024, None)]
    assert state["lambdaConfigurations"] == {"powerValues": [128, 256],
                                             "iterator": {"index": 3, "count": 3, "continue": False}}


# -- the exercise -------------------------------------------------------------------------------------

#: The multi-threaded function as the notebook tunes it (duration and billed ms per memory size).
RESIZER = pd.DataFrame({"memory (MB)": [128, 256, 512, 1024, 1536, 3008, 5120, 10240],
                        "duration (ms)": [18.34, 9.17, 4.58, 2.29, 1.53, 0.81, 0.51, 0.30],
                        "billed (ms)": [19, 10, 5, 3, 2, 1, 1, 1]}).set_index("memory (MB)")


def test_the_answer_is_the_cheapest_size_under_the_goal_on_arm():
    memory, architecture, cost = best(RESIZER)
    assert (memory, architecture) == (512, "arm64")
    assert cost == pytest.approx(10_000_000 * (0.2e-6 + 5 / 1000 * 0.5 * 0.0000133334))


def test_the_solution_passes():
    scope = {"resizer": RESIZER, "prices": power_tuning.prices()}
    exec(SOLUTION.read_text(), scope)
    verdict = pick_the_memory(scope["memory_mb"], scope["architecture"], scope["monthly_cost"], RESIZER)
    assert verdict.passed, verdict.message


@pytest.mark.parametrize("attempt, says, nudge", [
    ((None, None, None), "set memory_mb", "keep the rows"),
    ((10240, "arm64", 2.5), "is the fastest, not the cheapest", "a ceiling, not a race"),
    ((128, "arm64", 2.1), "misses the 5 ms goal", "first keep only the sizes under 5 ms"),
    ((1024, "arm64", 2.2), "another size is cheaper", "keep the rows"),
    ((512, "x86_64", monthly(RESIZER, 512, "x86_64")), "costs more than on arm64", "Arm"),
    ((512, "arm64", monthly(RESIZER, 512, "arm64", requests=False)), "leaves out the requests", "requests"),
    ((512, "arm64", monthly(RESIZER, 512, "x86_64")), "prices arm64 at the x86 rate", "prices['duration']['arm64']"),
    ((512, "arm64", 3.0), "the bill should be", "keep the rows"),
    ((999, "arm64", 1.0), "not one of the tuned sizes", "keep the rows"),
    ((512, "sparc", 1.0), "should be 'x86_64' or 'arm64'", "keep the rows"),
])
def test_each_wrong_attempt_gets_its_own_message(attempt, says, nudge):
    verdict = pick_the_memory(*attempt, RESIZER)
    assert not verdict.passed and says in verdict.message and nudge in verdict.hint
    assert str(verdict).startswith("NOT YET pick-the-memory:") and "solutions.md#pick-the-memory" in str(verdict)


def test_the_monthly_bill_formula():
    assert monthly(RESIZER, 512, "arm64") == pytest.approx(
        10_000_000 * (0.20 / 1e6 + math.ceil(5) * 512 / 1024 / 1000 * 0.0000133334))


def test_the_notebook_describes_the_duration_model_the_runtime_uses():
    """design.md principle 2: where the lab models, the notebook says how, with the model's own figures."""
    import nbformat

    from helpers.runtime import duration_model

    path = NOTEBOOKS / "07-lambda-power-tuning.ipynb"
    text = " ".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "markdown")
    text = " ".join(text.split())
    assert f"{duration_model.LINE_NS:.0f} ns on one full vCPU" in text
    assert f"memory / {duration_model.ONE_VCPU_MB:,} MB, at most {duration_model.MAX_VCPUS}" in text
    assert f"`SERVICE_LATENCY_MS` = {duration_model.SERVICE_LATENCY_MS:.0f} ms" in text
    assert f"{duration_model.MAX_MEMORY_MB:,} MB" in text and f"{duration_model.MIN_MEMORY_MB} MB" in text


def test_the_tuners_stats_become_a_table_with_both_architectures():
    """The tool's averagePrice is whole billed milliseconds at the function's architecture; the table
    recovers them and prices a million invocations on x86 and Arm, requests included."""
    ms_price = power_tuning.millisecond_price(1024, "x86_64")
    frame = power_tuning.tuning_frame({"stats": [
        {"value": 1024, "averageDuration": 2.29, "averagePrice": 3 * ms_price},
        {"value": 128, "averageDuration": 18.34, "averagePrice": 19 * power_tuning.millisecond_price(128)}]})
    assert frame.index.to_list() == [128, 1024]
    assert frame.loc[1024, "billed (ms)"] == 3 and frame.loc[128, "billed (ms)"] == 19
    assert frame.loc[1024, "$ per million, x86_64"] == pytest.approx(0.20 + 1e6 * 3 * ms_price, abs=1e-4)
    assert frame.loc[1024, "$ per million, arm64"] == pytest.approx(
        0.20 + 1e6 * 3 * power_tuning.millisecond_price(1024, "arm64"), abs=1e-4)
