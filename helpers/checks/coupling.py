"""Check for the exercise of notebook 03: choose the messaging pattern for three scenarios.

A self-checking multiple choice: for each scenario the verdict says whether the choice fits and why
(and why each other pattern fits less), and whether the learner's reason names the property that
decides it. Returns a `helpers.exercises.Verdict`; never raises.
"""
from __future__ import annotations

import re
from typing import Any, NamedTuple

from ..exercises import CheckResult, Hints, Verdict, check

PATTERNS = ("sync", "queue", "topic", "bus")


class Scenario(NamedTuple):
    """The patterns that fit one scenario, why, why each other fits less, and what decides it."""

    fits: tuple[str, ...]
    reason: str
    others: dict[str, str]
    decides: str                     # the deciding property, as the verdict names it
    words: tuple[str, ...]           # word stems a reason must contain one of to name that property


SCENARIOS: dict[str, Scenario] = {
    "card-check": Scenario(
        ("sync",),
        "the page can't load until it knows the answer: that is request-response, and the customer "
        "should see an error at once if the payment service is down.",
        {"queue": "a queue returns only a MessageId; the page would have to poll for the answer.",
         "topic": "a topic returns only a MessageId, and nobody needs a copy of a card check.",
         "bus": "a bus returns only an EventId; the answer would need a second channel back."},
        "the caller needs the answer now (the conversation: request-response)",
        ("answer", "wait", "respon", "reply", "result", "immediate", "now", "before", "synchron", "request",
         "conversation", "block")),
    "ticket-printer": Scenario(
        ("queue",),
        "one consumer, long outages and a slow pace: a queue stores the tickets (days, not minutes), "
        "lets the printer take them in its own batches, and redelivers until it succeeds.",
        {"sync": "every order would fail while the printer is jammed (temporal coupling).",
         "topic": "a Lambda subscriber gets 3 attempts over about 3 minutes: an hour's jam would park "
                  "or drop tickets (unless you put a queue behind the topic, which is the queue answer).",
         "bus": "a Lambda target gets 3 attempts over about 3 minutes: an hour's jam would park or drop "
                "tickets (unless the rule targets a queue, which is the queue answer)."},
        "the consumer is down for long and slow (temporal coupling: something must buffer)",
        ("buffer", "stor", "keep", "kept", "hold", "persist", "durab", "retain", "retention", "outage", "jam",
         "down", "pace", "temporal", "lost", "lose", "backlog", "wait", "redeliver", "batch")),
    "new-teams": Scenario(
        ("bus", "topic"),
        "the producer names no consumer; each team adds its own rule, filtering on the event's content "
        "(payment_method for loyalty), without the order service changing.",
        {"sync": "the order service would call every team, wait for each, and change for each new one.",
         "queue": "a queue has one consumer per message: teams would compete for the orders."},
        "many consumers, added later, each choosing by content (fan-out and filtering: the topology facet)",
        ("fan", "filter", "rule", "subscri", "content", "decoupl", "independen", "topology", "many", "each team",
         "several", "consumers", "one-to-many", "publish", "names no", "without changing", "not change",
         "doesn't change", "does not change")),
}

#: Why a topic is accepted for new-teams, and what a bus would add (both filter on what was published).
TOPIC_FOR_NEW_TEAMS = (
    "topic fits too: SNS fans out to each team's subscription, and a filter policy (on message attributes, "
    "or on the body with FilterPolicyScope MessageBody) picks the card orders. A bus adds what the teams "
    "may want later: archive and replay for the team that joins next quarter, input transformation, and "
    "many event types on one bus instead of a topic per type.")

HINTS = Hints(
    nudge="ask of each scenario one question: does the sender need the answer now? must one slow consumer "
          "survive long outages at its own pace? do several consumers, added by others, choose what they want?",
    api="the four answers are \"sync\", \"queue\", \"topic\" and \"bus\"; each reason should name what "
        "decides: the conversation, temporal coupling and buffering, or fan-out and filtering.",
    answer="card-check: sync (the page needs the answer now); ticket-printer: queue (it buffers an hour's "
           "jam at the printer's pace); new-teams: bus, or topic (fan-out, each team filters, the producer "
           "doesn't change).")


def _names_property(reason: Any, scenario: Scenario) -> bool:
    text = " ".join(re.findall(r"[a-z'-]+", str(reason or "").lower()))
    return len(text.split()) >= 4 and any(word in text for word in scenario.words)


def choose_the_pattern(choices: Any, why: Any = None) -> Verdict:
    """Exercise `choose-the-pattern`: `choices` maps each scenario to sync, queue, topic or bus; `why`
    gives one sentence per scenario, which must name the property that decides it."""

    def test() -> CheckResult:
        if not isinstance(choices, dict):
            return False, "`choices` should be a dict {scenario: pattern}, like the one the cell starts with."
        lines, right = [], 0
        for name, scenario in SCENARIOS.items():
            picked = choices.get(name, ...)
            choice = picked.strip().lower() if isinstance(picked, str) else None
            if picked is ... or picked is None:
                lines.append(f"{name}: not chosen yet.")
            elif choice not in PATTERNS:
                lines.append(f"{name}: {picked!r} is not one of {', '.join(PATTERNS)}.")
            elif choice in scenario.fits:
                right += 1
                lines.append(f"{name}: {choice} fits: "
                             + (TOPIC_FOR_NEW_TEAMS if (name, choice) == ("new-teams", "topic") else scenario.reason))
            else:
                lines.append(f"{name}: {choice} fits less: {scenario.others[choice]}")
        reasons = why if isinstance(why, dict) else {}
        vague = [name for name, scenario in SCENARIOS.items() if not _names_property(reasons.get(name), scenario)]
        if right == len(SCENARIOS) and not vague:
            return True, "all three fit, for the right reasons. " + " ".join(lines)
        if right == len(SCENARIOS):
            return (False, "all three choices fit, but the reason given for " + ", ".join(vague)
                           + " does not name the property that decides it. " + " ".join(lines),
                    "; ".join(f"{name}: {SCENARIOS[name].decides}" for name in vague) + ".")
        return False, f"{right} of {len(SCENARIOS)} fit. " + " ".join(lines)

    return check("choose-the-pattern", test, HINTS)
