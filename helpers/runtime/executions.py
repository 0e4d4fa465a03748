"""Step Functions executions as continuations on the virtual clock, one running at a time.

moto's interpreter runs each execution, Parallel branch, Map iteration and Task attempt in a
thread of its own. The moto extension hands it the cooperative `Thread`, `Event`, `Condition`,
`sleep` and `time` defined here (`ExecutionThreads` is its coordinator). Each of those "threads" is
a *greenlet*: a suspended call stack on the thread that drives the lab, not an operating-system
thread. So that:

- only one runs at a time, in the order they became ready (FIFO), which makes every timeline the
  same on every run;
- a "thread" that waits (a Wait state, a Retry interval, a task token, a child execution) is
  suspended and, if its wait has a timeout, becomes a job on the virtual clock: an hour passes when
  the learner advances the clock by an hour, in no real time, and a thousand waiting executions are
  a thousand clock jobs and suspended stacks, with no thread parked for any of them;
- the clock settles them (`settle`) before each job and after the last, so an API call, a clock
  job or `lab.advance(...)` returns only once every execution is finished or waiting.

Each greenlet keeps its own copy of the lab's thread-local state (the flow's trace header, the
API-call depth, the Lambda invocation in progress), swapped in when it resumes and out when it
waits, so it sees what a thread of its own would.
"""
from __future__ import annotations

import collections
import logging
import threading
from typing import Any, Callable

import greenlet

from ..motoext import core
from . import lambda_runtime
from .clock import ScheduledJob, VirtualClock

#: The thread-local state a greenlet keeps for itself, as a thread would.
_THREAD_LOCALS = (core._local, lambda_runtime._local)
_log = logging.getLogger(__name__)


class _Abandoned(BaseException):
    """Unwinds an execution the lab was reset under (not an `Exception`: moto's handlers must not
    catch it)."""


def _swap_locals(states: list[dict]) -> list[dict]:
    """Install `states` as the thread-local state; return the state they replace."""
    previous = []
    for local, state in zip(_THREAD_LOCALS, states):
        previous.append(dict(local.__dict__))
        local.__dict__.clear()
        local.__dict__.update(state)
    return previous


class _Fiber:
    """One interpreter "thread": its greenlet (made when it first runs), and what woke it."""

    def __init__(self, generation: int, name: str, target: Callable[[], None]) -> None:
        self.generation = generation
        self.name = name
        self.target = target
        self.trace = core.current_trace()
        self.locals: list[dict] = [{} for _ in _THREAD_LOCALS]
        self.glet: greenlet.greenlet | None = None
        self.driver: greenlet.greenlet | None = None
        self.woken_by_set = False
        self.waitlist: list[_Fiber] | None = None
        self.timer: ScheduledJob | None = None


class ExecutionThreads:
    """The coordinator of moto's interpreter "threads" (see the module docstring)."""

    def __init__(self, clock: VirtualClock) -> None:
        self._clock = clock
        self._ready: collections.deque[_Fiber] = collections.deque()
        self._parked: set[_Fiber] = set()
        self._generation = 0
        self._execution_end = CoopEvent(self)
        clock.add_settler(self.settle)

    # -- what moto's interpreter uses instead of `threading` and `time` ------------------------
    def Thread(self, group: None = None, target: Callable[..., Any] | None = None,  # noqa: N802
               name: str | None = None, args: tuple = (), kwargs: dict | None = None, *,
               daemon: bool | None = None) -> CoopThread:
        """A "thread" that runs when its turn comes (mirrors `threading.Thread`)."""
        return CoopThread(self, target, name, args, kwargs or {})

    def Event(self) -> CoopEvent:  # noqa: N802
        """An event whose timed waits pass on the virtual clock (mirrors `threading.Event`)."""
        return CoopEvent(self)

    def Condition(self, lock: Any = None) -> CoopCondition:  # noqa: N802
        """A condition variable for interpreter "threads" (mirrors `threading.Condition`)."""
        return CoopCondition(self, lock)

    def sleep(self, seconds: float) -> None:
        """Suspend the calling interpreter "thread" for `seconds` of virtual time."""
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
        """Wait until some execution ends, or at most `seconds` of virtual time (a `.sync` poll)."""
        self._execution_end.wait(seconds)

    # -- the driver: the caller of API calls and clock jobs -------------------------------------
    def settle(self) -> None:
        """Give each ready interpreter "thread" its turn until every one is finished or waiting."""
        if self.current() is not None:
            return
        while self._ready:
            self._resume(self._ready.popleft())

    def abandon(self) -> None:
        """Unwind every waiting or ready execution (the lab is being reset): they end at once."""
        self._generation += 1
        for fiber in list(self._parked):
            self._unpark(fiber, woken_by_set=False)
        self._clock.run_due()

    @property
    def waiting(self) -> int:
        """How many interpreter "threads" are suspended on a wait."""
        return len(self._parked)

    # -- suspending and waking (used by the primitives below) ----------------------------------
    def current(self) -> _Fiber | None:
        """The interpreter "thread" running now, or None (the driver)."""
        return getattr(greenlet.getcurrent(), "lab_fiber", None)

    def block(self, waitlist: list[_Fiber], timeout: float | None) -> bool:
        """Suspend the caller on `waitlist` until woken (True) or `timeout` passes (False)."""
        fiber = self.current()
        if fiber is None:
            raise RuntimeError("The lab cannot wait for a Step Functions execution outside its own "
                               "executions (StartSyncExecution is not supported by moto).")
        if fiber.generation != self._generation:
            raise _Abandoned()
        waitlist.append(fiber)
        fiber.waitlist = waitlist
        self._parked.add(fiber)
        if timeout is not None:
            fiber.timer = self._clock.call_later(
                max(timeout, 0.0), lambda: self._time_out(fiber), label=f"states {fiber.name} wait")
        fiber.driver.switch()
        if fiber.generation != self._generation:
            raise _Abandoned()
        return fiber.woken_by_set

    def wake_all(self, waitlist: list[_Fiber]) -> None:
        """Make every "thread" waiting on `waitlist` ready to run, in the order they began waiting."""
        for fiber in list(waitlist):
            self._unpark(fiber, woken_by_set=True)

    def _time_out(self, fiber: _Fiber) -> None:
        if fiber in self._parked:
            fiber.timer = None
            self._unpark(fiber, woken_by_set=False)

    def _unpark(self, fiber: _Fiber, woken_by_set: bool) -> None:
        if fiber.waitlist is not None and fiber in fiber.waitlist:
            fiber.waitlist.remove(fiber)
        fiber.waitlist = None
        if fiber.timer is not None:
            self._clock.cancel(fiber.timer)
            fiber.timer = None
        self._parked.discard(fiber)
        fiber.woken_by_set = woken_by_set
        self._ready.append(fiber)

    def _spawn(self, target: Callable[[], None], name: str) -> _Fiber:
        fiber = _Fiber(self._generation, name, target)
        self._ready.append(fiber)
        return fiber

    def _resume(self, fiber: _Fiber) -> None:
        """Run `fiber` until it finishes or waits, with its own thread-local state."""
        driver = greenlet.getcurrent()
        if fiber.glet is None:
            fiber.glet = greenlet.greenlet(lambda: self._run(fiber), parent=driver)
            fiber.glet.lab_fiber = fiber
        elif fiber.glet.dead:
            return
        else:
            fiber.glet.parent = driver
        fiber.driver = driver
        driver_locals = _swap_locals(fiber.locals)
        try:
            fiber.glet.switch()
        finally:
            fiber.locals = _swap_locals(driver_locals)

    def _run(self, fiber: _Fiber) -> None:
        if fiber.generation != self._generation:
            return
        try:
            with core.bound_trace(fiber.trace):
                fiber.target()
        except _Abandoned:
            pass
        except Exception:  # a thread's uncaught error ends the thread, not the caller's API call
            _log.exception("Step Functions interpreter %s failed", fiber.name)


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
    """`threading.Thread` for the interpreter: starts ready to run, joins by waiting."""

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
    def native_id(self) -> None:
        """No operating-system thread runs it (moto only logs this)."""
        return None


class CoopCondition:
    """`threading.Condition` for interpreter "threads" (the lock is uncontended: one runs at a time)."""

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
