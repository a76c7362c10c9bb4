"""The working-day calendar and Civil Code deadline counting (pure: data is handed in)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
DEFAULT_CLOSE = time(17, 30)


@dataclass(frozen=True)
class YearSchedule:
    """One year's statutory holidays and 调休 make-up working days."""

    year: int
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()  # 调休: weekend days that are working days
    source: str = ""

    def __post_init__(self) -> None:
        stray = [d for d in self.holidays | self.workdays if d.year != self.year]
        if stray:
            msg = f"dates outside year {self.year}: {sorted(stray)[:3]}"
            raise ValueError(msg)
        both = self.holidays & self.workdays
        if both:
            msg = f"dates both holiday and workday: {sorted(both)[:3]}"
            raise ValueError(msg)


@dataclass(frozen=True)
class Deadline:
    """A due instant; provisional when a year it crossed had no schedule (Monday–Friday assumed)."""

    due_at: datetime
    provisional: bool = False


@dataclass(frozen=True)
class WorkingCalendar:
    """Working days from per-year schedules; years without data fall back to Monday–Friday."""

    schedules: Mapping[int, YearSchedule] = field(default_factory=dict)
    close_of_business: time = DEFAULT_CLOSE
    zone: ZoneInfo = SHANGHAI

    def has_year(self, year: int) -> bool:
        """Whether a schedule for ``year`` is loaded."""
        return year in self.schedules

    def is_working_day(self, day: date) -> bool:
        """Monday–Friday that is not a holiday, or a 调休 workday."""
        schedule = self.schedules.get(day.year)
        if schedule is not None:
            if day in schedule.workdays:
                return True
            if day in schedule.holidays:
                return False
        return day.weekday() < 5

    def close_on(self, day: date) -> datetime:
        """The close of business on ``day`` in the calendar's zone."""
        return datetime.combine(day, self.close_of_business, tzinfo=self.zone)

    def local_day(self, instant: datetime) -> date:
        """The calendar date of ``instant`` in the calendar's zone."""
        if instant.tzinfo is None:
            msg = "instant must carry a UTC offset"
            raise ValueError(msg)
        return instant.astimezone(self.zone).date()

    def add_working_days(self, start: datetime, working_days: int) -> Deadline:
        """Civil Code counting: the start day is not counted; due at close of the Nth working day.

        ``working_days == 0`` means "the same working day": close of business of the day of
        ``start`` if that is a working day and ``start`` is before close, else of the next one.
        """
        if working_days < 0:
            msg = "working_days must be >= 0"
            raise ValueError(msg)
        day = self.local_day(start)
        provisional = not self.has_year(day.year)
        if working_days == 0:
            local = start.astimezone(self.zone)
            if self.is_working_day(day) and local.timetz().replace(tzinfo=None) < self.close_of_business:
                return Deadline(self.close_on(day), provisional)
            working_days = 1
        counted = 0
        while counted < working_days:
            day += timedelta(days=1)
            provisional = provisional or not self.has_year(day.year)
            if self.is_working_day(day):
                counted += 1
        return Deadline(self.close_on(day), provisional)

    def working_seconds_between(self, start: datetime, end: datetime, opening: time = time(9)) -> int:
        """Whole working seconds (opening..close on working days) from ``start`` to ``end``."""
        return round(self.working_hours_between(start, end, opening) * 3600)

    def add_working_time(self, start: datetime, seconds: int, opening: time = time(9)) -> Deadline:
        """``start`` moved forward by ``seconds`` of working time (opening..close on working days).

        Used to move a deadline by the working time its clock was paused: a due instant at close of
        business moved by one full working day (opening to close) lands at close of the next working day.
        """
        if seconds < 0:
            msg = "seconds must be >= 0"
            raise ValueError(msg)
        day = self.local_day(start)
        provisional = not self.has_year(day.year)
        at = start.astimezone(self.zone)
        remaining = timedelta(seconds=seconds)
        if not remaining:
            return Deadline(start, provisional)
        while True:
            provisional = provisional or not self.has_year(day.year)
            if self.is_working_day(day):
                open_at = datetime.combine(day, opening, tzinfo=self.zone)
                close_at = self.close_on(day)
                lo = max(open_at, at)
                if lo < close_at:
                    available = close_at - lo
                    if remaining <= available:
                        return Deadline(lo + remaining, provisional)
                    remaining -= available
            day += timedelta(days=1)
            at = datetime.combine(day, time(0), tzinfo=self.zone)

    def working_hours_between(self, start: datetime, end: datetime, opening: time = time(9)) -> float:
        """Working hours (opening..close on working days) elapsed from ``start`` to ``end``."""
        if end <= start:
            return 0.0
        total = 0.0
        day = self.local_day(start)
        last = self.local_day(end)
        while day <= last:
            if self.is_working_day(day):
                open_at = datetime.combine(day, opening, tzinfo=self.zone)
                lo = max(open_at, start)
                hi = min(self.close_on(day), end)
                if hi > lo:
                    total += (hi - lo).total_seconds() / 3600
            day += timedelta(days=1)
        return total
