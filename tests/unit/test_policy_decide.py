"""decide(): escalations at level 1 past the due instant, level 2 one working day later, 差评 notices."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from uuid import uuid4

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.calendar import WorkingCalendar
from domain.rules import ClockKind
from policies.deadlines import COPY_TO_LIAISON, NOTICE, OVERDUE, EscalationRules, OpenClock, decide

CST = timezone(timedelta(hours=8))
CID = uuid4()


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=CST)


def levels(clock: OpenClock, now: str, calendar: WorkingCalendar) -> list[int]:
    return [e.level for e in decide([clock], at(now), calendar)]


@pytest.mark.parametrize(
    ("due", "now", "expected"),
    [
        # a clock due Friday 2025-09-26 17:30: the next working day is the 调休 Sunday 09-28
        ("2025-09-26T17:30", "2025-09-26T17:29", []),
        ("2025-09-26T17:30", "2025-09-26T17:30", []),
        ("2025-09-26T17:30", "2025-09-26T17:31", [OVERDUE]),
        ("2025-09-26T17:30", "2025-09-27T12:00", [OVERDUE]),
        ("2025-09-26T17:30", "2025-09-28T17:30", [OVERDUE]),
        ("2025-09-26T17:30", "2025-09-28T17:31", [OVERDUE, COPY_TO_LIAISON]),
        # due Tuesday 2025-09-30 before National Day: level 2 only after the holiday (Thursday 10-09)
        ("2025-09-30T17:30", "2025-10-05T10:00", [OVERDUE]),
        ("2025-09-30T17:30", "2025-10-09T17:30", [OVERDUE]),
        ("2025-09-30T17:30", "2025-10-09T17:31", [OVERDUE, COPY_TO_LIAISON]),
        # due Friday 2025-10-10: Saturday 10-11 is a 调休 workday
        ("2025-10-10T17:30", "2025-10-11T17:31", [OVERDUE, COPY_TO_LIAISON]),
        # an ordinary weekend: due Friday 2025-11-14, level 2 after Monday's close
        ("2025-11-14T17:30", "2025-11-16T23:00", [OVERDUE]),
        ("2025-11-17T17:30", "2025-11-17T17:31", [OVERDUE]),
        ("2025-11-14T17:30", "2025-11-17T17:31", [OVERDUE, COPY_TO_LIAISON]),
    ],
)
def test_levels_across_weekends_holidays_and_make_up_days(
    calendar: WorkingCalendar, due: str, now: str, expected: list[int]
) -> None:
    clock = OpenClock(CID, ClockKind.resolution, 0, at(due))
    assert levels(clock, now, calendar) == expected


def test_already_raised_levels_are_not_raised_again(calendar: WorkingCalendar) -> None:
    clock = OpenClock(CID, ClockKind.resolution, 0, at("2025-09-26T17:30"), frozenset({OVERDUE}))
    assert levels(clock, "2025-09-29T10:00", calendar) == [COPY_TO_LIAISON]
    done = OpenClock(CID, ClockKind.resolution, 0, at("2025-09-26T17:30"), frozenset({OVERDUE, COPY_TO_LIAISON}))
    assert levels(done, "2025-12-01T10:00", calendar) == []


def test_met_clock_is_never_escalated(calendar: WorkingCalendar) -> None:
    clock = OpenClock(CID, ClockKind.feedback, 0, at("2025-09-26T17:30"), met=True)
    assert levels(clock, "2025-12-01T10:00", calendar) == []


def test_bad_rating_opens_rectification_with_a_copy_to_the_liaison(calendar: WorkingCalendar) -> None:
    clock = OpenClock(CID, ClockKind.rectification, 1, at("2025-10-17T17:30"))
    [notice] = decide([clock], at("2025-10-10T09:00"), calendar)
    assert notice.level == NOTICE
    assert "liaison" in notice.recipients
    assert notice.round == 1
    late = OpenClock(CID, ClockKind.rectification, 1, at("2025-10-17T17:30"), frozenset({NOTICE}))
    assert levels(late, "2025-10-20T17:31", calendar) == [OVERDUE, COPY_TO_LIAISON]


def test_recipients_by_level(calendar: WorkingCalendar) -> None:
    clock = OpenClock(CID, ClockKind.response, 0, at("2025-09-26T17:30"))
    one, two = decide([clock], at("2025-10-09T18:00"), calendar)
    assert set(one.recipients) == {"supervisor", "duty_leader"}
    assert "liaison" in two.recipients
    rules = EscalationRules(level2_after_working_days=3)
    assert [e.level for e in decide([clock], at("2025-09-29T18:00"), calendar, rules)] == [OVERDUE]


@settings(max_examples=200, deadline=None)
@given(
    due_offset=st.integers(min_value=0, max_value=60 * 24 * 400),
    now_offset=st.integers(min_value=0, max_value=60 * 24 * 400),
    raised=st.frozensets(st.sampled_from([OVERDUE, COPY_TO_LIAISON])),
)
def test_each_level_exactly_when_due_and_not_yet_raised(
    calendar: WorkingCalendar, due_offset: int, now_offset: int, raised: frozenset[int]
) -> None:
    base = at("2025-01-01T00:00")
    due = calendar.close_on((base + timedelta(minutes=due_offset)).date())
    now = base + timedelta(minutes=now_offset)
    out = decide([OpenClock(CID, ClockKind.resolution, 0, due, raised)], now, calendar)
    got = {e.level for e in out}
    level2 = calendar.add_working_days(due, 1).due_at
    assert (OVERDUE in got) == (now > due and OVERDUE not in raised)
    assert (COPY_TO_LIAISON in got) == (now > level2 and COPY_TO_LIAISON not in raised)
    assert len(out) == len(got)  # never twice
