"""The access log reads an index written with each access record, not a scan of the event store."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import psycopg
import pytest

from adapters.pg_setup import SerialisedPostgresApplicationRecorder
from application.access_index import AccessIndexRow, AccessQuery
from application.audit import AuditService
from application.clock import SettableClock
from application.complaints import ComplaintsApp
from application.persistence import parse_database_url
from domain.access import AccessRecord
from domain.roster import SigningMode
from domain.values import Actor, Role

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
AUDITOR = Actor("a1", "审计甲", Role.liaison)
OTHER = Actor("a2", "审计乙", Role.liaison)


@pytest.fixture(params=["postgresql", "sqlite"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "postgresql":
        yield request.getfixturevalue("pg_url")
    else:
        yield f"sqlite:///{tmp_path / 'yousu.db'}"


def open_app(url: str, clock: SettableClock) -> ComplaintsApp:
    return ComplaintsApp(env=parse_database_url(url).env, clock=clock, signing_mode=SigningMode.roles_only)


def test_reads_are_listed_at_once_and_filtered(database_url: str) -> None:
    clock = SettableClock(T0)
    app = open_app(database_url, clock)
    audit = AuditService(app)
    one, two = uuid4(), uuid4()
    try:
        for n in range(6):
            audit.record_access(
                reader=AUDITOR if n % 2 else OTHER,
                complaint_id=one if n < 4 else two,
                endpoint="history",
                personal_info=n == 0,
            )
            clock.advance(timedelta(minutes=10))
        everything = audit.access_log()
        assert [e["read_at"] for e in everything] == [(T0 + timedelta(minutes=10 * n)).isoformat() for n in range(6)]
        assert [e["complaint_id"] for e in audit.access_log(complaint_id=two)] == [str(two)] * 2
        assert {e["reader"]["id"] for e in audit.access_log(reader="a1")} == {"a1"}
        assert len(audit.access_log(reader="a1")) == 3
        window = audit.access_log(since=T0 + timedelta(minutes=10), until=T0 + timedelta(minutes=30))
        assert len(window) == 3
        assert audit.access_log(complaint_id=one, reader="a2", limit=1)[0]["personal_info"] is True
        assert len(audit.access_log(limit=4)) == 4
    finally:
        app.close()


def test_reads_recorded_before_the_index_are_indexed_once(database_url: str) -> None:
    """Access records stored by the earlier version (no index row) appear in the log after the upgrade."""
    clock = SettableClock(T0)
    app = open_app(database_url, clock)
    cid = uuid4()
    try:
        for _ in range(3):
            app.save(
                AccessRecord.record(
                    record_id=uuid4(),
                    reader=AUDITOR,
                    complaint_id=cid,
                    endpoint="history",
                    personal_info=False,
                    now=clock.now(),
                )
            )  # as before: no index row
        drop_index(database_url)
    finally:
        app.close()
    upgraded = open_app(database_url, clock)  # creates the index and its backfill marker
    try:
        audit = AuditService(upgraded)
        audit.record_access(reader=OTHER, complaint_id=cid, endpoint="history", personal_info=False)
        assert [e["reader"]["id"] for e in audit.access_log(complaint_id=cid)] == ["a1", "a1", "a1", "a2"]
        assert upgraded.recorder.access_backfill_upto() is None  # type: ignore[attr-defined]
        assert len(AuditService(upgraded).access_log(complaint_id=cid)) == 4
    finally:
        upgraded.close()


def drop_index(url: str) -> None:
    """The store as the version before the access index left it."""
    statements = ["DROP TABLE yousu_access_log", "DROP TABLE yousu_access_backfill"]
    if url.startswith("sqlite"):
        import sqlite3  # noqa: PLC0415 — only this branch needs it

        db = parse_database_url(url).sqlite_path
        with sqlite3.connect(str(db)) as conn:
            for s in statements:
                conn.execute(s)
        return
    with psycopg.connect(url, autocommit=True) as conn:
        for s in statements:
            conn.execute(s)


RECORDS = 20_000  # other events in the store besides: the log must not grow with them


@pytest.mark.postgres
def test_postgres_plans_index_scans_for_the_access_log(pg_url: str) -> None:
    clock = SettableClock(T0)
    app = open_app(pg_url, clock)
    audit = AuditService(app)
    target = uuid4()
    try:
        batch: list[Any] = []
        rows: list[AccessIndexRow] = []
        for n in range(RECORDS):
            cid = target if n % 1000 == 0 else uuid4()
            r = AccessRecord.record(
                record_id=uuid4(),
                reader=AUDITOR,
                complaint_id=cid,
                endpoint="history",
                personal_info=False,
                now=T0 + timedelta(seconds=n),
            )
            batch.append(r)
            rows.append(AccessIndexRow(r.id, cid, AUDITOR.id, r.read_at))
            if len(batch) == 1000:
                app.save(*batch, access_index=rows)
                batch, rows = [], []
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute("ANALYZE")
        recorder = app.recorder
        assert isinstance(recorder, SerialisedPostgresApplicationRecorder)
        statement, params = recorder.access_statement(AccessQuery(complaint_id=target))
        with psycopg.connect(pg_url) as conn:
            plan = "\n".join(row[0] for row in conn.execute(b"EXPLAIN " + statement.as_bytes(conn), params))
        assert "Index" in plan, plan
        assert "yousu_access_log_complaint" in plan, plan
        assert "Seq Scan" not in plan, plan
        assert len(audit.access_log(complaint_id=target)) == RECORDS // 1000
    finally:
        app.close()
