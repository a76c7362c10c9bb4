"""The clocks: YOUSU_FIXED_CLOCK's starts at its instant and runs on; the settable one stands still until moved."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from application.clock import SettableClock, StartedClock

CST = timezone(timedelta(hours=8))
START = datetime(2025, 10, 20, 9, 0, tzinfo=CST)


class Ticks:
    """A monotonic counter the test moves by hand."""

    def __init__(self) -> None:
        self.seconds = 1000.0

    def __call__(self) -> float:
        return self.seconds


def test_the_started_clock_begins_at_its_instant_and_advances_with_real_time() -> None:
    ticks = Ticks()
    clock = StartedClock(START, elapsed=ticks)
    assert clock.now() == START
    ticks.seconds += 90.5
    assert clock.now() == START + timedelta(seconds=90.5)
    ticks.seconds += 3600
    assert clock.now() == datetime(2025, 10, 20, 10, 1, 30, 500_000, tzinfo=CST)


def test_the_started_clock_runs_on_the_real_monotonic_counter_by_default() -> None:
    clock = StartedClock(START)
    first = clock.now()
    later = clock.now()
    assert START <= first <= later < START + timedelta(minutes=1)


def test_the_started_clock_needs_an_offset() -> None:
    with pytest.raises(ValueError, match="UTC offset"):
        StartedClock(datetime(2025, 10, 20, 9, 0))  # noqa: DTZ001 — the naive instant refused


def test_the_settable_clock_stands_still_until_moved() -> None:
    clock = SettableClock(datetime(2025, 10, 20, 1, 0, tzinfo=UTC))
    assert clock.now() == clock.now() == datetime(2025, 10, 20, 1, 0, tzinfo=UTC)
    assert clock.advance(timedelta(minutes=5)) == datetime(2025, 10, 20, 1, 5, tzinfo=UTC)
