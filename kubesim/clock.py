"""Time for kubesim: a real clock, and a fake one tests move by hand.

Everything in kubesim that reads the time (timestamps, deletion deadlines,
lease expiry, stage delays, bookmark timers, event TTLs) reads it from a
`Clock`, so tests can run hours of cluster time in milliseconds.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache


class Clock:
    """Wall-clock time plus timers on the running asyncio loop."""

    def now(self) -> float:
        return time.time()

    def call_later(self, delay: float, callback: Callable[[], None]) -> Timer:
        handle = asyncio.get_running_loop().call_later(max(0.0, delay), callback)
        return Timer(handle.cancel)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


class Timer:
    def __init__(self, cancel: Callable[[], None]) -> None:
        self.cancel = cancel


class FakeClock(Clock):
    """A clock that only moves when `advance()` is called.

    Timers fire in deadline order inside `advance()`; `sleep()` waits for the
    clock to reach its deadline.
    """

    def __init__(self, start: float = 1_750_000_000.0) -> None:
        self._now = start
        self._timers: list[tuple[float, int, Callable[[], None]]] = []
        self._seq = itertools.count()
        self._cancelled: set[int] = set()

    def now(self) -> float:
        return self._now

    def call_later(self, delay: float, callback: Callable[[], None]) -> Timer:
        seq = next(self._seq)
        heapq.heappush(self._timers, (self._now + max(0.0, delay), seq, callback))
        return Timer(lambda: self._cancelled.add(seq))

    async def sleep(self, seconds: float) -> None:
        done = asyncio.get_running_loop().create_future()

        def wake() -> None:
            if not done.done():
                done.set_result(None)

        self.call_later(seconds, wake)
        await done

    def advance(self, seconds: float) -> None:
        """Move time forward, firing every timer that falls due, in order."""
        target = self._now + seconds
        while self._timers and self._timers[0][0] <= target:
            deadline, seq, callback = heapq.heappop(self._timers)
            self._now = max(self._now, deadline)
            if seq in self._cancelled:
                self._cancelled.discard(seq)
                continue
            callback()
        self._now = target


def rfc3339(ts: float) -> str:
    """Second-precision RFC 3339 in UTC, as metav1.Time serialises."""
    return _rfc3339_second(int(ts))


@lru_cache(maxsize=256)
def _rfc3339_second(second: int) -> str:
    # One string per second, shared by every object stamped in that second.
    return datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def rfc3339_micro(ts: float) -> str:
    """Microsecond-precision RFC 3339, as metav1.MicroTime serialises."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(value: str) -> float:
    """Parse a Time or MicroTime string back to epoch seconds."""
    text = value.replace("Z", "+00:00")
    return datetime.fromisoformat(text).timestamp()
