"""How Lambda reads a poll-based batch's result: which items failed (aws-semantics.md 1.3; L12, L16).

With `FunctionResponseTypes: ["ReportBatchItemFailures"]` the function returns
`{"batchItemFailures": [{"itemIdentifier": "<messageId or sequence number>"}]}`.
- Success: an empty or null `batchItemFailures`, or an empty/null response.
- Complete failure: a raised exception (or timeout), a response that is not JSON, an empty-string or
  null `itemIdentifier`, an entry with a wrong key, or an identifier that is not in the batch.
  A JSON response that is not an object (a bare string or list) is treated as invalid too (modeled).
Without ReportBatchItemFailures, any function error fails the whole batch and anything else succeeds.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Sequence

REPORT_BATCH_ITEM_FAILURES = "ReportBatchItemFailures"


@dataclass(frozen=True)
class BatchResult:
    """The items of a batch that failed, in batch order; `function_error` if the function itself failed."""

    failed: tuple[str, ...]
    function_error: bool = False

    @property
    def succeeded(self) -> bool:
        return not self.failed


def read_batch_result(payload: bytes, function_error: str | None, item_ids: Sequence[str],
                      response_types: Sequence[str] | None) -> BatchResult:
    """Apply Lambda's rules to one invocation's response for a batch of `item_ids`."""
    everything = BatchResult(tuple(item_ids))
    if function_error:
        return BatchResult(tuple(item_ids), function_error=True)
    if REPORT_BATCH_ITEM_FAILURES not in (response_types or ()):
        return BatchResult(())
    try:
        response = json.loads(payload) if payload and payload.strip() else None
    except ValueError:
        return everything
    if response is None:
        return BatchResult(())
    if not isinstance(response, dict):
        return everything
    entries = response.get("batchItemFailures")
    if not entries:
        return BatchResult(())
    if not isinstance(entries, list):
        return everything
    failed: set[str] = set()
    for entry in entries:
        identifier = entry.get("itemIdentifier") if isinstance(entry, dict) else None
        if not isinstance(identifier, str) or identifier not in item_ids:
            return everything
        failed.add(identifier)
    return BatchResult(tuple(i for i in item_ids if i in failed))
