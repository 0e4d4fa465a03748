"""GetExecutionHistory in pages, as AWS returns it: moto returns every event in one answer.

AWS (GetExecutionHistory API reference, https://docs.aws.amazon.com/step-functions/latest/apireference/API_GetExecutionHistory.html):
`maxResults` events per call, 100 by default (0 means the default), at most 1,000; `reverseOrder` lists
the latest first; a `nextToken` says more are left, and the same call with it returns the next page; a
token that is not one the service gave is `InvalidToken`. A history longer than 100 events read with one
call is cut short on AWS, so it is in the lab too (the paginator reads it all).
"""
from __future__ import annotations

import base64
import binascii
import json
from typing import Any, Callable

from .patching import Patch

DEFAULT_PAGE = 100
MAX_PAGE = 1000


def _token(arn: str, start: int, reverse: bool) -> str:
    return base64.urlsafe_b64encode(json.dumps([arn, start, reverse]).encode()).decode()


def _start(token: str | None, arn: str, reverse: bool) -> int:
    """Where the page of `token` starts; InvalidToken if the service did not give it for this call."""
    from moto.stepfunctions.exceptions import InvalidToken

    if not token:
        return 0
    try:
        given_arn, start, given_reverse = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (ValueError, TypeError, binascii.Error):
        raise InvalidToken(f"Invalid token: {token}") from None
    if given_arn != arn or given_reverse != reverse or not isinstance(start, int) or start < 0:
        raise InvalidToken(f"Invalid token: {token}")
    return start


def _make_history(original: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def get_execution_history(self: Any) -> Any:
        from moto.core.responses import ActionResult
        from moto.stepfunctions.exceptions import ValidationException

        size = self._get_param("maxResults") or DEFAULT_PAGE
        if size > MAX_PAGE:
            raise ValidationException(f"1 validation error detected: Value '{size}' at 'maxResults' failed to "
                                      f"satisfy constraint: Member must have value less than or equal to {MAX_PAGE}")
        arn, reverse = self._get_param("executionArn"), bool(self._get_param("reverseOrder"))
        start = _start(self._get_param("nextToken"), arn, reverse)
        result = original(self).result
        events = result["events"][::-1] if reverse else result["events"]
        page = {**result, "events": events[start:start + size]}
        if start + size < len(events):
            page["nextToken"] = _token(arn, start + size, reverse)
        return ActionResult(page)

    return get_execution_history


HISTORY_PAGES = Patch(
    target="moto.stepfunctions.responses:StepFunctionResponse.get_execution_history",
    signature="(self) -> moto.core.responses.ActionResult",
    rule="GetExecutionHistory returns pages of maxResults events (100 by default, at most 1,000), latest first "
    "with reverseOrder, the rest behind a nextToken (GetExecutionHistory API reference)",
    make=_make_history,
)
PATCHES = [HISTORY_PAGES]
