"""并单, 退单/改派, 延期, 中止 on the Complaint aggregate: deadlines written from the rules, by hand.

The calendar is the real one: Friday 26 September 2025, then Saturday off, Sunday 28 September a 调休
working day, Monday 29 and Tuesday 30 working, 1–8 October the National Day holiday, Thursday 9 and
Friday 10 October working, Saturday 11 October a 调休 working day. Working time runs 09:00–17:30
(8.5 hours a day).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain import errors
from domain.calendar import WorkingCalendar, YearSchedule
from domain.complaint import Complaint
from domain.rules import ClockKind, Limits
from domain.values import Status
from policies.deadlines import OVERDUE, OpenClock, decide
from tests.unit.test_complaint_rules import (
    CALENDAR,
    CLERK,
    CST,
    HOTLINE,
    HOUSING,
    LEADER,
    LIMITS,
    MARKET,
    OPEN_MASTER,
    OPEN_MASTER_RESOLVED,
    REFUSED,
    SYSTEM,
    dispatched,
    received,
)
from tests.unit.test_complaint_rules import (
    given as given_steps,
)

FRIDAY = datetime(2025, 9, 26, 10, 4, tzinfo=CST)  # the 4th step of dispatched(...) is the dispatch at 10:04


def at(day: int, month: int = 9, hh: int = 10, mm: int = 0) -> datetime:
    return datetime(2025, month, day, hh, mm, tzinfo=CST)


def refused_dispatched() -> Complaint:
    """不给办, dispatched to market on Friday 26 September at 10:04: due Monday 29 September 17:30 (2 working days)."""
    c = given_steps(dispatched(REFUSED))
    assert c.dispatched_at == FRIDAY
    assert c.due_at == at(29, hh=17, mm=30)
    return c


# ---------------------------------------------------------------------------------------- 退单 / 改派


def test_return_window_ends_at_close_of_the_next_working_day() -> None:
    # 1 working day after Friday's dispatch: Saturday is off, Sunday 28 September is a 调休 working day
    c = refused_dispatched()
    c.return_complaint(
        reason="不属本部门职责", actor=MARKET, now=at(28, hh=17, mm=30), calendar=CALENDAR, limits=LIMITS
    )
    assert c.pending_return == "market"

    late = refused_dispatched()
    with pytest.raises(errors.ReturnWindowPassed) as info:
        late.return_complaint(
            reason="不属本部门职责", actor=MARKET, now=at(28, hh=17, mm=31), calendar=CALENDAR, limits=LIMITS
        )
    assert "2025-09-28 17:30" in info.value.detail


def test_return_window_is_configurable() -> None:
    c = refused_dispatched()
    wide = Limits(return_window=2)  # until Monday 29 September 17:30
    c.return_complaint(reason="不属本部门职责", actor=MARKET, now=at(29, hh=17), calendar=CALENDAR, limits=wide)
    same_day = refused_dispatched()
    with pytest.raises(errors.ReturnWindowPassed):
        same_day.return_complaint(
            reason="不属本部门职责",
            actor=MARKET,
            now=at(26, hh=17, mm=31),
            calendar=CALENDAR,
            limits=Limits(return_window=0),
        )


def test_redispatch_restarts_the_resolution_deadline_and_its_escalations() -> None:
    c = refused_dispatched()
    c.escalate(
        clock=ClockKind.resolution,
        level=1,
        due_at=c.due_at or FRIDAY,
        reason="逾期",
        recipients=[],
        actor=SYSTEM,
        now=at(29, hh=18),
        round_=0,
    )
    c.return_complaint(
        reason="不属本部门职责", actor=MARKET, now=at(28, hh=9), calendar=CALENDAR, limits=Limits(return_window=5)
    )
    c.redispatch(
        departments=["housing"],
        supervisor=None,
        instructions="",
        actor=LEADER,
        now=at(30, hh=9),
        calendar=CALENDAR,
        limits=LIMITS,
    )
    # 2 working days from Tuesday 30 September: the holiday, then Thursday 9 and Friday 10 October
    assert c.due_at == at(10, 10, hh=17, mm=30)
    assert c.departments == ("housing",)
    assert c.dispatched_at == at(30, hh=9)
    assert c.supervisor == "周督办"  # kept when none is named
    assert c.status is Status.dispatched
    assert c.escalated_levels(ClockKind.resolution, 0) == frozenset()  # the new clock has not been escalated
    # the new department has its own return window
    c.return_complaint(reason="亦不属本部门", actor=HOUSING, now=at(9, 10, hh=9), calendar=CALENDAR, limits=LIMITS)
    assert c.returns == 2


def test_insisted_department_must_handle_it() -> None:
    c = refused_dispatched()
    c.return_complaint(reason="不属本部门职责", actor=MARKET, now=at(26, hh=11), calendar=CALENDAR, limits=LIMITS)
    c.insist_on_dispatch(opinion="属于市场监管职责", actor=LEADER, now=at(26, hh=12))
    assert c.pending_return is None
    assert c.due_at == at(29, hh=17, mm=30)  # the deadline stands
    with pytest.raises(errors.ReturnInsistedBefore):
        c.return_complaint(reason="再次退单", actor=MARKET, now=at(26, hh=13), calendar=CALENDAR, limits=LIMITS)


# ---------------------------------------------------------------------------------------- 延期


def test_extension_moves_the_deadline_by_the_working_days_asked() -> None:
    c = refused_dispatched()
    c.request_extension(
        days=2, reason="需现场核查", actor=MARKET, now=at(29, hh=17, mm=30), limits=LIMITS
    )  # at the deadline
    c.approve_extension(opinion="同意", actor=LEADER, now=at(30, hh=9), calendar=CALENDAR, limits=LIMITS)
    # Monday 29 September 17:30 + 2 working days: Tuesday 30 September, then (after the holiday) Thursday 9 October
    assert c.due_at == at(9, 10, hh=17, mm=30)
    assert c.extensions == 1
    event = c.collect_events()[-1]
    assert isinstance(event, Complaint.ExtensionApproved)
    assert event.previous_due_at == at(29, hh=17, mm=30)
    # at most one (the default): a second request is refused
    with pytest.raises(errors.ExtensionLimitReached):
        c.request_extension(days=1, reason="仍需时间", actor=MARKET, now=at(9, 10), limits=LIMITS)


def test_extensions_are_configurable() -> None:
    two = Limits(max_extensions=2)
    c = refused_dispatched()
    for now in (at(26, hh=11), at(28, hh=11)):
        c.request_extension(days=1, reason="需现场核查", actor=MARKET, now=now, limits=two)
        c.approve_extension(opinion="", actor=LEADER, now=now + timedelta(minutes=5), calendar=CALENDAR, limits=two)
    assert c.extensions == 2
    assert c.due_at == at(9, 10, hh=17, mm=30)  # Monday + 1 → Tuesday 30 September, + 1 → Thursday 9 October


def test_refused_extension_keeps_the_deadline() -> None:
    c = refused_dispatched()
    c.request_extension(days=3, reason="需现场核查", actor=MARKET, now=at(26, hh=11), limits=LIMITS)
    c.refuse_extension(reason="时限内可以办结", actor=LEADER, now=at(26, hh=12))
    assert c.due_at == at(29, hh=17, mm=30)
    assert c.extensions == 0
    assert c.pending_extension is None


# ---------------------------------------------------------------------------------------- 中止


def test_pause_moves_the_deadline_by_the_working_time_paused_across_weekend_and_holiday() -> None:
    c = refused_dispatched()
    c.pause_clock(
        reason="等待补充营业执照原件", actor=MARKET, now=at(26, hh=16, mm=30), calendar=CALENDAR, limits=LIMITS
    )
    assert c.paused_at == at(26, hh=16, mm=30)
    # the pause's own limit: 10 working days from Friday 26 September (28, 29, 30 Sep; 9, 10, 11, 13–16 Oct)
    assert c.pause_due_at == at(16, 10, hh=17, mm=30)
    c.resume_clock(actor=CLERK, now=at(9, 10, hh=10), calendar=CALENDAR, note="材料已补齐")
    # paused: Fri 16:30–17:30 (1 h) + Sun 28, Mon 29, Tue 30 (3 × 8.5 h) + Thu 9 Oct 09:00–10:00 (1 h) = 27.5 h;
    # Saturday 27 September and 1–8 October are not working time.
    event = c.collect_events()[-1]
    assert isinstance(event, Complaint.ClockResumed)
    assert event.paused_seconds == 99_000
    assert event.source == "clerk"
    # Monday 29 September 17:30 + 27.5 working hours: Tue 30 (8.5), Thu 9 Oct (8.5), Fri 10 (8.5), Sat 11 (调休) 09:00 + 2 h
    assert c.due_at == at(11, 10, hh=11)
    assert c.paused_at is None


def test_a_pause_on_a_saturday_counts_nothing_until_the_next_working_day() -> None:
    c = refused_dispatched()
    c.pause_clock(reason="等待补充材料", actor=MARKET, now=at(27, hh=10), calendar=CALENDAR, limits=LIMITS)
    c.resume_clock(actor=CLERK, now=at(28, hh=8, mm=59), calendar=CALENDAR)  # before Sunday's opening
    assert c.due_at == at(29, hh=17, mm=30)  # nothing moved


def test_the_hotline_supplement_resumes_the_clock() -> None:
    c = refused_dispatched()
    c.pause_clock(reason="等待补充材料", actor=MARKET, now=at(26, hh=11), calendar=CALENDAR, limits=LIMITS)
    c.resume_clock(actor=HOTLINE, now=at(26, hh=12), calendar=CALENDAR, note="热线补充材料")
    event = c.collect_events()[-1]
    assert isinstance(event, Complaint.ClockResumed)
    assert event.source == "hotline"
    assert c.due_at == at(30, hh=10)  # paused one working hour: Monday 17:30 + 1 h = Tuesday 10:00


def test_a_paused_clock_is_not_overdue_but_its_pause_limit_escalates_like_a_missed_deadline() -> None:
    c = refused_dispatched()
    c.pause_clock(reason="等待补充材料", actor=MARKET, now=at(26, hh=11), calendar=CALENDAR, limits=LIMITS)
    clocks = {(k, r): (start, due) for k, r, start, due, _days in c.open_clocks(LIMITS)}
    assert (ClockKind.resolution, 0) not in clocks  # its deadline is fixed when it resumes
    assert clocks[(ClockKind.pause, 1)] == (at(26, hh=11), at(16, 10, hh=17, mm=30))
    pause = OpenClock(c.id, ClockKind.pause, 1, at(16, 10, hh=17, mm=30))
    assert decide([pause], at(16, 10, hh=17, mm=30), CALENDAR) == []  # not yet longer than the limit
    raised = decide([pause], at(16, 10, hh=17, mm=31), CALENDAR)
    assert [(e.clock, e.level, e.round) for e in raised] == [(ClockKind.pause, OVERDUE, 1)]
    assert raised[0].reason == "中止期限已过，尚未完成"
    c.escalate(
        clock=ClockKind.pause,
        level=OVERDUE,
        due_at=raised[0].due_at,
        reason=raised[0].reason,
        recipients=[],
        actor=SYSTEM,
        now=at(16, 10, hh=18),
        round_=1,
    )
    with pytest.raises(errors.AlreadyEscalated):
        c.escalate(
            clock=ClockKind.pause,
            level=OVERDUE,
            due_at=raised[0].due_at,
            reason="",
            recipients=[],
            actor=SYSTEM,
            now=at(16, 10, hh=19),
            round_=1,
        )


def test_the_pause_limit_is_configurable() -> None:
    c = refused_dispatched()
    c.pause_clock(reason="等待补充材料", actor=MARKET, now=at(26, hh=11), calendar=CALENDAR, limits=Limits(pause=1))
    assert c.pause_due_at == at(28, hh=17, mm=30)


def test_deadline_correction_recomputes_extensions_and_pauses_in_order() -> None:
    c = refused_dispatched()
    c.request_extension(days=1, reason="需现场核查", actor=MARKET, now=at(26, hh=11), limits=LIMITS)
    c.approve_extension(opinion="", actor=LEADER, now=at(26, hh=12), calendar=CALENDAR, limits=LIMITS)
    c.pause_clock(reason="等待补充材料", actor=MARKET, now=at(26, hh=13), calendar=CALENDAR, limits=LIMITS)
    c.resume_clock(actor=CLERK, now=at(26, hh=15), calendar=CALENDAR)
    # Monday 17:30 + 1 working day = Tuesday 30 17:30; + 2 working hours = Thursday 9 October 11:00
    assert c.due_at == at(9, 10, hh=11)
    assert c.correct_deadlines(calendar=CALENDAR, limits=LIMITS, actor=SYSTEM, now=at(26, hh=16)) == 0
    # Tuesday 30 September declared a holiday afterwards: Monday + 1 day = Thursday 9 October 17:30, + 2 h = Friday 10 11:00
    schedules = dict(CALENDAR.schedules)
    year = schedules[2025]
    schedules[2025] = replace(year, holidays=year.holidays | {date(2025, 9, 30)})
    amended = replace(CALENDAR, schedules=schedules)
    assert c.correct_deadlines(calendar=amended, limits=LIMITS, actor=SYSTEM, now=at(26, hh=17)) == 1
    assert c.due_at == at(10, 10, hh=11)


# ---------------------------------------------------------------------------------------- 并单


def test_merged_duplicate_is_answered_with_the_masters_result_then_fed_back_and_called_back() -> None:
    dup = received(at(26, hh=10, mm=30), slip_no="YS2025092600002")
    dup.merge_into(OPEN_MASTER, reason="同一诉求人同一事项", actor=LEADER, now=at(26, hh=11))
    assert dup.status is Status.merged
    assert dup.merged_into == OPEN_MASTER.id
    assert dup.open_clocks(LIMITS) == []  # closed as merged: no clock of its own runs
    dup.answer_from_master(OPEN_MASTER_RESOLVED, actor=SYSTEM, now=at(26, hh=15), calendar=CALENDAR, limits=LIMITS)
    assert dup.status is Status.resolved
    assert dup.result == OPEN_MASTER_RESOLVED.result
    assert dup.feedback_due_at == at(28, hh=17, mm=30)  # feedback: 1 working day (Sunday 28 调休)
    dup.feed_back(
        method="phone", summary="告知主诉求办理结果", actor=CLERK, now=at(26, hh=16), calendar=CALENDAR, limits=LIMITS
    )
    dup.call_back(rating=5, comment="满意", actor=CLERK, now=at(28, hh=10), calendar=CALENDAR, limits=LIMITS)
    assert dup.status is Status.closed


def test_unmerge_restores_where_it_stood_and_its_clocks() -> None:
    c = refused_dispatched()
    c.merge_into(OPEN_MASTER, reason="同一事项", actor=LEADER, now=at(26, hh=11))
    c.unmerge(reason="经核实并非同一事项", actor=LEADER, now=at(26, hh=12))
    assert c.status is Status.dispatched
    assert c.merged_into is None
    event = c.collect_events()[-1]
    assert isinstance(event, Complaint.Unmerged)
    assert event.response_due_at is None  # answered by the dispatch already
    assert event.due_at == at(29, hh=17, mm=30)
    assert [k for k, *_ in c.open_clocks(LIMITS)] == [ClockKind.resolution]


# ---------------------------------------------------------------------------------------- the calendar's working time


WORKING_INSTANTS = st.builds(
    lambda d, minutes: (
        datetime.combine(date(2025, 9, 1) + timedelta(days=d), time(9), tzinfo=CST) + timedelta(minutes=minutes)
    ),
    st.integers(min_value=0, max_value=120),
    st.integers(min_value=0, max_value=510),  # 09:00..17:30
)


@settings(max_examples=300)
@given(start=WORKING_INSTANTS, seconds=st.integers(min_value=0, max_value=30 * 8.5 * 3600))
def test_adding_working_time_then_measuring_it_gives_it_back(start: datetime, seconds: int) -> None:
    if not CALENDAR.is_working_day(start.date()):
        start = CALENDAR.add_working_days(start, 0).due_at  # close of business of the next working day
    moved = CALENDAR.add_working_time(start, seconds)
    assert moved.due_at >= start
    assert CALENDAR.working_seconds_between(start, moved.due_at) == seconds
    local = moved.due_at.astimezone(CALENDAR.zone)
    assert CALENDAR.is_working_day(local.date())
    assert time(9) <= local.time() <= CALENDAR.close_of_business


def test_adding_a_full_working_day_from_close_lands_at_close_of_the_next_working_day() -> None:
    friday_close = at(26, hh=17, mm=30)
    assert CALENDAR.add_working_time(friday_close, int(8.5 * 3600)).due_at == at(28, hh=17, mm=30)  # Sunday 调休
    tuesday_close = at(30, hh=17, mm=30)
    assert CALENDAR.add_working_time(tuesday_close, int(8.5 * 3600)).due_at == at(9, 10, hh=17, mm=30)


def test_working_time_into_a_year_without_data_is_provisional() -> None:
    bare = WorkingCalendar(schedules={2025: YearSchedule(2025)})
    moved = bare.add_working_time(datetime(2025, 12, 31, 17, 30, tzinfo=CST), 3600)
    assert moved.due_at == datetime(2026, 1, 1, 10, 0, tzinfo=CST)  # a Thursday, Monday–Friday assumed
    assert moved.provisional
