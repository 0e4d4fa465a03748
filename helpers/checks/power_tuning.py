"""Check for the exercise of notebook 07: pick the memory and architecture, and price a month.

The learner picks, from a tuned table (memory -> average and billed duration), the configuration that
meets a latency goal at the lowest monthly bill, and computes that bill. The check recomputes the
answer from the same table and the price table, and names the plausible mistakes: the fastest instead
of the cheapest, the cheapest that misses the goal, Arm forgotten, the request price left out, Arm
priced at the x86 rate. Returns a `helpers.exercises.Verdict`; never raises.
"""
from __future__ import annotations

from typing import Any

import pandas as pd

from ..exercises import Hints, Verdict, check
from ..power_tuning import ARCHITECTURES, millisecond_price, request_price

NAME = "pick-the-memory"
GOAL_MS = 5.0
PER_MONTH = 10_000_000

HINTS = Hints(
    nudge="keep the rows whose average duration is under 5 ms, price each on both architectures "
          "(requests plus billed ms x GB x the GB-second price), and take the cheapest.",
    api="prices['requests']['price_per_million'] / 1e6 is one request; "
        "prices['duration'][architecture][0]['price_per_gb_second'] is a GB-second in the first tier; "
        "one invocation's duration costs billed_ms / 1000 * memory_mb / 1024 * that price.",
    answer="fast = resizer[resizer['duration (ms)'] < 5]\n"
           "per_gb_s = prices['duration']['arm64'][0]['price_per_gb_second']\n"
           "cost = prices['requests']['price_per_million'] / 1e6 + "
           "fast['billed (ms)'] / 1000 * fast.index / 1024 * per_gb_s\n"
           "memory_mb, architecture = int(cost.idxmin()), 'arm64'\n"
           "monthly_cost = 10_000_000 * cost.min()")


def monthly(table: pd.DataFrame, memory: int, architecture: str, requests: bool = True) -> float:
    """The bill for PER_MONTH invocations at `memory` on `architecture`."""
    per_call = table.loc[memory, "billed (ms)"] * millisecond_price(memory, architecture)
    return PER_MONTH * (per_call + (request_price() if requests else 0.0))


def best(table: pd.DataFrame) -> tuple[int, str, float]:
    """The cheapest (memory, architecture, monthly bill) meeting the goal; on a tie, the faster."""
    meets = table[table["duration (ms)"] < GOAL_MS]
    options = [(monthly(table, m, a), table.loc[m, "duration (ms)"], m, a) for m in meets.index for a in ARCHITECTURES]
    cost, _, memory, architecture = min(options)
    return memory, architecture, cost


def _close(value: float, expected: float) -> bool:
    return abs(value - expected) <= max(0.005, 1e-4 * expected)


def pick_the_memory(memory_mb: Any, architecture: Any, monthly_cost: Any, table: pd.DataFrame) -> Verdict:
    """Exercise `pick-the-memory`: `memory_mb` and `architecture` chosen from `table` (the tuned
    multi-threaded function), `monthly_cost` its bill in dollars for 10 million invocations."""

    def test() -> tuple[bool, str] | tuple[bool, str, str]:
        if memory_mb is None or architecture is None or monthly_cost is None:
            return False, "set memory_mb, architecture and monthly_cost."
        if memory_mb not in table.index:
            return False, f"{memory_mb!r} is not one of the tuned sizes: {', '.join(map(str, table.index))}."
        if architecture not in ARCHITECTURES:
            return False, f"architecture should be 'x86_64' or 'arm64', not {architecture!r}."
        memory, arch, cost = best(table)
        duration = table.loc[memory_mb, "duration (ms)"]
        if duration >= GOAL_MS:
            return (False, f"{memory_mb} MB takes {duration} ms on average: it misses the 5 ms goal, however cheap.",
                    "the cheapest size overall is not the answer: first keep only the sizes under 5 ms.")
        if memory_mb == table["duration (ms)"].idxmin() and memory_mb != memory:
            return (False, f"{memory_mb} MB is the fastest, not the cheapest of the sizes that meet the goal.",
                    "the goal is a ceiling, not a race: any size under 5 ms will do; compare their bills.")
        if memory_mb != memory:
            return False, (f"{memory_mb} MB meets the goal but costs ${monthly(table, memory_mb, architecture):,.2f} "
                           f"a month on {architecture}; another size is cheaper.")
        if architecture != arch:
            return (False, f"{memory_mb} MB is the right size, but on {architecture} it costs more than on {arch}.",
                    "Arm (arm64) runs the same code at a GB-second price about 20% lower.")
        if _close(float(monthly_cost), monthly(table, memory, arch, requests=False)):
            return (False, f"${monthly_cost:,.2f} leaves out the requests: "
                           f"{PER_MONTH:,} requests at $0.20 per million add ${PER_MONTH * request_price():,.2f}.",
                    "a bill is requests plus duration; for short functions the requests are most of it.")
        if _close(float(monthly_cost), monthly(table, memory, "x86_64")):
            return (False, f"${monthly_cost:,.2f} prices arm64 at the x86 rate.",
                    "use prices['duration']['arm64'], not the x86_64 tier.")
        if not _close(float(monthly_cost), cost):
            return False, f"the bill should be ${cost:,.2f} a month, not ${float(monthly_cost):,.2f}."
        return True, (f"{memory} MB on {arch}: {table.loc[memory, 'duration (ms)']} ms on average, "
                      f"${cost:,.2f} a month for {PER_MONTH:,} resizes.")

    return check(NAME, test, HINTS)
