"""One execution environment's process: the function's code runs here, never in the notebook's.

The lab's process starts one of these per execution environment (`worker_pool`) and talks to it
over a pipe. Inside, as in Lambda: the function's environment variables and nothing else, the task
root as working directory, UTC, the lab's virtual clock in every clock the code can read
(`virtual_time`), `print` and `logging` captured as CloudWatch lines, boto3 calls forwarded to the
lab's moto (`sdk_bridge`), work counted deterministically (`work_meter`) and memory measured
(the process's peak resident memory). `sys.exit`, `os._exit` or a crash ends only this process; the lab reports it as
`Runtime.ExitError` (aws-semantics.md 2).

Messages, lab -> environment: ("init", phase) and ("invoke", phase); environment -> lab:
("call", request) answered by ("reply", response) or ("refuse", message); ("done", outcome);
("exit", outcome) just before the process ends itself; ("oom", outcome) before it is killed.
"""
from __future__ import annotations

import builtins
import importlib
import io
import json
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Any, Callable

from .. import sandbox
from . import duration_model as model
from . import virtual_time
from .channel import Channel
from .context import LambdaContext
from .errors import (InvocationTimeout, OutOfMemory, RuntimeFailure, TASK_ROOT, exception_payload,
                     lambda_path)
from .sdk_bridge import install_forwarder
from .work_meter import WorkMeter

#: Memory the Python runtime itself uses, and what importing the AWS SDK adds (Max Memory Used).
RUNTIME_BASE_MB, SDK_IMPORT_MB = 31, 30
#: Starting the runtime before the function's code: fixed, plus CPU work at one vCPU.
RUNTIME_START_MS, RUNTIME_START_CPU_MS = 75.0, 3.0
#: Importing boto3, and loading any other module from a file, at one vCPU.
SDK_IMPORT_MS, MODULE_IMPORT_MS = 18.0, 0.06
_BUILTINS = set(sys.builtin_module_names)
_SDK_PACKAGES = ("boto3", "botocore")
_real_exit = os._exit


try:
    import resource
except ImportError:  # Windows: no measurement, no out-of-memory detection
    resource = None  # type: ignore[assignment]


def _peak_rss_kb() -> int:
    """The process's peak resident memory in KB (0 where the platform cannot tell)."""
    if resource is None:
        return 0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak  # macOS reports bytes


class SandboxRefusal(ConnectionError):
    """A boto3 call the lab's sandbox does not answer (it would have left the machine)."""


class _Phase:
    """The init or invoke phase in progress: its clock, its budget and its log."""

    def __init__(self, start_s: float, budget_ms: float, request_id: str) -> None:
        self.start_s, self.budget_ms, self.request_id = start_s, budget_ms, request_id
        self.cpu_ms = 0.0        # modeled CPU work that is not counted in lines, at one vCPU
        self.wait_ms = 0.0       # sleeps, service latency, synchronous callees: not scaled
        self.modules_at_start = len(sys.modules)
        self.lines: list[str] = []
        self.stopped_ms: float | None = None


class Environment:
    """The state of this execution environment's process."""

    def __init__(self, conn: Channel, boot: dict[str, Any]) -> None:
        self.conn = conn
        self.boot = boot
        self.code_dir = Path(boot["code_dir"])
        self.layer_dirs = [Path(p) for p in boot["layer_dirs"]]
        self.memory_mb = int(boot["memory_mb"])
        self.handler: Callable[[Any, Any], Any] | None = None
        self.sdk_imported = False
        self.first_client = True
        self.phase: _Phase | None = None
        self.last_s = float(boot["now_s"])
        self.meter = WorkMeter(self._skipped_prefixes(), self._check)
        self._partial = ""
        self.baseline_kb = 0

    # -- set-up -------------------------------------------------------------------------------
    def install(self) -> None:
        """Make this process look like a Lambda execution environment for the function."""
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Jupyter's Stop is for the notebook's process
        os.environ.clear()
        os.environ.update(self.boot["environ"])
        virtual_time.install(self.now_s, self.sleep, float(self.boot["epoch_s"]))
        sys.path[:0] = self._search_path()
        os.chdir(self.code_dir)
        sys.stdout = sys.stderr = _LogStream(self)
        root = logging.getLogger()
        root.handlers[:] = [_LambdaLogHandler(self)]
        root.setLevel(logging.WARNING)
        sandbox.block_network()  # every request goes over the pipe; none may leave the machine
        install_forwarder(self.call)
        self._charge_sdk()
        os._exit = self._end  # keep what was printed before it
        real_import = builtins.__import__
        builtins.__import__ = lambda name, *args, **kw: self._import(real_import, name, *args, **kw)
        self.baseline_kb = _peak_rss_kb()

    def _search_path(self) -> list[str]:
        paths = [str(self.code_dir)]
        for layer in self.layer_dirs:
            paths += [str(layer / "python"), str(layer / "python" / "lib" / "python3.12" / "site-packages"),
                      str(layer)]
        return paths

    @staticmethod
    def _skipped_prefixes() -> tuple[str, ...]:
        import boto3
        import botocore

        return tuple(str(Path(m.__file__).resolve().parent) for m in (boto3, botocore)) + (
            str(Path(__file__).resolve().parent), "<frozen importlib")  # imports: charged per module

    def _import(self, real_import: Callable[..., Any], name: str, *args: Any, **kwargs: Any) -> Any:
        if not self.sdk_imported and name.startswith(_SDK_PACKAGES) and self.phase is not None:
            self.sdk_imported = True  # boto3 is preloaded in the lab; its import cost is modeled
            self.phase.cpu_ms += SDK_IMPORT_MS
        return real_import(name, *args, **kwargs)

    def _charge_sdk(self) -> None:
        """The SDK's clients and calls cost modeled CPU instead of counted lines."""
        import boto3.session
        import botocore.client
        import botocore.session

        def charged(function: Callable[..., Any], cost: Callable[[], float]) -> Callable[..., Any]:
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                if self.phase is not None:
                    self.phase.cpu_ms += cost()
                with self.meter.paused():
                    return function(*args, **kwargs)
            return wrapper

        def client_cost() -> float:
            first, self.first_client = self.first_client, False
            return model.SDK_FIRST_CLIENT_MS if first else model.SDK_CLIENT_MS

        botocore.session.Session.create_client = charged(botocore.session.Session.create_client, client_cost)
        boto3.session.Session.resource = charged(boto3.session.Session.resource, lambda: 0.0)
        botocore.client.BaseClient._make_api_call = charged(botocore.client.BaseClient._make_api_call,
                                                            lambda: model.SDK_CALL_CPU_MS)

    # -- the clock ----------------------------------------------------------------------------
    def elapsed_ms(self) -> float:
        """Modeled time since the phase began: counted and charged CPU at this memory's share,
        plus waits."""
        phase = self.phase
        if phase is None:
            return 0.0
        if phase.stopped_ms is not None:
            return phase.stopped_ms
        modules = max(0, len(sys.modules) - phase.modules_at_start)
        cpu = model.cpu_ms(phase.cpu_ms + modules * MODULE_IMPORT_MS, self.memory_mb)
        return cpu + model.compute_ms(self.meter.lines(), self.memory_mb) + phase.wait_ms

    def now_s(self) -> float:
        if self.phase is None:
            return self.last_s
        return self.phase.start_s + self.elapsed_ms() / 1000

    def sleep(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("sleep length must be non-negative")
        phase = self.phase
        if phase is None:
            return
        left = phase.budget_ms - self.elapsed_ms()
        if seconds * 1000 >= left:
            phase.wait_ms += max(0.0, left)
            raise InvocationTimeout()
        phase.wait_ms += seconds * 1000

    def remaining_ms(self) -> int:
        phase = self.phase
        return max(0, int(phase.budget_ms - self.elapsed_ms())) if phase else 0

    def timestamp(self) -> str:
        import datetime as dt

        at = dt.datetime.fromtimestamp(self.now_s(), dt.timezone.utc)
        return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"

    def memory_used_mb(self) -> int:
        """Max Memory Used: the runtime's base, the SDK if imported, and the code's own allocations."""
        grown_kb = max(0, _peak_rss_kb() - self.baseline_kb)
        base = RUNTIME_BASE_MB + (SDK_IMPORT_MB if self.sdk_imported else 0)
        return base + -(-grown_kb // 1024)

    def _check(self) -> tuple[float, int] | None:
        """Every few thousand lines: stop at the timeout, end the environment past its memory.
        Returns what it measured (elapsed ms, memory MB), None if the phase is already stopped."""
        phase = self.phase
        if phase is None or phase.stopped_ms is not None:
            return None
        memory_mb = self.memory_used_mb()
        if memory_mb > self.memory_mb:
            raise OutOfMemory()
        elapsed_ms = self.elapsed_ms()
        if elapsed_ms >= phase.budget_ms:
            raise InvocationTimeout()
        return elapsed_ms, memory_mb

    # -- talking to the lab -------------------------------------------------------------------
    def call(self, request: dict[str, Any]) -> dict[str, Any]:
        """Forward one botocore request to the lab and wait for the answer."""
        phase = self.phase
        request["at_ms"] = self.elapsed_ms()
        self.conn.send(("call", request))
        kind, answer = self.conn.recv()
        if phase is not None:
            phase.wait_ms += answer.get("wait_ms", 0.0) if isinstance(answer, dict) else 0.0
        if kind == "refuse":
            raise SandboxRefusal(answer["message"])
        return answer

    def _end(self, code: int) -> None:
        """`os._exit` in the function's code: tell the lab what was logged, then end the process."""
        self.conn.send(("exit", {"code": code, **self._outcome()}))
        _real_exit(code)

    def _outcome(self, measured: tuple[float, int] | None = None, **fields: Any) -> dict[str, Any]:
        """What the phase produced; `measured` is (elapsed ms, memory MB) if nothing ran since."""
        phase = self.phase
        self._flush()
        elapsed_ms, memory_mb = measured or (self.elapsed_ms(), self.memory_used_mb())
        return {"lines": phase.lines if phase else [], "elapsed_ms": elapsed_ms, "memory_mb": memory_mb,
                **fields}

    # -- the phases ---------------------------------------------------------------------------
    def run(self, kind: str, spec: dict[str, Any]) -> dict[str, Any]:
        """Run one phase and return its outcome (payload or error, log lines, modeled time)."""
        self.phase = _Phase(float(spec["now_s"]), float(spec["budget_ms"]), spec["request_id"])
        self.meter.reset()
        if kind == "invoke":
            self.phase.cpu_ms += model.RUNTIME_INVOKE_MS + len(spec["payload"]) * model.JSON_NS_PER_BYTE / 1e6
        else:
            self.phase.cpu_ms += RUNTIME_START_CPU_MS
            self.phase.wait_ms += RUNTIME_START_MS
        payload, error, timed_out, measured = None, None, False, None
        try:
            self.meter.start()
            try:
                payload = self._init() if kind == "init" else self._invoke(spec)
            finally:
                self.meter.stop()
            measured = self._check()
        except InvocationTimeout:
            timed_out = True
        except OutOfMemory:
            self.phase.stopped_ms = self.elapsed_ms()
            self.conn.send(("oom", self._outcome()))
            os.kill(os.getpid(), getattr(signal, "SIGKILL", signal.SIGTERM))
        except RuntimeFailure as failure:
            error = failure.payload()
        except Exception as exc:  # the handler (or the module's top level) raised
            error = exception_payload(exc, self.code_dir, self.layer_dirs)
        if error is not None:
            self.phase.lines.append(f"[ERROR] {error['errorType']}: {error['errorMessage']}\n"
                                    "Traceback (most recent call last):\n" + "".join(error["stackTrace"]))
        outcome = self._outcome(measured if error is None else None, payload=payload, error=error,
                                timed_out=timed_out)
        self.last_s = self.phase.start_s + outcome["elapsed_ms"] / 1000  # now_s() at the phase's end
        self.phase = None
        return outcome

    def _init(self) -> None:
        """Import the handler's module and find the handler, with the Python runtime's errors."""
        handler = self.boot["handler"]
        module_name, _, function_name = handler.rpartition(".")
        if not module_name:
            raise RuntimeFailure("Runtime.MalformedHandlerName",
                                 f"Bad handler '{handler}': not enough values to unpack (expected 2, got 1)")
        module_name = module_name.replace("/", ".")
        if module_name.split(".")[0] in _BUILTINS:
            raise RuntimeFailure("Runtime.BuiltInModuleConflict",
                                 f"Cannot use built-in module {module_name} as a handler module")
        try:
            module = importlib.import_module(module_name)
        except ImportError as err:
            raise RuntimeFailure("Runtime.ImportModuleError",
                                 f"Unable to import module '{module_name}': {err}") from None
        except SyntaxError as err:
            filename = (err.filename or "").replace(str(self.code_dir), TASK_ROOT)
            raise RuntimeFailure(
                "Runtime.UserCodeSyntaxError", f"Syntax error in module '{module_name}': {err}",
                [f'  File "{filename}" Line {err.lineno}\n        {(err.text or "").strip()}\n'],
            ) from None
        found = getattr(module, function_name, None)
        if found is None:
            raise RuntimeFailure("Runtime.HandlerNotFound",
                                 f"Handler '{function_name}' missing on module '{module_name}'")
        self.handler = found

    def _invoke(self, spec: dict[str, Any]) -> bytes:
        boot = self.boot
        os.environ["_X_AMZN_TRACE_ID"] = spec["trace_id"]
        context = LambdaContext(
            function_name=boot["function_name"], function_version=boot["version"],
            invoked_function_arn=spec["invoked_arn"], memory_limit_in_mb=self.memory_mb,
            aws_request_id=spec["request_id"], log_group_name=boot["log_group"],
            log_stream_name=boot["log_stream"], _remaining_ms=self.remaining_ms)
        event = json.loads(spec["payload"] or b"{}")
        if spec.get("injected_delay_s"):
            self.sleep(spec["injected_delay_s"])
        if spec.get("injected_failure"):
            raise RuntimeFailure("InjectedFault", "Injected failure (lab.faults): the handler did not run")
        if self.handler is None:
            raise RuntimeFailure("Runtime.Unknown", "The handler was not loaded")
        result = self.handler(event, context)
        try:
            out = json.dumps(result).encode()
        except (TypeError, ValueError) as err:
            raise RuntimeFailure("Runtime.MarshalError", f"Unable to marshal response: {err}") from None
        self.phase.cpu_ms += len(out) * model.JSON_NS_PER_BYTE / 1e6
        return out

    # -- logs ---------------------------------------------------------------------------------
    def write(self, text: str) -> None:
        self._partial += text
        *complete, self._partial = self._partial.split("\n")
        if self.phase is not None:
            self.phase.lines.extend(complete)

    def _flush(self) -> None:
        if self._partial and self.phase is not None:
            self.phase.lines.append(self._partial)
        self._partial = ""


class _LogStream(io.TextIOBase):
    """Where `print` goes: one CloudWatch line per printed line."""

    def __init__(self, env: Environment) -> None:
        self._env = env

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self._env.write(text)
        return len(text)


class _LambdaLogHandler(logging.Handler):
    """The Python runtime's log format: `[LEVEL]\\ttimestamp\\trequest id\\tmessage` (L22)."""

    def __init__(self, env: Environment) -> None:
        super().__init__()
        self._env = env

    def emit(self, record: logging.LogRecord) -> None:
        phase = self._env.phase
        if phase is not None:
            phase.lines.append(f"[{record.levelname}]\t{self._env.timestamp()}\t{phase.request_id}\t"
                               f"{record.getMessage()}")


def _end_with_parent() -> None:
    """End this process when the process that started it ends (the warm server, which ends with the
    notebook's process), so a handler still running when the notebook is killed does not outlive it.

    The server ends when every copy of its lifeline from the notebook's process is closed, and
    multiprocessing hands one to each process it forks: closed here, or a busy environment would keep
    the server alive and the server would keep it alive. Linux then kills the environment when the
    server ends (PR_SET_PDEATHSIG); elsewhere it ends when it next reads its closed pipe.
    """
    import multiprocessing.forkserver

    server = multiprocessing.forkserver._forkserver
    if server._forkserver_alive_fd is not None:
        os.close(server._forkserver_alive_fd)
        server._forkserver_alive_fd = None
    if sys.platform != "linux":
        return
    import ctypes

    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() == 1:  # the parent ended before the request took effect
        _real_exit(0)


def main(conn: Any, boot: dict[str, Any]) -> None:
    """The environment's process: set up, then run phases until the lab closes the pipe."""
    _end_with_parent()
    channel = Channel(conn)
    env = Environment(channel, boot)
    env.install()
    while True:
        try:
            kind, spec = channel.recv()
        except (EOFError, OSError):
            _real_exit(0)
        try:
            channel.send(("done", env.run(kind, spec)))
        except SystemExit as exit_:  # sys.exit()/exit() in the function's code ends its environment
            code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
            if exit_.code is not None and not isinstance(exit_.code, int):
                env.write(f"{exit_.code}\n")
            env._end(code)

