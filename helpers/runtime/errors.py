"""Error payloads in AWS's words for handler failures (aws-semantics.md 1.1, L6)."""
from __future__ import annotations

import traceback
from pathlib import Path
from types import TracebackType

#: Where Lambda unpacks a function's code; stack traces show this path, as on AWS.
TASK_ROOT = "/var/task"


class InvocationTimeout(BaseException):
    """Raised inside a handler that runs past its timeout (BaseException: `except Exception` can't swallow it)."""


class RuntimeFailure(Exception):
    """A failure of the runtime rather than of the handler: `Runtime.*` error types."""

    def __init__(self, error_type: str, message: str, trace: list[str] | None = None) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.trace = trace or []

    def payload(self) -> dict:
        return {"errorMessage": self.message, "errorType": self.error_type, "stackTrace": self.trace}


def stack_trace(tb: TracebackType | None, code_dir: Path) -> list[str]:
    """The handler's own frames, formatted as the Python runtime does, with /var/task paths."""
    frames = [f for f in traceback.extract_tb(tb) if f.filename.startswith(str(code_dir))]
    lines = traceback.format_list(frames)
    return [line.replace(str(code_dir), TASK_ROOT) for line in lines]


def exception_payload(error: BaseException, code_dir: Path) -> dict:
    """`{errorMessage, errorType, stackTrace}` for an exception the handler raised."""
    return {
        "errorMessage": str(error),
        "errorType": type(error).__name__,
        "stackTrace": stack_trace(error.__traceback__, code_dir),
    }
