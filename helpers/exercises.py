"""Exercises that check themselves: a verdict that names the mistake, with tiered hints.

Convention (tests/test_exercises.py relies on it): an exercise cell is tagged `exercise` and
`exercise:<name>`; its solution lives in `notebooks/solutions/<notebook stem>/<name>.py`; the check
cell after it displays a `Verdict` for `<name>`. A check never raises: Restart-and-Run-All works
with the exercise untouched, and the verdict says what to do next.

Hints come in three tiers (`Hints`): a nudge (shown with the verdict), the API to use, then the
answer. The last two are given on request: folded in the rich output, or one at a time with
`helpers.exercises.more_help("<name>")`. A check that recognises a plausible wrong attempt says so
in its message and may give a nudge of its own for that mistake.
"""
from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Callable, Union

#: Where the site publishes the solutions (one anchor per exercise name).
SOLUTIONS_PAGE = "solutions.md"


@dataclass(frozen=True)
class Hints:
    """Three tiers of help for one exercise: a nudge, the API to use, the answer."""

    nudge: str
    api: str
    answer: str

    def tiers(self) -> tuple[str, str, str]:
        return (self.nudge, self.api, self.answer)


TIER_NAMES = ("Hint", "The API to use", "The answer")


@dataclass(frozen=True)
class Verdict:
    """The outcome of one exercise check."""

    exercise: str
    passed: bool
    message: str
    hints: Hints | None = None
    nudge: str = ""  # a nudge for the mistake this attempt made (replaces the general nudge)
    _shown: list[int] = field(default_factory=lambda: [1], compare=False, repr=False)

    @property
    def hint(self) -> str:
        """The first-tier hint for this attempt (empty when passed)."""
        if self.passed:
            return ""
        return self.nudge or (self.hints.nudge if self.hints else "")

    @property
    def solution(self) -> str:
        """The link to this exercise's published solution."""
        return f"{SOLUTIONS_PAGE}#{self.exercise}"

    def more(self) -> str:
        """The next tier of help (the API, then the answer), one per call."""
        if self.passed or not self.hints:
            return "Nothing more: this exercise has passed." if self.passed else "No further hints."
        tier = min(self._shown[0], 2)
        self._shown[0] = tier + 1
        return f"{TIER_NAMES[tier]}: {self.hints.tiers()[tier]}"

    def __str__(self) -> str:
        if self.passed:
            return f"PASSED {self.exercise}: {self.message}"
        text = f"NOT YET {self.exercise}: {self.message}"
        if self.hint:
            text += f" Hint: {self.hint}"
        if self.hints:
            text += f" (More help: helpers.exercises.more_help({self.exercise!r}); solution: {self.solution})"
        return text

    __repr__ = __str__

    def _repr_html_(self) -> str:
        colour, mark = ("#1b7f3b", "&#10004;") if self.passed else ("#b3261e", "&#10008;")
        body = (f'<b style="color:{colour}">{mark} {html.escape(self.exercise)}</b>: '
                f"{html.escape(self.message)}")
        if not self.passed:
            if self.hint:
                body += f"<br><i>Hint:</i> {html.escape(self.hint)}"
            if self.hints:
                for name, text in zip(TIER_NAMES[1:], self.hints.tiers()[1:]):
                    body += (f"<details><summary>{name} (click to show)</summary>"
                             f"<code style='white-space:pre-wrap'>{html.escape(text)}</code></details>")
                body += f'<a href="{html.escape(self.solution)}">The solution</a>'
        return f'<div style="border-left:4px solid {colour};padding:4px 10px">{body}</div>'


_latest: dict[str, Verdict] = {}


def more_help(exercise: str) -> str:
    """The next tier of help for the exercise's latest verdict: the API first, then the answer."""
    verdict = _latest.get(exercise)
    if verdict is None:
        return f"Run the check of {exercise!r} first."
    return verdict.more()


CheckResult = Union[tuple[bool, str], tuple[bool, str, str]]


def check(exercise: str, test: Callable[[], CheckResult], hints: Hints | str) -> Verdict:
    """Run `test`, which returns (passed, message) or (passed, message, nudge for this mistake);
    any exception becomes a NOT YET with the hints. A plain string is a single-tier hint."""
    tiers = hints if isinstance(hints, Hints) else None
    general = hints if isinstance(hints, str) else ""
    try:
        result = test()
    except Exception as error:  # the learner's half-done code: explain, never crash the notebook
        result = (False, f"the check could not run ({type(error).__name__}: {error}).")
    passed, message = result[0], result[1]
    nudge = result[2] if len(result) > 2 else general  # type: ignore[misc]
    verdict = Verdict(exercise, passed, message, tiers, "" if passed else nudge)
    _latest[exercise] = verdict
    return verdict
