"""One Lambda execution environment: a function's unpacked code, imported once, reused warm.

The init phase (the handler module's top level) runs once per environment; later invocations reuse
the loaded module and whatever state it keeps (aws-semantics.md 2, L20). Each environment keeps its
own copy of the function's modules, so two functions that both ship `lambda_function.py` never see
each other's code.
"""
from __future__ import annotations

import contextlib
import importlib
import io
import os
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Iterator

from .errors import RuntimeFailure, TASK_ROOT

# Module names the runtime refuses as handler modules, as the Python runtime does.
_BUILTINS = set(sys.builtin_module_names)
# Environments whose code is running, innermost last (a handler that invokes another function synchronously).
_ACTIVE: list["ExecutionEnvironment"] = []


@dataclass(frozen=True)
class FunctionSpec:
    """What the runtime needs to know of one function version's code and configuration."""

    name: str
    arn: str
    version: str
    handler: str
    runtime: str
    memory_mb: int
    timeout_s: float
    env_vars: dict[str, str]
    code: bytes
    code_sha: str
    layers: tuple[tuple[str, bytes], ...] = ()
    region: str = "us-east-1"

    @property
    def key(self) -> tuple:
        """Environments are shared only by invocations of the same code and configuration."""
        return (self.arn, self.version, self.code_sha, self.handler, self.runtime, self.memory_mb,
                self.timeout_s, tuple(sorted(self.env_vars.items())), tuple(a for a, _ in self.layers))


def unpack(zip_bytes: bytes, target: Path) -> Path:
    """Unpack a deployment package (once per content) and return its folder."""
    if not target.exists():
        partial = target.with_suffix(".partial")
        with zipfile.ZipFile(io.BytesIO(zip_bytes)) as archive:
            archive.extractall(partial)
        partial.rename(target)
    return target


@dataclass
class ExecutionEnvironment:
    """A warm or cold sandbox for one function version."""

    spec: FunctionSpec
    code_dir: Path
    layer_dirs: list[Path]
    log_stream: str
    handler: Callable[[Any, Any], Any] | None = None
    busy: bool = False
    invocations: int = 0
    _modules: dict[str, ModuleType] = field(default_factory=dict)

    @property
    def search_path(self) -> list[str]:
        paths = [str(self.code_dir)]
        for layer in self.layer_dirs:
            paths += [str(layer / "python"), str(layer / "python" / "lib" / "python3.12" / "site-packages"),
                      str(layer)]
        return paths

    def _owns(self, module: ModuleType) -> bool:
        origin = getattr(module, "__file__", None) or ""
        return any(origin.startswith(p) for p in [str(self.code_dir), *map(str, self.layer_dirs)])

    @contextlib.contextmanager
    def activated(self) -> Iterator[None]:
        """Make this environment's code importable (and its cwd the task root) for a while."""
        saved_path, saved_cwd = list(sys.path), os.getcwd()
        callers = self._hide_callers()
        sys.path[:0] = self.search_path
        sys.modules.update(self._modules)
        loaded = len(sys.modules)
        os.chdir(self.code_dir)
        _ACTIVE.append(self)
        try:
            yield
        finally:
            _ACTIVE.remove(self)
            os.chdir(saved_cwd)
            sys.path[:] = saved_path
            if len(sys.modules) != loaded:  # the code imported something: keep what is its own
                for name, module in list(sys.modules.items()):
                    if name not in self._modules and self._owns(module):
                        self._modules[name] = module
            for name in self._modules:
                sys.modules.pop(name, None)
            sys.modules.update(callers)

    @staticmethod
    def _hide_callers() -> dict[str, ModuleType]:
        """Take the running callers' modules out of sys.modules until this environment is done.

        A handler that invokes another function synchronously still has its `lambda_function` in
        sys.modules; without this, the callee's cold start would import the caller's module.
        """
        if not _ACTIVE:
            return {}
        return {name: sys.modules.pop(name) for name, module in list(sys.modules.items())
                if any(env._owns(module) for env in _ACTIVE)}

    def initialise(self) -> None:
        """Run the init phase: import the handler's module and find the handler.

        Raises RuntimeFailure with the Python runtime's error types, or whatever the module's top
        level raised.
        """
        module_name, _, function_name = self.spec.handler.rpartition(".")
        if not module_name:
            raise RuntimeFailure("Runtime.MalformedHandlerName",
                                 f"Bad handler '{self.spec.handler}': not enough values to unpack "
                                 "(expected 2, got 1)")
        module_name = module_name.replace("/", ".")
        if module_name.split(".")[0] in _BUILTINS:
            raise RuntimeFailure("Runtime.BuiltInModuleConflict",
                                 f"Cannot use built-in module {module_name} as a handler module")
        importlib.invalidate_caches()
        try:
            module = importlib.import_module(module_name)
        except ImportError as err:
            raise RuntimeFailure("Runtime.ImportModuleError",
                                 f"Unable to import module '{module_name}': {err}") from None
        except SyntaxError as err:
            filename = (err.filename or "").replace(str(self.code_dir), TASK_ROOT)
            raise RuntimeFailure(
                "Runtime.UserCodeSyntaxError", f"Syntax error in module '{module_name}': {err}",
                [f'  File "{filename}" Line {err.lineno}\n        {(err.text or "").strip()}\n'],
            ) from None
        handler = getattr(module, function_name, None)
        if handler is None:
            raise RuntimeFailure("Runtime.HandlerNotFound",
                                 f"Handler '{function_name}' missing on module '{module_name}'")
        self.handler = handler
