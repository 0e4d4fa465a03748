"""Exercises that check themselves: a verdict that says what is right or wrong, with a hint.

Convention (tests/test_exercises.py relies on it): an exercise cell is tagged `exercise` and
`exercise:<name>`; its solution lives in `notebooks/solutions/<notebook stem>/<name>.py`; the check
cell after it displays a `Verdict` for `<name>`. A check never raises: Restart-and-Run-All works
with the exercise untouched, and the verdict says what to do next.
"""
from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Verdict:
    """The outcome of one exercise check."""

    exercise: str
    passed: bool
    message: str
    hint: str = ""

    def __str__(self) -> str:
        if self.passed:
            return f"PASSED {self.exercise}: {self.message}"
        return f"NOT YET {self.exercise}: {self.message}" + (f" Hint: {self.hint}" if self.hint else "")

    __repr__ = __str__

    def _repr_html_(self) -> str:
        colour, mark = ("#1b7f3b", "&#10004;") if self.passed else ("#b3261e", "&#10008;")
        hint = f"<br><i>Hint:</i> {html.escape(self.hint)}" if self.hint and not self.passed else ""
        return (f'<div style="border-left:4px solid {colour};padding:4px 10px">'
                f'<b style="color:{colour}">{mark} {html.escape(self.exercise)}</b>: '
                f"{html.escape(self.message)}{hint}</div>")


def check(exercise: str, test: Callable[[], tuple[bool, str]], hint: str) -> Verdict:
    """Run `test` (returning (passed, message)); any exception becomes a NOT YET with the hint."""
    try:
        passed, message = test()
    except Exception as error:  # the learner's half-done code: explain, never crash the notebook
        return Verdict(exercise, False, f"the check could not run ({type(error).__name__}: {error}).", hint)
    return Verdict(exercise, passed, message, "" if passed else hint)
