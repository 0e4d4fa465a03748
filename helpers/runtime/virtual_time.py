"""Inside an execution environment, every clock a handler can read is the lab's virtual clock.

Installed once in each environment's own process (never in the notebook's): `time.time`,
`time.time_ns`, `time.monotonic`, `time.perf_counter` (and their `_ns` forms), `time.gmtime`,
`time.localtime`, `time.ctime`, `time.strftime` without an explicit time, `datetime.datetime.now`,
`datetime.datetime.utcnow`, `datetime.datetime.today` and `datetime.date.today` all read the same
virtual instant, which moves only with the modeled work and waits of the invocation. `time.sleep`
passes virtually. The process's time zone is UTC, as in Lambda (`TZ=:UTC`).
"""
from __future__ import annotations

import ctypes
import datetime as dt
import gc
import os
import time
from typing import Any, Callable

#: Monotonic clocks start at an arbitrary point; here, this many seconds before the lab's epoch.
_MONOTONIC_OFFSET_S = 1000.0


def _type_dict(cls: type) -> dict[str, Any]:
    """The writable dict behind a built-in type's read-only `__dict__` (CPython)."""
    return gc.get_referents(cls.__dict__)[0]


def _set_classmethod(cls: type, name: str, function: Callable[..., Any]) -> None:
    _type_dict(cls)[name] = classmethod(function)
    ctypes.pythonapi.PyType_Modified(ctypes.py_object(cls))


def install(now_s: Callable[[], float], sleep: Callable[[float], None], epoch_s: float) -> None:
    """Point every clock of this process at `now_s()` (virtual POSIX seconds) and `sleep`.

    `epoch_s` is where the lab's clock started; monotonic clocks count from shortly before it.
    """
    os.environ["TZ"] = ":UTC"
    time.tzset()
    real_gmtime, real_localtime, real_ctime, real_strftime = (time.gmtime, time.localtime, time.ctime,
                                                               time.strftime)

    def monotonic() -> float:
        return now_s() - epoch_s + _MONOTONIC_OFFSET_S

    time.time = now_s
    time.time_ns = lambda: int(now_s() * 1e9)
    time.monotonic = time.perf_counter = monotonic
    time.monotonic_ns = time.perf_counter_ns = lambda: int(monotonic() * 1e9)
    time.sleep = sleep
    time.gmtime = lambda secs=None: real_gmtime(now_s() if secs is None else secs)
    time.localtime = lambda secs=None: real_localtime(now_s() if secs is None else secs)
    time.ctime = lambda secs=None: real_ctime(now_s() if secs is None else secs)
    time.strftime = lambda fmt, t=None: real_strftime(fmt, real_localtime(now_s()) if t is None else t)

    def now(cls: type, tz: dt.tzinfo | None = None) -> dt.datetime:
        return cls.fromtimestamp(now_s(), tz)

    def utcnow(cls: type) -> dt.datetime:
        return cls.fromtimestamp(now_s(), dt.timezone.utc).replace(tzinfo=None)

    def today(cls: type) -> Any:
        return cls.fromtimestamp(now_s())

    _set_classmethod(dt.datetime, "now", now)
    _set_classmethod(dt.datetime, "utcnow", utcnow)
    _set_classmethod(dt.datetime, "today", today)
    _set_classmethod(dt.date, "today", today)
