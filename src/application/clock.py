"""The injected clock: the only place the wall clock is read."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Gives the current instant, always timezone-aware."""

    def now(self) -> datetime:
        """The current instant."""
        ...


class SystemClock:
    """The wall clock, in UTC."""

    def now(self) -> datetime:
        """The current instant."""
        return datetime.now(UTC)


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
