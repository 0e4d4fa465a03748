"""The in-process Lambda runtime: environments, the init and invoke phases, logs and REPORT lines.

Replaces moto's Docker executor. What it models rather than measures, said once here and in the
notebooks: compute time is the CPU time the handler's thread took on this machine, scaled by the CPU
share Lambda gives its memory size (1,769 MB = one vCPU, aws-semantics.md 3), plus the time the AWS
services it called took, unscaled; `time.sleep` inside a handler passes on the virtual clock instead
of in real time; Max Memory Used is an estimate.
"""
from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import io
import json
import logging
import math
import os
import signal
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

from moto.moto_api._internal import mock_random

from ..motoext.awslambda import Invocation
from ..motoext.core import current_trace, notify, set_service_time_listener
from .async_invoker import AsyncInvoker
from .clock import VirtualClock
from .context import LambdaContext
from .environment import ExecutionEnvironment, FunctionSpec, unpack
from .errors import InvocationTimeout, RuntimeFailure, exception_payload
from .faults import Faults, InjectedFault, Injection

#: Lambda allocates CPU in proportion to memory: 1,769 MB is one vCPU (aws-semantics.md 3, L27).
ONE_VCPU_MB = 1769
#: The Python runtime's own footprint, used for the modeled Max Memory Used.
RUNTIME_BASE_MB = 38

_real_sleep = time.sleep
_current = threading.local()


def cpu_factor(memory_mb: int) -> float:
    """How much slower single-threaded code runs than on one full vCPU at this memory size."""
    return max(1.0, ONE_VCPU_MB / memory_mb)


def _count_service_time(seconds: float) -> None:
    """Time an AWS service (moto) spent answering a handler's call is I/O, not the handler's CPU."""
    running: _Running | None = getattr(_current, "invocation", None)
    if running is not None:
        running.service_s += seconds


def in_invocation() -> bool:
    """True while handler code runs on this thread."""
    return getattr(_current, "invocation", None) is not None


def lab_sleep(seconds: float) -> None:
    """`time.sleep` for the lab: inside a handler it passes on the virtual clock."""
    active = getattr(_current, "invocation", None)
    if active is None:
        _real_sleep(seconds)
    else:
        active.sleep(seconds)


@dataclass
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


class _Running:
    """The invocation in progress on this thread: its time budget and its log."""

    def __init__(self, spec: FunctionSpec, request_id: str, start: dt.datetime) -> None:
        self.spec, self.request_id, self.start = spec, request_id, start
        self.factor = cpu_factor(spec.memory_mb)
        self.virtual_ms = 0.0
        self.service_s = 0.0
        self.cpu_start = time.thread_time()
        self.cpu_stop: float | None = None
        self.lines: list[str] = []

    def elapsed_ms(self) -> float:
        """Modeled time so far: the handler's own CPU time scaled to its memory's CPU share, plus
        the time the AWS services it called took (unscaled), plus its virtual waits."""
        cpu = (self.cpu_stop or time.thread_time()) - self.cpu_start
        compute = max(0.0, cpu - self.service_s)
        return (compute * self.factor + self.service_s) * 1000 + self.virtual_ms

    def remaining_ms(self) -> int:
        return max(0, int(self.spec.timeout_s * 1000 - self.elapsed_ms()))

    def sleep(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("sleep length must be non-negative")
        left = self.spec.timeout_s * 1000 - self.elapsed_ms()
        if seconds * 1000 >= left:
            self.virtual_ms += max(0.0, left)
            raise InvocationTimeout()
        self.virtual_ms += seconds * 1000

    def timestamp(self) -> str:
        at = self.start + dt.timedelta(milliseconds=self.elapsed_ms())
        return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


class _LogStream(io.TextIOBase):
    """Where `print` goes during an invocation: one CloudWatch line per printed line."""

    def __init__(self) -> None:
        self._partial = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        running: _Running | None = getattr(_current, "invocation", None)
        if running is None:
            return sys.__stdout__.write(text) if sys.__stdout__ else len(text)
        self._partial += text
        *complete, self._partial = self._partial.split("\n")
        running.lines.extend(complete)
        return len(text)

    def flush_into(self, running: _Running) -> None:
        if self._partial:
            running.lines.append(self._partial)
            self._partial = ""


class _LambdaLogHandler(logging.Handler):
    """The Python runtime's log format: `[LEVEL]\\ttimestamp\\trequest id\\tmessage` (L22)."""

    def emit(self, record: logging.LogRecord) -> None:
        running: _Running | None = getattr(_current, "invocation", None)
        if running is not None:
            running.lines.append(f"[{record.levelname}]\t{running.timestamp()}\t{running.request_id}\t"
                                 f"{record.getMessage()}")


def _raise_timeout(signum: int, frame: Any) -> None:
    raise InvocationTimeout()


class _Watchdog:
    """Stops a handler that computes past its timeout by raising InvocationTimeout in its thread.

    On the main thread (a notebook's cells) a CPU-time interval timer (SIGPROF) does it, at no cost
    per invocation and whatever the machine's load; a nested invocation's timer is set inside its
    caller's and the caller's is restored after. Other threads (Step Functions executions) share one
    watchdog thread that counts real time, generously.
    """

    #: Real seconds a handler off the main thread may run, at the least, before it is stopped.
    MIN_REAL_S = 5.0

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._target: tuple[int, float] | None = None
        self._timers: list[tuple[float, float]] = []  # (caller's remaining CPU s, CPU clock at arm)
        threading.Thread(target=self._run, name="lambda-timeout-watchdog", daemon=True).start()
        self._handler_installed = False

    def arm(self, thread_id: int, cpu_seconds: float) -> None:
        if threading.current_thread() is threading.main_thread():
            if not self._handler_installed:  # once: SIGPROF's default action ends the process
                signal.signal(signal.SIGPROF, _raise_timeout)
                self._handler_installed = True
            outer, _ = signal.setitimer(signal.ITIMER_PROF, max(cpu_seconds, 0.001))
            self._timers.append((outer, time.process_time()))
            return
        with self._cond:
            self._target = (thread_id, time.monotonic() + max(self.MIN_REAL_S, 3 * cpu_seconds))
            self._cond.notify()

    def disarm(self) -> None:
        if threading.current_thread() is threading.main_thread():
            outer, armed_at = self._timers.pop()
            left = outer - (time.process_time() - armed_at) if outer else 0.0
            signal.setitimer(signal.ITIMER_PROF, max(left, 0.001) if outer else 0)
            return
        with self._cond:
            thread_id = self._target[0] if self._target else None
            self._target = None
        if thread_id is not None:  # drop an interrupt that raced with the handler's return
            ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id), None)

    def _run(self) -> None:
        while True:
            with self._cond:
                while self._target is None:
                    self._cond.wait()
                thread_id, deadline = self._target
                left = deadline - time.monotonic()
                if left > 0:
                    self._cond.wait(left)
                    continue
                self._target = None
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id),
                                                           ctypes.py_object(InvocationTimeout))


class LambdaRuntime:
    """Runs handler code in-process for the moto extension (implements `LambdaExecutor`)."""

    def __init__(self, clock: VirtualClock) -> None:
        self.clock = clock
        self._workdir = Path(tempfile.mkdtemp(prefix="serverless-lab-"))
        self._pools: dict[tuple, list[ExecutionEnvironment]] = {}
        self._lock = threading.RLock()
        self._stdout = _LogStream()
        self._log_handler = _LambdaLogHandler()
        self._watchdog = _Watchdog()
        self.faults = Faults()
        self._async = AsyncInvoker(self)
        set_service_time_listener(_count_service_time)

    # -- LambdaExecutor ----------------------------------------------------------------------
    def invoke(self, fn: Any, payload: bytes, request_id: str | None = None, **hop: Any) -> Invocation:
        """Run one invocation of moto function `fn` and return what AWS would.

        `request_id` is given for a retried event (its attempts share one); `hop` is added to the recorded `lambda invoke` hop (attempt=2, invocation_type="Event",
        source=<ARN of the queue/topic/rule that triggered it>...).
        """
        spec = self.spec_for(fn)
        with self._lock:
            return self._invoke(fn, spec, payload, request_id, hop)

    def invoke_async(self, fn: Any, payload: bytes, **hop: Any) -> str:
        """Queue an event (see `AsyncInvoker.submit`); returns its request ID."""
        return self._async.submit(fn, payload, **hop)

    def injected_throttle(self, fn: Any) -> bool:
        """Whether an injected fault throttles this invocation of `fn` (see `faults`)."""
        return self.faults.take_throttle(fn.function_name)

    # -- environments ------------------------------------------------------------------------
    def spec_for(self, fn: Any) -> FunctionSpec:
        """The runtime's view of a moto LambdaFunction version."""
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
        """Forget every environment: the next invocation of each function is a cold start."""
        with self._lock:
            self._pools.clear()

    def _acquire(self, spec: FunctionSpec) -> tuple[ExecutionEnvironment, bool]:
        pool = self._pools.setdefault(spec.key, [])
        for env in pool:
            if not env.busy and env.handler is not None:
                return env, False
        code_dir = unpack(spec.code, self._workdir / spec.code_sha.replace("/", "_").replace("+", "-"))
        layer_dirs = [unpack(data, self._workdir / f"layer-{abs(hash(arn))}") for arn, data in spec.layers]
        day = self.clock.now().strftime("%Y/%m/%d")
        env = ExecutionEnvironment(spec, code_dir, layer_dirs, f"{day}/[{spec.version}]{mock_random.uuid4().hex}")
        pool.append(env)
        return env, True

    # -- one invocation ----------------------------------------------------------------------
    @contextlib.contextmanager
    def _running(self, running: _Running, env: ExecutionEnvironment) -> Iterator[None]:
        """Route stdout, logging, sleep and environment variables to this invocation."""
        outer = getattr(_current, "invocation", None)
        variables = self._runtime_variables(env)
        saved_env = {name: os.environ.get(name) for name in variables}
        saved_stdout = sys.stdout
        os.environ.update(variables)
        _current.invocation = running
        sys.stdout = self._stdout
        root = logging.getLogger()
        root.addHandler(self._log_handler)
        try:
            with env.activated():
                yield
        finally:
            self._stdout.flush_into(running)
            root.removeHandler(self._log_handler)
            sys.stdout = saved_stdout
            _current.invocation = outer
            if outer is not None:  # a synchronous caller waited through the callee's waits too
                outer.virtual_ms += running.virtual_ms
            for name, value in saved_env.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value

    def _runtime_variables(self, env: ExecutionEnvironment) -> dict[str, str]:
        spec = env.spec
        return {**spec.env_vars,
                "AWS_LAMBDA_FUNCTION_NAME": spec.name, "AWS_LAMBDA_FUNCTION_VERSION": spec.version,
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb), "AWS_REGION": spec.region,
                "AWS_DEFAULT_REGION": spec.region, "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}",
                "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{spec.name}",
                "AWS_LAMBDA_LOG_STREAM_NAME": env.log_stream, "_HANDLER": spec.handler,
                "LAMBDA_TASK_ROOT": str(env.code_dir), "LAMBDA_RUNTIME_DIR": str(env.code_dir),
                "_X_AMZN_TRACE_ID": f"{current_trace() or ''};Sampled=1"}

    def _guarded(self, running: _Running, call: Callable[[], Any]) -> Any:
        """Run `call`; past its timeout (modeled time) it is a timeout.

        The watchdog stops runaway code once it has used as much CPU time as the modeled budget could
        stand for (service time counts unscaled, so the whole budget); whether an invocation timed
        out is then decided from the modeled time.
        """
        self._watchdog.arm(threading.get_ident(), running.remaining_ms() / 1000 + 0.2)
        running.cpu_start = time.thread_time()
        try:
            result = call()
        finally:
            running.cpu_stop = time.thread_time()
            self._watchdog.disarm()
        if running.elapsed_ms() >= running.spec.timeout_s * 1000:
            raise InvocationTimeout()
        return result

    def _phase(self, running: _Running, env: ExecutionEnvironment,
               call: Callable[[], Any]) -> tuple[Any, dict | None, bool]:
        """Run the init or invoke phase: (result, error payload, timed out)."""
        try:
            with self._running(running, env):
                return self._guarded(running, call), None, False
        except InvocationTimeout:
            return None, None, True
        except RuntimeFailure as failure:
            error = failure.payload()
        except Exception as exc:  # the handler (or the module's top level) raised
            error = exception_payload(exc, env.code_dir)
        running.lines.append(f"[ERROR] {error['errorType']}: {error['errorMessage']}\n"
                             "Traceback (most recent call last):\n" + "".join(error["stackTrace"]))
        return None, error, False

    def _invoke(self, fn: Any, spec: FunctionSpec, payload: bytes, request_id: str | None,
                hop: dict[str, Any]) -> Invocation:
        env, cold = self._acquire(spec)
        env.busy = True
        request_id = request_id or str(mock_random.uuid4())
        start = self.clock.now()
        init_ms: float | None = None
        result, error, timed_out = None, None, False
        log: list[str] = []
        try:
            running = _Running(spec, request_id, start)
            if cold:
                result, error, timed_out = self._phase(running, env, env.initialise)
                init_ms = running.elapsed_ms()
                log += running.lines
                running = _Running(spec, request_id, start)
            log.append(f"START RequestId: {request_id} Version: {spec.version}")
            if error is None and not timed_out:
                context = LambdaContext(
                    function_name=spec.name, function_version=spec.version,
                    invoked_function_arn=spec.arn if spec.version == "$LATEST" else f"{spec.arn}:{spec.version}",
                    memory_limit_in_mb=spec.memory_mb, aws_request_id=request_id,
                    log_group_name=f"/aws/lambda/{spec.name}", log_stream_name=env.log_stream,
                    _remaining_ms=running.remaining_ms)
                event = json.loads(payload or b"{}")
                injection = self.faults.draw(spec.name)
                result, error, timed_out = self._phase(
                    running, env, lambda: self._handle(running, env, event, context, injection))
                log += running.lines
            duration = spec.timeout_s * 1000 if timed_out else running.elapsed_ms()
            if timed_out:  # the form AWS returns and logs (aws-semantics.md 2; X1)
                error = {"errorMessage": f"{running.timestamp()} {request_id} Task timed out after "
                                         f"{spec.timeout_s:.2f} seconds"}
            report = InvocationReport(
                function_name=spec.name, version=spec.version, request_id=request_id, start=start,
                cold=cold, init_ms=init_ms, duration_ms=duration,
                billed_ms=math.ceil(duration + (init_ms or 0)), memory_mb=spec.memory_mb,
                max_memory_mb=min(spec.memory_mb, RUNTIME_BASE_MB + math.ceil(len(spec.code) / 2**20)),
                function_error="Unhandled" if error else None,
                error_type="Sandbox.Timedout" if timed_out else (error or {}).get("errorType"),
                timed_out=timed_out)
            log += [f"END RequestId: {request_id}", report.report_line()]
            if timed_out:
                log.append(error["errorMessage"])
            if timed_out or env.handler is None:  # AWS replaces an environment after these
                self._discard(env)
            self._write_logs(fn, env, start, log)
            notify("lambda", "invoke", spec.name, report=report,
                   **{"invocation_type": "RequestResponse", "attempt": 1, **hop})
            payload_out = json.dumps(error).encode() if error else result
            return Invocation(payload_out, report.function_error, "\n".join(log) + "\n", spec.version)
        finally:
            env.busy = False
            env.invocations += 1

    def _discard(self, env: ExecutionEnvironment) -> None:
        pool = self._pools.get(env.spec.key, [])
        if env in pool:
            pool.remove(env)

    def _handle(self, running: _Running, env: ExecutionEnvironment, event: Any, context: LambdaContext,
                injection: Injection) -> bytes:
        """Run the handler, after any injected slowdown; an injected failure replaces it."""
        if injection.delay_s:
            running.sleep(injection.delay_s)
        if injection.fail:
            raise InjectedFault("Injected failure (lab.faults): the handler did not run")
        return self._marshal(env.handler(event, context))

    @staticmethod
    def _marshal(result: Any) -> bytes:
        try:
            return json.dumps(result).encode()
        except (TypeError, ValueError) as err:
            raise RuntimeFailure("Runtime.MarshalError", f"Unable to marshal response: {err}") from None

    def _write_logs(self, fn: Any, env: ExecutionEnvironment, start: dt.datetime, lines: list[str]) -> None:
        group = f"/aws/lambda/{env.spec.name}"
        fn.logs_backend.ensure_log_group(group)
        fn.logs_backend.ensure_log_stream(group, env.log_stream)
        stamp = int(start.timestamp() * 1000)
        fn.logs_backend.put_log_events(group, env.log_stream,
                                       [{"timestamp": stamp, "message": line} for line in lines])
