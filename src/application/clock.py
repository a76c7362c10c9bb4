"""The injected clock: the only place the wall clock is read."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Gives the current instant, always timezone-aware."""

    def now(self) -> datetime:
        """The current instant."""
        ...


def stopwatch() -> float:
    """Seconds on the monotonic performance counter: how long something took, never an instant of business time."""
    return time.perf_counter()


class SystemClock:
    """The wall clock, in UTC."""

    def now(self) -> datetime:
        """The current instant."""
        return datetime.now(UTC)


class StartedClock:
    """A clock that starts at a given instant and then runs with real time (``YOUSU_FIXED_CLOCK``: drills, e2e runs).

    Set back or ahead once, it still advances: retries fall due, deadlines pass, tokens age, as under the wall
    clock. ``elapsed`` is the monotonic counter it measures the running time with (tests pass their own).
    """

    def __init__(self, start: datetime, *, elapsed: Callable[[], float] = time.monotonic) -> None:
        if start.tzinfo is None:
            msg = "start must carry a UTC offset"
            raise ValueError(msg)
        self.start = start
        self._elapsed = elapsed
        self._origin = elapsed()

    def now(self) -> datetime:
        """The start instant plus the time run since the clock was made."""
        return self.start + timedelta(seconds=self._elapsed() - self._origin)


class SettableClock:
    """A clock that stands still until moved (tests, e2e runs with an injected clock)."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            msg = "start must carry a UTC offset"
            raise ValueError(msg)
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """The current (set) instant."""
        with self._lock:
            return self._now

    def set(self, instant: datetime) -> None:
        """Move the clock to ``instant``."""
        if instant.tzinfo is None:
            msg = "instant must carry a UTC offset"
            raise ValueError(msg)
        with self._lock:
            self._now = instant

    def advance(self, delta: timedelta) -> datetime:
        """Move the clock forward by ``delta``."""
        with self._lock:
            self._now += delta
            return self._now
