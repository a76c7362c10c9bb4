"""Shared fixtures: a real PostgreSQL database per session, a real SQLite file per test, fake clocks.

Also the suite's own rules, applied at collection and while tests run:

- every test that uses PostgreSQL carries the ``postgres`` marker: it is added here to any test whose
  fixtures or parameters reach PostgreSQL (see :func:`uses_postgres`), and a test that creates or drops
  a PostgreSQL database without the marker fails (so ``-m "not postgres"`` runs without a server);
- under pytest-xdist (``make test`` runs ``-n auto --dist loadgroup``) each browser module and each
  end-to-end module runs whole on one worker (:func:`xdist_scope`, by the scheduler this file gives xdist), so
  the modules spread over the workers while a module's server starts once; a worker that runs browser modules
  starts its own ``yousu serve`` and chromium once (session fixtures), whatever modules it gets; the few tests
  that start many processes against PostgreSQL at once share one group (``MANY_CONNECTIONS``), so they never
  run side by side, and every process the suite starts has small pools: the workers share PostgreSQL's
  100 connections.
"""

from __future__ import annotations

import functools
import inspect
import os
import queue
import threading
import uuid
from collections.abc import Generator, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import psycopg
import pytest
import structlog

from application.calendar_loader import load_calendar
from application.clock import SettableClock
from domain.calendar import WorkingCalendar

CST = timezone(timedelta(hours=8))
# The CLIs print through rich, which wraps at 80 columns when stderr is no terminal; under pytest-xdist
# tmp paths are longer (…/popen-gw0/…) and a wrapped path no longer contains its file name.
os.environ.setdefault("COLUMNS", "200")
# argon2 at its cheapest for the suite's thousands of accounts and sign-ins (each at the standard cost is
# ~0.1 s of CPU); every server, CLI and in-process app the tests start inherits it. The standard cost itself
# is checked by tests/unit/test_argon2_profile.py, which sets it back.
os.environ.setdefault("YOUSU_ARGON2_PROFILE", "test-only")
# Small pools for every server, CLI and in-process app the suite starts (a test that needs more sets its own).
# The suite shares one PostgreSQL and its 100 connections between two workers; at the default pools (5 + 10,
# the views' pool as large) an idle `yousu serve` holds 13 and one under load 30 or more, and two
# multi-process tests side by side reached 99, and a process connecting then failed (the start-up race's
# StoreUnavailable) in ways that had nothing to do with what it tested.
os.environ.setdefault("YOUSU_POOL_SIZE", "2")
os.environ.setdefault("YOUSU_POOL_MAX_OVERFLOW", "4")
PG_ADMIN_URL = os.environ.get("YOUSU_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session")
def calendar() -> WorkingCalendar:
    """The shipped calendar: chinesecalendar years plus ops/calendar files."""
    return load_calendar(Path(__file__).resolve().parent.parent / "ops" / "calendar")


@pytest.fixture
def structlog_defaults() -> Iterator[None]:
    """structlog's own defaults for one test, the earlier configuration put back after it.

    A command-line test run in-process configures logging (``yousu openapi`` filters below ERROR); a test
    that captures a warning must not depend on which test ran before it on the same worker.
    """
    saved = structlog.get_config()
    structlog.reset_defaults()
    yield
    structlog.configure(**saved)


@pytest.fixture
def clock() -> SettableClock:
    """A clock standing at Friday 2025-09-26 10:00 Beijing time."""
    return SettableClock(datetime(2025, 9, 26, 10, 0, tzinfo=CST))


# Fixture and test sources that reach PostgreSQL without the pg_url fixture.
PG_SOURCE_HINTS = ("create_pg_database(", "PG_ADMIN_URL", '"pg_url"')
POSTGRES_PARAMS = ("postgresql", "postgres")


@functools.cache
def _reaches_postgres(func: object) -> bool:
    """Whether the source of a fixture, test function or test class names a way to PostgreSQL."""
    try:
        source = inspect.getsource(func)  # type: ignore[arg-type]
    except (OSError, TypeError):
        return False
    return any(hint in source for hint in PG_SOURCE_HINTS)


def uses_postgres(item: pytest.Item) -> bool:
    """Whether ``item`` reaches PostgreSQL: the pg_url fixture, a "postgresql" parameter, or a fixture or
    test body that makes its own database (``create_pg_database``, ``PG_ADMIN_URL``).

    A parametrized fixture is judged by the parameter this item runs with (its sqlite case is not marked).
    """
    callspec = getattr(item, "callspec", None)
    params: dict[str, object] = dict(callspec.params) if callspec is not None else {}
    if any(isinstance(v, str) and v in POSTGRES_PARAMS for v in params.values()):
        return True
    names = set(getattr(item, "fixturenames", ()))
    if "pg_url" in names:
        return True
    info = getattr(item, "_fixtureinfo", None)
    defs = info.name2fixturedefs if info is not None else {}
    for name in names:
        for fixturedef in defs.get(name, ()):
            if fixturedef.params is not None:
                continue  # parametrized: the parameter above decides
            if _reaches_postgres(fixturedef.func):
                return True
    func = getattr(item, "function", None)
    if func is not None and _reaches_postgres(func):
        return True
    cls = getattr(item, "cls", None)  # unittest cases make their database in setUp
    return cls is not None and any(_reaches_postgres(k) for k in cls.__mro__ if k.__module__.startswith("tests."))


# The tests that start several processes against the shared PostgreSQL at once, each process with its own pools
# (nodes, runners and sweepers side by side; the start-up race; two workers; racing sweep processes): one at a
# time, on one xdist worker. Side by side on two workers, beside the browser halls, two of them took 99 of the
# server's 100 connections.
MANY_CONNECTIONS = (
    "tests/e2e/test_several_nodes.py",
    "tests/e2e/test_startup_race.py",
    "tests/e2e/test_workers.py",
    "tests/integration/test_sweeper.py::test_racing_sweep_processes_raise_each_escalation_once",
)


@pytest.hookimpl(tryfirst=True)  # before -m selects on the markers
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The postgres marker on every test that uses PostgreSQL."""
    for item in items:
        if item.get_closest_marker("postgres") is None and uses_postgres(item):
            item.add_marker(pytest.mark.postgres)


def xdist_scope(nodeid: str) -> str:
    """The unit of work a test is sent to a worker in: the tests holding many connections together; a browser or
    end-to-end module whole (its module-scoped `yousu serve` starts once, on one worker); any other test alone."""
    if nodeid.startswith(MANY_CONNECTIONS):
        return "many-connections"
    path = nodeid.split("::", 1)[0]
    if path.startswith(("tests/browser/", "tests/e2e/")):
        return path
    return nodeid


def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object | None:
    """``--dist loadgroup`` by :func:`xdist_scope`, larger units first.

    pytest-xdist's own ``xdist_group`` marker does nothing under pytest 9.2: xdist appends the group to
    ``item._nodeid``, which pytest 9.2 no longer reads (a node's id is ``item._id`` now), so every test was
    sent alone and a module's server started on both workers. The grouping is therefore done here, from the
    node ids the workers report, with xdist's own scope scheduler."""
    if config.getvalue("dist") != "loadgroup":
        return None  # xdist's own choice
    from xdist.scheduler import LoadScopeScheduling  # type: ignore[import-untyped]  # noqa: PLC0415 — xdist's

    class Scopes(LoadScopeScheduling):  # type: ignore[misc]  # xdist ships no type information
        def _split_scope(self, nodeid: str) -> str:
            return xdist_scope(nodeid)

    return Scopes(config, log)


_running: list[pytest.Item] = []


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Generator[None, object, object]:
    """Remember the running test, so that a database made for it can check its markers."""
    _running.append(item)
    try:
        return (yield)
    finally:
        _running.pop()


def _require_postgres_marker() -> None:
    """Fail the running test when it reaches PostgreSQL without the ``postgres`` marker."""
    if _running and _running[-1].get_closest_marker("postgres") is None:
        pytest.fail(
            f"{_running[-1].nodeid} uses PostgreSQL but lacks @pytest.mark.postgres "
            "(add the marker, or request the pg_url fixture)",
            pytrace=False,
        )


def _admin_connect() -> psycopg.Connection[tuple[object, ...]]:
    try:
        return psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:  # never a skip: CI requires PostgreSQL
        pytest.fail(f"PostgreSQL is required at {PG_ADMIN_URL} (set YOUSU_TEST_POSTGRES): {exc}")


def create_pg_database(prefix: str = "yousu_test") -> str:
    """Create a fresh database and return its URL (for a test marked ``postgres``).

    Only creating is checked: a module- or session-scoped database is dropped in the teardown of whichever
    test ran last in its scope, which need not use it.
    """
    _require_postgres_marker()
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with _admin_connect() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    return f"{base}/{name}"


class _Dropper:
    """Drops the tests' databases on one background thread, so that no test waits for it.

    ``DROP DATABASE`` takes a few hundred milliseconds of PostgreSQL's file removal and fsync, most of it
    waiting; a worker that waited for it left its core idle after every PostgreSQL test. The databases are
    dropped in the order given, ``WITH (FORCE)`` (closing any session left), on one admin connection (not
    :func:`_admin_connect`, whose ``pytest.fail`` would end the thread silently); the session waits for the last
    and fails on a drop that failed (:func:`_databases_dropped`).
    """

    def __init__(self) -> None:
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.failures: list[str] = []

    def submit(self, name: str) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="drop-databases", daemon=True)
                self._thread.start()
        self._queue.put(name)

    def _run(self) -> None:
        conn: psycopg.Connection[tuple[object, ...]] | None = None
        while (name := self._queue.get()) is not None:
            try:
                if conn is None or conn.closed:
                    conn = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=10)
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            except psycopg.Error as exc:
                self.failures.append(f"{name}: {exc}")
        if conn is not None:
            conn.close()

    def finish(self) -> list[str]:
        """Wait for every drop submitted; the failures."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join()
        return self.failures


_dropper = _Dropper()


def drop_pg_database(url: str) -> None:
    """Drop a database made by :func:`create_pg_database`, closing its sessions (in the background: see
    :class:`_Dropper`)."""
    _dropper.submit(url.rsplit("/", 1)[1])


@pytest.fixture(scope="session", autouse=True)
def _databases_dropped() -> Iterator[None]:
    """Every database dropped before the session ends, and a drop that failed an error of the run.

    Set up before any other session fixture, so torn down after them all (a browser hall's or an end-to-end
    module's database included); an error in this teardown is reported on the last test, under xdist too.
    """
    yield
    failures = _dropper.finish()
    if failures:
        pytest.fail("PostgreSQL databases the suite could not drop:\n" + "\n".join(failures), pytrace=False)


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database for one test, dropped afterwards."""
    url = create_pg_database()
    try:
        yield url
    finally:
        drop_pg_database(url)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A fresh SQLite file for one test."""
    return f"sqlite:///{tmp_path / 'yousu.db'}"
