"""The one mechanism every moto patch uses: name the target, pin its signature, swap it in.

Each patch names the AWS rule it implements and the moto function it wraps. Before anything is
patched, every target's signature is compared with the one this lab was written against, so an
upgraded moto fails fast with a clear message instead of misbehaving later.
"""
from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass
from typing import Any, Callable

import moto

#: The moto release every patch was written and tested against (pinned in requirements.txt).
MOTO_VERSION = "5.2.5"


class _PatchedProperty(property):
    """A property whose getter the lab replaced (it carries `__lab_original__` like a function)."""


class LabSetupError(RuntimeError):
    """The installed packages are not the ones the lab was built for."""


@dataclass(frozen=True)
class Patch:
    """Replace `target` (``module:Class.attr`` or ``module:attr``) with `make(original)`.

    For a property, `signature` is its getter's and `make` may return a plain getter function.
    """

    target: str
    signature: str
    rule: str
    make: Callable[[Any], Any]

    def _owner_and_name(self) -> tuple[Any, str]:
        module_name, _, path = self.target.partition(":")
        owner: Any = importlib.import_module(module_name)
        *parents, name = path.split(".")
        for parent in parents:
            owner = getattr(owner, parent)
        return owner, name

    def original(self) -> Any:
        owner, name = self._owner_and_name()
        current = owner.__dict__[name] if isinstance(owner, type) else getattr(owner, name)
        return getattr(current, "__lab_original__", current)

    def check(self) -> str | None:
        """None when the target still looks as expected, else a description of the difference."""
        try:
            original = self.original()
            found = str(inspect.signature(original.fget if isinstance(original, property) else original))
        except (AttributeError, KeyError, ImportError) as err:
            return f"{self.target} is missing ({err!r})"
        if found != self.signature:
            return f"{self.target}{found} (expected {self.signature})"
        return None

    def apply(self) -> None:
        owner, name = self._owner_and_name()
        original = self.original()
        replacement = self.make(original)
        if isinstance(original, property) and not isinstance(replacement, property):
            replacement = _PatchedProperty(replacement)
        replacement.__lab_original__ = original
        replacement.__lab_rule__ = self.rule
        setattr(owner, name, replacement)

    def undo(self) -> None:
        owner, name = self._owner_and_name()
        setattr(owner, name, self.original())


def verify(patches: list[Patch]) -> None:
    """Raise LabSetupError naming every patched moto function whose signature changed."""
    problems = [p for p in (patch.check() for patch in patches) if p]
    if problems:
        raise LabSetupError(
            f"The lab was built for moto {MOTO_VERSION} (installed: moto {moto.__version__}), "
            "but these moto functions it extends have changed:\n  "
            + "\n  ".join(problems)
            + "\nRun `make lab` (or `pip install -r requirements.txt`) to restore the pinned versions."
        )
