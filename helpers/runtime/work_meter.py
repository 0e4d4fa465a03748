"""Counting the work a handler does, deterministically: Python lines executed, per thread.

Runs inside an execution environment's process. Line events (`sys.settrace`) are the same on every
run and every machine for the same code and input, unlike CPU time. The SDK's own code and the lab's
runtime code are not counted line by line (`paused()` around them, and their files skipped): the
duration model charges the SDK per client and per call instead (see `duration_model`).

Every `CHECK_EVERY` lines of a thread, `on_check` runs: the environment uses it to stop a handler
that has run past its timeout or its memory, at a point that is also the same on every run.
"""
from __future__ import annotations

import contextlib
import sys
import threading
from typing import Any, Callable, Iterator

CHECK_EVERY = 1024


class WorkMeter:
    """Counts executed lines per thread between `start()` and `stop()`; skips files under `skip_prefixes`."""

    def __init__(self, skip_prefixes: tuple[str, ...], on_check: Callable[[], None]) -> None:
        self._skip_prefixes = skip_prefixes
        self._skip: dict[str, bool] = {}
        self._on_check = on_check
        self.counts: list[list[int]] = []
        self._paused = 0
        self._measurement = 0  # which measurement the counts belong to (`reset` starts the next)

    def lines(self) -> list[int]:
        """Lines counted so far in this measurement, one number per thread that ran code."""
        return [cell[0] for cell in self.counts]

    def reset(self) -> None:
        self.counts = []
        self._measurement += 1

    def start(self) -> None:
        """Count lines executed from now on (and in threads started from now on), until `stop()`."""
        sys.settrace(self._thread_tracer())
        threading.settrace(self._first_in_thread)

    def stop(self) -> None:
        sys.settrace(None)
        threading.settrace(None)  # type: ignore[arg-type]

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """Do not count the code called inside the block (it is charged another way); this thread
        runs it untraced, at full speed."""
        tracer = sys.gettrace()
        sys.settrace(None)
        self._paused += 1
        try:
            yield
        finally:
            self._paused -= 1
            sys.settrace(tracer)

    def _first_in_thread(self, frame: Any, event: str, arg: Any) -> Callable[..., Any] | None:
        """A thread's first event: from then on the thread has a tracer of its own."""
        tracer = self._thread_tracer()
        sys.settrace(tracer)
        return tracer(frame, event, arg)

    def _thread_tracer(self) -> Callable[..., Any]:
        """The trace function of one thread: on each call, the counting tracer unless the meter is
        paused or the code is in a skipped file. Everything it needs is bound in the closure, since it
        runs on every call and every generator step (counting costs the handler several times its
        own speed: every lookup here shows)."""
        meter, skip, prefixes = self, self._skip, self._skip_prefixes
        local: Callable[..., Any] | None = None
        measurement = -1

        def on_call(frame: Any, event: str, arg: Any) -> Callable[..., Any] | None:
            nonlocal local, measurement
            if meter._paused:
                return None
            filename = frame.f_code.co_filename
            skipped = skip.get(filename)
            if skipped is None:
                skipped = skip[filename] = filename.startswith(prefixes)
            if skipped:
                return None
            if measurement != meter._measurement:  # a thread that outlives a measurement counts in the next
                local, measurement = meter._new_tracer(), meter._measurement
            return local

        return on_call

    def _new_tracer(self) -> Callable[..., Any]:
        cell = [0]
        self.counts.append(cell)
        check = self._on_check

        def local(frame: Any, event: str, arg: Any) -> Callable[..., Any]:
            if event == "line":
                cell[0] += 1
                if not cell[0] % CHECK_EVERY:
                    check()
            return local

        return local
