"""The context object a Python handler receives (aws-semantics.md 2, L21)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable


@dataclass
class LambdaContext:
    """Every documented field of the Python runtime's context object."""

    function_name: str
    function_version: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    aws_request_id: str
    log_group_name: str
    log_stream_name: str
    identity: Any = None
    client_context: Any = None
    _remaining_ms: Callable[[], int] = field(default=lambda: 0, repr=False)

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the function times out."""
        return self._remaining_ms()
