"""Error payloads in AWS's words for handler failures (aws-semantics.md 1.1, L6)."""
from __future__ import annotations

import signal
import traceback
from pathlib import Path
from types import TracebackType

#: Where Lambda unpacks a function's code and its layers; stack traces show these paths, as on AWS.
TASK_ROOT = "/var/task"
LAYERS_ROOT = "/opt"
#: The lab's own runtime code: the frames AWS's bootstrap would own, left out of stack traces.
_RUNTIME_DIR = str(Path(__file__).resolve().parent)


class InvocationTimeout(BaseException):
    """Raised inside a handler that runs past its timeout (BaseException: `except Exception` can't swallow it)."""


class OutOfMemory(BaseException):
    """Raised inside a handler whose environment has used more memory than its MemorySize."""


class RuntimeFailure(Exception):
    """A failure of the runtime rather than of the handler: `Runtime.*` error types."""

    def __init__(self, error_type: str, message: str, trace: list[str] | None = None) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.trace = trace or []

    def payload(self) -> dict:
        return {"errorMessage": self.message, "errorType": self.error_type, "stackTrace": self.trace}


def lambda_path(path: str, code_dir: Path, layer_dirs: list[Path]) -> str:
    """A path in the lab's unpacked copy, as it reads on AWS (/var/task/..., /opt/...)."""
    path = path.replace(str(code_dir), TASK_ROOT)
    for layer in layer_dirs:
        path = path.replace(str(layer), LAYERS_ROOT)
    return path


#: Stack traces already formatted in this process, by the frames' code and position: a handler that
#: fails the same way again (every retry of a failing event) is not read and parsed again.
_FORMATTED: dict[tuple, list[str]] = {}
_FORMATTED_MAX = 256


def stack_trace(tb: TracebackType | None, code_dir: Path, layer_dirs: list[Path] = ()) -> list[str]:
    """Every frame after the runtime's own, formatted as the Python runtime does, with Lambda's paths.

    AWS's Python runtime keeps the frames of the function's code, its layers (/opt/python/...) and
    the libraries they call; only its bootstrap's frames are left out.
    """
    key: list[object] = [str(code_dir), *map(str, layer_dirs)]
    walk = tb
    while walk is not None:
        key += (walk.tb_frame.f_code, walk.tb_lasti, walk.tb_lineno)
        walk = walk.tb_next
    cached = _FORMATTED.get(tuple(key))
    if cached is not None:
        return list(cached)
    frames = [f for f in traceback.extract_tb(tb) if not f.filename.startswith(_RUNTIME_DIR)]
    lines = [lambda_path(line, code_dir, list(layer_dirs)) for line in traceback.format_list(frames)]
    if len(_FORMATTED) >= _FORMATTED_MAX:
        _FORMATTED.clear()
    _FORMATTED[tuple(key)] = lines
    return list(lines)


def exception_payload(error: BaseException, code_dir: Path, layer_dirs: list[Path] = ()) -> dict:
    """`{errorMessage, errorType, stackTrace}` for an exception the handler raised."""
    return {
        "errorMessage": str(error),
        "errorType": type(error).__name__,
        "stackTrace": stack_trace(error.__traceback__, code_dir, layer_dirs),
    }


def exit_reason(exitcode: int) -> str:
    """How Lambda words an environment's process ending: 'exit status 1', 'signal: killed'."""
    if exitcode < 0:
        names = {"SIGKILL": "killed", "SIGABRT": "aborted", "SIGSEGV": "segmentation fault",
                 "SIGINT": "interrupt", "SIGTERM": "terminated"}
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:  # a signal this platform does not name
            name = str(-exitcode)
        name = names.get(name, "killed" if -exitcode == 9 else name)
        return f"Runtime exited with error: signal: {name}"
    if exitcode == 0:
        return "Runtime exited without providing a reason"
    return f"Runtime exited with error: exit status {exitcode}"


def exit_error(request_id: str, exitcode: int, error_type: str = "Runtime.ExitError") -> dict:
    """The payload of an invocation whose environment's process ended (exit, crash, out of memory)."""
    return {"errorType": error_type, "errorMessage": f"RequestId: {request_id} Error: {exit_reason(exitcode)}"}
