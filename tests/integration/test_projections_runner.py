"""The runner: rebuild ≡ incremental (all views or one), schema-version rebuilds, follow with low lag, outages."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from application.clock import SettableClock
from application.complaints import ComplaintsApp
from domain.values import Channel
from projections import tracking
from projections.metrics import MetricsView
from projections.runner import ProjectionRunner
from tests.integration.projections_reference import (
    CALENDAR,
    CLERK,
    PEOPLE,
    START,
    Driver,
    assert_views_match,
    close,
    make_app,
    make_runner,
    seeded_history,
    snapshot,
)
from tests.readers import ledger_get

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")


@pytest.fixture(params=["postgresql", "sqlite"])
def url(request: pytest.FixtureRequest) -> str:
    """Each test once on PostgreSQL and once on a SQLite file."""
    return str(request.getfixturevalue("pg_url" if request.param == "postgresql" else "sqlite_url"))


@pytest.fixture
def env(url: str) -> Iterator[tuple[ComplaintsApp, ProjectionRunner, SettableClock]]:
    """An app with a settable clock and a runner over every view."""
    clock = SettableClock(START)
    app = make_app(url, clock)
    runner = make_runner(app, url, page_size=7)
    yield app, runner, clock
    close(app, runner)


def test_rebuild_gives_identical_tables(env: tuple[ComplaintsApp, ProjectionRunner, SettableClock]) -> None:
    app, runner, clock = env
    Driver(app, clock).run(seeded_history(3, complaints=25, steps=200), runner)
    runner.run_once()
    incremental = snapshot(runner.db)
    seen: list[tuple[int, int]] = []
    runner.rebuild_page_size = 50
    runner.rebuild(["metrics"], progress=lambda done, total: seen.append((done, total)))
    assert snapshot(runner.db) == incremental
    newest = app.max_notification_id()
    assert seen[0] == (0, newest)
    assert seen[-1] == (newest, newest)
    assert len(seen) > 3
    runner.rebuild()
    assert snapshot(runner.db) == incremental
    with pytest.raises(ValueError, match="unknown views"):
        runner.rebuild(["nope"])


def test_rebuild_while_following_and_writing(
    url: str, env: tuple[ComplaintsApp, ProjectionRunner, SettableClock]
) -> None:
    """Commands and a follower carry on during a rebuild: the live ledger never loses rows, the end equals the reference."""
    app, runner, clock = env
    driver = Driver(app, clock)
    ops = [op for op in seeded_history(6, complaints=20, steps=240) if op[0] not in ("project", "check")]
    half = len(ops) // 2
    driver.run(ops[:half])
    runner.run_once()
    received = len(driver.ids)
    follower = make_runner(app, url, page_size=5)
    stop = threading.Event()
    thread = threading.Thread(target=follower.follow, args=(stop,), kwargs={"poll_interval": 0.01})
    thread.start()
    ledger_rows: list[int] = []
    rest = iter(ops[half:])

    def between_pages(_done: int, _total: int) -> None:
        with runner.db.transaction(write=False) as tx:
            ledger_rows.append(int(tx.query("SELECT COUNT(*) FROM yousu_ledger")[0][0]))
        driver.run([op for _, op in zip(range(8), rest, strict=False)])  # events the swap must catch up on

    try:
        runner.rebuild_page_size = 40
        runner.rebuild(progress=between_pages)
        driver.run(list(rest))
        assert tracking.wait_until(runner.db, app.max_notification_id(), timeout=30)
        assert thread.is_alive()
    finally:
        stop.set()
        thread.join(timeout=10)
        follower.db.close()
    assert len(ledger_rows) > 3
    assert min(ledger_rows) >= received
    assert_views_match(app, runner.db, CALENDAR, [clock.now()])


def test_changed_view_version_is_rebuilt_on_setup(
    env: tuple[ComplaintsApp, ProjectionRunner, SettableClock], monkeypatch: pytest.MonkeyPatch
) -> None:
    app, runner, clock = env
    Driver(app, clock).run(seeded_history(4, complaints=10, steps=60))
    runner.run_once()
    before = snapshot(runner.db)
    monkeypatch.setattr(MetricsView, "version", MetricsView.version + 1)
    fresh = make_runner(app, runner.db.database.url)
    try:
        assert tracking.positions(fresh.db)["metrics"] == 0
        assert tracking.positions(fresh.db)["ledger"] > 0
        fresh.run_once()
        assert snapshot(fresh.db) == before
    finally:
        fresh.db.close()


def test_follow_keeps_views_fresh(env: tuple[ComplaintsApp, ProjectionRunner, SettableClock]) -> None:
    app, runner, _clock = env
    stop = threading.Event()
    thread = threading.Thread(target=runner.follow, args=(stop,), kwargs={"poll_interval": 0.02})
    thread.start()
    try:
        lags = []
        for i in range(15):
            result = app.receive(**driver_receive_kwargs(i))
            t0 = time.perf_counter()
            assert tracking.wait_until(runner.db, result.notification_id or 0, timeout=5)
            lags.append(time.perf_counter() - t0)
            assert ledger_get(runner.db, result.id) is not None
        assert sorted(lags)[len(lags) // 2] < 0.2
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()
    assert tracking.lag(runner.db, app.max_notification_id()) == {"ledger": 0, "sla": 0, "metrics": 0}


def driver_receive_kwargs(i: int) -> dict[str, Any]:
    """Arguments of a plain window intake."""
    return {
        "channel": Channel.window,
        "content": f"诉求 {i}",
        "category": "housing",
        "complainant": PEOPLE[i % len(PEOPLE)].complainant,
        "actor": CLERK,
    }


def test_wait_until_times_out_when_behind(env: tuple[ComplaintsApp, ProjectionRunner, SettableClock]) -> None:
    app, runner, _clock = env
    result = app.receive(**driver_receive_kwargs(1))
    assert not tracking.wait_until(runner.db, result.notification_id or 0, timeout=0.1)
    newest = app.max_notification_id()
    assert tracking.lag(runner.db, newest)["ledger"] == newest  # nothing applied yet
    assert tracking.lagging(runner.db, newest, max_lag=newest - 1) == tracking.lag(runner.db, newest)
    assert tracking.lagging(runner.db, newest, max_lag=newest) == {}
    assert tracking.lag(runner.db, newest, ["ledger", "nope"]) == {"ledger": newest, "nope": newest}
    runner.run_once()
    assert tracking.wait_until(runner.db, result.notification_id or 0, timeout=0.1)


@pytest.mark.postgres
def test_follow_survives_connections_being_killed(pg_url: str) -> None:
    """Every session of the database is terminated a few times while the runner follows: it recovers."""
    clock = SettableClock(START)
    app = make_app(pg_url, clock)
    runner = make_runner(app, pg_url, page_size=5)
    stop = threading.Event()
    thread = threading.Thread(target=runner.follow, args=(stop,), kwargs={"poll_interval": 0.02})
    thread.start()
    dbname = pg_url.rsplit("/", 1)[1]
    try:
        driver = Driver(app, clock)
        ops = [op for op in seeded_history(5, complaints=15, steps=120) if op[0] not in ("project", "check")]
        for chunk in range(3):
            # A command cut off by the outage raises StoreUnavailable (a ComplaintError), which the
            # driver treats like any refusal: the reference is whatever the store holds.
            driver.run(ops[chunk * len(ops) // 3 : (chunk + 1) * len(ops) // 3])
            if chunk == 2:
                break
            with psycopg.connect(pg_url, autocommit=True) as admin:
                admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = %s AND pid <> pg_backend_pid()",
                    [dbname],
                )
        deadline = time.monotonic() + 30
        while True:
            try:
                newest = app.max_notification_id()
                break
            except Exception:  # the app's pool is reconnecting
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        assert tracking.wait_until(runner.db, newest, timeout=30)
        assert thread.is_alive()
    finally:
        stop.set()
        thread.join(timeout=10)
    assert_views_match(app, runner.db, CALENDAR, [clock.now()])
    close(app, runner)
