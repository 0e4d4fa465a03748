"""Failure injection: make a function fail, slow down or be throttled without editing its code.

    lab.faults.fail("orders", rate=0.2)      # a fifth of invocations fail (deterministic draws)
    lab.faults.fail("orders", times=3)       # the next three fail
    lab.faults.fail("orders", rate=0.3, seed=7)  # its own draws: the same picks whatever ran before
    lab.faults.slow("orders", seconds=5)     # +5 s of virtual duration (can pass the timeout)
    lab.faults.throttle("orders", times=2)   # the next two invocations are throttled (429)
    with lab.faults.fail("orders"):          # every invocation fails inside the block
        ...
    lab.faults.clear()

An injected failure is raised in place of the handler (which then does not run) and looks to every
caller exactly like an uncaught exception: `FunctionError: Unhandled`, `errorType: InjectedFault`,
so retries, DLQs and Step Functions Catchers react as they would to a real error. An injected
throttle is what reserved concurrency 0 gives: a synchronous Invoke gets TooManyRequestsException
(429); an asynchronous event goes back on the queue and is retried with backoff (aws-semantics.md 1.2).
Which invocations a `rate` picks comes from moto's seeded random generator, so runs repeat exactly;
with `seed`, a fault draws from its own generator, so a scenario re-run in the middle of a session
(a widget) picks the same invocations every time.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from moto.moto_api._internal import mock_random

from ..motoext.awslambda import split_function_name


class InjectedFault(Exception):
    """The error an injected failure raises in place of the handler."""


class Injection(NamedTuple):
    """What the faults decided for one invocation."""

    fail: bool = False
    delay_s: float = 0.0


NO_INJECTION = Injection()


def function_name(name_or_arn: str) -> str:
    """`orders`, `orders:live` and `arn:aws:lambda:...:function:orders[:live]` all name `orders`."""
    return split_function_name(name_or_arn)[0]


@dataclass(eq=False)
class Fault:
    """One injected fault. Remove it with `remove()`, or use it as a context manager."""

    kind: str
    function: str
    rate: float | None = None
    times: int | None = None
    seconds: float = 0.0
    _owner: Faults | None = field(default=None, repr=False)
    seed: int | None = None
    _random: random.Random | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.seed is not None:
            self._random = random.Random(self.seed)

    def fires(self) -> bool:
        """Whether this fault hits the current invocation (consumes one of `times` if so)."""
        draw = self._random.random if self._random is not None else mock_random.random
        if self.rate is not None and draw() >= self.rate:
            return False
        if self.times is not None:
            self.times -= 1
            if self.times <= 0:
                self.remove()
        return True

    def remove(self) -> None:
        """Stop injecting this fault."""
        if self._owner is not None:
            self._owner.remove(self)

    def __enter__(self) -> Fault:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.remove()


class Faults:
    """The faults injected into the lab's functions, consulted once per invocation."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []

    def fail(self, function: str, rate: float | None = None, times: int | None = None,
             seed: int | None = None) -> Fault:
        """Fail a share (`rate`, 0-1) of the function's invocations, the next `times`, or all.

        `seed`: draw the `rate` from this fault's own generator (same picks on every re-run)."""
        return self._add("fail", function, rate, times, seed=seed)

    def slow(self, function: str, seconds: float, rate: float | None = None,
             times: int | None = None, seed: int | None = None) -> Fault:
        """Add `seconds` of virtual duration before the handler runs (past the timeout, it times out)."""
        if seconds <= 0:
            raise ValueError("seconds must be positive")
        return self._add("slow", function, rate, times, seconds, seed)

    def throttle(self, function: str, rate: float | None = None, times: int | None = None,
                 seed: int | None = None) -> Fault:
        """Throttle invocations as reserved concurrency 0 does (429; async events are retried)."""
        return self._add("throttle", function, rate, times, seed=seed)

    def clear(self, function: str | None = None) -> None:
        """Remove every fault (or every fault of one function)."""
        if function is None:
            self._faults.clear()
        else:
            self._faults = [f for f in self._faults if f.function != function_name(function)]

    def remove(self, fault: Fault) -> None:
        """Remove one fault (no error if it is already gone)."""
        if fault in self._faults:
            self._faults.remove(fault)

    @property
    def active(self) -> list[Fault]:
        """The faults in force, oldest first."""
        return list(self._faults)

    # -- what the runtime asks ---------------------------------------------------------------
    def draw(self, function: str) -> Injection:
        """Decide whether this invocation of `function` fails and how much slower it runs."""
        if not self._faults:
            return NO_INJECTION
        fail, delay = False, 0.0
        for fault in self._matching(function, ("fail", "slow")):
            if fault.fires():
                fail = fail or fault.kind == "fail"
                delay += fault.seconds
        return Injection(fail, delay)

    def take_throttle(self, function: str) -> bool:
        """Whether this invocation of `function` is throttled by an injected fault."""
        if not self._faults:
            return False
        return any([f.fires() for f in self._matching(function, ("throttle",))])

    def _matching(self, function: str, kinds: tuple[str, ...]) -> list[Fault]:
        return [f for f in self._faults if f.kind in kinds and f.function == function]

    def _add(self, kind: str, function: str, rate: float | None, times: int | None,
             seconds: float = 0.0, seed: int | None = None) -> Fault:
        if rate is not None and not 0 <= rate <= 1:
            raise ValueError("rate is a share of invocations, from 0 to 1")
        if times is not None and times < 1:
            raise ValueError("times must be at least 1")
        fault = Fault(kind, function_name(function), rate, times, seconds, self, seed)
        self._faults.append(fault)
        return fault

    def __repr__(self) -> str:
        if not self._faults:
            return "<Faults: none injected>"
        return "<Faults:\n  " + "\n  ".join(map(repr, self._faults)) + ">"
