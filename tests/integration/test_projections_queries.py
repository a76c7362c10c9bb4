"""Queries over the views: ledger filters and paging, export cells, overdue clocks, clock states, metrics."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from application.clock import SettableClock
from application.complaints import ComplaintsApp
from domain.rules import ClockKind
from domain.values import SYSTEM_ACTOR, Channel, Classification
from projections import ledger as ledger_module
from projections.ledger import (
    LEDGER_COLUMNS_ZH,
    LedgerFilter,
    ledger_export_values,
    ledger_iter,
    ledger_page,
)
from projections.metrics import metrics, plan_period, split_period
from projections.runner import ProjectionRunner
from projections.sla import overdue
from projections.view import QueryError
from tests.integration.projections_reference import (
    CALENDAR,
    CLERK,
    CST,
    DEPT,
    HOTLINE,
    LEADER,
    OFFICER,
    PEOPLE,
    close,
    make_app,
    make_runner,
)
from tests.readers import complaint_clocks, ledger_get

MONDAY = datetime(2025, 9, 22, 10, 0, tzinfo=CST)


@pytest.fixture(params=["postgresql", "sqlite"])
def world(
    request: pytest.FixtureRequest,
) -> Iterator[tuple[ComplaintsApp, ProjectionRunner, SettableClock, dict[str, object]]]:
    """A small, known set of complaints, projected."""
    url = str(request.getfixturevalue("pg_url" if request.param == "postgresql" else "sqlite_url"))
    clock = SettableClock(MONDAY)
    app = make_app(url, clock)
    runner = make_runner(app, url)
    ids: dict[str, object] = {}

    def receive(channel: Channel = Channel.window, person: int = 0, category: str = "housing") -> object:
        kwargs = {}
        actor = CLERK
        if channel is Channel.hotline:
            kwargs = {"external_ref": f"H{len(ids)}", "received_at": clock.now() - timedelta(hours=1)}
            actor = HOTLINE
        r = app.receive(
            channel=channel,
            content="内容",
            category=category,
            complainant=PEOPLE[person].complainant,
            actor=actor,
            **kwargs,
        )
        return r.id

    # 1. general, resolved on the spot, fed back, called back satisfied (Monday)
    g = receive()
    app.classify(g, classification=Classification.general, reason="r", actor=CLERK)
    app.resolve(g, result="ok", legal_basis=None, actor=CLERK)
    app.feed_back(g, method="电话", summary="s", actor=CLERK)
    app.call_back(g, rating=5, comment="", actor=CLERK)
    ids["general"] = g
    # 2. cannot_do to two departments, dispatched Monday, never resolved → overdue; escalated
    c = receive(Channel.hotline, person=1, category="tax")
    app.classify(c, classification=Classification.cannot_do, reason="r", actor=CLERK)
    app.sign(c, opinion="同意", actor=OFFICER)
    app.sign(c, opinion="同意", actor=LEADER)
    app.dispatch(c, departments=["market", "tax"], supervisor="周督办", instructions="i", actor=LEADER)
    ids["cannot_do"] = c
    # 3. received Tuesday, only classified (enterprise complainant)
    clock.advance(timedelta(days=1))
    h = receive(Channel.online, person=2, category="other")
    app.classify(h, classification=Classification.hard_to_do, reason="r", actor=CLERK)
    ids["hard_to_do"] = h
    # Thursday: the cannot_do complaint's limit (1 working day → Tuesday 17:30) has passed
    clock.advance(timedelta(days=2))
    due = app.get(c).due_at
    assert due is not None
    app.escalate(
        c, clock=ClockKind.resolution, level=1, due_at=due, reason="逾期", recipients=["liaison"], actor=SYSTEM_ACTOR
    )
    # 4. a dispatched refused_to_do handled by the tax department in time, with a 差评
    r = receive()
    app.classify(r, classification=Classification.refused_to_do, reason="r", actor=CLERK)
    app.sign(r, opinion="同意", actor=OFFICER)
    app.sign(r, opinion="同意转税务", actor=LEADER)
    app.dispatch(r, departments=["tax"], supervisor="周督办", instructions="i", actor=LEADER)
    app.consult(r, participants=["tax"], conclusion="税务牵头一次性告知", actor=LEADER)
    app.resolve(r, result="已办理", legal_basis=None, actor=DEPT["tax"])
    app.feed_back(r, method="短信", summary="s", actor=CLERK)
    app.call_back(r, rating=1, comment="", actor=CLERK)
    ids["refused"] = r
    runner.run_once()
    yield app, runner, clock, ids
    close(app, runner)


World = tuple[ComplaintsApp, ProjectionRunner, SettableClock, dict[str, object]]


def slips(rows: list[dict[str, object]]) -> list[object]:
    return [r["id"] for r in rows]


def test_ledger_filters(world: World) -> None:
    app, runner, _clock, ids = world
    db = runner.db
    everything = ledger_page(db)
    assert everything.total == 4
    # newest first by the time received (the hotline complaint was received an hour before intake)
    assert slips(everything.rows) == [ids["refused"], ids["hard_to_do"], ids["general"], ids["cannot_do"]]
    assert slips(ledger_page(db, LedgerFilter(status="closed")).rows) == [ids["general"]]
    assert slips(ledger_page(db, LedgerFilter(classification="hard_to_do")).rows) == [ids["hard_to_do"]]
    assert slips(ledger_page(db, LedgerFilter(channel="hotline")).rows) == [ids["cannot_do"]]
    assert slips(ledger_page(db, LedgerFilter(department="tax")).rows) == [ids["refused"], ids["cannot_do"]]
    assert slips(ledger_page(db, LedgerFilter(department="market")).rows) == [ids["cannot_do"]]
    assert slips(ledger_page(db, LedgerFilter(overdue=True)).rows) == [ids["cannot_do"]]
    assert ledger_page(db, LedgerFilter(overdue=False)).total == 3
    tuesday = MONDAY + timedelta(days=1)
    assert slips(
        ledger_page(
            db, LedgerFilter(received_from=tuesday - timedelta(hours=1), received_to=tuesday + timedelta(hours=1))
        ).rows
    ) == [ids["hard_to_do"]]
    general = app.get(ids["general"])  # type: ignore[arg-type]
    assert slips(ledger_page(db, LedgerFilter(q=general.slip_no[6:])).rows) == [ids["general"]]
    assert ledger_page(db, LedgerFilter(q="%")).total == 0  # LIKE wildcards are literal
    assert ledger_page(db, LedgerFilter(q="_")).total == 0
    with pytest.raises(QueryError):
        ledger_page(db, LedgerFilter(received_from=datetime(2025, 9, 22)))  # noqa: DTZ001 — naive on purpose
    with pytest.raises(QueryError):
        ledger_page(db, limit=0)


def test_ledger_rows_are_masked_and_typed(world: World) -> None:
    _app, runner, _clock, ids = world
    row = ledger_get(runner.db, ids["cannot_do"])  # type: ignore[arg-type]
    assert row is not None
    assert row["complainant_masked"] == PEOPLE[1].masked
    assert row["departments"] == ["market", "tax"]
    assert row["overdue"] is True
    assert row["overdue_level"] == 1
    assert isinstance(row["received_at"], datetime)
    enterprise = ledger_get(runner.db, ids["hard_to_do"])  # type: ignore[arg-type]
    assert enterprise is not None
    assert enterprise["complainant_masked"] == PEOPLE[2].masked


def test_ledger_paging_by_offset_and_cursor_agree(world: World) -> None:
    _app, runner, _clock, _ids = world
    db = runner.db
    by_offset = [r["id"] for off in range(0, 4, 3) for r in ledger_page(db, limit=3, offset=off).rows]
    first = ledger_page(db, limit=3)
    assert first.next_cursor is not None
    second = ledger_page(db, limit=3, cursor=first.next_cursor)
    assert [r["id"] for r in first.rows + second.rows] == by_offset
    assert second.next_cursor is None
    assert [r["id"] for r in ledger_iter(db, batch=1)] == by_offset
    with pytest.raises(QueryError):
        ledger_page(db, cursor="not-a-cursor")


def test_ledger_total_is_exact_up_to_the_cap_and_says_when_more_match(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    _app, runner, _clock, ids = world
    db = runner.db
    monkeypatch.setattr(ledger_module, "COUNT_CAP", 3)
    four = ledger_page(db, limit=2)
    assert (four.total, four.more) == (3, True)  # 4 match: the cap, and "more than that"
    assert len(four.rows) == 2
    three = ledger_page(db, LedgerFilter(overdue=False))
    assert (three.total, three.more) == (3, False)  # exactly the cap: exact
    assert slips(ledger_page(db, LedgerFilter(department="tax")).rows) == [ids["refused"], ids["cannot_do"]]
    assert ledger_page(db, LedgerFilter(department="tax")).more is False


def test_export_cells_follow_the_chinese_headings(world: World) -> None:
    _app, runner, _clock, ids = world
    row = ledger_get(runner.db, ids["refused"])  # type: ignore[arg-type]
    assert row is not None
    cells = ledger_export_values(row, CALENDAR, departments={"tax": "税务"}, categories={"housing": "住房城建"})
    assert len(cells) == len(LEDGER_COLUMNS_ZH)
    cell = dict(zip(LEDGER_COLUMNS_ZH.values(), cells, strict=True))
    assert cell["受理渠道"] == "窗口"
    assert cell["问题分类"] == "不给办"
    assert cell["办理状态"] == "整改中"
    assert cell["承办部门"] == "税务"
    assert cell["诉求类别"] == "住房城建"
    assert cell["满意度评价"] == "非常不满意"
    assert cell["受理时间"] == "2025-09-25 10:00"
    assert cell["整改轮次"] == "1"
    assert cell["诉求人"] == PEOPLE[0].masked
    # the notice's 台账 columns: 受理人, 签字意见, 转办时间, 会商, 反馈方式
    assert cell["受理人"] == "王窗口"
    assert (cell["值班人员签字意见"], cell["带班领导签字意见"]) == ("同意", "同意转税务")
    assert cell["转办时间"] == "2025-09-25 10:00"
    assert cell["会商"] == "税务：税务牵头一次性告知"
    assert cell["反馈方式"] == "短信"


def test_overdue_and_clock_states(world: World) -> None:
    _app, runner, clock, ids = world
    now = clock.now()  # Thursday 10:00
    page = overdue(runner.db, now, CALENDAR)
    by_clock = {(r["complaint_id"], r["clock"]): r for r in page.rows}
    late = by_clock[(ids["cannot_do"], "resolution")]
    assert late["escalation_level"] == 1
    assert late["late_hours"] == pytest.approx(8.5 + 1.0)  # Tue 17:30 → Thu 10:00: all of Wednesday + 1 h
    assert late["departments"] == ["market", "tax"]
    # hard_to_do was classified on Tuesday and never dispatched: its response clock is overdue
    assert (ids["hard_to_do"], "response") in by_clock
    assert page.total == len(page.rows)
    assert overdue(runner.db, now, CALENDAR, department="market").total == 1
    assert overdue(runner.db, now, CALENDAR, clock="response").total == 1
    assert overdue(runner.db, MONDAY, CALENDAR).total == 0
    states = {(c["clock"], c["round"]): c for c in complaint_clocks(runner.db, ids["refused"], now, CALENDAR)}  # type: ignore[arg-type]
    assert states[("response", 0)]["state"] == "met"
    assert states[("resolution", 0)]["state"] == "met"
    assert states[("feedback", 0)]["state"] == "met"
    assert states[("callback", 0)]["state"] == "met"
    assert states[("rectification", 1)]["state"] == "pending"
    later = now + timedelta(days=30)
    after = {(c["clock"], c["round"]): c for c in complaint_clocks(runner.db, ids["refused"], later, CALENDAR)}  # type: ignore[arg-type]
    assert after[("rectification", 1)]["state"] == "breached"
    assert after[("rectification", 1)]["late_hours"] > 0


def test_metrics_groups_and_rates(world: World) -> None:
    _app, runner, clock, _ids = world
    db = runner.db
    now = clock.now()
    week = (date(2025, 9, 22), date(2025, 9, 28))
    (total,) = metrics(db, *week, None, now)
    assert total.counts["received"] == 4
    rates = total.as_dict()["rates"]
    assert set(rates) == {
        "response",
        "closure",
        "on_time_closure",
        "satisfaction",
        "bad_rating",
        "callback",
        "return",
        "on_time_closure_original",
        "appeal_upheld",
    }
    # satisfied 5 and 差评 1 over two rated call-backs
    assert rates["satisfaction"] == {"numerator": 1, "denominator": 2, "rate": 0.5}
    assert rates["bad_rating"] == {"numerator": 1, "denominator": 2, "rate": 0.5}
    # closure: general and refused resolved; cannot_do due Tuesday and unresolved; hard_to_do has no deadline
    assert rates["closure"] == {"numerator": 2, "denominator": 3, "rate": pytest.approx(2 / 3)}
    depts = {g.group: g for g in metrics(db, *week, "department", now)}
    assert set(depts) == {"", "market", "tax"}
    assert depts["tax"].counts["received"] == 2
    assert depts["market"].counts["received"] == 1
    assert depts[""].counts["received"] == 2
    months = metrics(db, *week, "month", now)
    assert [g.group for g in months] == ["2025-09"]
    channels = {g.group: g.counts["received"] for g in metrics(db, *week, "channel", now)}
    assert channels == {"window": 2, "hotline": 1, "online": 1}
    only_tax = metrics(db, *week, "classification", now, department="tax")
    assert {g.group for g in only_tax} == {"cannot_do", "refused_to_do"}
    assert metrics(db, date(2030, 1, 1), date(2030, 1, 2), None, now) == []
    with pytest.raises(QueryError):
        metrics(db, *week, "weekday", now)
    with pytest.raises(QueryError):
        metrics(db, *week, None, now, satisfied_levels=[0])


@given(st.dates(date(2024, 1, 1), date(2026, 12, 31)), st.integers(0, 800))
def test_split_period_covers_each_day_once(from_: date, span: int) -> None:
    """Whole months plus leftover days cover the period exactly, without overlap."""
    to = from_ + timedelta(days=span)
    months, days = split_period(from_, to)
    covered: list[date] = []
    if months is not None:
        first, last = months
        assert first.day == 1
        assert last.day == 1
        month = first
        while month <= last:
            following = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
            covered += [month + timedelta(days=i) for i in range((following - month).days)]
            month = following
    for a, b in days:
        covered += [a + timedelta(days=i) for i in range((b - a).days + 1)]
    assert sorted(covered) == [from_ + timedelta(days=i) for i in range(span + 1)]


def _days_of(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


@given(st.dates(date(2024, 1, 1), date(2026, 12, 31)), st.integers(0, 800))
def test_period_plan_counts_each_day_once_and_reads_at_most_half_a_month_of_days_per_end(
    from_: date, span: int
) -> None:
    """Months added, days added and days subtracted: every day of the period counted once, no other day."""
    to = from_ + timedelta(days=span)
    plan = plan_period(from_, to)
    weight: dict[date, int] = {}
    for first, last in plan.months:
        assert (first.day, last.day) == (1, 1)
        for day in _days_of(first, (last.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)):
            weight[day] = weight.get(day, 0) + 1
    for spans, sign in ((plan.days, 1), (plan.minus, -1)):
        for a, b in spans:
            for day in _days_of(a, b):
                weight[day] = weight.get(day, 0) + sign
    assert {d for d, w in weight.items() if w} == set(_days_of(from_, to))
    assert all(w in (0, 1) for w in weight.values())
    assert sum((b - a).days + 1 for a, b in plan.days + plan.minus) <= 2 * 16  # two ends, ≤ half a month each
