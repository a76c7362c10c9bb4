"""Shared fixtures: a real PostgreSQL database per session, a real SQLite file per test, fake clocks."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import psycopg
import pytest

from application.calendar_loader import load_calendar
from application.clock import SettableClock
from domain.calendar import WorkingCalendar

CST = timezone(timedelta(hours=8))
PG_ADMIN_URL = os.environ.get("YOUSU_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session")
def calendar() -> WorkingCalendar:
    """The shipped calendar: chinesecalendar years plus ops/calendar files."""
    return load_calendar(Path(__file__).resolve().parent.parent / "ops" / "calendar")


@pytest.fixture
def clock() -> SettableClock:
    """A clock standing at Friday 2025-09-26 10:00 Beijing time."""
    return SettableClock(datetime(2025, 9, 26, 10, 0, tzinfo=CST))


def _admin_connect() -> psycopg.Connection[tuple[object, ...]]:
    try:
        return psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:  # never a skip: CI requires PostgreSQL
        pytest.fail(f"PostgreSQL is required at {PG_ADMIN_URL} (set YOUSU_TEST_POSTGRES): {exc}")


def create_pg_database(prefix: str = "yousu_test") -> str:
    """Create a fresh database and return its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with _admin_connect() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    return f"{base}/{name}"


def drop_pg_database(url: str) -> None:
    """Drop a database made by :func:`create_pg_database`, closing its sessions first."""
    name = url.rsplit("/", 1)[1]
    with _admin_connect() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


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
