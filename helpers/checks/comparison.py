"""Check for the exercise of notebook 06: choose choreography, orchestration or a hybrid, and say why.

A self-checking multiple choice that wants a *reason*: for each scenario the verdict says whether
the choice fits and why (and why each other design fits less), and a right choice passes only
with a "why" that names what decides it in that scenario (decoupled teams, a visible process
state, compensations, a boundary between contexts...), not just any four words. Returns a
`helpers.exercises.Verdict`; never raises.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..exercises import Hints, Verdict, check

DESIGNS = ("choreography", "orchestration", "hybrid")


@dataclass(frozen=True)
class Scenario:
    """One scenario: the design that fits, why, why each other design fits less, and the ideas a
    reason must name (every group must be named by at least one of its word stems)."""

    best: str
    reason: str
    others: dict[str, str]
    ideas: tuple[tuple[str, tuple[str, ...]], ...]


SCENARIOS: dict[str, Scenario] = {
    "new-teams": Scenario(
        "choreography",
        "independent teams react to a fact (the order was paid) at their own pace; each adds a rule of its "
        "own and nobody else changes or waits: there is no process to coordinate, only facts to share.",
        {"orchestration": "a central workflow would have to call each team's service and change every time a "
                          "team joins or leaves: it couples the teams to one owner.",
         "hybrid": "there is no multi-step process inside any one team to orchestrate: plain events suffice."},
        (("independent teams or consumers", ("independ", "decoupl", "autonom", "team", "consumer", "subscrib",
                                             "without chang", "no change", "don't change", "do not change",
                                             "own pace", "add a rule", "fan out", "fan-out", "loose")),)),
    "catering": Scenario(
        "orchestration",
        "one process with an order to its steps, a wait of up to two days for a person, retries, and "
        "compensations in reverse order when a supplier fails; the manager needs to see where each catering "
        "order is, which a state machine's execution and history show.",
        {"choreography": "nobody would know where an order is (you would need an observer), a two-day wait "
                         "needs state and a timer that no context owns, and reverse-order compensation "
                         "becomes a chain of events that is hard to follow.",
         "hybrid": "the whole process belongs to one team (catering): there is no boundary between contexts "
                   "to choreograph across."},
        (("the process's state or its failures", ("state", "where", "visib", "track", "status", "history",
                                                 "compensat", "undo", "rollback", "roll back", "saga",
                                                 "reverse", "retr", "timeout", "time out", "wait", "approv",
                                                 "callback", "sequence", "step", "central", "one place")),)),
    "bakery": Scenario(
        "hybrid",
        "between the teams (ordering, payment, delivery, bakery) events keep each context independent; "
        "inside the bakery, its own multi-step process with timers and retries is a state machine that "
        "only the bakery team owns: choreograph between bounded contexts, orchestrate within one.",
        {"choreography": "the bakery's own steps (proof, bake, cool, box, with timers and retries) would "
                         "become a web of events inside one team, with no place to see where a batch is.",
         "orchestration": "one state machine across every team would couple ordering, payment and delivery "
                          "to the bakery's workflow and its owner."},
        (("between the contexts: events", ("between", "across", "event", "bus", "choreograph", "independ",
                                            "decoupl", "other team", "teams")),
         ("within the bakery: a workflow", ("within", "inside", "internal", "state machine", "step function",
                                             "workflow", "orchestrat", "its own process", "own steps")))),
}

HINTS = Hints(
    nudge="ask of each scenario: is it facts shared between independent teams (choreography), one process "
          "whose steps, waits and compensations someone must see and control (orchestration), or both, at "
          "different levels (hybrid)?",
    api='choices = {"new-teams": "...", "catering": "...", "bakery": "..."} with each value one of '
        '"choreography", "orchestration", "hybrid"; why = {scenario: "one sentence naming what decides it"}.',
    answer="new-teams: choreography (independent teams subscribe to a fact, nobody changes); catering: "
           "orchestration (a visible process state, a long wait, compensations in reverse order); bakery: "
           "hybrid (events between the teams, a state machine inside the bakery).")


def _named(why: str, ideas: tuple[tuple[str, tuple[str, ...]], ...]) -> list[str]:
    """The ideas a reason does not name yet."""
    text = re.sub(r"\s+", " ", why.lower())
    return [idea for idea, stems in ideas if not any(stem in text for stem in stems)]


def choose_the_design(choices: Any, why: Any = None) -> Verdict:
    """Exercise `choose-the-design`: `choices` maps each scenario to choreography, orchestration or
    hybrid; `why` gives one sentence per scenario."""
    name = "choose-the-design"

    def test() -> tuple[bool, str] | tuple[bool, str, str]:
        if not isinstance(choices, dict):
            return False, "`choices` should be a dict {scenario: design}, like the one the cell starts with."
        reasons = why if isinstance(why, dict) else {}
        lines, right, unreasoned = [], 0, []
        for scenario, expected in SCENARIOS.items():
            picked = choices.get(scenario)
            picked = picked.strip().lower() if isinstance(picked, str) else picked
            if picked is None or picked is ...:
                lines.append(f"{scenario}: not chosen yet.")
            elif picked not in DESIGNS:
                lines.append(f"{scenario}: {picked!r} is not one of {', '.join(DESIGNS)}.")
            elif picked != expected.best:
                lines.append(f"{scenario}: {picked} fits less: {expected.others[picked]}")
            else:
                right += 1
                reason = str(reasons.get(scenario) or "")
                missing = _named(reason, expected.ideas) if len(reason.split()) >= 4 else [i for i, _ in expected.ideas]
                if missing:
                    unreasoned.append(scenario)
                    lines.append(f"{scenario}: {picked} is right, but your why does not name "
                                 f"{' nor '.join(missing)}.")
                else:
                    lines.append(f"{scenario}: {picked} is right: {expected.reason}")
        if right == len(SCENARIOS) and not unreasoned:
            return True, "all three fit, for the right reasons. " + " ".join(lines)
        if right == len(SCENARIOS):
            return False, "all three choices fit; now say why. " + " ".join(lines), (
                "in each sentence, name what decides the design in that scenario (who must stay independent, "
                "what must be seen or undone, where the boundary between contexts is).")
        return False, f"{right} of {len(SCENARIOS)} fit. " + " ".join(lines)

    return check(name, test, HINTS)
