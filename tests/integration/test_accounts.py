"""Local staff accounts on real SQLite files and real PostgreSQL: hashing, wrong passwords, lockout."""

from __future__ import annotations

import sqlite3
import threading
from datetime import timedelta

import psycopg
import pytest
from argon2 import PasswordHasher

from application.accounts import AccountError, AccountLocked, AccountStore, LoginFailed
from application.clock import SettableClock
from application.persistence import parse_database_url
from domain.values import Role

# a cheap argon2 profile: the tests check behaviour, not the work factor
FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
PASSWORD = "窗口密码-2025"


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, clock: SettableClock) -> AccountStore:
    """A fresh account store on each real database kind."""
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")
    s = AccountStore(parse_database_url(url), clock, max_failures=5, window=timedelta(minutes=15), hasher=FAST)
    s.setup()
    s.setup()  # idempotent
    s.add(username="wangxm", name="王小明", roles=[Role.window_clerk], password=PASSWORD, centre="城关便民服务中心")
    return s


def stored_hash(s: AccountStore, username: str) -> str:
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


def test_password_is_stored_as_an_argon2id_hash_never_in_clear(store: AccountStore) -> None:
    h = stored_hash(store, "wangxm")
    assert h.startswith("$argon2id$")
    assert PASSWORD not in h
    assert FAST.verify(h, PASSWORD)


def test_right_password_signs_in_with_roles_and_centre(store: AccountStore) -> None:
    a = store.authenticate("wangxm", PASSWORD)
    assert (a.username, a.name, a.roles, a.centre, a.sub) == (
        "wangxm",
        "王小明",
        (Role.window_clerk,),
        "城关便民服务中心",
        "local:wangxm",
    )


def test_wrong_password_and_unknown_user_are_refused_alike(store: AccountStore) -> None:
    with pytest.raises(LoginFailed) as wrong:
        store.authenticate("wangxm", PASSWORD + "x")
    with pytest.raises(LoginFailed) as unknown:
        store.authenticate("nobody", PASSWORD)
    assert (wrong.value.code, wrong.value.detail) == (unknown.value.code, unknown.value.detail)
    assert wrong.value.detail == "用户名或密码错误"


def test_five_failures_within_fifteen_minutes_lock_even_the_right_password(
    store: AccountStore, clock: SettableClock
) -> None:
    for _ in range(5):
        clock.advance(timedelta(minutes=2))
        with pytest.raises(LoginFailed):
            store.authenticate("wangxm", "wrong-password")
    # the 5th failure was at +10 min; the lock lasts 15 min from the first failure counted (+2 min)
    with pytest.raises(AccountLocked) as locked:
        store.authenticate("wangxm", PASSWORD)
    assert locked.value.code == "account_locked"
    assert "锁定" in locked.value.detail
    assert 0 < locked.value.retry_after <= 7 * 60 + 1
    clock.advance(timedelta(minutes=7, seconds=1))  # the first failure leaves the window: 4 within it
    assert store.authenticate("wangxm", PASSWORD).username == "wangxm"


def test_failures_spread_wider_than_the_window_never_lock(store: AccountStore, clock: SettableClock) -> None:
    for _ in range(10):
        clock.advance(timedelta(minutes=4))  # at most 4 failures within any 15 minutes
        with pytest.raises(LoginFailed):
            store.authenticate("wangxm", "wrong-password")
    assert store.authenticate("wangxm", PASSWORD).username == "wangxm"


def test_a_success_clears_earlier_failures(store: AccountStore) -> None:
    for _ in range(4):
        with pytest.raises(LoginFailed):
            store.authenticate("wangxm", "wrong-password")
    store.authenticate("wangxm", PASSWORD)
    for _ in range(4):
        with pytest.raises(LoginFailed):
            store.authenticate("wangxm", "wrong-password")
    assert store.authenticate("wangxm", PASSWORD).username == "wangxm"


def test_account_rules(store: AccountStore) -> None:
    with pytest.raises(AccountError) as taken:
        store.add(username="wangxm", name="王二", roles=[Role.analyst], password=PASSWORD)
    assert taken.value.code == "username_taken"
    with pytest.raises(AccountError) as dept:
        store.add(username="li", name="李四", roles=[Role.department], password=PASSWORD)
    assert (dept.value.code, dept.value.field) == ("department_required", "department")
    with pytest.raises(AccountError) as short:
        store.add(username="zhao", name="赵六", roles=[Role.analyst], password="short")
    assert short.value.code == "weak_password"
    with pytest.raises(AccountError) as system:
        store.add(username="sys", name="系统", roles=[Role.system], password=PASSWORD)
    assert system.value.code == "invalid_role"


def test_set_password_replaces_the_old_one(store: AccountStore) -> None:
    store.set_password("wangxm", "新的密码-12345")
    with pytest.raises(LoginFailed):
        store.authenticate("wangxm", PASSWORD)
    assert store.authenticate("wangxm", "新的密码-12345").name == "王小明"


def test_concurrent_setup_on_postgresql_creates_the_tables_once(pg_url: str, clock: SettableClock) -> None:
    stores = [AccountStore(parse_database_url(pg_url), clock, hasher=FAST) for _ in range(4)]
    errors: list[BaseException] = []

    def run(s: AccountStore) -> None:
        try:
            s.setup()
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    stores[0].add(username="ok", name="甲", roles=[Role.analyst], password=PASSWORD)
    assert stores[3].get("ok") is not None
