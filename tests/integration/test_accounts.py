"""Local staff accounts on real SQLite files and real PostgreSQL: hashing, rules, sessions, revocation."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from argon2 import PasswordHasher

from adapters.accounts import SqlAccountStore
from application.accounts import AccountError, LoginFailed, Session, UnknownAccount
from application.clock import SettableClock
from application.persistence import parse_database_url
from domain.values import Role

# a cheap argon2 profile: the tests check behaviour, not the work factor
FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
PASSWORD = "窗口密码-2025-春季"


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, clock: SettableClock) -> Iterator[SqlAccountStore]:
    """A fresh account store on each real database kind, closed after the test (its pool's threads with it)."""
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")
    s = SqlAccountStore(
        parse_database_url(url), clock, hasher=FAST, centres={"district", "jiefang"}, departments={"market"}
    )
    s.setup()
    s.setup()  # idempotent
    s.add(username="wangxm", name="王小明", roles=[Role.window_clerk], password=PASSWORD, centre="jiefang")
    yield s
    s.close()


def stored_hash(s: SqlAccountStore, username: str) -> str:
    """The hash as it sits in the database, read past the store."""
    if s.db.kind == "sqlite":
        with sqlite3.connect(str(s.db.sqlite_path)) as conn:
            return str(
                conn.execute("SELECT password_hash FROM yousu_accounts WHERE username = ?", [username]).fetchone()[0]
            )
    env = s.db.env
    with psycopg.connect(dbname=env["POSTGRES_DBNAME"], host=env["POSTGRES_HOST"], user=env["POSTGRES_USER"]) as pg:
        row = pg.execute("SELECT password_hash FROM yousu_accounts WHERE username = %s", [username]).fetchone()
        assert row is not None
        return str(row[0])


def test_password_is_stored_as_an_argon2id_hash_never_in_clear(store: SqlAccountStore) -> None:
    h = stored_hash(store, "wangxm")
    assert h.startswith("$argon2id$")
    assert PASSWORD not in h
    assert FAST.verify(h, PASSWORD)


def test_right_password_signs_in_with_roles_and_centre(store: SqlAccountStore) -> None:
    a = store.authenticate("wangxm", PASSWORD)
    assert (a.username, a.name, a.roles, a.centre, a.sub) == (
        "wangxm",
        "王小明",
        (Role.window_clerk,),
        "jiefang",
        "local:wangxm",
    )


def test_wrong_password_and_unknown_user_are_refused_alike(store: SqlAccountStore) -> None:
    with pytest.raises(LoginFailed) as wrong:
        store.authenticate("wangxm", PASSWORD + "x")
    with pytest.raises(LoginFailed) as unknown:
        store.authenticate("nobody", PASSWORD)
    assert (wrong.value.code, wrong.value.detail) == (unknown.value.code, unknown.value.detail)
    assert wrong.value.detail == "用户名或密码错误"


def test_failures_never_lock_the_account_in_the_store(store: SqlAccountStore) -> None:
    """Throttling is the API's (per address and account, api.throttle); the store itself never locks."""
    for _ in range(20):
        with pytest.raises(LoginFailed):
            store.authenticate("wangxm", "wrong-password")
    assert store.authenticate("wangxm", PASSWORD).username == "wangxm"


def session(jti: str) -> Session:
    """A session of an hour from now (wall clock: tokens expire by it)."""
    return Session(jti, datetime.now(UTC) + timedelta(hours=1))


@pytest.mark.parametrize("change", ["password", "disable", "roles"])
def test_changing_the_password_disabling_or_re_roling_revokes_every_session_at_once(
    store: SqlAccountStore, change: str
) -> None:
    store.add(username="other", name="别人", roles=[Role.analyst], password=PASSWORD)
    for jti in ("s1", "s2", "s3"):
        store.authenticate("wangxm", PASSWORD, session(jti))
    store.authenticate("other", PASSWORD, session("o1"))
    assert store.sessions("wangxm") == 3
    if change == "password":
        store.set_password("wangxm", "新的密码-12345-夏")
    elif change == "disable":
        store.set_disabled("wangxm", disabled=True)
    else:
        store.set_roles("wangxm", [Role.analyst], department=None, centre="district")
    assert [store.is_revoked(j) for j in ("s1", "s2", "s3")] == [True, True, True]
    assert store.sessions("wangxm") == 0
    assert not store.is_revoked("o1")  # another account's session is untouched


def test_a_disabled_account_is_refused_like_a_wrong_password_and_enabled_again(store: SqlAccountStore) -> None:
    store.set_disabled("wangxm", disabled=True)
    assert store.get("wangxm").disabled  # type: ignore[union-attr]
    with pytest.raises(LoginFailed) as refused:
        store.authenticate("wangxm", PASSWORD)
    assert refused.value.detail == "用户名或密码错误"
    store.set_disabled("wangxm", disabled=False)
    assert store.authenticate("wangxm", PASSWORD).username == "wangxm"


def test_changes_to_an_unknown_account_are_refused(store: SqlAccountStore) -> None:
    with pytest.raises(UnknownAccount):
        store.set_disabled("nobody", disabled=True)
    with pytest.raises(UnknownAccount):
        store.set_password("nobody", "新的密码-12345-夏")
    with pytest.raises(UnknownAccount):
        store.set_roles("nobody", [Role.analyst], department=None, centre=None)


def test_centre_and_department_must_be_in_the_reference(store: SqlAccountStore) -> None:
    with pytest.raises(AccountError) as centre:
        store.add(username="li", name="李四", roles=[Role.window_clerk], password=PASSWORD, centre="城关便民服务中心")
    assert (centre.value.code, centre.value.field) == ("unknown_centre", "centre")
    with pytest.raises(AccountError) as dept:
        store.add(username="li", name="李四", roles=[Role.department], password=PASSWORD, department="nope")
    assert (dept.value.code, dept.value.field) == ("unknown_department", "department")
    assert store.get("li") is None
    with pytest.raises(AccountError):
        store.set_roles("wangxm", [Role.window_clerk], department=None, centre="nowhere")
    assert store.get("wangxm").centre == "jiefang"  # type: ignore[union-attr]


def test_setup_adds_the_disabled_column_to_an_older_table(sqlite_url: str, clock: SettableClock) -> None:
    path = parse_database_url(sqlite_url).sqlite_path
    with sqlite3.connect(str(path)) as conn:
        conn.execute(
            "CREATE TABLE yousu_accounts (username TEXT PRIMARY KEY, name TEXT NOT NULL, roles TEXT NOT NULL, "
            "department TEXT, centre TEXT, password_hash TEXT NOT NULL, created_at TEXT NOT NULL)"
        )
        conn.execute(
            "INSERT INTO yousu_accounts VALUES ('old', '老', 'analyst', NULL, NULL, ?, '2025-01-01T00:00:00+00:00')",
            [FAST.hash(PASSWORD)],
        )
    s = SqlAccountStore(parse_database_url(sqlite_url), clock, hasher=FAST)
    try:
        s.setup()
        assert s.authenticate("old", PASSWORD).disabled is False
    finally:
        s.close()


def test_account_rules(store: SqlAccountStore) -> None:
    with pytest.raises(AccountError) as taken:
        store.add(username="wangxm", name="王二", roles=[Role.analyst], password=PASSWORD)
    assert taken.value.code == "username_taken"
    with pytest.raises(AccountError) as dept:
        store.add(username="li", name="李四", roles=[Role.department], password=PASSWORD)
    assert (dept.value.code, dept.value.field) == ("department_required", "department")
    with pytest.raises(AccountError) as short:
        store.add(username="zhao", name="赵六", roles=[Role.analyst], password="123456")
    assert (short.value.code, short.value.field) == ("weak_password", "password")
    assert store.get("zhao") is None
    with pytest.raises(AccountError) as system:
        store.add(username="sys", name="系统", roles=[Role.system], password=PASSWORD)
    assert system.value.code == "invalid_role"


def test_set_password_replaces_the_old_one(store: SqlAccountStore) -> None:
    store.set_password("wangxm", "新的密码-12345-夏")
    with pytest.raises(LoginFailed):
        store.authenticate("wangxm", PASSWORD)
    assert store.authenticate("wangxm", "新的密码-12345-夏").name == "王小明"
    with pytest.raises(AccountError) as weak:
        store.set_password("wangxm", "wangxm")
    assert weak.value.code == "weak_password"


def test_concurrent_setup_on_postgresql_creates_the_tables_once(pg_url: str, clock: SettableClock) -> None:
    stores = [SqlAccountStore(parse_database_url(pg_url), clock, hasher=FAST) for _ in range(4)]
    errors: list[BaseException] = []

    def run(s: SqlAccountStore) -> None:
        try:
            s.setup()
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(s,)) for s in stores]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        stores[0].add(username="ok", name="甲", roles=[Role.analyst], password=PASSWORD)
        assert stores[3].get("ok") is not None
    finally:
        for s in stores:
            s.close()
