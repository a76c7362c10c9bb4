"""``YOUSU_DATABASE_URL`` → eventsourcing settings, and real round trips through SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

import psycopg
import pytest

from application.calendar_loader import load_calendar
from application.clock import SettableClock
from application.complaints import ComplaintsApp
from application.errors import ConcurrentChange
from application.persistence import DEFAULT_DATABASE_URL, DatabaseURLError, parse_database_url
from application.store import CommandResult
from domain.complaint import Complaint
from domain.roster import SigningMode
from domain.values import Actor, Channel, Classification, Complainant, ComplainantType, Role, Status

CST = timezone(timedelta(hours=8))
CALENDAR = load_calendar(Path(__file__).resolve().parents[2] / "ops" / "calendar")
CLERK = Actor("clerk-1", "王窗口", Role.window_clerk)
OFFICER = Actor("officer-1", "李值班", Role.duty_officer)
LEADER = Actor("leader-1", "张带班", Role.duty_leader)
HOTLINE = Actor("hotline", "12345 热线", Role.hotline)
ENTERPRISE = Complainant(
    ComplainantType.enterprise,
    "刘经理",
    "0571-88000000",
    id_number="330100199001011234",
    enterprise_name="某某科技有限公司",
)


# ---------------------------------------------------------------------------------------- parse_database_url


def test_default_url_is_the_embedded_sqlite_file() -> None:
    assert DEFAULT_DATABASE_URL == "sqlite:///var/yousu.db"


def test_default_url_creates_var_under_the_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    database = parse_database_url(DEFAULT_DATABASE_URL)
    assert database.kind == "sqlite"
    assert database.sqlite_path == Path("var/yousu.db")
    assert database.env == {
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "SQLITE_DBNAME": "var/yousu.db",
        "SQLITE_LOCK_TIMEOUT": "5",
        "APPLICATION_RECORDER_TOPIC": "adapters.sqlite_setup:IndexedSQLiteApplicationRecorder",
    }
    assert (tmp_path / "var").is_dir()


def test_relative_sqlite_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    database = parse_database_url("sqlite:///data/deep/yousu.db")
    assert database.sqlite_path == Path("data/deep/yousu.db")
    assert not database.sqlite_path.is_absolute()
    assert (tmp_path / "data" / "deep").is_dir()


def test_absolute_sqlite_path(tmp_path: Path) -> None:
    target = tmp_path / "abs" / "yousu.db"
    database = parse_database_url(f"sqlite:///{target}")  # four slashes: sqlite:////tmp/...
    assert database.sqlite_path == target
    assert database.env["SQLITE_DBNAME"] == str(target)
    assert target.parent.is_dir()


def test_directories_are_created_only_when_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    parse_database_url("sqlite:///nothere/yousu.db", create_dirs=False)
    assert not (tmp_path / "nothere").exists()


def test_postgresql_url_maps_to_the_postgres_module() -> None:
    database = parse_database_url("postgresql://yousu:s%40cret@db.internal:6543/yousu%5Fprod")
    assert database.kind == "postgresql"
    assert database.sqlite_path is None
    env = database.env
    assert env["PERSISTENCE_MODULE"] == "eventsourcing.postgres"
    assert (env["POSTGRES_USER"], env["POSTGRES_PASSWORD"]) == ("yousu", "s@cret")
    assert (env["POSTGRES_HOST"], env["POSTGRES_PORT"], env["POSTGRES_DBNAME"]) == ("db.internal", "6543", "yousu_prod")
    # docs/design.md §5: notification order must equal commit order, so the table lock stays on.
    assert "POSTGRES_ENABLE_DB_FUNCTIONS" not in env
    assert database.redacted == "postgresql://yousu:***@db.internal:6543/yousu%5Fprod"


def test_postgres_scheme_alias_and_default_port() -> None:
    env = parse_database_url("postgres://postgres@127.0.0.1/test").env
    assert (env["POSTGRES_PORT"], env["POSTGRES_PASSWORD"], env["POSTGRES_DBNAME"]) == ("5432", "", "test")
    assert parse_database_url("postgres://postgres@127.0.0.1/test").redacted == "postgres://postgres@127.0.0.1/test"


def test_memory_url_is_for_tests_only() -> None:
    database = parse_database_url("memory://")
    assert (database.kind, database.env) == ("memory", {"PERSISTENCE_MODULE": "eventsourcing.popo"})


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://u@h/db", "unsupported database URL scheme 'mysql'"),
        ("", "unsupported database URL scheme ''"),
        ("/var/yousu.db", "unsupported database URL scheme"),
        ("sqlite://", "sqlite URL needs a file path"),
        ("sqlite:///", "sqlite URL needs a file path"),
        ("postgresql://127.0.0.1/db", "needs user, host and database"),
        ("postgresql://u@127.0.0.1/", "needs user, host and database"),
        ("postgresql:///db", "needs user, host and database"),
        ("postgresql://u@127.0.0.1:notaport/db", "invalid port"),
        ("postgresql://u@127.0.0.1:70000/db", "invalid port"),
    ],
)
def test_bad_urls_raise_a_clear_error(url: str, message: str) -> None:
    with pytest.raises(DatabaseURLError) as info:
        parse_database_url(url, create_dirs=False)
    assert message in str(info.value)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("url", ["postgresql://u:hunter2@127.0.0.1:notaport/db", "postgresql://:hunter2@h/db"])
def test_errors_never_show_the_password(url: str) -> None:
    with pytest.raises(DatabaseURLError) as info:
        parse_database_url(url)
    assert "hunter2" not in str(info.value)
    assert "***" in str(info.value)


# ---------------------------------------------------------------------------------------- round trips


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest) -> str:
    """A fresh real store of each kind."""
    fixture = "sqlite_url" if request.param == "sqlite" else "pg_url"
    url: str = request.getfixturevalue(fixture)
    return url


@pytest.fixture
def apps(store_url: str, clock: SettableClock) -> Iterator[list[ComplaintsApp]]:
    """Collects apps opened by a test and closes them (PostgreSQL pools hold connections)."""
    opened: list[ComplaintsApp] = []
    yield opened
    for app in opened:
        app.close()


def open_app(apps: list[ComplaintsApp], url: str, clock: SettableClock) -> ComplaintsApp:
    app = ComplaintsApp(
        parse_database_url(url).env, clock=clock, calendar=CALENDAR, signing_mode=SigningMode.roles_only
    )
    apps.append(app)
    return app


def test_receive_then_get_round_trip(store_url: str, clock: SettableClock, apps: list[ComplaintsApp]) -> None:
    writer = open_app(apps, store_url, clock)
    original_time = clock.now() - timedelta(hours=15)  # Thursday evening, after close
    received = writer.receive(
        channel=Channel.hotline,
        content="企业开办材料被退回三次，未一次性告知",
        category="market_regulation",
        complainant=ENTERPRISE,
        actor=HOTLINE,
        received_at=original_time,
        external_ref="12345-20250926-0001",
    )
    clock.advance(timedelta(minutes=5))
    writer.classify(received.id, classification=Classification.refused_to_do, reason="不给办", actor=CLERK)
    writer.sign(received.id, opinion="同意", actor=OFFICER)
    writer.sign(received.id, opinion="同意转办", actor=LEADER)
    dispatched = writer.dispatch(
        received.id, departments=["market", "tax"], supervisor="周督办", instructions="两日内办结", actor=LEADER
    )
    assert dispatched.due_at == datetime(2025, 9, 29, 17, 30, tzinfo=CST)

    reader = open_app(apps, store_url, clock)
    rebuilt = reader.get(received.id)
    assert rebuilt.state() == writer.get(received.id).state()
    # Types survive the store: enums as members, value objects as dataclasses, instants aware.
    assert rebuilt.channel is Channel.hotline
    assert rebuilt.status is Status.dispatched
    assert rebuilt.classification is Classification.refused_to_do
    assert rebuilt.complainant == ENTERPRISE
    assert rebuilt.received_by == HOTLINE
    assert rebuilt.received_at == original_time
    assert rebuilt.response_due_at == datetime(2025, 9, 26, 17, 30, tzinfo=CST)
    assert rebuilt.departments == ("market", "tax")
    assert rebuilt.due_at == dispatched.due_at
    assert rebuilt.slip_no == received.slip_no == "YS-district-20250926-00001"
    history = reader.history(received.id)
    assert [h.type for h in history] == ["Received", "Classified", "Signed", "Signed", "Dispatched"]
    assert all(isinstance(h.event, Complaint.Event) for h in history)
    assert [h.version for h in history] == [1, 2, 3, 4, 5]
    # The intake retried with the same external reference answers with the same complaint.
    again = reader.receive(
        channel=Channel.hotline,
        content="企业开办材料被退回三次，未一次性告知",
        category="market_regulation",
        complainant=ENTERPRISE,
        actor=HOTLINE,
        received_at=original_time,
        external_ref="12345-20250926-0001",
    )
    assert (again.id, again.created, again.slip_no) == (received.id, False, received.slip_no)


def test_sqlite_store_is_a_real_file(sqlite_url: str, clock: SettableClock) -> None:
    app = ComplaintsApp(
        parse_database_url(sqlite_url).env, clock=clock, calendar=CALENDAR, signing_mode=SigningMode.roles_only
    )
    try:
        result = app.receive(
            channel=Channel.window, content="窗口态度差", category="other", complainant=ENTERPRISE, actor=CLERK
        )
    finally:
        app.close()
    path = parse_database_url(sqlite_url).sqlite_path
    assert path is not None
    assert path.is_file()
    assert path.stat().st_size > 0
    reopened = ComplaintsApp(
        parse_database_url(sqlite_url).env, clock=clock, calendar=CALENDAR, signing_mode=SigningMode.roles_only
    )
    try:
        assert reopened.get(result.id).content == "窗口态度差"
    finally:
        reopened.close()


def test_default_url_works_end_to_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: SettableClock) -> None:
    monkeypatch.chdir(tmp_path)
    app = ComplaintsApp(
        parse_database_url(DEFAULT_DATABASE_URL).env,
        clock=clock,
        calendar=CALENDAR,
        signing_mode=SigningMode.roles_only,
    )
    try:
        result = app.receive(
            channel=Channel.online, content="网上申报无法提交", category="tax", complainant=ENTERPRISE, actor=CLERK
        )
        assert app.get(result.id).channel is Channel.online
    finally:
        app.close()
    assert (tmp_path / "var" / "yousu.db").is_file()


def test_postgres_rows_are_in_the_named_table(pg_url: str, clock: SettableClock) -> None:
    app = ComplaintsApp(
        parse_database_url(pg_url).env, clock=clock, calendar=CALENDAR, signing_mode=SigningMode.roles_only
    )
    try:
        result = app.receive(
            channel=Channel.window, content="窗口态度差", category="other", complainant=ENTERPRISE, actor=CLERK
        )
        app.classify(result.id, classification=Classification.general, reason="", actor=CLERK)
    finally:
        app.close()
    with psycopg.connect(pg_url) as conn:
        row = conn.execute("SELECT count(*) FROM complaints_events WHERE originator_id = %s", (result.id,)).fetchone()
        total = conn.execute("SELECT count(*) FROM complaints_events").fetchone()
        counter = conn.execute("SELECT centre, day, last FROM yousu_slip_counters").fetchall()
    assert row == (2,)
    assert total == (2,)  # nothing else: the slip number came from the day's counter row
    assert counter == [("district", clock.now().date(), 1)]


# ---------------------------------------------------------------------------------------- slip numbers


def receive_one(app: ComplaintsApp, n: int) -> CommandResult:
    return app.receive(
        channel=Channel.window,
        content=f"第 {n} 件诉求",
        category="other",
        complainant=Complainant(ComplainantType.person, f"群众{n}", "13800000000"),
        actor=CLERK,
    )


def test_slip_numbers_unique_and_ordered_by_time(store_url: str, apps: list[ComplaintsApp]) -> None:
    clock = SettableClock(datetime(2025, 9, 26, 21, 0, tzinfo=CST))  # runs past midnight
    app = open_app(apps, store_url, clock)
    results = []
    for n in range(40):
        results.append(receive_one(app, n))
        clock.advance(timedelta(minutes=7))
    slips = [r.slip_no for r in results]
    assert len(set(slips)) == len(slips)
    assert slips == sorted(slips)
    assert slips[0] == "YS-district-20250926-00001"
    assert slips[-1] == "YS-district-20250927-00014"  # 21:00–23:55 took 26; the new day starts again at 1
    assert "YS-district-20250926-00026" in slips
    assert "YS-district-20250927-00001" in slips
    notification_ids = [r.notification_id for r in results]
    assert notification_ids == sorted(notification_ids)
    # A fresh app on the same store continues the day's book.
    later = receive_one(open_app(apps, store_url, clock), 99)
    assert later.slip_no == "YS-district-20250927-00015"


def _concurrent_receives(apps: list[ComplaintsApp], per_thread: int) -> tuple[list[CommandResult], int]:
    """Four threads receiving at once, one app each or one shared; 409s are retried as a client would."""
    start = threading.Barrier(4)
    conflicts = 0
    lock = threading.Lock()

    def work(i: int) -> list[CommandResult]:
        nonlocal conflicts
        app = apps[i % len(apps)]
        start.wait()
        out = []
        for n in range(per_thread):
            while True:
                try:
                    out.append(receive_one(app, i * 1000 + n))
                    break
                except ConcurrentChange:
                    with lock:
                        conflicts += 1
        return out

    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = [pool.submit(work, i) for i in range(4)]
        results = [r for f in futures for r in f.result()]
    return results, conflicts


def _check_slips(results: list[CommandResult], expected: int) -> None:
    slips = [r.slip_no for r in results]
    assert len(slips) == expected
    assert len(set(slips)) == expected, "duplicate slip numbers"
    assert set(slips) == {f"YS-district-20250926-{n:05d}" for n in range(1, expected + 1)}, "no gaps either"
    assert len({r.id for r in results}) == expected
    # Commit order is slip order: sorting by notification id sorts the slips.
    by_commit = sorted(results, key=lambda r: r.notification_id or 0)
    assert [r.slip_no for r in by_commit] == sorted(slips)


def test_concurrent_receives_on_postgres_share_one_app(pg_url: str, clock: SettableClock) -> None:
    app = ComplaintsApp(
        parse_database_url(pg_url).env, clock=clock, calendar=CALENDAR, signing_mode=SigningMode.roles_only
    )
    try:
        results, conflicts = _concurrent_receives([app], per_thread=25)
        _check_slips(results, 100)
        assert conflicts == 0  # intakes in one process share group commits: nothing to retry
    finally:
        app.close()


def test_concurrent_receives_on_postgres_from_four_apps(pg_url: str, clock: SettableClock) -> None:
    # Four apps stand for four API processes: they meet only in PostgreSQL.
    env = parse_database_url(pg_url).env
    four = [
        ComplaintsApp(dict(env), clock=clock, calendar=CALENDAR, signing_mode=SigningMode.roles_only) for _ in range(4)
    ]
    try:
        results, _ = _concurrent_receives(four, per_thread=25)
        _check_slips(results, 100)
        fresh = ComplaintsApp(dict(env), clock=clock, calendar=CALENDAR, signing_mode=SigningMode.roles_only)
        try:
            assert {fresh.get(r.id).slip_no for r in results} == {r.slip_no for r in results}
        finally:
            fresh.close()
    finally:
        for app in four:
            app.close()
