"""Provisional deadlines: once the year's calendar is loaded, the policy corrects them and escalations follow."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from application.clock import SettableClock
from application.complaints import ComplaintsApp
from application.persistence import parse_database_url
from domain.calendar import WorkingCalendar, YearSchedule
from domain.roster import SigningMode
from domain.values import Actor, Channel, Classification, Complainant, ComplainantType, Role
from policies.sweeper import Sweeper
from projections.db import ViewDB
from projections.runner import ProjectionRunner
from tests.conftest import CST
from yousu.wiring import all_views

CLERK = Actor("c", "窗口", Role.window_clerk)
OFFICER = Actor("o", "值班", Role.duty_officer)
LEADER = Actor("l", "带班", Role.duty_leader)


def runner_for(app: ComplaintsApp, url: str) -> ProjectionRunner:
    runner = ProjectionRunner(app, all_views(app.calendar), ViewDB(parse_database_url(url)))
    runner.setup()
    return runner


def weekday_on_or_after(day: date) -> date:
    """The Monday–Friday fallback's first working day from ``day`` on."""
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def test_provisional_deadline_is_corrected_and_escalation_follows_it(pg_url: str, calendar: WorkingCalendar) -> None:
    # "a year without data" is derived from the loaded calendar, not written down: it moves as years are added
    year = max(calendar.schedules) + 1
    assert not calendar.has_year(year)
    last = date(year - 1, 12, 31)
    while not calendar.is_working_day(last):
        last -= timedelta(days=1)
    provisional_day = weekday_on_or_after(date(year, 1, 1))  # 1 working day after the year's last working day
    real_day = weekday_on_or_after(provisional_day + timedelta(days=1))  # once provisional_day is a holiday
    env = parse_database_url(pg_url).env
    clock = SettableClock(datetime.combine(last, time(10), tzinfo=CST))
    before = ComplaintsApp(env, clock=clock, calendar=calendar, signing_mode=SigningMode.roles_only)
    cid = before.receive(
        channel=Channel.window,
        content="跨年诉求",
        category="housing",
        complainant=Complainant(ComplainantType.person, "测试", "13800000000"),
        actor=CLERK,
    ).id
    before.classify(cid, classification=Classification.cannot_do, reason="", actor=CLERK)
    before.sign(cid, opinion="", actor=OFFICER)
    before.sign(cid, opinion="", actor=LEADER)
    before.dispatch(cid, departments=["housing"], supervisor="督办", instructions="", actor=LEADER)
    provisional = before.get(cid)
    provisional_due = datetime.combine(provisional_day, time(17, 30), tzinfo=CST)
    real_due = datetime.combine(real_day, time(17, 30), tzinfo=CST)
    assert provisional.due_at == provisional_due  # Monday–Friday fallback
    assert provisional.due_provisional
    before.close()

    # the district loads the year: the provisional due day turns out to be a holiday
    loaded = WorkingCalendar(
        schedules={**calendar.schedules, year: YearSchedule(year, holidays=frozenset({provisional_day}))}
    )
    after = ComplaintsApp(env, clock=clock, calendar=loaded, signing_mode=SigningMode.roles_only)
    runner = runner_for(after, pg_url)
    runner.run_once()
    sweeper = Sweeper(after, runner.db, catch_up=0.1)
    clock.set(provisional_due + timedelta(minutes=30))  # past the provisional deadline, before the real one
    sweeper.correct_provisional()
    runner.run_once()
    corrected = after.get(cid)
    assert corrected.due_at == real_due
    assert not corrected.due_provisional
    history = after.history(cid)
    [fix] = [h.event for h in history if h.type == "DeadlineCorrected"]
    assert fix.previous_due_at == provisional_due
    assert fix.actor.role is Role.system
    sweeper._corrected = True
    assert sweeper.sweep().raised == 0  # the old deadline passed, the corrected one has not
    clock.set(real_due + timedelta(minutes=1))
    assert sweeper.sweep().raised == 1
    assert [(k.value, lv) for k, lv, _ in after.get(cid).escalations] == [("resolution", 1)]
    runner.run_once()
    with runner.db.transaction(write=False) as tx:
        [(due_at, due_provisional)] = tx.query("SELECT due_at, due_provisional FROM yousu_ledger WHERE id = ?", [cid])
        [(sla_due,)] = tx.query("SELECT due_at FROM yousu_sla WHERE complaint_id = ? AND clock = 'resolution'", [cid])
    assert due_at == sla_due == real_due
    assert not due_provisional
    assert sweeper.correct_provisional() == 0  # nothing provisional is left to correct
