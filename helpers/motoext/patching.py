"""The one mechanism every moto patch uses: name the target, pin its signature, swap it in.

Each patch names the AWS rule it implements and the moto function it wraps. Before a patch is
applied, its target's signature is compared with the one this lab was written against, so an
upgraded moto fails fast with a clear message instead of misbehaving later.

A patch whose moto module is not loaded yet (moto imports a service's models on its first call,
and Step Functions' interpreter costs half a second) is checked and applied the moment moto loads
that module, before anything in it runs (`apply_when_imported`), so the lab starts quickly.
"""
from __future__ import annotations

import contextlib
import importlib
import importlib.abc
import inspect
import sys
import threading
from collections import defaultdict
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Callable, ContextManager, Sequence

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
        import moto

        raise LabSetupError(
            f"The lab was built for moto {MOTO_VERSION} (installed: moto {moto.__version__}), "
            "but these moto functions it extends have changed:\n  "
            + "\n  ".join(problems)
            + "\nRun `make lab` (or `pip install -r requirements.txt`) to restore the pinned versions."
        )


def module_of(patch: Patch) -> str:
    """The moto module a patch changes (``moto.sqs.models`` for ``moto.sqs.models:Queue.add``)."""
    return patch.target.partition(":")[0]


#: Patches waiting for their module's first import, by module name.
_pending: dict[str, list[Patch]] = defaultdict(list)
_pending_lock = threading.Lock()
#: A context to load a module in (e.g. to share one boto3 session among the ones it builds).
_load_within: dict[str, Callable[[], ContextManager[Any]]] = {}


def _check_and_apply(patches: Sequence[Patch]) -> None:
    verify(list(patches))
    for patch in patches:
        patch.apply()


class _PatchOnImport(importlib.abc.MetaPathFinder):
    """Finds nothing itself: wraps the loader of each module with pending patches so it is patched
    as soon as it is loaded (and loaded within its `_load_within` context, if any)."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        if name not in _pending and name not in _load_within:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None:
                break
        else:
            return None
        loader = spec.loader
        if loader is None or not hasattr(loader, "exec_module"):
            return spec
        run = loader.exec_module

        def exec_module(module: ModuleType) -> None:
            with _load_within.get(name, contextlib.nullcontext)():
                run(module)
            with _pending_lock:
                patches = list(_pending.get(name, ()))
            _check_and_apply(patches)  # if this raises, they stay pending: the next import fails alike
            with _pending_lock:
                _pending.pop(name, None)

        loader.exec_module = exec_module  # type: ignore[method-assign]  # this module's loader only
        return spec


_finder = _PatchOnImport()


def apply_when_imported(patches: Sequence[Patch],
                        load_within: dict[str, Callable[[], ContextManager[Any]]] | None = None) -> None:
    """Check and apply each patch now if its module is loaded, else as soon as moto imports it.

    `load_within` maps a module name to a context its first import runs in.
    """
    ready = [patch for patch in patches if module_of(patch) in sys.modules]
    _check_and_apply(ready)
    with _pending_lock:
        for patch in patches:
            if module_of(patch) not in sys.modules:
                _pending[module_of(patch)].append(patch)
        _load_within.update(load_within or {})
    if _finder not in sys.meta_path:
        sys.meta_path.insert(0, _finder)


def pending_modules() -> list[str]:
    """The moto modules whose patches wait for their first import."""
    with _pending_lock:
        return sorted(_pending)
