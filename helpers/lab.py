"""Starting, resetting and driving the lab: one sandbox per kernel."""
from __future__ import annotations

import json
import logging
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import boto3
from moto import mock_aws
from moto.moto_api._internal import mock_random

from . import motoext, sandbox
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
from .runtime.recursion import stop_on_interrupt
from .runtime.recorder import Recorder

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
        self._workdir = Path(tempfile.mkdtemp(prefix="serverless-lab-config-"))
        sandbox.isolate_credentials(self._workdir)  # first: importing moto's services reads the config
        sandbox.block_network()
        motoext.install()
        self._mock = mock_aws(config={"stepfunctions": {"execute_state_machine": True}})
        self._mock.start()
        sandbox.isolate_credentials(self._workdir)  # after moto's own fake keys, which it restores on stop
        self.clock = VirtualClock()
        self.runtime = LambdaRuntime(self.clock)
        self.recorder = Recorder(self.clock)
        self.faults = self.runtime.faults  # failure injection: lab.faults.fail("fn", rate=0.2)
        self.on_reset: list[Callable[[], None]] = [self.recorder.clear, self.faults.clear]
        moto_core.set_clock(self.runtime.now)  # a handler's calls happen at its own virtual time
        moto_core.set_scheduler(self.clock)
        moto_core.set_observer(self.recorder)
        moto_core.set_after_outermost_call(stop_on_interrupt(self.clock, self.clock.run_due))
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

    def _seed_account(self) -> None:
        mock_random.seed(SEED)
        boto3.client("iam").create_role(RoleName=LAMBDA_ROLE_NAME, AssumeRolePolicyDocument=_TRUST_POLICY)

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
        return self.clock.advance(seconds=seconds, minutes=minutes, hours=hours)

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
        self._mock.reset()
        self.clock.reset()
        self.runtime.discard_environments()
        self._seed_account()
        for callback in list(self.on_reset):
            callback()

    def __repr__(self) -> str:
        return (f"<Serverless Patterns Lab: account {self.account_id}, region {self.region}, "
                f"virtual time {self.clock.now():%Y-%m-%d %H:%M:%S} UTC, "
                f"{self.clock.pending} scheduled job(s); offline, nothing reaches AWS>")


_lab: Lab | None = None


def start(reset: bool = False) -> Lab:
    """Start the lab for this kernel, or return the running one (reset it if `reset`)."""
    global _lab
    if _lab is None:
        _lab = Lab()
    elif reset:
        _lab.reset()
    return _lab


def current() -> Lab:
    """The running lab; raises if `start()` was not called."""
    if _lab is None:
        raise RuntimeError("The lab is not running: call `lab = helpers.start()` first.")
    return _lab
