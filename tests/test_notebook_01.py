"""Notebook 01 (three ways to invoke a Lambda function) shows what its prose says it shows.

The notebook is executed once (notebook_runner.executed); each test reads the outputs of the cells
tagged for it. The notebook resets the lab first, so its virtual timeline is the same on every run.
"""
from __future__ import annotations

import copy
import html
import re

import nbformat
import pytest

from notebook_runner import execute, executed, notebook, outputs_of, text_of

pytestmark = pytest.mark.notebooks


@pytest.fixture(scope="module")
def nb():
    return executed(notebook("01"))


def html_tables(output: str) -> list[list[list[str]]]:
    """Every HTML table in `output`: its body rows as lists of cell texts (index cell first)."""
    tables = []
    for table in re.findall(r"<table.*?</table>", output, re.S):
        body = re.search(r"<tbody>(.*)</tbody>", table, re.S).group(1)
        tables.append([[html.unescape(re.sub(r"<[^>]+>", "", cell)).strip()
                        for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
                       for row in re.findall(r"<tr.*?</tr>", body, re.S)])
    return tables


def html_header(output: str) -> list[str]:
    """The column names of the first HTML table in `output`."""
    head = re.search(r"<thead>(.*?)</thead>", output, re.S).group(1)
    first_row = re.search(r"<tr.*?</tr>", head, re.S).group(0)
    return [html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<th[^>]*>(.*?)</th>", first_row, re.S)]


def test_a_synchronous_call_returns_the_payload_and_the_log_tail(nb):
    """aws-semantics.md 1.1 [L4][L5][L8], 2 [L22]: 200, the handler's return value, the end of its log."""
    text = outputs_of(nb, "sync-ok")
    assert "StatusCode: 200" in text and "{'order_id': 'ord-0001', 'total': 25.0}" in text
    tail = outputs_of(nb, "log-tail")
    assert tail.index("START RequestId") < tail.index("priced ord-0001: 25.00") < tail.index("END RequestId") \
        < tail.index("REPORT RequestId") < tail.index("Init Duration")


def test_a_synchronous_error_is_200_with_function_error(nb):
    """aws-semantics.md 1.1 [L4][L6]: still 200, FunctionError Unhandled, the error payload."""
    text = outputs_of(nb, "sync-error")
    assert "StatusCode: 200   FunctionError: Unhandled" in text
    assert "'errorType': 'ValueError'" in text and "'errorMessage': 'order ord-0002 has no items'" in text


def test_throttling_is_a_429_with_its_reason(nb):
    """aws-semantics.md 1.1 [L4][L7]: TooManyRequestsException, HTTP 429, the reserved-concurrency Reason."""
    assert "TooManyRequestsException 429 ReservedFunctionConcurrentInvocationLimitExceeded" in \
        outputs_of(nb, "throttle")


def test_the_sync_trace_shows_the_calls_and_attempts(nb):
    """aws-semantics.md 1.1 [L19]: one attempt per call (no Lambda retries); the throttled call never ran,
    and its row says so; the caller's API call and the handler's run are different steps."""
    rows = html_tables(outputs_of(nb, "sync-trace"))[0]
    # columns: index, t, step, resource, by, outcome
    assert [(r[2], r[4], r[5]) for r in rows] == [
        ("Invoke call", "client", ""), ("handler runs", "", "succeeded"), ("Invoke call", "client", ""),
        ("handler runs", "", "failed (ValueError)"), ("Invoke call", "client", ""),
        ("refused by Lambda", "", "throttled")]
    assert "NaN" not in outputs_of(nb, "sync-trace") and "<NA>" not in outputs_of(nb, "sync-trace")


def test_the_legend_explains_every_column_the_tables_use(nb):
    """design.md (trace tables): the columns are explained once."""
    lines = [line.strip("| ").split(" | ") for line in outputs_of(nb, "legend").splitlines() if "| `" in line]
    rows = {name.strip("`"): means for name, means in lines}
    assert list(rows) == ["t", "after_s", "step", "resource", "by", "type", "attempt", "outcome"]
    assert "Invoke call" in rows["step"] and "handler runs" in rows["step"] and "throttled" in rows["outcome"]


def test_the_retry_mode_cell_shows_the_pinned_default(nb):
    """boto3's default retry mode depends on the botocore version (rows/ed2.md [B1]): the pinned one says standard."""
    assert "{'mode': 'standard'}" in outputs_of(nb, "retry-mode")


def test_an_asynchronous_call_is_accepted_with_202_and_an_empty_body(nb):
    """aws-semantics.md 1.2 [L2]."""
    assert "StatusCode: 202   body: b''" in outputs_of(nb, "async-accepted")


def test_the_async_trace_queues_the_event_before_the_handler_runs(nb):
    """aws-semantics.md 1.2 [L2]: Lambda queues the event during the call; a separate process runs it."""
    rows = html_tables(outputs_of(nb, "async-trace"))[0]
    # columns: index, t, step, by, type, attempt, outcome
    assert [(r[2], r[3], r[4], r[6]) for r in rows] == [
        ("Invoke call", "client", "", ""), ("queued by Lambda", "", "", ""),
        ("handler runs", "", "async", "succeeded")]


def test_async_attempts_at_0_60_180_seconds_then_dropped(nb):
    """aws-semantics.md 1.2 [L1][L2]: two retries, 1 then 2 minutes apart; no destination: dropped."""
    rows = html_tables(outputs_of(nb, "async-attempts"))[0]
    # columns: index, after_s, step, attempt, outcome
    attempts = [(r[1], r[3], r[4]) for r in rows if r[2] == "handler runs"]
    assert attempts == [("0.0", "1", "failed (ConnectionError)"), ("60.0", "2", "failed (ConnectionError)"),
                        ("180.0", "3", "failed (ConnectionError)")]
    assert [r[4] for r in rows if r[2] == "retry scheduled"] == ["next attempt in 60 s", "next attempt in 120 s"]
    assert (rows[-1][1], rows[-1][2], rows[-1][4]) == ("180.0", "dropped", "given up")


def test_the_async_flow_is_drawn_as_a_sequence(nb):
    """design.md (diagrams): the failing event's flow as an SVG sequence diagram."""
    text = outputs_of(nb, "async-sequence")
    assert "<svg" in text and "+180.000 s" in text and "attempt 3" in text and "drop" in text


def test_the_on_failure_record(nb):
    """aws-semantics.md 1.2 [L2]: the invocation record, its condition, count, response and virtual timestamp."""
    text = outputs_of(nb, "destination-record")
    for fragment in ('"version": "1.0"', '"timestamp": "2026-01-05T09:06:00.000Z"',
                     '"condition": "RetriesExhausted"', '"approximateInvokeCount": 3',
                     '"functionError": "Unhandled"', '"errorType": "ConnectionError"',
                     '"functionArn": "arn:aws:lambda:us-east-1:123456789012:function:notify-kitchen:$LATEST"'):
        assert fragment in text, fragment
    assert "('Success', {'order_id': 'ord-0006', 'printed': True})" in outputs_of(nb, "success-record")


def test_an_event_past_its_maximum_age_is_not_tried_again(nb):
    """aws-semantics.md 1.2 [L2][L3]: MaximumEventAgeInSeconds 60 stops before the third attempt."""
    text = outputs_of(nb, "max-age")
    assert "'condition': 'EventAgeExceeded'" in text and "'approximateInvokeCount': 2" in text


def test_the_dead_letter_queue_gets_the_event_and_the_error_attributes(nb):
    """aws-semantics.md 1.2 [L2]: the event as-is; RequestID, ErrorCode, ErrorMessage attributes."""
    text = outputs_of(nb, "dlq-message")
    assert 'Body: {"order_id": "ord-0002"' in text
    assert "'ErrorCode': '200'" in text and "'ErrorMessage': 'the kitchen printer in the north is offline'" in text
    assert "'RequestID': '" in text


def test_retries_duplicate_side_effects_unless_the_handler_is_idempotent(nb):
    """aws-semantics.md 1.2 [L1], 2 [X1]: each retry re-runs the handler (timeouts included), at 0, 60 and
    180 s; with an idempotency key only the first attempt charges."""
    timed_out = "Task timed out after 3.00 seconds"
    rows = html_tables(outputs_of(nb, "duplicates"))[0]
    # columns: index, at_s, printed, outcome
    assert [r[1:] for r in rows] == [[at, "[charged 25.00 to the card of ord-0001]", timed_out]
                                     for at in ("0.0", "60.0", "180.0")]
    rows = html_tables(outputs_of(nb, "idempotent"))[0]
    assert [r[1:] for r in rows] == [
        ["0.0", "[charged 84.00 to the card of ord-0003]", timed_out],
        ["60.0", "[ord-0003 is already charged: not charging again]", timed_out],
        ["180.0", "[ord-0003 is already charged: not charging again]", timed_out]]


def test_sqs_batches_and_the_batching_window(nb):
    """aws-semantics.md 1.3 [L9]: full batches of 10 at once, the remaining 5 after the 5 s window."""
    rows = html_tables(outputs_of(nb, "sqs-batches"))[0]
    # columns: index, at_s, batch_size, first_line, outcome
    assert [(r[1], r[2], r[4]) for r in rows] == [("0.0", "10", "ok"), ("0.0", "10", "ok"), ("5.0", "5", "ok")]


def test_one_bad_message_fails_the_whole_batch(nb):
    """aws-semantics.md 1.3 [L12][L13]: a raised exception returns the whole batch after the visibility timeout."""
    rows = html_tables(outputs_of(nb, "whole-batch"))[0]
    assert [r[1] for r in rows] == ["0.0", "30.0"]
    assert all(r[3].startswith("TypeError") and "ord-0026 ord-0027 ord-9999 ord-0028" in r[2] for r in rows)


def test_a_partial_batch_response_retries_only_the_failed_message(nb):
    """aws-semantics.md 1.3 [L12][L16]: with ReportBatchItemFailures, only the reported message comes back."""
    text = outputs_of(nb, "partial-batch")
    assert "at +60 s:" in text and "cannot prepare message" in text
    assert all(f"prepared {order}" in text for order in ("ord-0026", "ord-0027", "ord-0028"))


def test_the_poison_message_goes_to_the_dlq_after_max_receive_count(nb):
    """aws-semantics.md 1.3 [L14], 5 [L14]: 5 receives 30 s apart, then the redrive policy moves it."""
    text = outputs_of(nb, "poison-dlq")
    assert "moved to kitchen-orders-dlq 150 s after it was sent" in text
    assert 'DLQ message: {"order_id": "ord-9999"' in text


def shard_runs(output: str) -> list[tuple[str, str, str, str]]:
    """The order board's invocations in `output`: (at_s, shard number, the batch's orders, outcome)."""
    runs = []
    for row in html_tables(output)[0]:
        # columns: index, at_s, printed ("[shardId-00000000000N batch: ord-... ord-..., ...]"), outcome
        shard, batch = re.match(r"\[shardId-0+(\d+) batch: ([^,\]]+)", row[2]).groups()
        runs.append((row[1], shard, batch, row[3]))
    return runs


def test_a_failing_stream_batch_blocks_only_its_shard(nb):
    """aws-semantics.md 1.3 [L15][L19]: the failing batch is retried whole; the other shard moves on."""
    runs = shard_runs(outputs_of(nb, "stream-blocked"))
    assert [(at, batch, outcome.split(":")[0]) for at, shard, batch, outcome in runs if shard == "0"] == [
        (at, "ord-0004 ord-0006 ord-0008", "NotImplementedError") for at in ("0.0", "1.0", "3.0", "7.0", "15.0")]
    assert [(at, batch, outcome) for at, shard, batch, outcome in runs if shard == "1"] == [
        ("0.0", "ord-0001 ord-0002 ord-0003", "ok"), ("0.0", "ord-0005 ord-0007 ord-0010", "ok"),
        ("0.0", "ord-0011 ord-0012", "ok")]


def test_after_the_fix_the_shard_resumes_in_order(nb):
    """aws-semantics.md 1.3 [L19]: order per shard is kept across the failure; the blocked batch's next
    retry (31 s after the start: 1+2+4+8+16) is the first run after the fix at 20 s."""
    assert shard_runs(outputs_of(nb, "stream-order")) == [
        ("11.0", "0", "ord-0004 ord-0006 ord-0008", "ok"), ("11.0", "0", "ord-0009", "ok")]


def test_the_comparison_table(nb):
    """aws-semantics.md 1.1-1.3: the three models (poll-based split into SQS and streams), row by row,
    as a markdown table (read on the site without clipping)."""
    cell = next(c for c in nb.cells if "comparison" in c.get("metadata", {}).get("tags", []))
    assert cell.cell_type == "markdown"
    lines = [line.strip("|").split(" | ") for line in cell.source.splitlines()]
    assert [c.strip() for c in lines[0]] == [
        "", "Synchronous", "Asynchronous", "Poll-based: SQS", "Poll-based: streams"]
    rows = {row[0].strip(" *"): [c.strip() for c in row[1:]] for row in lines[2:]}
    assert list(rows) == ["Invoked by", "The caller gets", "Who retries", "Retries on a function error",
                          "Where errors go", "Ordering", "Scaling", "Be aware of"]
    assert rows["The caller gets"][1] == "202 and an empty body"
    assert "+1 min and +3 min" in rows["Retries on a function error"][1]
    assert "Lambda never retries" in rows["Who retries"][0]
    assert "visibility timeout" in rows["Who retries"][2]
    assert "kept per shard" in rows["Ordering"][3]
    assert "5 concurrent batches" in rows["Scaling"][2] and "+1,000 per 10 s" in rows["Scaling"][0]
    assert "S3" in rows["Where errors go"][1] and "S3" in rows["Where errors go"][3]


def test_the_static_timelines_tell_the_widgets_story(nb):
    """aws-semantics.md 1.1-1.3 and design.md (widgets degrade gracefully): the same seeded failures in
    each model: the caller's quick retries, async at +60/+180 s, SQS every 30 s, and where each order ends."""
    text = outputs_of(nb, "widget-static")
    sync, asynchronous, sqs = html_tables(text)
    heads = [html_header(t) for t in re.findall(r"<table.*?</table>", text, re.S)]
    assert heads == [["", "0 s", "1 s", "3 s", "fate"], ["", "0 s", "60 s", "180 s", "fate"],
                     ["", "0 s", "30 s", "60 s", "fate"]]
    marks = [["✗", "✓", ""], ["✗", "✗", "✗"], ["✗", "✓", ""], ["✗", "✗", "✓"], ["✓", "", ""]]
    for table, sink in ((sync, "error returned to the caller"), (asynchronous, "OnFailure destination"),
                        (sqs, "dead-letter queue")):
        assert [r[0] for r in table] == ["ord-0001", "ord-0002", "ord-0003", "ord-0004", "ord-0005"]
        assert [r[1:4] for r in table] == marks
        assert [r[4] for r in table] == ["succeeded", sink, "succeeded", "succeeded", "succeeded"]


def test_running_the_points_cell_again_shows_only_its_own_invocations():
    """Issue 12: re-running the exercise's batch cell showed a leftover row of the previous attempt."""
    path = notebook("01")
    source = nbformat.read(path, as_version=4)
    start = next(i for i, c in enumerate(source.cells) if "points-batch" in c.get("metadata", {}).get("tags", []))
    again = copy.deepcopy(source.cells[start])
    again["id"] = "points-batch-again"
    source.cells = source.cells[:start + 1] + [again]
    ran = execute(source, path.parent)
    first, second = (text_of(nbformat.v4.new_notebook(cells=[cell])) for cell in ran.cells[-2:])
    assert "ValueError" in first and first == second
