"""What Step Functions refuses in StartExecution and SendTaskSuccess, in AWS's words.

- An execution name is 1-80 characters (longer: `ValidationException`, "1 validation error
  detected: Value '...' at 'name' failed to satisfy constraint: Member must have length less than
  or equal to 80", as AWS answers in https://github.com/getmoto/moto/issues/6438), and has no
  whitespace, brackets `< > { } [ ]`, wildcards `? *`, special characters `" # % \\ ^ | ~ ` $ & , ; : /`
  or control characters (`InvalidName`, "Invalid Name: '...'"; StartExecution API reference,
  https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html).
- An execution's input must be JSON text (`InvalidExecutionInput`; same page).
- SendTaskSuccess's output must be JSON text (`InvalidOutput`; SendTaskSuccess API reference,
  https://docs.aws.amazon.com/step-functions/latest/apireference/API_SendTaskSuccess.html); the
  task keeps waiting for a valid answer.
"""
from __future__ import annotations

import json

from moto.stepfunctions.exceptions import AWSError, InvalidExecutionInput, InvalidName, NameTooLongException

_FORBIDDEN = set(' \t\n\r<>{}[]?*"#%\\^|~`$&,;:/')


def _is_control(character: str) -> bool:
    return ord(character) <= 0x1F or 0x7F <= ord(character) <= 0x9F


def check_execution_name(name: str) -> None:
    """Raise AWS's error for an execution name AWS refuses."""
    if len(name) > 80:
        raise NameTooLongException(name)
    if not name or any(c in _FORBIDDEN or _is_control(c) for c in name):
        raise InvalidName(f"Invalid Name: '{name}'")


def _json_error(text: str | None) -> str | None:
    try:
        json.loads(text if text is not None else "")
    except ValueError as error:
        return str(error)
    return None


def check_execution_input(text: str | None) -> None:
    """Raise InvalidExecutionInput unless `text` is JSON (None: the default `{}`)."""
    error = _json_error(text) if text is not None else None
    if error is not None:
        raise InvalidExecutionInput(f"Invalid State Machine Execution Input: '{error}'")


def check_task_output(text: str | None) -> None:
    """Raise InvalidOutput unless `text` is JSON."""
    error = _json_error(text)
    if error is not None:
        raise AWSError(f"Invalid Output: '{error}'", exception_type="InvalidOutput")
