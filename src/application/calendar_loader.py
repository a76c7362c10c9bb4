"""Loads year schedules: `chinesecalendar` for the years it covers, `ops/calendar/*.toml` for later ones."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from datetime import date, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import chinese_calendar

from domain.calendar import DEFAULT_CLOSE, SHANGHAI, WorkingCalendar, YearSchedule


class CalendarFileError(ValueError):
    """A calendar file is malformed; the message names the file and the entry."""


def package_schedules() -> dict[int, YearSchedule]:
    """Every year the installed `chinesecalendar` knows, with its holidays and 调休 workdays."""
    holidays: dict[int, set[date]] = {}
    workdays: dict[int, set[date]] = {}
    for d in chinese_calendar.constants.holidays:
        holidays.setdefault(d.year, set()).add(d)
    for d in chinese_calendar.constants.workdays:
        workdays.setdefault(d.year, set()).add(d)
    source = f"chinesecalendar {getattr(chinese_calendar, '__version__', '')}".strip()
    return {
        year: YearSchedule(
            year=year,
            holidays=frozenset(holidays.get(year, ())),
            workdays=frozenset(workdays.get(year, ())),
            source=source,
        )
        for year in sorted(set(holidays) | set(workdays))
    }


def _dates(path: Path, key: str, entries: Iterable[Any]) -> set[date]:
    out: set[date] = set()
    for i, entry in enumerate(entries):
        try:
            if isinstance(entry, str | date):
                out.add(entry if isinstance(entry, date) else date.fromisoformat(entry))
            elif isinstance(entry, dict):
                start = _as_date(entry["from"])
                end = _as_date(entry.get("to", entry["from"]))
                if end < start:
                    msg = "'to' is before 'from'"
                    raise ValueError(msg)
                out.update(start + timedelta(days=n) for n in range((end - start).days + 1))
            else:
                msg = f"unexpected {type(entry).__name__}"
                raise TypeError(msg)
        except (KeyError, TypeError, ValueError) as exc:
            msg = f"{path}: {key}[{i}]: {exc}"
            raise CalendarFileError(msg) from exc
    return out


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def load_schedule_file(path: Path) -> YearSchedule:
    """Read one ``ops/calendar/<year>.toml`` (format: ops/calendar/README.md)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        msg = f"{path}: {exc}"
        raise CalendarFileError(msg) from exc
    year = data.get("year")
    if not isinstance(year, int):
        msg = f"{path}: 'year' must be an integer"
        raise CalendarFileError(msg)
    try:
        return YearSchedule(
            year=year,
            holidays=frozenset(_dates(path, "holidays", data.get("holidays", []))),
            workdays=frozenset(_dates(path, "workdays", data.get("workdays", []))),
            source=str(data.get("source", path.name)),
        )
    except ValueError as exc:
        if isinstance(exc, CalendarFileError):
            raise
        msg = f"{path}: {exc}"
        raise CalendarFileError(msg) from exc


def load_calendar(
    directory: Path | None = None,
    *,
    close_of_business: time = DEFAULT_CLOSE,
    zone: ZoneInfo = SHANGHAI,
) -> WorkingCalendar:
    """The package's years, then every ``*.toml`` under ``directory`` (a file wins over the package)."""
    schedules = package_schedules()
    if directory is not None and directory.is_dir():
        for path in sorted(directory.glob("*.toml")):
            schedule = load_schedule_file(path)
            schedules[schedule.year] = schedule
    return WorkingCalendar(schedules=schedules, close_of_business=close_of_business, zone=zone)
