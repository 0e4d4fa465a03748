"""Starting, resetting and driving the lab: one sandbox per kernel."""
from __future__ import annotations

import atexit
import multiprocessing.util
import contextlib
import gc
import json
import logging
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator

from moto import mock_aws
from moto.core.base_backend import BackendDict
from moto.moto_api._internal import mock_random

from . import motoext, sandbox, usage
from .motoext import awslambda as moto_lambda
from .motoext import core as moto_core
from .motoext import lambda_esm
from .motoext import stepfunctions as moto_stepfunctions
from .packaging import zip_code
from .runtime.clock import VirtualClock
from .runtime.executions import ExecutionThreads
from .runtime import sdk_waits
from .runtime.lambda_runtime import LambdaRuntime
from .runtime.pollers import Pollers
from .runtime.recursion import install_interrupt_guard
from .runtime.recorder import Recorder
from .usage import LabUsageError

if TYPE_CHECKING:
    import pandas as pd

#: Seed for every id moto and the runtime generate, so runs repeat exactly.
SEED = 20260105
LAMBDA_ROLE_NAME = "lab-lambda-role"
_TRUST_POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


class Lab:
    """The sandbox: moto's mock of every service, a virtual clock and a Lambda runtime (an
    execution environment is a process of its own)."""

    account_id = sandbox.ACCOUNT_ID
    region = sandbox.REGION

    def __init__(self) -> None:
        global _lab
        if _lab is not None:
            raise LabUsageError("The lab is already running in this kernel: use `lab = helpers.start()` to get "
                                "it, or `helpers.start(reset=True)` to start afresh.")
        self._workdir = Path(tempfile.mkdtemp(prefix="serverless-lab-"))
        atexit.register(shutil.rmtree, self._workdir, ignore_errors=True)
        # The process is ending: collecting the lab's many objects' cycles (IPython's exit calls gc.collect,
        # then the interpreter's own teardown) would only delay the kernel's shutdown by half a second.
        atexit.register(gc.freeze)
        sandbox.isolate_credentials(self._workdir)  # first: importing moto's services reads the config
        sandbox.block_network()
        motoext.install()
        self._mock = mock_aws(config={"stepfunctions": {"execute_state_machine": True}})
        self._mock.start()
        sandbox.isolate_credentials(self._workdir)  # after moto's own fake keys, which it restores on stop
        self.clock = VirtualClock()
        # multiprocessing's own folder (the forkserver's socket) stays where multiprocessing removes it
        # at exit, after the lab's folder is gone.
        multiprocessing.util.get_temp_dir()
        with _temporary_files_in(self._workdir):  # the runtime unpacks code there: one folder to remove
            self.runtime = LambdaRuntime(self.clock)
        self.recorder = Recorder(self.clock)
        self.faults = self.runtime.faults  # failure injection: lab.faults.fail("fn", rate=0.2)
        self.on_reset: list[Callable[[], None]] = [self.recorder.clear, self.faults.clear]
        moto_core.set_clock(self.runtime.now)  # a handler's calls happen at its own virtual time
        moto_core.set_scheduler(self.clock)
        moto_core.set_observer(self.recorder)
        moto_core.set_after_outermost_call(self.clock.run_due)
        install_interrupt_guard(self.clock)
        moto_lambda.set_executor(self.runtime)
        self.pollers = Pollers(self.clock, self.runtime)
        lambda_esm.set_poller(self.pollers)
        self.executions = ExecutionThreads(self.clock)  # Step Functions threads, settled by the clock
        moto_stepfunctions.set_coordinator(self.executions)
        logging.getLogger("moto.stepfunctions.parser").setLevel(logging.CRITICAL)  # errors show in history
        self.on_reset.append(self.pollers.reset)
        sdk_waits.install(self.clock)
        self._seed_account()
        self.recorder.clear()
        usage.install_notebook_notes()
        _lab = self

    def _seed_account(self) -> None:
        """The role every notebook's functions use, created in moto's IAM directly (as CreateRole
        would: path "/", an hour's session), which spares the start loading IAM's API model."""
        from moto.iam.models import iam_backends

        mock_random.seed(SEED)
        iam_backends[self.account_id]["aws"].create_role(
            LAMBDA_ROLE_NAME, _TRUST_POLICY, path=None, permissions_boundary=None, description=None, tags=[],
            max_session_duration=3600)

    # -- what notebooks use ------------------------------------------------------------------
    @property
    def role_arn(self) -> str:
        """An IAM role Lambda can assume, for `create_function(Role=...)`."""
        return f"arn:aws:iam::{self.account_id}:role/{LAMBDA_ROLE_NAME}"

    @staticmethod
    def zip(source: str | dict[str, str], filename: str = "lambda_function.py") -> bytes:
        """Zip handler code into a deployment package (see `helpers.zip_code`)."""
        return zip_code(source, filename)

    def now(self):  # noqa: ANN201 - a datetime
        """The virtual time."""
        return self.clock.now()

    def advance(self, seconds: float = 0, minutes: float = 0, hours: float = 0) -> int:
        """Let virtual time pass, running what falls due (retries, redeliveries, waits)."""
        return self.clock.advance(seconds=usage.duration(seconds, minutes, hours).total_seconds())

    def run_until_idle(self) -> int:
        """Advance the clock until no scheduled work is left."""
        return self.clock.run_until_idle()

    def trace(self, **filters: Any) -> "pd.DataFrame":
        """The recorded hops as a DataFrame (see `helpers.trace.trace` for the filters)."""
        from .trace import trace

        return trace(self, **filters)

    def reset(self) -> None:
        """Delete every resource, forget every environment, and put the clock back to its start."""
        self.executions.abandon()
        moto_core.forget_flow()  # a call cut short by Stop must not make later calls join its flow
        BackendDict.reset()  # moto's data only: its handlers for `requests` stay (mock_aws.reset drops them)
        sandbox.block_network()
        self.clock.reset()
        self.runtime.discard_environments()
        _remove_unpacked_code(self._workdir)
        self._seed_account()
        for callback in list(self.on_reset):
            callback()

    def __repr__(self) -> str:
        return (f"<Serverless Patterns Lab: account {self.account_id}, region {self.region}, "
                f"virtual time {self.clock.now():%Y-%m-%d %H:%M:%S} UTC, "
                f"{self.clock.pending} scheduled job(s); offline, nothing reaches AWS>")


_lab: Lab | None = None


@contextlib.contextmanager
def _temporary_files_in(folder: Path) -> Iterator[None]:
    """Make `tempfile` create its folders inside `folder` for the duration of the block."""
    saved = tempfile.tempdir
    tempfile.tempdir = str(folder)
    try:
        yield
    finally:
        tempfile.tempdir = saved


def _remove_unpacked_code(workdir: Path) -> None:
    """Delete the deployment packages the runtime unpacked (its folders inside the lab's folder)."""
    for runtime_dir in (path for path in workdir.iterdir() if path.is_dir()):
        for unpacked in runtime_dir.iterdir():
            shutil.rmtree(unpacked, ignore_errors=True)


def start(reset: bool = False) -> Lab:
    """Start the lab for this kernel, or return the running one (reset it if `reset`)."""
    if _lab is None:
        return Lab()
    if reset:
        _lab.reset()
    return _lab


def current() -> Lab:
    """The running lab; raises if `start()` was not called."""
    if _lab is None:
        raise LabUsageError("The lab is not running yet: run the cell with `lab = helpers.start()` first "
                            "(near the top of the notebook).")
    return _lab
