"""One Lambda execution environment: a process of its own running one function version's code.

As on AWS (aws-semantics.md 2, L20), an environment is created on a cold start, runs the init phase
once, is reused by later (warm) invocations with whatever state the code keeps, and is replaced after
a timeout, a crash, an exit or running out of memory. Each environment is its own operating-system
process (`worker`), so nothing its code does (exit, environment variables, monkeypatching a library,
logging configuration) reaches the notebook or another function.

Processes are forked from a warm server process that has already imported boto3 (multiprocessing's
"forkserver" start method), so a cold start costs milliseconds; where fork is missing or unsafe
(Windows, macOS) they are spawned instead: slower to start, the same behaviour.
"""
from __future__ import annotations

import contextlib
import functools
import io
import multiprocessing
import multiprocessing.spawn
import os
import select
import signal
import threading
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from . import worker
from .channel import Channel

#: Real seconds an environment may go without a word before the lab gives up on it (a handler
#: blocked in native code forever); the invocation is then reported as timed out.
SILENCE_LIMIT_S = 120.0
#: A process's sentinel and pipe can be watched with `select` (file descriptors, not Windows handles).
_SENTINEL_SELECTABLE = os.name == "posix"


def _context() -> multiprocessing.context.BaseContext:
    methods = multiprocessing.get_all_start_methods()
    if "forkserver" in methods and multiprocessing.get_start_method(allow_none=True) != "spawn":
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([f"{__package__}.worker_preload"])
        return context
    return multiprocessing.get_context("spawn")


_CONTEXT = _context()


def warm_up() -> None:
    """Start the warm server process now, in the background, so the first cold start is quick."""
    if _CONTEXT.get_start_method() == "forkserver":
        import multiprocessing.forkserver

        with _servers_in_their_own_process_group():
            multiprocessing.forkserver.ensure_running()


_SERVERS: list[Any] = []


@contextlib.contextmanager
def _servers_in_their_own_process_group() -> Iterator[None]:
    """Start multiprocessing's server processes (the forkserver and its resource tracker) each in a
    process group of its own.

    On shutdown ipykernel signals every process in the kernel's process group and waits until none is
    left; the resource tracker ignores SIGTERM by design, so every kernel shutdown waited 2.5 s until
    Jupyter gave up and killed it. Outside the group the servers are not the kernel's to stop: each
    ends when the notebook's process ends (its pipe from that process closes), and the environments
    end with the forkserver (`worker._end_with_parent`). Also around each environment's start: a
    server that ended is started again there. Spawned environments (no forkserver) are left as they are.
    """
    import multiprocessing.util
    import subprocess

    if _CONTEXT.get_start_method() != "forkserver":
        yield
        return

    original = multiprocessing.util.spawnv_passfds

    def spawn(path: str, args: list[str], passfds: Any) -> int:
        process = subprocess.Popen(args, executable=path, pass_fds=tuple(passfds), process_group=0)
        _SERVERS.append(process)  # multiprocessing keeps only the pid; kept, or Popen warns it still runs
        return process.pid

    multiprocessing.util.spawnv_passfds = spawn
    try:
        yield
    finally:
        multiprocessing.util.spawnv_passfds = original
_STARTING = threading.Lock()


@contextlib.contextmanager
def _without_main_module() -> Iterator[None]:
    """Start a process without re-running the notebook's or script's main module in it.

    multiprocessing's forkserver and spawn import the parent's `__main__` in each new process; an
    environment needs only `worker`, and a script without a `__name__ == "__main__"` guard would
    otherwise run again inside every environment.
    """
    original = multiprocessing.spawn.get_preparation_data

    def preparation_data(name: str) -> dict[str, Any]:
        data = original(name)
        data.pop("init_main_from_path", None)
        data.pop("init_main_from_name", None)
        return data

    with _STARTING:
        multiprocessing.spawn.get_preparation_data = preparation_data
        try:
            yield
        finally:
            multiprocessing.spawn.get_preparation_data = original


@contextlib.contextmanager
def _interrupts_deferred() -> Iterator[None]:
    """Hold Jupyter's Stop (SIGINT) until the block is done, then raise it.

    Starting a process is a conversation with the warm server process; cut in the middle, the server
    would stop serving every later environment.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: pending.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if pending:
        raise KeyboardInterrupt


@dataclass(frozen=True)
class FunctionSpec:
    """What the runtime needs to know of one function version's code and configuration."""

    name: str
    arn: str
    version: str
    handler: str
    runtime: str
    memory_mb: int
    timeout_s: float
    env_vars: dict[str, str]
    code: bytes
    code_sha: str
    layers: tuple[tuple[str, bytes], ...] = ()
    region: str = "us-east-1"

    @functools.cached_property
    def key(self) -> tuple:
        """Environments are shared only by invocations of the same code and configuration."""
        return (self.arn, self.version, self.code_sha, self.handler, self.runtime, self.memory_mb,
                self.timeout_s, tuple(sorted(self.env_vars.items())), tuple(a for a, _ in self.layers))


def unpack(zip_bytes: bytes, target: Path) -> Path:
    """Unpack a deployment package (once per content) and return its folder."""
    if not target.exists():
        partial = target.with_suffix(".partial")
        with zipfile.ZipFile(io.BytesIO(zip_bytes)) as archive:
            archive.extractall(partial)
        partial.rename(target)
    return target


class EnvironmentEnded(Exception):
    """The environment's process ended during a phase; `outcome` says how (exit code, log)."""

    def __init__(self, kind: str, outcome: dict[str, Any]) -> None:
        super().__init__(kind)
        self.kind = kind
        self.outcome = outcome


@dataclass
class ExecutionEnvironment:
    """A warm or cold environment for one function version, and its process."""

    spec: FunctionSpec
    code_dir: Path
    layer_dirs: list[Path]
    log_stream: str
    boot: dict[str, Any]
    busy: bool = False
    invocations: int = 0
    initialised: bool = False
    _process: Any = field(default=None, repr=False)
    _conn: Any = field(default=None, repr=False)
    _sentinel: int | None = field(default=None, repr=False)

    def start(self) -> None:
        """Start the environment's process (the runtime starts; the function's code is not run yet)."""
        parent, child = _CONTEXT.Pipe()
        self._process = _CONTEXT.Process(target=worker.main, args=(child, self.boot), daemon=True,
                                         name=f"lambda-env-{self.spec.name}")
        with _interrupts_deferred(), _without_main_module(), _servers_in_their_own_process_group():
            try:
                self._process.start()
            except ConnectionRefusedError:  # the server process ended: start another, once
                self._process.start()
        child.close()
        self._conn = Channel(parent)
        self._sentinel = self._process.sentinel if _SENTINEL_SELECTABLE else None

    @property
    def stopped(self) -> bool:
        """Whether the lab ended this environment's process (`stop`)."""
        return self._process is None

    @property
    def alive(self) -> bool:
        process = self._process
        if process is None:
            return False
        if self._sentinel is not None and not select.select([self._sentinel], [], [], 0)[0]:
            # The sentinel becomes readable when the process ends (cheaper than a selector), unless a
            # join() has already read the exit status the forkserver wrote there.
            return getattr(process._popen, "returncode", None) is None
        return process.is_alive()

    def run(self, kind: str, phase: dict[str, Any],
            serve: Callable[[dict[str, Any]], tuple[str, dict[str, Any]]]) -> dict[str, Any]:
        """Run the init or invoke phase; answer the code's AWS calls with `serve` meanwhile.

        Returns the phase's outcome; raises EnvironmentEnded if the process ended (exit, crash, out
        of memory) or went silent. Any other interruption (KeyboardInterrupt) ends the process.
        """
        try:
            self._conn.send((kind, phase))
            while True:
                if not self._readable(SILENCE_LIMIT_S):
                    raise EnvironmentEnded("silent", {})
                try:
                    message, body = self._conn.recv()
                except (EOFError, OSError):
                    raise EnvironmentEnded("exit", {"code": self._exitcode()}) from None
                if message == "call":
                    self._conn.send(serve(body))
                elif message == "done":
                    return body
                else:  # "exit" or "oom": the process is ending; wait for it
                    body.setdefault("code", self._exitcode())
                    raise EnvironmentEnded(message, body)
        except BaseException:
            self.stop()
            raise

    def _readable(self, timeout_s: float) -> bool:
        """Whether the process has said something (or ended) within `timeout_s`."""
        if _SENTINEL_SELECTABLE:  # one select(); Connection.poll builds a selector per call
            return bool(select.select([self._conn.fd], [], [], timeout_s)[0])
        return self._conn.conn.poll(timeout_s)

    def _exitcode(self) -> int:
        self._process.join(5)
        return self._process.exitcode if self._process.exitcode is not None else -9

    def stop(self) -> None:
        """End the environment's process (AWS shuts an environment down; its state is gone)."""
        if self._process is None:
            return
        if self._process.is_alive():
            self._process.kill()
        self._process.join(5)
        self._conn.close()
        self._process = None
