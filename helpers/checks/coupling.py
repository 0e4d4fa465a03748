"""Check for the exercise of notebook 03: choose the messaging pattern for three scenarios.

A self-checking multiple choice: for each scenario the verdict says whether the choice fits and why
(and why each other pattern fits less). Returns a `helpers.exercises.Verdict`; never raises.
"""
from __future__ import annotations

from typing import Any

from ..exercises import Verdict, check

PATTERNS = ("sync", "queue", "topic", "bus")

#: scenario -> (the best pattern, why it fits, {other pattern: why it fits less})
ANSWERS: dict[str, tuple[str, str, dict[str, str]]] = {
    "card-check": (
        "sync",
        "the page can't load until it knows the answer: that is request-response, and the customer "
        "should see an error at once if the payment service is down.",
        {"queue": "a queue returns only a MessageId; the page would have to poll for the answer.",
         "topic": "a topic returns only a MessageId, and nobody needs a copy of a card check.",
         "bus": "a bus returns only an EventId; the answer would need a second channel back."}),
    "ticket-printer": (
        "queue",
        "one consumer, long outages and a slow pace: a queue stores the tickets (days, not minutes), "
        "lets the printer take them in its own batches, and redelivers until it succeeds.",
        {"sync": "every order would fail while the printer is jammed (temporal coupling).",
         "topic": "a Lambda subscriber gets 3 attempts over about 3 minutes: an hour's jam would park "
                  "or drop tickets (unless you put a queue behind the topic, which is the queue answer).",
         "bus": "a Lambda target gets 3 attempts over about 3 minutes: an hour's jam would park or drop "
                "tickets (unless the rule targets a queue, which is the queue answer)."}),
    "new-teams": (
        "bus",
        "the producer names no consumer; each team adds its own rule, filtering on any field of the "
        "event (payment_method for loyalty), without the order service changing.",
        {"sync": "the order service would call every team, wait for each, and change for each new one.",
         "queue": "a queue has one consumer per message: teams would compete for the orders.",
         "topic": "close: SNS fans out and can filter, but the order service owns the topic and the "
                  "filter works on what it chose to publish; a bus's rules filter on any field of the "
                  "event and add archive and replay for a team that joins later."}),
}

_HINT = ("ask of each scenario: does the sender need the answer now (sync)? must a single consumer survive "
         "long outages at its own pace (queue)? do several consumers, added by others, choose what they "
         "want by content (bus)? Re-read the comparison and the patterns table.")


def choose_the_pattern(choices: Any, why: Any = None) -> Verdict:
    """Exercise `choose-the-pattern`: `choices` maps each scenario to sync, queue, topic or bus; `why`
    gives one sentence per scenario."""
    name = "choose-the-pattern"

    def test() -> tuple[bool, str]:
        if not isinstance(choices, dict):
            return False, "`choices` should be a dict {scenario: pattern}, like the one the cell starts with."
        lines, right = [], 0
        for scenario, (best, reason, others) in ANSWERS.items():
            picked = choices.get(scenario, ...)
            if picked is ... or picked is None:
                lines.append(f"{scenario}: not chosen yet.")
            elif not isinstance(picked, str) or picked.strip().lower() not in PATTERNS:
                lines.append(f"{scenario}: {picked!r} is not one of {', '.join(PATTERNS)}.")
            elif picked.strip().lower() == best:
                right += 1
                lines.append(f"{scenario}: {best} is right: {reason}")
            else:
                lines.append(f"{scenario}: {picked.strip().lower()} fits less: "
                             f"{others[picked.strip().lower()]}")
        reasons = why if isinstance(why, dict) else {}
        unjustified = [s for s in ANSWERS if len(str(reasons.get(s) or "").split()) < 4]
        if right == len(ANSWERS) and not unjustified:
            return True, "all three fit. " + " ".join(lines)
        if right == len(ANSWERS):
            return False, ("all three choices fit, but say why in a sentence (in `why`) for: "
                           + ", ".join(unjustified) + ". " + " ".join(lines))
        return False, f"{right} of {len(ANSWERS)} fit. " + " ".join(lines)

    return check(name, test, _HINT)
