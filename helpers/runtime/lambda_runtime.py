"""The lab's Lambda runtime: execution environments, the init and invoke phases, logs and REPORT lines.

Replaces moto's Docker executor. Each execution environment is a process of its own (`environment`,
`worker`); the function's boto3 calls come back over its pipe and are answered here, by the lab's
moto, in order, at the virtual time they are made.

What is modeled rather than measured, said once here and in the notebooks: durations come from the
work the code does, counted deterministically, and the CPU share its memory size buys
(`duration_model`); waits (`time.sleep`, an AWS call's latency, a synchronous callee) pass on the
virtual clock; Max Memory Used is the runtime's base plus the code's own measured allocations.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import math
import os
import signal
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from moto.moto_api._internal import mock_random

from ..motoext.awslambda import Invocation
from ..motoext.core import bound_trace, current_trace, notify
from ..sandbox import SandboxEscapeError
from . import duration_model, sdk_bridge
from .async_invoker import AsyncInvoker
from .clock import EPOCH, VirtualClock
from .environment import EnvironmentEnded, ExecutionEnvironment, FunctionSpec, unpack, warm_up
from .errors import exit_error
from .faults import Faults
from .recursion import RecursionGuard

#: The init phase has its own limit; past it, init is retried at the first invoke under the
#: function's timeout (aws-semantics.md 2, L20).
INIT_LIMIT_MS = 10_000
#: Variables of the lab's process an environment inherits: the sandbox's fake credentials and empty
#: AWS config (what Lambda hands a function is its role's credentials), and the basics of a process.
_INHERITED = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_CONFIG_FILE",
              "AWS_SHARED_CREDENTIALS_FILE", "AWS_EC2_METADATA_DISABLED", "PATH", "LANG", "HOME",
              "SYSTEMROOT")

#: How many function versions' FunctionSpecs are kept at most (each holds its code's bytes).
_SPECS_KEPT = 256

_local = threading.local()


def _spec_stamp(fn: Any) -> tuple:
    """What a FunctionSpec is built from, besides the environment variables (compared apart)."""
    return (fn.function_name, fn.function_arn, fn.version, fn.handler, fn.run_time, fn.memory_size,
            fn.timeout, fn.code_sha_256, fn.region, tuple(layer["Arn"] for layer in fn.layers or ()))


class InvocationInterrupted(KeyboardInterrupt):
    """Jupyter's Stop ended an invocation; `invocation` is what it produced, already logged and
    recorded, so an asynchronous event can still be retried or reported."""

    def __init__(self, invocation: Invocation) -> None:
        super().__init__()
        self.invocation = invocation


@dataclass(slots=True)
class InvocationReport:
    """What one invocation did, as its REPORT line and the trace describe it."""

    function_name: str
    version: str
    request_id: str
    start: dt.datetime
    cold: bool
    init_ms: float | None
    duration_ms: float
    billed_ms: int
    memory_mb: int
    max_memory_mb: int
    function_error: str | None
    error_type: str | None
    timed_out: bool

    def report_line(self) -> str:
        """The REPORT line, tab-separated as in real logs (aws-semantics.md 2, L22)."""
        fields = [f"REPORT RequestId: {self.request_id}", f"Duration: {self.duration_ms:.2f} ms",
                  f"Billed Duration: {self.billed_ms} ms", f"Memory Size: {self.memory_mb} MB",
                  f"Max Memory Used: {self.max_memory_mb} MB"]
        if self.init_ms is not None:
            fields.append(f"Init Duration: {self.init_ms:.2f} ms")
        return "\t".join(fields) + "\t"


@dataclass(slots=True)
class _Attempt:
    """One invocation in progress: what its phases produced so far."""

    request_id: str
    start: dt.datetime
    log: list[str]
    init_ms: float | None = None
    elapsed_ms: float = 0.0       # invoke phase, including a re-run init (suppressed init)
    memory_mb: int = 0
    payload: bytes | None = None
    error: dict | None = None
    timed_out: bool = False
    ended: bool = False           # the environment's process ended: it is replaced


class LambdaRuntime:
    """Runs handler code in execution environments for the moto extension (`LambdaExecutor`)."""

    def __init__(self, clock: VirtualClock) -> None:
        self.clock = clock
        self._workdir = Path(tempfile.mkdtemp(prefix="serverless-lab-"))
        self._pools: dict[tuple, list[ExecutionEnvironment]] = {}
        self._specs: dict[int, tuple[Any, tuple, FunctionSpec]] = {}
        self._lock = threading.RLock()
        self.faults = Faults()
        self.loops = RecursionGuard()
        self._async = AsyncInvoker(self)
        warm_up()

    # -- the virtual time of calls made by running code ----------------------------------------
    def now(self) -> dt.datetime:
        """The lab's time as the code on this thread sees it: the clock, plus how far into the
        running invocation(s) the current AWS call is made."""
        offset_ms = getattr(_local, "offset_ms", 0.0)
        return self.clock.now() + dt.timedelta(milliseconds=offset_ms) if offset_ms else self.clock.now()

    @contextlib.contextmanager
    def _offset(self, ms: float) -> Iterator[None]:
        saved = getattr(_local, "offset_ms", 0.0)
        _local.offset_ms = saved + ms
        try:
            yield
        finally:
            _local.offset_ms = saved

    # -- LambdaExecutor ----------------------------------------------------------------------
    def invoke(self, fn: Any, payload: bytes, request_id: str | None = None, **hop: Any) -> Invocation:
        """Run one invocation of moto function `fn` and return what AWS would.

        `request_id` is given for a retried event (its attempts share one); `hop` is added to the
        recorded `lambda invoke` hop (attempt=2, invocation_type="Event", source=<ARN of the
        queue/topic/rule that triggered it>...).
        """
        spec = self.spec_for(fn)
        if self.loops.stops(fn, hop):
            return self._stopped(fn, spec, request_id, hop)
        with self._lock:
            return self._invoke(fn, spec, payload, request_id, hop)

    def _stopped(self, fn: Any, spec: FunctionSpec, request_id: str | None, hop: dict[str, Any]) -> Invocation:
        """Recursive loop detection stopped this invocation: the function does not run."""
        notify("lambda", "recursion-stop", spec.name, request_id=request_id, **hop)
        error = {"errorType": "RecursiveInvocationException",
                 "errorMessage": "Lambda has detected your function being invoked in a recursive loop with "
                                 "other AWS resources and stopped your function's invocation."}
        return Invocation(json.dumps(error).encode(), "Unhandled", "", spec.version, recursive_loop=True)

    def invoke_async(self, fn: Any, payload: bytes, **hop: Any) -> str:
        """Queue an event (see `AsyncInvoker.submit`); returns its request ID."""
        return self._async.submit(fn, payload, **hop)

    def injected_throttle(self, fn: Any) -> bool:
        """Whether an injected fault throttles this invocation of `fn` (see `faults`)."""
        return self.faults.take_throttle(fn.function_name)

    # -- environments ------------------------------------------------------------------------
    def spec_for(self, fn: Any) -> FunctionSpec:
        """The runtime's view of a moto LambdaFunction version: built once, again only when the
        version's code or configuration has changed since (moto updates `$LATEST` in place)."""
        cached = self._specs.get(id(fn))
        if (cached is not None and cached[0] is fn and cached[1] == _spec_stamp(fn)
                and cached[2].env_vars == (fn.environment_vars or {})):
            return cached[2]
        spec = self._new_spec(fn)
        if len(self._specs) >= _SPECS_KEPT:  # versions come and go; keep the cache small
            self._specs.clear()
        self._specs[id(fn)] = (fn, _spec_stamp(fn), spec)
        return spec

    @staticmethod
    def _new_spec(fn: Any) -> FunctionSpec:
        backend_layers = []
        if fn.layers:
            from moto.awslambda.models import lambda_backends

            backend = lambda_backends[fn.account_id][fn.region]
            backend_layers = [(layer["Arn"], backend.layers_versions_by_arn(layer["Arn"]).code_bytes)
                              for layer in fn.layers]
        return FunctionSpec(
            name=fn.function_name, arn=fn.function_arn, version=str(fn.version), handler=fn.handler or "",
            runtime=fn.run_time or "python3.12", memory_mb=int(fn.memory_size), timeout_s=float(fn.timeout),
            env_vars=dict(fn.environment_vars or {}), code=fn.code_bytes, code_sha=fn.code_sha_256,
            layers=tuple(backend_layers), region=fn.region,
        )

    def environments(self, function_name: str | None = None) -> list[ExecutionEnvironment]:
        """The execution environments alive now (all, or one function's)."""
        return [env for pool in self._pools.values() for env in pool
                if function_name is None or env.spec.name == function_name]

    def discard_environments(self) -> None:
        """End every environment: the next invocation of each function is a cold start."""
        self.loops.clear()
        with self._lock:
            for env in self.environments():
                env.stop()
            self._pools.clear()
            self._specs.clear()

    def _acquire(self, spec: FunctionSpec) -> ExecutionEnvironment:
        if spec.key not in self._pools:
            self._retire_older_code(spec)
        pool = self._pools.setdefault(spec.key, [])
        for env in [env for env in pool if not env.busy and env.initialised]:
            if env.alive:
                return env
            self._discard(env)  # its process ended between invocations
        env = self._new_environment(spec)
        pool.append(env)
        return env

    def _retire_older_code(self, spec: FunctionSpec) -> None:
        """New code or configuration for a function version: its old environments are shut down
        (the ones still running an invocation finish it first)."""
        for key, pool in list(self._pools.items()):
            if key[:2] == spec.key[:2]:
                for env in [env for env in pool if not env.busy]:
                    env.stop()
                    pool.remove(env)
                if not pool:
                    del self._pools[key]

    def _new_environment(self, spec: FunctionSpec) -> ExecutionEnvironment:
        code_dir = unpack(spec.code, self._workdir / spec.code_sha.replace("/", "_").replace("+", "-"))
        layer_dirs = [unpack(data, self._workdir / f"layer-{hashlib.sha256(data).hexdigest()}")
                      for _, data in spec.layers]
        day = self.clock.now().strftime("%Y/%m/%d")
        log_stream = f"{day}/[{spec.version}]{mock_random.uuid4().hex}"
        environ = {name: os.environ[name] for name in _INHERITED if name in os.environ}
        environ.update({
            **spec.env_vars, "TZ": ":UTC",
            "AWS_LAMBDA_FUNCTION_NAME": spec.name, "AWS_LAMBDA_FUNCTION_VERSION": spec.version,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb), "AWS_REGION": spec.region,
            "AWS_DEFAULT_REGION": spec.region, "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}",
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{spec.name}", "AWS_LAMBDA_LOG_STREAM_NAME": log_stream,
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand", "_HANDLER": spec.handler,
            "LAMBDA_TASK_ROOT": str(code_dir), "LAMBDA_RUNTIME_DIR": str(code_dir)})
        boot = {"code_dir": str(code_dir), "layer_dirs": [str(p) for p in layer_dirs],
                "handler": spec.handler, "memory_mb": spec.memory_mb, "environ": environ,
                "epoch_s": EPOCH.timestamp(), "now_s": self.now().timestamp(),
                "function_name": spec.name, "version": spec.version,
                "log_group": f"/aws/lambda/{spec.name}", "log_stream": log_stream}
        env = ExecutionEnvironment(spec, code_dir, layer_dirs, log_stream, boot)
        env.start()
        return env

    def _discard(self, env: ExecutionEnvironment) -> None:
        env.stop()
        pool = self._pools.get(env.spec.key, [])
        if env in pool:
            pool.remove(env)

    # -- serving the code's AWS calls ----------------------------------------------------------
    def _serve(self, function_arn: str, attempt: _Attempt, base_ms: float) -> Any:
        """Answer the environment's AWS calls at the virtual time each is made (`at_ms` into the
        phase), within the invocation's flow (the X-Ray trace header the SDK sends)."""
        def serve(request: dict[str, Any]) -> tuple[str, dict[str, Any]]:
            header = request["headers"].get("X-Amzn-Trace-Id", "")
            trace = header.split(";")[0] if header.startswith("Root=") else current_trace()
            self.loops.sent(trace, function_arn)
            outer, nested = getattr(_local, "nested_ms", None), []
            _local.nested_ms = nested
            try:
                with bound_trace(trace), self._offset(base_ms + request.get("at_ms", 0.0)):
                    answer = sdk_bridge.serve(request)
            except Exception as err:  # refused, or moto cannot answer: the code sees a connection error
                message = str(err) if isinstance(err, SandboxEscapeError) else f"{type(err).__name__}: {err}"
                return "refuse", {"message": message, "wait_ms": duration_model.SERVICE_LATENCY_MS}
            finally:
                _local.nested_ms = outer
            answer["wait_ms"] = duration_model.SERVICE_LATENCY_MS + sum(nested)
            return "reply", answer

        return serve

    # -- one invocation ----------------------------------------------------------------------
    def _phase(self, env: ExecutionEnvironment, attempt: _Attempt, kind: str, budget_ms: float,
               payload: bytes = b"", base_ms: float = 0.0, **extra: Any) -> dict[str, Any] | None:
        """Run one phase in `env`; None (and the attempt's error set) if its process ended."""
        phase = {"now_s": (self.now() + dt.timedelta(milliseconds=base_ms)).timestamp(),
                 "budget_ms": budget_ms, "request_id": attempt.request_id, "payload": payload, **extra}
        try:
            outcome = env.run(kind, phase, self._serve(env.spec.arn, attempt, base_ms))
        except EnvironmentEnded as ended:
            attempt.ended = True
            outcome = ended.outcome
            attempt.log += outcome.get("lines", [])
            attempt.memory_mb = outcome.get("memory_mb", attempt.memory_mb)
            if ended.kind == "silent":
                attempt.timed_out = True
                return None
            oom = ended.kind == "oom"
            attempt.error = exit_error(attempt.request_id, -9 if oom else outcome["code"],
                                       "Runtime.OutOfMemory" if oom else "Runtime.ExitError")
            if oom:
                attempt.memory_mb = env.spec.memory_mb
            attempt.elapsed_ms += outcome.get("elapsed_ms", 0.0) if kind == "invoke" else 0.0
            return None
        attempt.log += outcome["lines"]
        attempt.memory_mb = outcome["memory_mb"]
        return outcome

    def _cold_start(self, env: ExecutionEnvironment, attempt: _Attempt, spec: FunctionSpec) -> bool:
        """Init phase; if it runs past its 10 s limit, init again inside the invoke phase, under
        the function's timeout. Returns whether the handler can run."""
        outcome = self._phase(env, attempt, "init", INIT_LIMIT_MS)
        if outcome is None:
            attempt.init_ms = None
            return False
        if outcome["timed_out"]:  # suppressed init: a new process, init again at invoke
            attempt.log.append(f"INIT_REPORT Init Duration: {INIT_LIMIT_MS:.2f} ms\tPhase: init\tStatus: timeout")
            env.stop()
            env.start()
            outcome = self._phase(env, attempt, "init", spec.timeout_s * 1000)
            if outcome is None:
                return False
            attempt.elapsed_ms += outcome["elapsed_ms"]
            if outcome["timed_out"]:
                attempt.timed_out = True
                return False
        else:
            attempt.init_ms = outcome["elapsed_ms"]
        env.initialised = outcome["error"] is None
        attempt.error = outcome["error"]
        return attempt.error is None

    def _invoke(self, fn: Any, spec: FunctionSpec, payload: bytes, request_id: str | None,
                hop: dict[str, Any]) -> Invocation:
        env = self._acquire(spec)
        cold = not env.initialised
        env.busy = True
        attempt = _Attempt(request_id or str(mock_random.uuid4()), self.now(), [])
        try:
            runnable = self._cold_start(env, attempt, spec) if cold else True
            attempt.log.append(f"START RequestId: {attempt.request_id} Version: {spec.version}")
            if runnable:
                self._run_handler(env, attempt, spec, payload)
            return self._finish(fn, env, spec, attempt, cold, hop)
        except KeyboardInterrupt:  # Jupyter's Stop: this environment is gone (see recursion.py)
            attempt.error = exit_error(attempt.request_id, -signal.SIGINT)
            attempt.ended = True
            raise InvocationInterrupted(self._finish(fn, env, spec, attempt, cold, hop)) from None
        finally:
            env.busy = False
            env.invocations += 1
            if attempt.ended or attempt.timed_out or not env.initialised or env.stopped:
                self._discard(env)  # AWS replaces an environment after these

    def _run_handler(self, env: ExecutionEnvironment, attempt: _Attempt, spec: FunctionSpec,
                     payload: bytes) -> None:
        injection = self.faults.draw(spec.name)
        invoked_arn = spec.arn if spec.version == "$LATEST" else f"{spec.arn}:{spec.version}"
        outcome = self._phase(env, attempt, "invoke", spec.timeout_s * 1000 - attempt.elapsed_ms, payload,
                              base_ms=attempt.elapsed_ms, invoked_arn=invoked_arn,
                              trace_id=f"{current_trace() or ''};Sampled=1",
                              injected_delay_s=injection.delay_s, injected_failure=injection.fail)
        if outcome is not None:
            attempt.elapsed_ms += outcome["elapsed_ms"]
            attempt.payload, attempt.error = outcome["payload"], outcome["error"]
            attempt.timed_out = outcome["timed_out"]

    def _finish(self, fn: Any, env: ExecutionEnvironment, spec: FunctionSpec, attempt: _Attempt,
                cold: bool, hop: dict[str, Any]) -> Invocation:
        rid = attempt.request_id
        duration = spec.timeout_s * 1000 if attempt.timed_out else attempt.elapsed_ms
        error = attempt.error
        if attempt.timed_out:  # the form AWS returns and logs (aws-semantics.md 2; X1)
            at = attempt.start + dt.timedelta(milliseconds=duration)
            stamp = at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"
            error = {"errorMessage": f"{stamp} {rid} Task timed out after {spec.timeout_s:.2f} seconds"}
        report = InvocationReport(
            function_name=spec.name, version=spec.version, request_id=rid, start=attempt.start,
            cold=cold, init_ms=attempt.init_ms, duration_ms=duration,
            billed_ms=math.ceil(duration + (attempt.init_ms or 0)), memory_mb=spec.memory_mb,
            max_memory_mb=min(spec.memory_mb, attempt.memory_mb or spec.memory_mb),
            function_error="Unhandled" if error else None,
            error_type="Sandbox.Timedout" if attempt.timed_out else (error or {}).get("errorType"),
            timed_out=attempt.timed_out)
        log = attempt.log + [f"END RequestId: {rid}", report.report_line()]
        if attempt.timed_out:
            log.append(error["errorMessage"])
        elif attempt.ended and error:
            log.append(f"{error['errorMessage']}\n{error['errorType']}")
        self._write_logs(fn, env, attempt.start, log)
        nested = getattr(_local, "nested_ms", None)
        if nested is not None:  # a synchronous caller waited for this one
            nested.append(duration + (attempt.init_ms or 0))
        notify("lambda", "invoke", spec.name, report=report,
               **{"invocation_type": "RequestResponse", "attempt": 1, **hop})
        payload_out = json.dumps(error).encode() if error else (attempt.payload or b"null")
        return Invocation(payload_out, report.function_error, "\n".join(log) + "\n", spec.version)

    @staticmethod
    def _write_logs(fn: Any, env: ExecutionEnvironment, start: dt.datetime, lines: list[str]) -> None:
        """Append the invocation's lines to its environment's log stream, all stamped with its start.

        Written to moto's log stream itself: PutLogEvents' checks (order, at most 14 days old or 2
        hours ahead) hold by construction for lines stamped with the clock's time.
        """
        group = f"/aws/lambda/{env.spec.name}"
        logs = fn.logs_backend
        if group not in logs.groups:
            logs.ensure_log_group(group)
        streams = logs.groups[group].streams
        if env.log_stream not in streams:
            logs.ensure_log_stream(group, env.log_stream)
        stamp = int(start.timestamp() * 1000)
        streams[env.log_stream].put_log_events([{"timestamp": stamp, "message": line} for line in lines])
