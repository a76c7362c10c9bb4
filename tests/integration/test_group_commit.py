"""Group commit on real stores: one batch mixing valid, refused and conflicting commands answers each correctly."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from application.audit import AuditService
from application.calendar_loader import load_calendar
from application.clock import SettableClock
from application.complaints import ComplaintsApp
from application.persistence import parse_database_url
from application.store import CommandResult
from domain.errors import ComplaintError
from domain.roster import SigningMode
from domain.values import Actor, Channel, Classification, Complainant, ComplainantType, Role

CST = timezone(timedelta(hours=8))
CALENDAR = load_calendar(Path(__file__).resolve().parents[2] / "ops" / "calendar")
CLERK = Actor("clerk-1", "王窗口", Role.window_clerk)
OFFICER = Actor("officer-1", "李值班", Role.duty_officer)
LEADER = Actor("leader-1", "张带班", Role.duty_leader)
START = datetime(2025, 9, 26, 10, 0, tzinfo=CST)
GATED = "stale-writer"


class GateClock(SettableClock):
    """Stands still; in the thread named GATED its first reading waits until the test opens the gate.

    ``_command`` loads the complaint, then reads the clock to act: the gate holds that thread
    between the two, so the test can change the complaint from another process meanwhile.
    """

    def __init__(self, start: datetime) -> None:
        super().__init__(start)
        self.reached = threading.Event()
        self.gate = threading.Event()

    def now(self) -> datetime:
        if threading.current_thread().name == GATED and not self.gate.is_set():
            self.reached.set()
            assert self.gate.wait(30), "the test never opened the gate"
        return super().now()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest) -> str:
    fixture = "sqlite_url" if request.param == "sqlite" else "pg_url"
    url: str = request.getfixturevalue(fixture)
    return url


@pytest.fixture
def opened() -> Iterator[list[ComplaintsApp]]:
    apps: list[ComplaintsApp] = []
    yield apps
    for app in apps:
        app.close()


def receive(app: ComplaintsApp, n: int) -> CommandResult:
    return app.receive(
        channel=Channel.window,
        content=f"第 {n} 件诉求",
        category="other",
        complainant=Complainant(ComplainantType.person, f"群众{n}", "13800000000"),
        actor=CLERK,
    )


def test_a_batch_of_valid_refused_and_conflicting_commands_answers_each(
    store_url: str, opened: list[ComplaintsApp]
) -> None:
    clock = GateClock(START)
    env = parse_database_url(store_url).env
    # eight members fill the batch: the leader waits for all of them (the test holds a preparation open)
    app = ComplaintsApp(
        dict(env),
        clock=clock,
        calendar=CALENDAR,
        commit_window=30.0,
        commit_batch=8,
        signing_mode=SigningMode.roles_only,
    )
    other_process = ComplaintsApp(dict(env), clock=clock, calendar=CALENDAR, signing_mode=SigningMode.roles_only)
    opened += [app, other_process]
    audit = AuditService(app)
    a, b, c, e, f = (receive(app, n).id for n in range(5))
    batches: list[int] = []
    app.group_commit.observe = lambda size, _seconds: batches.append(size)

    def classify(cid: UUID, kind: Classification, version: int | None = None) -> Callable[[], Any]:
        return lambda: app.classify(cid, classification=kind, reason="", actor=CLERK, expected_version=version)

    def read_a() -> None:
        audit.record_access(reader=LEADER, complaint_id=a, endpoint="GET /v1/complaints/{id}", personal_info=True)

    commands: dict[str, Callable[[], Any]] = {
        "valid": classify(a, Classification.general),
        "refused": lambda: app.sign(b, opinion="同意", actor=OFFICER),  # B is not classified: refused, not batched
        "same-1": classify(c, Classification.general),
        "same-2": classify(c, Classification.hard_to_do),
        "if-match-1": classify(e, Classification.cannot_do, version=1),
        "if-match-2": classify(e, Classification.general, version=1),
        GATED: classify(f, Classification.general),  # another process classifies F after this one loaded it
        "intake": lambda: receive(app, 5),
        "audited-read": read_a,
    }
    answers: dict[str, Any] = {}

    def run(name: str) -> None:
        try:
            answers[name] = commands[name]()
        except ComplaintError as exc:
            answers[name] = exc.code

    with app.group_commit.preparing():  # the leader waits while this is open and the batch is not full
        threads = [threading.Thread(target=run, args=(name,), name=name) for name in commands]
        for t in threads:
            t.start()
        assert clock.reached.wait(30)
        other_process.classify(f, classification=Classification.hard_to_do, reason="他处先分类", actor=CLERK)
        clock.gate.set()
        for t in threads:
            t.join(60)
    assert not any(t.is_alive() for t in threads)

    assert batches == [8], "every command that reached the store went in one batch"
    assert answers["refused"] == "not_classified"
    assert isinstance(answers["valid"], CommandResult)
    assert (answers["valid"].status, answers["valid"].version) == ("classified", 2)
    # two commands on C in one batch: the first is stored, the second is decided again on C's new state
    pair = sorted([answers["same-1"], answers["same-2"]], key=lambda x: isinstance(x, str))
    assert isinstance(pair[0], CommandResult)
    assert pair[0].version == 2
    assert pair[1] == "already_classified"
    # the same with If-Match: the second no longer matches the version it named
    pair = sorted([answers["if-match-1"], answers["if-match-2"]], key=lambda x: isinstance(x, str))
    assert isinstance(pair[0], CommandResult)
    assert pair[0].version == 2
    assert pair[1] == "version_mismatch"
    # the batch met another process's write on F: only F's command fails, the others were stored
    assert answers[GATED] == "concurrent_change"
    assert answers["audited-read"] is None
    intake = answers["intake"]
    assert isinstance(intake, CommandResult)
    assert intake.slip_no == "YS-district-20250926-00006"  # after the five before: no gap, no repeat

    fresh = ComplaintsApp(dict(env), clock=clock, calendar=CALENDAR, signing_mode=SigningMode.roles_only)
    opened.append(fresh)
    assert fresh.get(a).classification is Classification.general
    assert fresh.get(b).classification is None
    assert [r.type for r in fresh.history(c)] == ["Received", "Classified"]
    assert [r.type for r in fresh.history(e)] == ["Received", "Classified"]
    assert fresh.get(f).classification is Classification.hard_to_do  # the other process's, not ours
    assert fresh.get(intake.id).slip_no == intake.slip_no
    reads = AuditService(fresh).access_log(complaint_id=a)
    assert [(r["reader"]["id"], r["personal_info"]) for r in reads] == [("leader-1", True)]


def test_slip_numbers_continue_after_a_legacy_slip_book(store_url: str, opened: list[ComplaintsApp]) -> None:
    from domain.slips import SlipBook  # noqa: PLC0415 — the legacy aggregate, only here

    clock = SettableClock(START)
    env = parse_database_url(store_url).env
    app = ComplaintsApp(dict(env), clock=clock, calendar=CALENDAR, signing_mode=SigningMode.roles_only)
    opened.append(app)
    book = SlipBook.open(CALENDAR.local_day(START), "district", now=START)  # written by a version before the counter
    for _ in range(3):
        book.issue(now=START)
    app.save(book)
    restarted = ComplaintsApp(dict(env), clock=clock, calendar=CALENDAR, signing_mode=SigningMode.roles_only)
    opened.append(restarted)
    assert receive(restarted, 1).slip_no == "YS-district-20250926-00004"
    assert receive(app, 2).slip_no == "YS-district-20250926-00005"
    clock.advance(timedelta(days=1))  # a new day has no book: it starts at 1
    assert receive(app, 3).slip_no == "YS-district-20250927-00001"
