"""A primary and its hot standby in one YOUSU_DATABASE_URL: libpq's multi-host form, the writable host chosen."""

from __future__ import annotations

import pytest

from application.persistence import DatabaseURLError, libpq_params, parse_database_url


def test_several_hosts_ask_for_the_one_accepting_writes() -> None:
    db = parse_database_url("postgresql://yousu:pw@db1:5432,db2:5433/yousu")
    assert libpq_params(db.env) == {
        "dbname": "yousu",
        "host": "db1,db2",
        "port": "5432,5433",
        "user": "yousu",
        "password": "pw",
        "target_session_attrs": "read-write",
    }
    assert db.env["PERSISTENCE_MODULE"] == "adapters.pg_setup:TargetedPostgresFactory"
    assert db.redacted == "postgresql://yousu:***@db1:5432,db2:5433/yousu"


def test_one_host_keeps_the_stock_factory_unless_a_session_kind_is_asked() -> None:
    plain = parse_database_url("postgresql://yousu@db1/yousu")
    assert plain.env["PERSISTENCE_MODULE"] == "eventsourcing.postgres"
    assert "target_session_attrs" not in libpq_params(plain.env)
    asked = parse_database_url("postgresql://yousu@db2/yousu?target_session_attrs=prefer-standby")
    assert libpq_params(asked.env)["target_session_attrs"] == "prefer-standby"


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://yousu@db1:5432,db2:99999/yousu",
        "postgresql://yousu@db1,/yousu",
        "postgresql://yousu@db1,db2/yousu?target_session_attrs=whatever",
    ],
)
def test_malformed_host_lists_are_refused(url: str) -> None:
    with pytest.raises(DatabaseURLError):
        parse_database_url(url)
