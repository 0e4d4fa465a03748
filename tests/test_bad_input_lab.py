"""The lab's own API answers misuse with one sentence that says what to do, and stays usable.

The rule (COMMON brief, "How we work"): bad input gets a clear error and the lab stays usable
afterwards. AWS errors that mean "an earlier cell was not run" stay AWS's errors (so `try/except`
works as on AWS) and get a note naming what is missing and the cell that creates it.
"""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError

import helpers
from helpers.runtime.clock import EPOCH
from helpers.usage import LabUsageError, cell_that_creates, out_of_order_note


@pytest.mark.parametrize(("arguments", "says"), [
    ({"seconds": float("nan")}, "got seconds=nan"),
    ({"seconds": float("inf")}, "call lab.run_until_idle()"),
    ({"minutes": float("-inf")}, "call lab.run_until_idle()"),
    ({"seconds": "10"}, "write lab.advance(seconds=10), not seconds='10'"),
    ({"hours": None}, "write lab.advance(hours=10)"),
    ({"seconds": -5}, "The lab's clock only moves forward"),
    ({"minutes": -0.5}, "call lab.reset() to start again"),
    ({"hours": 1e12}, "more than the lab's clock runs"),
    ({"seconds": True}, "takes numbers"),
])
def test_advance_refuses_what_is_not_a_duration_and_the_clock_stays_put(lab, arguments, says):
    """lab.advance() with NaN, infinity, text, a negative or an absurd amount: one sentence, no raw
    ValueError/OverflowError/TypeError from inside datetime; the clock has not moved and still runs."""
    with pytest.raises(LabUsageError) as raised:
        lab.advance(**arguments)
    assert says in str(raised.value)
    assert str(raised.value).count(". ") <= 1 and "Traceback" not in str(raised.value)
    assert lab.now() == EPOCH
    assert lab.advance(seconds=90) == 0 and (lab.now() - EPOCH).total_seconds() == 90


def test_a_second_lab_is_refused_and_the_running_one_keeps_working(lab):
    """`helpers.Lab()` while a lab runs: say how to get the running one (no EntityAlreadyExists)."""
    queue = boto3.client("sqs").create_queue(QueueName="kept")["QueueUrl"]
    with pytest.raises(LabUsageError, match=r"already running.*helpers\.start\(\)"):
        helpers.Lab()
    assert helpers.start() is lab
    assert boto3.client("sqs").get_queue_url(QueueName="kept")["QueueUrl"] == queue


def test_the_lab_api_before_start_says_to_run_the_start_cell():
    """Calling the lab's functions before `helpers.start()` names the cell to run first."""
    script = textwrap.dedent("""
        import json, helpers
        said = {}
        for name, call in {"current": helpers.current, "trace": helpers.trace,
                           "clear_trace": helpers.clear_trace, "draw_architecture": helpers.draw_architecture}.items():
            try:
                call()
                said[name] = "no error"
            except Exception as error:
                said[name] = type(error).__name__ + ": " + str(error)
        print(json.dumps(said))
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    for name, said in json.loads(done.stdout.strip().splitlines()[-1]).items():
        assert said.startswith("LabUsageError: The lab is not running yet: run the cell with "
                               "`lab = helpers.start()` first"), (name, said)


def _notebook(path: Path) -> Path:
    cells = [
        {"cell_type": "markdown", "source": ["# Welcome\n"]},
        {"cell_type": "code", "source": ["import boto3, helpers\n", "lab = helpers.start()\n"]},
        {"cell_type": "markdown", "source": ["## Asynchronous invocation\n", "Prose.\n"]},
        {"cell_type": "code", "source": ["lambda_.create_function(FunctionName=\"orders\", Runtime=\"python3.12\")\n"]},
        {"cell_type": "markdown", "source": ["## Queues\n"]},
        {"cell_type": "code", "source": ["sqs.create_queue(QueueName='orders-dlq')\n"]},
        {"cell_type": "code", "source": ["lambda_.invoke(FunctionName=\"orders\")\n"]},
    ]
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return path


def test_a_missing_function_stays_the_aws_error_with_a_note_naming_the_cell_that_creates_it(lab, tmp_path):
    """A cell run before the one that creates its function: Lambda's ResourceNotFoundException, as on
    AWS (learners' except clauses catch it), and a note naming 'orders' and cell 4 under its heading."""
    notebook = _notebook(tmp_path / "01-demo.ipynb")
    with pytest.raises(ClientError) as raised:
        boto3.client("lambda").invoke(FunctionName="orders")
    assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"
    note = out_of_order_note(raised.value, {"FunctionName": "orders"}, notebook)
    assert note == ("Lab note: the sandbox has no 'orders' right now (ResourceNotFoundException). If an earlier "
                    'cell creates it, run cell 4, under "Asynchronous invocation" first (or Run > Run All Above); '
                    "a kernel restart or lab.reset() deletes everything the notebook created.")


def test_a_missing_queue_note_finds_the_queue_by_its_url_and_only_its_own_name(lab, tmp_path):
    """SQS's QueueDoesNotExist for `orders-dlq` points at the cell creating `orders-dlq`, not at a
    cell that merely mentions `orders`."""
    notebook = _notebook(tmp_path / "02-demo.ipynb")
    url = f"https://sqs.us-east-1.amazonaws.com/{lab.account_id}/orders-dlq"
    with pytest.raises(ClientError) as raised:
        boto3.client("sqs").get_queue_attributes(QueueUrl=url)
    assert raised.value.response["Error"]["Code"] in ("QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue")
    note = out_of_order_note(raised.value, {"QueueUrl": url}, notebook)
    assert "no 'orders-dlq'" in note and 'cell 6, under "Queues"' in note
    assert cell_that_creates("payments", notebook) is None


def test_other_aws_errors_get_no_note(lab):
    """Only "does not exist" errors mean a skipped cell; a validation error is left as AWS words it."""
    with pytest.raises(ClientError) as raised:
        boto3.client("sqs").create_queue(QueueName="bad name!")
    assert out_of_order_note(raised.value, {"QueueName": "bad name!"}) is None


def test_the_notebook_shows_the_note_under_the_untouched_error(lab, tmp_path, monkeypatch):
    """In IPython the uncaught error is shown from the learner's line (boto3's and botocore's frames
    left out) with the note added (exception notes, PEP 678); its class, code and message are AWS's."""
    from helpers import usage

    monkeypatch.setenv("JPY_SESSION_NAME", str(_notebook(tmp_path / "03-demo.ipynb")))
    shown = []

    class Shell:
        def showtraceback(self, exc_tuple, tb_offset=None):
            shown.append(exc_tuple[1])
            frames = []
            tb = exc_tuple[2]
            while tb is not None:
                frames.append(tb.tb_frame.f_code.co_filename)
                tb = tb.tb_next
            assert frames == [__file__]

    try:
        boto3.client("lambda").get_function(FunctionName="orders")
    except ClientError as error:
        usage._show_with_note(Shell(), type(error), error, error.__traceback__)
    (error,) = shown
    assert type(error).__name__ == "ResourceNotFoundException"
    assert error.__notes__ == [out_of_order_note(error, {"FunctionName": "orders"})]
    assert 'cell 4, under "Asynchronous invocation"' in error.__notes__[0]
