"""潮汐预案 and its review, without a store: hours kept on acceptance, the fallback for plans accepted before,
and the review of a day against Erlang C (15 minutes each, 80 % within 10 minutes)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from domain.plans import TidalPlan
from domain.values import Actor, Role
from projections.staffing import StaffingRules, review_day, review_summary
from tests.conftest import CST

LEADER = Actor("l1", "带班丙", Role.duty_leader)
MONDAY = date(2025, 9, 29)


def accepted(**extra: Any) -> TidalPlan:
    now = datetime(2025, 9, 26, 10, tzinfo=CST)
    plan = TidalPlan.open("district", MONDAY, MONDAY, now=now)
    plan.accept(
        centre="district",
        start=MONDAY,
        end=MONDAY,
        windows={"2025-09-29": 3},
        extra={"2025-09-29": 1},
        note="",
        actor=LEADER,
        now=now,
        **extra,
    )
    return plan


def test_hours_are_kept_and_older_plans_stand_for_every_hour() -> None:
    plan = accepted(hours={"2025-09-29": {"10": 3, "11": 2}}, arrivals={"2025-09-29": {"10": 9.5, "11": 5.0}})
    assert (plan.planned_windows(MONDAY, 10), plan.planned_windows(MONDAY, 11), plan.planned_windows(MONDAY, 15)) == (
        3,
        2,
        0,
    )
    assert (plan.start, plan.end) == (MONDAY, MONDAY)
    older = accepted()  # as an upcast v1 event: no hours, no arrivals
    assert [older.planned_windows(MONDAY, h) for h in (9, 15)] == [3, 3]
    state: dict[str, Any] = {}
    TidalPlan.Accepted.upcast_v1_v2(state)
    assert state == {"hours": {}, "arrivals": {}}


def test_a_day_is_reviewed_hour_by_hour_against_erlang_c() -> None:
    # 10 an hour = 2.5 erlangs → 4 windows; 4 an hour = 1 erlang → 2; nobody → 0
    day = review_day(MONDAY, {10: 3, 11: 2, 12: 1}, {10: 9.5, 11: 5.0}, {10: 10, 11: 4, 16: 4}, StaffingRules())
    assert [(h.hour, h.planned_windows, h.arrivals, h.needed_windows, h.difference) for h in day.hours] == [
        (10, 3, 10, 4, -1),
        (11, 2, 4, 2, 0),
        (12, 1, 0, 0, 1),
        (16, 0, 4, 2, -2),
    ]
    assert [h.forecast_arrivals for h in day.hours] == [9.5, 5.0, None, None]
    assert day.arrivals == 18
    assert review_summary([day]) == {
        "hours": 4,
        "hours_short": 2,
        "hours_matched": 1,
        "hours_over": 1,
        "arrivals": 18,
        "forecast_arrivals": 14.5,
        "forecast_error_pct": round(100 * (14.5 - 18) / 18, 2),
    }
