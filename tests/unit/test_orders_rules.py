"""限期整改通知 rules, pure: who issues, the unit's steps, rounds, and the orders' escalation policy."""

from __future__ import annotations

from datetime import datetime
from uuid import uuid4

import pytest

from domain import errors
from domain.calendar import WorkingCalendar
from domain.orders import (
    FindingKind,
    IssuerRoleInvalid,
    NotOrderIssuer,
    NotOrderUnit,
    OrderAlreadyEscalated,
    OrderClosed,
    OrderNotAcknowledged,
    OrderNotReported,
    OrderStatus,
    RectificationOrder,
)
from domain.values import SYSTEM_ACTOR, Actor, Role
from policies.deadlines import COPY_TO_LIAISON, OVERDUE
from policies.orders import OrderClock, decide_orders
from tests.conftest import CST

LEADER = Actor("l1", "带班丙", Role.duty_leader)
OTHER_LEADER = Actor("l2", "带班戊", Role.duty_leader)
LIAISON = Actor("j1", "纪检甲", Role.liaison)
HOUSING = Actor("d1", "住建丁", Role.department, "housing")
FRIDAY = datetime(2025, 9, 26, 10, 0, tzinfo=CST)  # before the 2025 National Day holiday


def issued(calendar: WorkingCalendar, days: int = 5) -> RectificationOrder:
    return RectificationOrder.issue(
        unit="housing",
        finding_kind=FindingKind.bad_rating_pattern,
        finding_text="本月住建窗口差评集中于材料反复退回",
        working_days=days,
        actor=LEADER,
        now=FRIDAY,
        calendar=calendar,
        known_units={"housing", "tax", "district"},
        order_id=uuid4(),
    )


def test_deadline_is_counted_in_working_days_across_national_day(calendar: WorkingCalendar) -> None:
    # Fri 26 Sep + 5 working days: 28 Sep (调休 Sunday), 29, 30 Sep, then 1–8 Oct holiday, 9 Oct, 10 Oct.
    order = issued(calendar)
    assert order.due_at == datetime(2025, 10, 10, 17, 30, tzinfo=CST)
    assert order.status is OrderStatus.issued
    assert order.round == 1


def test_only_duty_leader_or_liaison_issue(calendar: WorkingCalendar) -> None:
    with pytest.raises(IssuerRoleInvalid):
        RectificationOrder.issue(
            unit="housing",
            finding_kind=FindingKind.topic,
            finding_text="x",
            working_days=3,
            actor=HOUSING,
            now=FRIDAY,
            calendar=calendar,
            order_id=uuid4(),
        )


def test_unknown_unit_and_bad_limit_name_the_field(calendar: WorkingCalendar) -> None:
    with pytest.raises(errors.InvalidInput) as exc:
        RectificationOrder.issue(
            unit="nowhere",
            finding_kind=FindingKind.topic,
            finding_text="x",
            working_days=3,
            actor=LIAISON,
            now=FRIDAY,
            calendar=calendar,
            known_units={"housing"},
            order_id=uuid4(),
        )
    assert exc.value.field == "unit"
    with pytest.raises(errors.InvalidInput) as exc:
        issued(calendar, days=0)
    assert exc.value.field == "working_days"


def test_unit_acknowledges_reports_issuer_accepts(calendar: WorkingCalendar) -> None:
    order = issued(calendar)
    with pytest.raises(NotOrderUnit):
        order.acknowledge(actor=HOUSING, now=FRIDAY, unit_of_actor="tax")
    with pytest.raises(OrderNotAcknowledged):
        order.report_done(report="已整改", actor=HOUSING, now=FRIDAY, unit_of_actor="housing")
    order.acknowledge(actor=HOUSING, now=FRIDAY, unit_of_actor="housing")
    with pytest.raises(OrderNotReported):
        order.accept(comment="", actor=LEADER, now=FRIDAY)
    order.report_done(report="已统一材料清单", actor=HOUSING, now=FRIDAY, unit_of_actor="housing")
    with pytest.raises(NotOrderIssuer):
        order.accept(comment="", actor=OTHER_LEADER, now=FRIDAY)
    order.accept(comment="同意", actor=LEADER, now=FRIDAY)
    assert order.status is OrderStatus.accepted
    assert order.rounds_on_time == (True,)
    with pytest.raises(OrderClosed):
        order.acknowledge(actor=HOUSING, now=FRIDAY, unit_of_actor="housing")


def test_send_back_opens_a_new_round_with_a_new_deadline(calendar: WorkingCalendar) -> None:
    order = issued(calendar)
    order.acknowledge(actor=HOUSING, now=FRIDAY, unit_of_actor="housing")
    late = datetime(2025, 10, 13, 9, 0, tzinfo=CST)  # Monday after the deadline of Fri 10 Oct
    order.report_done(report="已整改", actor=HOUSING, now=late, unit_of_actor="housing")
    assert order.rounds_on_time == (False,)
    order.send_back(reason="未见制度文件", working_days=2, actor=LIAISON, now=late, calendar=calendar)
    assert order.round == 2
    assert order.status is OrderStatus.issued
    assert order.due_at == datetime(2025, 10, 15, 17, 30, tzinfo=CST)  # Mon + 2 working days


def test_escalation_only_by_the_system_once_per_level_and_round(calendar: WorkingCalendar) -> None:
    order = issued(calendar)
    assert order.due_at is not None
    with pytest.raises(errors.EscalationByPerson):
        order.escalate(level=1, round_=1, due_at=order.due_at, reason="", recipients=[], actor=LEADER, now=FRIDAY)
    order.escalate(level=1, round_=1, due_at=order.due_at, reason="", recipients=[], actor=SYSTEM_ACTOR, now=FRIDAY)
    with pytest.raises(OrderAlreadyEscalated):
        order.escalate(level=1, round_=1, due_at=order.due_at, reason="", recipients=[], actor=SYSTEM_ACTOR, now=FRIDAY)


def test_decide_orders_levels(calendar: WorkingCalendar) -> None:
    due = datetime(2025, 10, 10, 17, 30, tzinfo=CST)  # Friday; next working day Sat 11 Oct (调休)
    clock = OrderClock(uuid4(), 1, due)
    assert decide_orders([clock], due, calendar) == []
    after = decide_orders([clock], datetime(2025, 10, 10, 17, 31, tzinfo=CST), calendar)
    assert [(e.level, e.recipients) for e in after] == [(OVERDUE, ("unit_leader",))]
    # level 2 one working day after the due instant: Sat 11 Oct is a 调休 working day
    later = decide_orders([clock], datetime(2025, 10, 11, 17, 31, tzinfo=CST), calendar)
    assert [(e.level, e.recipients) for e in later] == [
        (OVERDUE, ("unit_leader",)),
        (COPY_TO_LIAISON, ("unit_leader", "liaison")),
    ]
    done = OrderClock(clock.order_id, 1, due, frozenset({OVERDUE, COPY_TO_LIAISON}))
    assert decide_orders([done], datetime(2025, 10, 20, tzinfo=CST), calendar) == []
    reported = OrderClock(clock.order_id, 1, due, reported=True)
    assert decide_orders([reported], datetime(2025, 10, 20, tzinfo=CST), calendar) == []
