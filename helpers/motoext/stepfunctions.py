"""Step Functions: StartExecution without a name gets a generated one, as on AWS.

moto 5.2.5 names such an execution `...:None`, so the second nameless start fails with
ExecutionAlreadyExists. AWS: `name` is optional; "If you don't provide a name, AWS Step Functions
automatically generates a UUID" (StartExecution API reference).
"""
from __future__ import annotations

from typing import Any, Callable

from moto.moto_api._internal import mock_random

from .patching import Patch


def _make_start_execution(original: Callable[..., Any]) -> Callable[..., Any]:
    def start_execution(self: Any, state_machine_arn: str, name: str = None,  # type: ignore[assignment]
                        execution_input: str = None, trace_header: str = None) -> Any:  # type: ignore[assignment]
        return original(self, state_machine_arn, name or str(mock_random.uuid4()),
                        execution_input, trace_header)

    return start_execution


START_EXECUTION = Patch(
    target="moto.stepfunctions.parser.models:StepFunctionsParserBackend.start_execution",
    signature="(self, state_machine_arn: str, name: str = None, execution_input: str = None, "
    "trace_header: str = None) -> moto.stepfunctions.parser.backend.execution.Execution",
    rule="StartExecution without a name generates a UUID name (StartExecution API reference).",
    make=_make_start_execution,
)
PATCHES = [START_EXECUTION]
