"""Hypothesis: over random timelines of commands and clock steps, an escalation exists exactly when a clock
passed its due instant unmet, at each level, once."""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime, timedelta
from uuid import uuid4

from hypothesis import given, settings, target
from hypothesis import strategies as st

from application.complaints import new_salt
from domain.calendar import WorkingCalendar
from domain.complaint import Complaint
from domain.errors import ComplaintError
from domain.roster import SigningMode
from domain.rules import Limits
from domain.values import SYSTEM_ACTOR, Actor, Channel, Classification, Complainant, ComplainantType, Role
from policies.deadlines import COPY_TO_LIAISON, NOTICE, OVERDUE, EscalationRules, OpenClock, decide, level2_at
from tests.conftest import CST

CLERK = Actor("c", "窗口", Role.window_clerk)
OFFICER = Actor("o", "值班", Role.duty_officer)
LEADER = Actor("l", "带班", Role.duty_leader)
DEPT = Actor("d", "住建", Role.department, "housing")
LIMITS = Limits()


def command(c: Complaint, i: int, now: datetime, cal: WorkingCalendar) -> None:
    kinds = [Classification.general, Classification.cannot_do, Classification.hard_to_do]
    steps = [
        lambda: c.classify(classification=kinds[i % 3], reason="", actor=CLERK, now=now, calendar=cal, limits=LIMITS),
        lambda: c.sign(opinion="", actor=OFFICER, now=now, mode=SigningMode.roles_only),
        lambda: c.sign(opinion="", actor=LEADER, now=now, mode=SigningMode.roles_only),
        lambda: c.dispatch(
            departments=["housing"],
            supervisor="督",
            instructions="",
            actor=LEADER,
            now=now,
            calendar=cal,
            limits=LIMITS,
        ),
        lambda: c.consult(participants=[], conclusion="会商", actor=LEADER, now=now, mode=SigningMode.roles_only),
        lambda: c.resolve(result="办", legal_basis="依据", actor=DEPT, now=now, calendar=cal, limits=LIMITS),
        lambda: c.resolve(result="办", legal_basis=None, actor=CLERK, now=now, calendar=cal, limits=LIMITS),
        lambda: c.feed_back(method="电话", summary="", actor=CLERK, now=now, calendar=cal, limits=LIMITS),
        lambda: c.call_back(rating=1 + i % 5, comment="", actor=CLERK, now=now, calendar=cal, limits=LIMITS),
    ]
    with suppress(ComplaintError):  # refused commands are part of a random timeline
        steps[i % len(steps)]()


def sweep(c: Complaint, now: datetime, cal: WorkingCalendar) -> None:
    clocks = [
        OpenClock(c.id, k, r, due, frozenset(lv for (kk, lv, rr) in c.escalations if kk is k and rr == r))
        for k, r, _start, due, _days in c.open_clocks(LIMITS)
    ]
    for e in decide(clocks, now, cal):
        c.escalate(
            clock=e.clock,
            level=e.level,
            due_at=e.due_at,
            reason=e.reason,
            recipients=e.recipients,
            actor=SYSTEM_ACTOR,
            now=now,
            round_=e.round,
        )


@settings(max_examples=150, deadline=None)
@given(
    steps=st.lists(
        st.one_of(
            st.tuples(st.just("cmd"), st.integers(0, 80)),
            st.tuples(st.just("wait"), st.integers(1, 60 * 24 * 4)),
        ),
        max_size=30,
    )
)
def test_escalations_exactly_when_due_and_once(calendar: WorkingCalendar, steps: list[tuple[str, int]]) -> None:
    now = datetime(2025, 9, 24, 9, 0, tzinfo=CST)
    c = Complaint.receive(
        slip_no="YS1",
        channel=Channel.window,
        content="x",
        category="housing",
        complainant=Complainant(ComplainantType.person, "某", "13800000000"),
        actor=CLERK,
        now=now,
        calendar=calendar,
        limits=LIMITS,
        complaint_id=uuid4(),
        salt=new_salt,
    )
    for kind, n in steps:
        if kind == "cmd":
            command(c, n, now, calendar)
        else:
            now += timedelta(minutes=n)
        sweep(c, now, calendar)
    events = list(c.collect_events())
    raised = [e for e in events if isinstance(e, Complaint.Escalated)]
    target(float(len(raised)))  # steer towards timelines that escalate
    keys = [(e.clock, e.level, e.round) for e in raised]
    assert len(keys) == len(set(keys))  # once per clock, level and round
    for e in raised:  # never early
        if e.level == OVERDUE:
            assert e.occurred_at > e.due_at
        elif e.level == COPY_TO_LIAISON:
            assert e.occurred_at > level2_at(e.due_at, calendar, EscalationRules())
        else:
            assert e.level == NOTICE
            assert e.clock.value == "rectification"
    for k, r, _start, due, _days in c.open_clocks(LIMITS):  # never missed: what is open and past due is escalated
        have = {lv for (kk, lv, rr) in c.escalations if kk is k and rr == r}
        assert (OVERDUE in have) == (now > due)
        assert (COPY_TO_LIAISON in have) == (now > level2_at(due, calendar, EscalationRules()))
