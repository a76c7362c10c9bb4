"""YOUSU_READ_DATABASE_URL: ledger and metrics read from the standby's copy, with read-your-writes kept by ``?after=``.

The "standby" here is a second PostgreSQL database holding the views' tables at a position of its
own (as a lagging hot standby would): what the API answers shows which copy answered.
"""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from tests.conftest import create_pg_database, drop_pg_database
from tests.support import auth, client_for, receive_body, settings_for
from yousu.wiring import build_complaints, build_runner

pytestmark = pytest.mark.postgres


@pytest.fixture
def standby_url() -> Iterator[str]:
    """A second database with every view's tables, behind the primary (position 0)."""
    url = create_pg_database("yousu_standby")
    settings = settings_for(url)
    complaints = build_complaints(settings)
    runner = build_runner(settings, complaints)
    try:
        runner.setup()
    finally:
        runner.db.close()
        complaints.close()
    try:
        yield url
    finally:
        drop_pg_database(url)


def test_lagging_reads_come_from_the_standby_and_the_writer_reads_their_write(pg_url: str, standby_url: str) -> None:
    with client_for(pg_url, read_database_url=standby_url) as client:
        r = client.post("/v1/complaints", json=receive_body(), headers=auth("window_clerk"))
        assert r.status_code == 201, r.text
        nid = r.json()["notification_id"]
        leader = auth("duty_leader")

        # no ?after=: the standby's copy answers, whatever it has reached (here: nothing yet)
        assert client.get("/v1/ledger", headers=leader).json()["total"] == 0
        assert client.get("/v1/metrics", headers=leader).status_code == 200
        # the writer passes ?after=: the standby has not reached it, so the primary answers
        assert client.get("/v1/ledger", params={"after": nid}, headers=leader).json()["total"] == 1

        # once the standby's tracking includes the notification, it answers ?after= itself
        with psycopg.connect(standby_url, autocommit=True) as conn:
            conn.execute("UPDATE yousu_tracking SET position = %s", [nid])
        assert client.get("/v1/ledger", params={"after": nid}, headers=leader).json()["total"] == 0


def test_read_database_must_be_postgresql(pg_url: str, tmp_path: object) -> None:
    with pytest.raises(ValueError, match="YOUSU_READ_DATABASE_URL"):
        settings_for(pg_url, read_database_url="sqlite:///x.db").read_database()
