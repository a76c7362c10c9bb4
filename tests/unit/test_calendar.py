"""The working-day calendar, the deadline rules, the calendar-file loader and `yousu calendar due`."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from application.calendar_loader import (
    CalendarFileError,
    load_calendar,
    load_schedule_file,
    package_schedules,
)
from domain.calendar import SHANGHAI, Deadline, WorkingCalendar, YearSchedule
from domain.rules import DEFAULT_RESOLUTION_LIMITS, ClockKind, Limits, deadline_for
from domain.values import Classification
from yousu.cli import app as cli_app

REPO = Path(__file__).resolve().parents[2]
OPS_CALENDAR = REPO / "ops" / "calendar"
CST = timezone(timedelta(hours=8))
NEW_YORK_WINTER = timezone(timedelta(hours=-5))
CLOSE = time(17, 30)

# The shipped calendar once for the hypothesis properties (same as the `calendar` fixture).
SHIPPED = load_calendar(OPS_CALENDAR)


def at(y: int, m: int, d: int, hh: int = 10, mm: int = 0, tz: timezone = CST) -> datetime:
    """An aware instant, Beijing time by default."""
    return datetime(y, m, d, hh, mm, tzinfo=tz)


def close_on(y: int, m: int, d: int) -> datetime:
    """17:30 Beijing time on that day."""
    return datetime(y, m, d, 17, 30, tzinfo=CST)


# ---------------------------------------------------------------------------------------- pinned examples

COUNTING = [
    # (id, start, working days, due, provisional)
    ("fri-plus-1-is-tiaoxiu-sunday", at(2025, 9, 26), 1, close_on(2025, 9, 28), False),
    ("fri-plus-2-is-monday", at(2025, 9, 26), 2, close_on(2025, 9, 29), False),
    ("fri-plus-3-is-last-day-before-national-day", at(2025, 9, 26), 3, close_on(2025, 9, 30), False),
    ("national-day-10-01-to-10-08-skipped", at(2025, 9, 26), 4, close_on(2025, 10, 9), False),
    ("hard-to-do-5-from-fri", at(2025, 9, 26), 5, close_on(2025, 10, 10), False),
    ("saturday-10-11-is-tiaoxiu", at(2025, 9, 26), 6, close_on(2025, 10, 11), False),
    ("start-on-eve-of-holiday", at(2025, 9, 30), 1, close_on(2025, 10, 9), False),
    ("start-inside-holiday", at(2025, 10, 3), 1, close_on(2025, 10, 9), False),
    ("start-before-opening-day-not-counted", at(2025, 9, 22, 7, 0), 1, close_on(2025, 9, 23), False),
    ("start-after-close-friday", at(2025, 9, 19, 20, 0), 1, close_on(2025, 9, 22), False),
    ("start-saturday", at(2025, 9, 20), 1, close_on(2025, 9, 22), False),
    ("spring-festival-tiaoxiu-sunday-01-26", at(2025, 1, 24), 1, close_on(2025, 1, 26), False),
    ("spring-festival-01-28-to-02-04-skipped", at(2025, 1, 24), 3, close_on(2025, 2, 5), False),
    ("utc-input-same-instant", datetime(2025, 9, 26, 2, 0, tzinfo=UTC), 1, close_on(2025, 9, 28), False),
    # 2025-09-25 20:00 UTC is already Friday 04:00 in Beijing: the local day decides.
    ("utc-input-next-local-day", datetime(2025, 9, 25, 20, 0, tzinfo=UTC), 1, close_on(2025, 9, 28), False),
    ("last-known-year", at(2026, 12, 29), 2, close_on(2026, 12, 31), False),
    ("count-runs-into-2027", at(2026, 12, 30), 3, close_on(2027, 1, 4), True),
    ("start-in-2027", at(2027, 3, 1), 1, close_on(2027, 3, 2), True),
    ("far-future-friday", at(2031, 5, 9), 1, close_on(2031, 5, 12), True),
]

SAME_DAY = [
    # N = 0: close of business of the day itself when before close on a working day, else the next one.
    ("working-day-before-close", at(2025, 9, 26, 10, 0), close_on(2025, 9, 26)),
    ("one-minute-before-close", at(2025, 9, 26, 17, 29), close_on(2025, 9, 26)),
    ("exactly-at-close", at(2025, 9, 26, 17, 30), close_on(2025, 9, 28)),
    ("after-close", at(2025, 9, 26, 19, 0), close_on(2025, 9, 28)),
    ("saturday-next-is-tiaoxiu-sunday", at(2025, 9, 27, 10, 0), close_on(2025, 9, 28)),
    ("tiaoxiu-sunday-itself", at(2025, 9, 28, 9, 0), close_on(2025, 9, 28)),
    ("holiday", at(2025, 10, 1, 10, 0), close_on(2025, 10, 9)),
    ("early-morning", at(2025, 9, 22, 0, 5), close_on(2025, 9, 22)),
]


@pytest.mark.parametrize(
    ("start", "working_days", "due", "provisional"),
    [case[1:] for case in COUNTING],
    ids=[case[0] for case in COUNTING],
)
def test_add_working_days_pinned(
    calendar: WorkingCalendar, start: datetime, working_days: int, due: datetime, provisional: bool
) -> None:
    deadline = calendar.add_working_days(start, working_days)
    assert deadline == Deadline(due, provisional)
    assert deadline.due_at.isoformat().endswith("T17:30:00+08:00")


def test_issue_example_prints_with_offset(calendar: WorkingCalendar) -> None:
    deadline = calendar.add_working_days(datetime.fromisoformat("2025-09-26T10:00+08:00"), 1)
    assert deadline.due_at.isoformat() == "2025-09-28T17:30:00+08:00"
    assert not deadline.provisional


@pytest.mark.parametrize(("start", "due"), [case[1:] for case in SAME_DAY], ids=[case[0] for case in SAME_DAY])
def test_zero_working_days_means_the_same_working_day(
    calendar: WorkingCalendar, start: datetime, due: datetime
) -> None:
    assert calendar.add_working_days(start, 0) == Deadline(due, provisional=False)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2025, 9, 26), True),  # Friday
        (date(2025, 9, 27), False),  # Saturday
        (date(2025, 9, 28), True),  # Sunday, 调休
        (date(2025, 10, 1), False),  # National Day
        (date(2025, 10, 6), False),  # Monday inside the holiday
        (date(2025, 10, 8), False),  # Wednesday, last day of the holiday
        (date(2025, 10, 9), True),
        (date(2025, 10, 11), True),  # Saturday, 调休
        (date(2025, 1, 1), False),  # New Year
        (date(2025, 5, 1), False),  # Labour Day
        (date(2027, 10, 1), True),  # no 2027 data: a plain Friday
        (date(2027, 10, 2), False),  # no 2027 data: a plain Saturday
    ],
)
def test_is_working_day(calendar: WorkingCalendar, day: date, working: bool) -> None:
    assert calendar.is_working_day(day) is working


def test_national_day_2025_is_skipped_entirely(calendar: WorkingCalendar) -> None:
    for offset in range(8):
        assert not calendar.is_working_day(date(2025, 10, 1) + timedelta(days=offset))


def test_has_year_covers_package_years_only(calendar: WorkingCalendar) -> None:
    assert calendar.has_year(2004)
    assert calendar.has_year(2026)
    assert not calendar.has_year(2027)


def test_negative_working_days_refused(calendar: WorkingCalendar) -> None:
    with pytest.raises(ValueError, match=">= 0"):
        calendar.add_working_days(at(2025, 9, 26), -1)


def test_naive_instant_refused(calendar: WorkingCalendar) -> None:
    naive = datetime(2025, 9, 26, 10, 0)  # noqa: DTZ001 — the point of the test
    with pytest.raises(ValueError, match="offset"):
        calendar.add_working_days(naive, 1)


def test_empty_calendar_is_monday_to_friday_and_provisional() -> None:
    empty = WorkingCalendar()
    deadline = empty.add_working_days(at(2025, 9, 26), 1)
    # Without data the 调休 Sunday is unknown: Monday, marked provisional.
    assert deadline == Deadline(close_on(2025, 9, 29), provisional=True)
    assert empty.is_working_day(date(2025, 10, 1))  # the holiday is unknown too


def test_close_of_business_and_zone_are_configurable() -> None:
    utc_calendar = WorkingCalendar(close_of_business=time(18, 0), zone=ZoneInfo("UTC"))
    deadline = utc_calendar.add_working_days(datetime(2025, 9, 26, 23, 0, tzinfo=UTC), 1)
    assert deadline.due_at == datetime(2025, 9, 29, 18, 0, tzinfo=UTC)
    assert deadline.due_at.utcoffset() == timedelta(0)


def test_year_schedule_rejects_stray_and_conflicting_dates() -> None:
    with pytest.raises(ValueError, match="outside year 2027"):
        YearSchedule(year=2027, holidays=frozenset({date(2026, 12, 31)}))
    with pytest.raises(ValueError, match="both holiday and workday"):
        YearSchedule(year=2027, holidays=frozenset({date(2027, 2, 6)}), workdays=frozenset({date(2027, 2, 6)}))


def test_working_hours_between(calendar: WorkingCalendar) -> None:
    # Friday 10:00 → Sunday (调休) 12:00: 7.5 h Friday, nothing Saturday, 3 h Sunday.
    assert calendar.working_hours_between(at(2025, 9, 26, 10), at(2025, 9, 28, 12)) == pytest.approx(10.5)
    assert calendar.working_hours_between(at(2025, 9, 28, 12), at(2025, 9, 26, 10)) == 0.0


# ---------------------------------------------------------------------------------------- properties

INSTANTS = st.datetimes(
    min_value=datetime(2004, 1, 2),  # noqa: DTZ001 — hypothesis takes naive bounds and adds the zone
    max_value=datetime(2031, 12, 31),  # noqa: DTZ001 — same
    timezones=st.sampled_from([SHANGHAI, UTC, NEW_YORK_WINTER]),
)
WORKING_DAYS = st.integers(min_value=0, max_value=40)


def _working_days_in(calendar: WorkingCalendar, after: date, through: date) -> int:
    days = (through - after).days
    return sum(calendar.is_working_day(after + timedelta(days=n)) for n in range(1, days + 1))


@settings(max_examples=300, deadline=None)
@given(start=INSTANTS, n=WORKING_DAYS)
def test_due_is_close_of_business_on_a_working_day(start: datetime, n: int) -> None:
    deadline = SHIPPED.add_working_days(start, n)
    local = deadline.due_at.astimezone(SHANGHAI)
    assert local.timetz().replace(tzinfo=None) == CLOSE
    assert local.utcoffset() == timedelta(hours=8)
    assert SHIPPED.is_working_day(local.date())
    assert deadline.due_at > start


@settings(max_examples=300, deadline=None)
@given(start=INSTANTS, n=st.integers(min_value=1, max_value=40))
def test_start_day_not_counted_and_exactly_n_working_days(start: datetime, n: int) -> None:
    deadline = SHIPPED.add_working_days(start, n)
    start_day = SHIPPED.local_day(start)
    due_day = SHIPPED.local_day(deadline.due_at)
    assert due_day > start_day
    assert _working_days_in(SHIPPED, start_day, due_day) == n


@settings(max_examples=300, deadline=None)
@given(a=INSTANTS, b=INSTANTS, n=WORKING_DAYS)
def test_due_never_decreases_when_the_start_increases(a: datetime, b: datetime, n: int) -> None:
    early, late = sorted((a, b))
    assert SHIPPED.add_working_days(early, n).due_at <= SHIPPED.add_working_days(late, n).due_at


@settings(max_examples=300, deadline=None)
@given(start=INSTANTS, n=WORKING_DAYS, extra=st.integers(min_value=0, max_value=20))
def test_due_never_decreases_when_n_increases(start: datetime, n: int, extra: int) -> None:
    shorter = SHIPPED.add_working_days(start, n).due_at
    longer = SHIPPED.add_working_days(start, n + extra).due_at
    assert shorter <= longer
    if n >= 1 and extra >= 1:
        assert shorter < longer


@settings(max_examples=300, deadline=None)
@given(start=INSTANTS, n=WORKING_DAYS)
def test_provisional_exactly_when_a_year_without_data_is_crossed(start: datetime, n: int) -> None:
    deadline = SHIPPED.add_working_days(start, n)  # never raises, whatever the year
    first = SHIPPED.local_day(start).year
    last = SHIPPED.local_day(deadline.due_at).year
    assert deadline.provisional == any(not SHIPPED.has_year(y) for y in range(first, last + 1))


@settings(max_examples=300, deadline=None)
@given(day=st.dates(min_value=date(2004, 1, 1), max_value=date(2026, 12, 31)))
def test_working_days_agree_with_chinesecalendar(day: date) -> None:
    assert SHIPPED.is_working_day(day) == chinese_calendar.is_workday(day)


# ---------------------------------------------------------------------------------------- rules

FRIDAY = at(2025, 9, 26)


@pytest.mark.parametrize(
    ("clock", "classification", "due"),
    [
        (ClockKind.resolution, Classification.general, close_on(2025, 9, 26)),
        (ClockKind.resolution, Classification.cannot_do, close_on(2025, 9, 28)),
        (ClockKind.resolution, Classification.refused_to_do, close_on(2025, 9, 29)),
        (ClockKind.resolution, Classification.hard_to_do, close_on(2025, 10, 10)),
        (ClockKind.response, None, close_on(2025, 9, 26)),
        (ClockKind.feedback, None, close_on(2025, 9, 28)),
        (ClockKind.callback, None, close_on(2025, 9, 30)),
        (ClockKind.rectification, None, close_on(2025, 10, 10)),
    ],
)
def test_deadline_for_defaults(
    calendar: WorkingCalendar, clock: ClockKind, classification: Classification | None, due: datetime
) -> None:
    assert deadline_for(clock, FRIDAY, calendar, Limits(), classification) == Deadline(due, provisional=False)


def test_default_limits_are_the_districts() -> None:
    limits = Limits()
    assert dict(limits.resolution) == {
        Classification.general: 0,
        Classification.cannot_do: 1,
        Classification.refused_to_do: 2,
        Classification.hard_to_do: 5,
    }
    assert (limits.response, limits.feedback, limits.callback, limits.rectification) == (0, 1, 3, 5)
    assert limits.resolution is DEFAULT_RESOLUTION_LIMITS


def test_limits_are_configurable(calendar: WorkingCalendar) -> None:
    limits = Limits(
        resolution={**DEFAULT_RESOLUTION_LIMITS, Classification.cannot_do: 3},
        feedback=2,
    )
    assert deadline_for(ClockKind.resolution, FRIDAY, calendar, limits, Classification.cannot_do).due_at == close_on(
        2025, 9, 30
    )
    assert deadline_for(ClockKind.feedback, FRIDAY, calendar, limits).due_at == close_on(2025, 9, 29)


def test_resolution_clock_needs_a_classification(calendar: WorkingCalendar) -> None:
    with pytest.raises(ValueError, match="classification"):
        deadline_for(ClockKind.resolution, FRIDAY, calendar, Limits())


def test_limits_must_cover_every_classification_and_be_non_negative() -> None:
    with pytest.raises(ValueError, match="missing"):
        Limits(resolution={Classification.general: 0})
    with pytest.raises(ValueError, match=">= 0"):
        Limits(feedback=-1)
    with pytest.raises(ValueError, match=">= 0"):
        Limits(resolution={**DEFAULT_RESOLUTION_LIMITS, Classification.hard_to_do: -5})


def test_deadline_for_into_a_year_without_data_is_provisional(calendar: WorkingCalendar) -> None:
    deadline = deadline_for(ClockKind.rectification, at(2026, 12, 28), calendar, Limits())
    assert deadline.provisional
    assert deadline.due_at == close_on(2027, 1, 4)


# ---------------------------------------------------------------------------------------- loader

VALID_2027 = """
year = 2027
source = "国办发明电〔2026〕1号"
holidays = [
  "2027-01-01",
  { from = "2027-02-05", to = "2027-02-11", name = "春节" },
  { from = "2027-05-03" },
]
workdays = ["2027-02-13", 2027-02-14]
"""


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def test_load_valid_file_with_ranges(tmp_path: Path) -> None:
    schedule = load_schedule_file(write(tmp_path, "2027.toml", VALID_2027))
    assert schedule.year == 2027
    assert schedule.source == "国办发明电〔2026〕1号"
    spring = {date(2027, 2, 5) + timedelta(days=n) for n in range(7)}
    assert schedule.holidays == {date(2027, 1, 1), date(2027, 5, 3)} | spring
    assert schedule.workdays == {date(2027, 2, 13), date(2027, 2, 14)}  # a TOML date literal works too


def test_loaded_year_is_no_longer_provisional(tmp_path: Path) -> None:
    write(tmp_path, "2027.toml", VALID_2027)
    calendar = load_calendar(tmp_path)
    assert calendar.has_year(2027)
    assert not calendar.is_working_day(date(2027, 2, 8))  # Monday in the spring festival
    assert calendar.is_working_day(date(2027, 2, 13))  # Saturday, 调休
    deadline = calendar.add_working_days(at(2027, 2, 4), 1)
    assert deadline == Deadline(close_on(2027, 2, 12), provisional=False)
    # 2026 still comes from the package.
    assert calendar.schedules[2026].source.startswith("chinesecalendar")


def test_source_defaults_to_the_file_name(tmp_path: Path) -> None:
    schedule = load_schedule_file(write(tmp_path, "2028.toml", 'year = 2028\nholidays = ["2028-01-01"]\n'))
    assert schedule.source == "2028.toml"
    assert schedule.workdays == frozenset()


MALFORMED = [
    ("toml-syntax", "year = 2027\nholidays = [\n"),
    ("year-missing", 'holidays = ["2027-01-01"]\n'),
    ("year-not-integer", 'year = "2027"\n'),
    ("bad-date", 'year = 2027\nholidays = ["2027-02-30"]\n'),
    ("not-a-date", 'year = 2027\nholidays = ["spring festival"]\n'),
    ("wrong-entry-type", "year = 2027\nholidays = [20270101]\n"),
    ("range-without-from", 'year = 2027\nholidays = [{ to = "2027-01-03" }]\n'),
    ("range-reversed", 'year = 2027\nholidays = [{ from = "2027-01-03", to = "2027-01-01" }]\n'),
    ("date-outside-year", 'year = 2027\nholidays = ["2026-12-31"]\n'),
    ("holiday-and-workday", 'year = 2027\nholidays = ["2027-02-06"]\nworkdays = ["2027-02-06"]\n'),
]


@pytest.mark.parametrize("text", [case[1] for case in MALFORMED], ids=[case[0] for case in MALFORMED])
def test_malformed_file_raises_naming_the_file(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, "2027.toml", text)
    with pytest.raises(CalendarFileError) as info:
        load_schedule_file(path)
    assert str(path) in str(info.value)
    with pytest.raises(CalendarFileError, match=r"2027\.toml"):
        load_calendar(tmp_path)


def test_malformed_entry_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, "2027.toml", 'year = 2027\nholidays = ["2027-01-01", "2027-13-01"]\n')
    with pytest.raises(CalendarFileError, match=r"holidays\[1\]"):
        load_schedule_file(path)


def test_file_overrides_the_package_year(tmp_path: Path) -> None:
    write(tmp_path, "2025.toml", 'year = 2025\nsource = "district override"\nholidays = ["2025-10-01"]\n')
    calendar = load_calendar(tmp_path)
    assert calendar.schedules[2025].source == "district override"
    assert not calendar.is_working_day(date(2025, 10, 1))
    assert calendar.is_working_day(date(2025, 10, 2))  # the package's holiday is gone
    assert not calendar.is_working_day(date(2025, 9, 28))  # and so is its 调休 Sunday
    assert calendar.add_working_days(at(2025, 9, 26), 1).due_at == close_on(2025, 9, 29)


def test_missing_or_no_directory_gives_the_package_years(tmp_path: Path) -> None:
    for directory in (None, tmp_path / "absent", tmp_path):
        calendar = load_calendar(directory)
        assert min(calendar.schedules) == 2004
        assert max(calendar.schedules) == 2026


def test_loader_passes_close_and_zone_through(tmp_path: Path) -> None:
    calendar = load_calendar(tmp_path, close_of_business=time(17, 0), zone=SHANGHAI)
    assert calendar.add_working_days(at(2025, 9, 26), 1).due_at == datetime(2025, 9, 28, 17, 0, tzinfo=CST)


def test_package_schedules_match_chinesecalendar() -> None:
    schedules = package_schedules()
    assert set(range(2004, 2027)) <= set(schedules)
    assert date(2025, 9, 28) in schedules[2025].workdays
    assert date(2025, 10, 8) in schedules[2025].holidays
    assert all(s.source.startswith("chinesecalendar") for s in schedules.values())


def test_shipped_directory_loads_and_ignores_the_example() -> None:
    calendar = load_calendar(OPS_CALENDAR)
    assert (OPS_CALENDAR / "example-2027.toml.example").is_file()
    assert not calendar.has_year(2027)  # *.toml.example is not loaded


def test_shipped_example_parses_as_2027(tmp_path: Path) -> None:
    shutil.copy(OPS_CALENDAR / "example-2027.toml.example", tmp_path / "2027.toml")
    calendar = load_calendar(tmp_path)
    schedule = calendar.schedules[2027]
    assert schedule.year == 2027
    assert {date(2027, 10, 1) + timedelta(days=n) for n in range(7)} <= schedule.holidays
    assert schedule.workdays == {date(2027, 2, 14), date(2027, 2, 20), date(2027, 9, 26), date(2027, 10, 9)}
    assert not calendar.add_working_days(at(2027, 9, 30), 1).provisional
    assert calendar.add_working_days(at(2027, 9, 30), 1).due_at == close_on(2027, 10, 8)


# ---------------------------------------------------------------------------------------- CLI


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """The CLI reading the shipped calendar directory, whatever the working directory."""
    monkeypatch.setenv("YOUSU_CALENDAR_DIR", str(OPS_CALENDAR))
    return CliRunner()


def due(runner: CliRunner, start: str, n: str) -> tuple[int, str]:
    result = runner.invoke(cli_app, ["calendar", "due", "--from", start, "--working-days", n])
    return result.exit_code, result.output


def test_cli_due_prints_iso_with_offset(cli: CliRunner) -> None:
    code, output = due(cli, "2025-09-26T10:00+08:00", "1")
    assert code == 0
    assert output.strip() == "2025-09-28T17:30:00+08:00"


def test_cli_due_converts_other_offsets_to_beijing_time(cli: CliRunner) -> None:
    code, output = due(cli, "2025-09-26T02:00:00Z", "5")
    assert code == 0
    assert output.strip() == "2025-10-10T17:30:00+08:00"


def test_cli_due_zero_days(cli: CliRunner) -> None:
    code, output = due(cli, "2025-09-26T18:00+08:00", "0")
    assert (code, output.strip()) == (0, "2025-09-28T17:30:00+08:00")


def test_cli_due_says_provisional(cli: CliRunner) -> None:
    code, output = due(cli, "2026-12-30T10:00+08:00", "3")
    assert code == 0
    assert output.strip() == "2027-01-04T17:30:00+08:00 provisional"


def test_cli_due_reads_the_calendar_directory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    shutil.copy(OPS_CALENDAR / "example-2027.toml.example", tmp_path / "2027.toml")
    monkeypatch.setenv("YOUSU_CALENDAR_DIR", str(tmp_path))
    code, output = due(CliRunner(), "2027-09-30T10:00+08:00", "1")
    assert (code, output.strip()) == (0, "2027-10-08T17:30:00+08:00")


@pytest.mark.parametrize(
    ("start", "message"),
    [
        ("2025-09-26T10:00", "UTC offset"),
        ("2025-09-26", "UTC offset"),
        ("yesterday", "not an ISO 8601 instant"),
        ("2025-02-30T10:00+08:00", "not an ISO 8601 instant"),
    ],
)
def test_cli_due_refuses_naive_or_malformed_instants(cli: CliRunner, start: str, message: str) -> None:
    code, output = due(cli, start, "1")
    assert code != 0
    assert message in output
    assert "Traceback" not in output


def test_cli_due_refuses_negative_days(cli: CliRunner) -> None:
    code, output = due(cli, "2025-09-26T10:00+08:00", "-1")
    assert code != 0
    assert "--working-days" in output


def test_cli_due_reports_a_bad_calendar_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    write(tmp_path, "2027.toml", 'year = 2027\nholidays = ["2026-12-31"]\n')
    monkeypatch.setenv("YOUSU_CALENDAR_DIR", str(tmp_path))
    code, output = due(CliRunner(), "2025-09-26T10:00+08:00", "1")
    assert code != 0
    assert "calendar file invalid" in output
    assert "2027.toml" in output
