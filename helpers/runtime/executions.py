"""Step Functions execution threads, run one at a time in a fixed order on the virtual clock.

moto's interpreter runs each execution, Parallel branch, Map iteration and Task attempt in a thread
of its own. The moto extension hands it the cooperative `Thread`, `Event`, `Condition`, `sleep` and
`time` defined here (`ExecutionThreads` is its coordinator), so that:

- only one interpreter thread runs at a time, and threads run in the order they became ready
  (FIFO), which makes every timeline the same on every run;
- a thread that waits (a Wait state, a Retry interval, a task token, a child execution) *parks*: a
  wait with a timeout becomes a job on the virtual clock, so an hour passes when the learner
  advances the clock by an hour, in no real time;
- the clock settles the threads (`settle`) before each job and after the last, so an API call, a
  clock job or `lab.advance(...)` returns only once every execution is finished or parked.

The main thread never holds the clock's or the Lambda runtime's lock while it settles, so a Lambda
task running in an execution thread finds both free.
"""
from __future__ import annotations

import collections
import threading
from typing import Any, Callable

from ..motoext.core import bound_trace, current_trace
from .clock import ScheduledJob, VirtualClock


class _Abandoned(BaseException):
    """Unwinds a thread of an execution the lab was reset under (not an `Exception`: moto's
    handlers must not catch it)."""


class _Fiber:
    """One interpreter thread: the real thread, its turn signal, and what woke it."""

    def __init__(self, generation: int, name: str) -> None:
        self.generation = generation
        self.name = name
        self.trace = current_trace()
        self.turn = threading.Semaphore(0)
        self.woken_by_set = False
        self.waitlist: list[_Fiber] | None = None
        self.timer: ScheduledJob | None = None
        self.thread: threading.Thread | None = None


class ExecutionThreads:
    """The coordinator of moto's interpreter threads (see the module docstring)."""

    def __init__(self, clock: VirtualClock) -> None:
        self._clock = clock
        self._mutex = threading.Lock()
        self._released = threading.Condition(self._mutex)
        self._ready: collections.deque[_Fiber] = collections.deque()
        self._parked: set[_Fiber] = set()
        self._running: _Fiber | None = None
        self._generation = 0
        self._local = threading.local()
        self._execution_end = CoopEvent(self)
        clock.add_settler(self.settle)

    # -- what moto's interpreter uses instead of `threading` and `time` ------------------------
    def Thread(self, group: None = None, target: Callable[..., Any] | None = None,  # noqa: N802
               name: str | None = None, args: tuple = (), kwargs: dict | None = None, *,
               daemon: bool | None = None) -> CoopThread:
        """A thread that runs when its turn comes (mirrors `threading.Thread`)."""
        return CoopThread(self, target, name, args, kwargs or {})

    def Event(self) -> CoopEvent:  # noqa: N802
        """An event whose timed waits pass on the virtual clock (mirrors `threading.Event`)."""
        return CoopEvent(self)

    def Condition(self, lock: Any = None) -> CoopCondition:  # noqa: N802
        """A condition variable for interpreter threads (mirrors `threading.Condition`)."""
        return CoopCondition(self, lock)

    def sleep(self, seconds: float) -> None:
        """Park the calling interpreter thread for `seconds` of virtual time."""
        if seconds > 0:
            self.block([], seconds)

    def time(self) -> float:
        """The virtual time as epoch seconds (what `time.time()` returns to the interpreter)."""
        return self._clock.now().timestamp()

    def execution_ended(self) -> None:
        """An execution reached a final status: wake the `.sync` tasks waiting on executions."""
        self._execution_end.set()
        self._execution_end.clear()

    def await_execution_end(self, seconds: float) -> None:
        """Park until some execution ends, or at most `seconds` of virtual time (a `.sync` poll)."""
        self._execution_end.wait(seconds)

    # -- the driver: the thread that runs API calls and clock jobs ------------------------------
    def settle(self) -> None:
        """Give each ready interpreter thread its turn until every one is finished or parked."""
        if self.current() is not None:
            return
        with self._mutex:
            while True:
                while self._running is not None:
                    self._released.wait()
                if not self._ready:
                    return
                fiber = self._ready.popleft()
                self._running = fiber
                fiber.turn.release()

    def abandon(self) -> None:
        """Unwind every parked or ready thread (the lab is being reset): they exit at once."""
        with self._mutex:
            self._generation += 1
            for fiber in list(self._parked):
                self._unpark(fiber, woken_by_set=False)
        self._clock.run_due()

    # -- parking and waking (used by the primitives below) -------------------------------------
    def current(self) -> _Fiber | None:
        """The interpreter thread running on this thread, or None (the driver)."""
        return getattr(self._local, "fiber", None)

    def block(self, waitlist: list[_Fiber], timeout: float | None) -> bool:
        """Park the calling thread on `waitlist` until woken (True) or `timeout` passes (False)."""
        fiber = self.current()
        if fiber is None:
            raise RuntimeError("The lab cannot wait for a Step Functions execution outside its own "
                               "threads (StartSyncExecution is not supported by moto).")
        if fiber.generation != self._generation:
            raise _Abandoned()
        with self._mutex:
            waitlist.append(fiber)
            fiber.waitlist = waitlist
            self._parked.add(fiber)
        if timeout is not None:
            fiber.timer = self._clock.call_later(
                max(timeout, 0.0), lambda: self._time_out(fiber), label=f"states {fiber.name} wait")
        self._yield_turn(fiber)
        return fiber.woken_by_set

    def wake_all(self, waitlist: list[_Fiber]) -> None:
        """Make every thread parked on `waitlist` ready to run, in the order they parked."""
        with self._mutex:
            for fiber in list(waitlist):
                self._unpark(fiber, woken_by_set=True)

    def _time_out(self, fiber: _Fiber) -> None:
        with self._mutex:
            if fiber in self._parked:
                fiber.timer = None
                self._unpark(fiber, woken_by_set=False)

    def _unpark(self, fiber: _Fiber, woken_by_set: bool) -> None:
        """Move a parked thread to the ready queue (the caller holds the mutex)."""
        if fiber.waitlist is not None and fiber in fiber.waitlist:
            fiber.waitlist.remove(fiber)
        fiber.waitlist = None
        if fiber.timer is not None:
            self._clock.cancel(fiber.timer)
            fiber.timer = None
        self._parked.discard(fiber)
        fiber.woken_by_set = woken_by_set
        self._ready.append(fiber)

    def _yield_turn(self, fiber: _Fiber) -> None:
        with self._mutex:
            self._running = None
            self._released.notify_all()
        fiber.turn.acquire()
        if fiber.generation != self._generation:
            raise _Abandoned()

    def _spawn(self, target: Callable[[], None], name: str) -> _Fiber:
        fiber = _Fiber(self._generation, name)
        fiber.thread = threading.Thread(target=self._run, args=(fiber, target), name=name, daemon=True)
        fiber.thread.start()
        with self._mutex:
            self._ready.append(fiber)
        return fiber

    def _run(self, fiber: _Fiber, target: Callable[[], None]) -> None:
        self._local.fiber = fiber
        fiber.turn.acquire()
        try:
            if fiber.generation == self._generation:
                with bound_trace(fiber.trace):
                    target()
        except _Abandoned:
            pass
        finally:
            with self._mutex:
                self._running = None
                self._released.notify_all()


class CoopEvent:
    """`threading.Event` for interpreter threads: waiting parks, timeouts pass on the clock."""

    def __init__(self, threads: ExecutionThreads) -> None:
        self._threads = threads
        self._flag = False
        self._waiters: list[_Fiber] = []

    def is_set(self) -> bool:
        return self._flag

    def set(self) -> None:
        self._flag = True
        self._threads.wake_all(self._waiters)

    def clear(self) -> None:
        self._flag = False

    def wait(self, timeout: float | None = None) -> bool:
        if self._flag or (timeout is not None and timeout <= 0):
            return self._flag
        return self._threads.block(self._waiters, timeout)


class CoopThread:
    """`threading.Thread` for the interpreter: starts ready to run, joins by parking."""

    def __init__(self, threads: ExecutionThreads, target: Callable[..., Any] | None, name: str | None,
                 args: tuple, kwargs: dict) -> None:
        self._threads = threads
        self._target = target
        self._args, self._kwargs = args, kwargs
        self.name = name or "states-thread"
        self.daemon = True
        self._finished = CoopEvent(threads)
        self._fiber: _Fiber | None = None

    def start(self) -> None:
        if self._fiber is not None:
            raise RuntimeError("threads can only be started once")
        self._fiber = self._threads._spawn(self._run, self.name)

    def _run(self) -> None:
        try:
            if self._target is not None:
                self._target(*self._args, **self._kwargs)
        finally:
            self._finished.set()

    def join(self, timeout: float | None = None) -> None:
        self._finished.wait(timeout)

    def is_alive(self) -> bool:
        return self._fiber is not None and not self._finished.is_set()

    @property
    def native_id(self) -> int | None:
        return self._fiber.thread.native_id if self._fiber and self._fiber.thread else None


class CoopCondition:
    """`threading.Condition` for interpreter threads (the lock is uncontended: one runs at a time)."""

    def __init__(self, threads: ExecutionThreads, lock: Any = None) -> None:
        self._threads = threads
        self._lock = lock or threading.RLock()
        self._waiters: list[_Fiber] = []

    def acquire(self, *args: Any) -> bool:
        return self._lock.acquire(*args)

    def release(self) -> None:
        self._lock.release()

    def __enter__(self) -> bool:
        return self._lock.__enter__()

    def __exit__(self, *exc: Any) -> None:
        self._lock.__exit__(*exc)

    def wait(self, timeout: float | None = None) -> bool:
        self._lock.release()
        try:
            return self._threads.block(self._waiters, timeout)
        finally:
            self._lock.acquire()

    def notify(self, n: int = 1) -> None:
        self._threads.wake_all(self._waiters[:n])

    def notify_all(self) -> None:
        self._threads.wake_all(self._waiters)
