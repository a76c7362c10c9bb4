"""Local staff accounts for a hall without an identity provider: argon2 hashes, lockout after failures.

Accounts live in two small tables in the store's own database (``yousu_accounts``,
``yousu_login_failures``), not in an event-sourced aggregate: a password hash and a failure counter
are mutable credentials, not case facts. Event-sourcing them would keep every old hash forever in the
tamper-evident trail that discipline inspection exports, and every mistyped password would become
an event the projections have to read past. What the account *does* is recorded where it matters:
each command carries the actor, and each read of personal information is in the access log.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import psycopg
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from psycopg_pool import ConnectionPool, PoolTimeout

from application.clock import Clock
from application.errors import StoreUnavailable
from application.persistence import Database
from domain.values import Role

USERNAME_RE = re.compile(r"^[\w.@\-]{2,64}$")  # \w: Chinese names may serve as user names
MIN_PASSWORD = 8

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS yousu_accounts (
        username TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        roles TEXT NOT NULL,
        department TEXT,
        centre TEXT,
        password_hash TEXT NOT NULL,
        created_at TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS yousu_login_failures (
        username TEXT NOT NULL,
        failed_at TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS yousu_login_failures_user ON yousu_login_failures (username, failed_at)",
    # signed-out console sessions: a token id here is refused until the token would have expired anyway
    """CREATE TABLE IF NOT EXISTS yousu_revoked_sessions (
        jti TEXT PRIMARY KEY,
        expires_at TEXT NOT NULL
    )""",
)


class AccountError(Exception):
    """An account operation was refused; ``code`` is stable, ``detail`` is Chinese."""

    def __init__(self, code: str, detail: str, *, field: str | None = None) -> None:
        self.code = code
        self.detail = detail
        self.field = field
        super().__init__(detail)


class LoginFailed(AccountError):
    """Unknown user or wrong password (the two are never told apart)."""


class AccountLocked(AccountError):
    """Too many failures within the window; ``retry_after`` seconds until the next attempt counts."""

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__("account_locked", detail)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Account:
    """A local staff account (never carries the hash out of this module)."""

    username: str
    name: str
    roles: tuple[Role, ...]
    department: str | None
    centre: str | None

    @property
    def sub(self) -> str:
        """The token subject: local accounts are prefixed so they never collide with IdP subjects."""
        return f"local:{self.username}"


class _Conn(Protocol):
    def execute(self, sql: str, params: Sequence[Any] = ...) -> Any: ...

    def lock(self, key: str) -> None: ...


class AccountStore:
    """Accounts and failed sign-ins in the store's SQLite file or PostgreSQL database."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        *,
        max_failures: int = 5,
        window: timedelta = timedelta(minutes=15),
        hasher: PasswordHasher | None = None,
    ) -> None:
        if db.kind not in ("sqlite", "postgresql"):
            msg = f"local accounts need SQLite or PostgreSQL, not {db.kind}"
            raise ValueError(msg)
        if max_failures < 1:
            msg = "max_failures must be at least 1"
            raise ValueError(msg)
        self.db = db
        self.clock = clock
        self.max_failures = max_failures
        self.window = window
        self.hasher = hasher or PasswordHasher()
        # verified against for unknown users, so an unknown name costs as much time as a wrong password
        self._dummy_hash = self.hasher.hash("yousu-no-such-user")
        # PostgreSQL: the per-request revocation check reuses connections (a new one costs ~5 ms)
        self._read_pool: ConnectionPool[psycopg.Connection[Any]] | None = None
        self._pool_lock = threading.Lock()

    def close(self) -> None:
        """Close the read pool (PostgreSQL), if one was opened."""
        with self._pool_lock:
            pool, self._read_pool = self._read_pool, None
        if pool is not None:
            pool.close()

    def _pool(self) -> ConnectionPool[psycopg.Connection[Any]]:
        with self._pool_lock:
            if self._read_pool is None:
                env = self.db.env
                self._read_pool = ConnectionPool(
                    kwargs={
                        "dbname": env["POSTGRES_DBNAME"],
                        "host": env["POSTGRES_HOST"],
                        "port": int(env["POSTGRES_PORT"]),
                        "user": env["POSTGRES_USER"],
                        "password": env["POSTGRES_PASSWORD"] or None,
                        "connect_timeout": 3,
                        "autocommit": True,
                    },
                    min_size=1,
                    max_size=4,
                    timeout=5,
                    open=True,
                    name="yousu-accounts",
                )
            return self._read_pool

    # ------------------------------------------------------------------ storage

    @contextmanager
    def _tx(self) -> Iterator[_Conn]:
        try:
            with self._connect() as tx:
                yield tx
        except (sqlite3.OperationalError, psycopg.OperationalError) as exc:
            # the store is down or locked: a 503 with Retry-After, as for complaints
            raise StoreUnavailable from exc

    @contextmanager
    def _connect(self) -> Iterator[_Conn]:
        if self.db.kind == "sqlite":
            assert self.db.sqlite_path is not None  # noqa: S101 — parse_database_url sets it for sqlite
            conn = sqlite3.connect(self.db.sqlite_path, timeout=5, isolation_level=None)
            try:
                conn.execute("BEGIN IMMEDIATE")
                yield _Sqlite(conn)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            finally:
                conn.close()
            return
        env = self.db.env
        with psycopg.connect(
            dbname=env["POSTGRES_DBNAME"],
            host=env["POSTGRES_HOST"],
            port=int(env["POSTGRES_PORT"]),
            user=env["POSTGRES_USER"],
            password=env["POSTGRES_PASSWORD"] or None,
            connect_timeout=3,
        ) as pg:
            yield _Postgres(pg)

    def setup(self) -> None:
        """Create the tables (idempotent)."""
        with self._tx() as tx:
            tx.lock("schema")  # several `yousu serve` processes starting at once on PostgreSQL
            for statement in SCHEMA:
                tx.execute(statement)

    # ------------------------------------------------------------------ accounts

    def add(
        self,
        *,
        username: str,
        name: str,
        roles: Sequence[Role],
        password: str,
        department: str | None = None,
        centre: str | None = None,
    ) -> Account:
        """Create an account; refuses a taken name, a short password, a department role without department."""
        if not USERNAME_RE.fullmatch(username):
            raise AccountError("invalid_username", "用户名须为 2–64 位汉字、字母、数字或 _.@-", field="username")
        if not name.strip():
            raise AccountError("invalid_name", "姓名不能为空", field="name")
        if not roles:
            raise AccountError("invalid_role", "至少需要一个角色", field="role")
        if Role.system in roles:
            raise AccountError("invalid_role", "system 角色不能分配给人员", field="role")
        if Role.department in roles and not department:
            raise AccountError("department_required", "窗口部门经办人须指定 department", field="department")
        if len(password) < MIN_PASSWORD:
            raise AccountError("weak_password", f"密码至少 {MIN_PASSWORD} 位", field="password")
        account = Account(username, name.strip(), tuple(roles), department or None, centre or None)
        with self._tx() as tx:
            if tx.execute("SELECT 1 FROM yousu_accounts WHERE username = ?", [username]).fetchone():
                raise AccountError("username_taken", f"用户名 {username} 已存在", field="username")
            tx.execute(
                "INSERT INTO yousu_accounts (username, name, roles, department, centre, password_hash, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    username,
                    account.name,
                    ",".join(r.value for r in roles),
                    account.department,
                    account.centre,
                    self.hasher.hash(password),
                    self.clock.now().astimezone(UTC).isoformat(),
                ],
            )
        return account

    def get(self, username: str) -> Account | None:
        """The account, or None."""
        with self._tx() as tx:
            row = tx.execute(
                "SELECT username, name, roles, department, centre FROM yousu_accounts WHERE username = ?", [username]
            ).fetchone()
        return None if row is None else _account(row)

    def set_password(self, username: str, password: str) -> None:
        """Replace the password (and clear recorded failures)."""
        if len(password) < MIN_PASSWORD:
            raise AccountError("weak_password", f"密码至少 {MIN_PASSWORD} 位", field="password")
        with self._tx() as tx:
            done = tx.execute(
                "UPDATE yousu_accounts SET password_hash = ? WHERE username = ?", [self.hasher.hash(password), username]
            )
            if done.rowcount == 0:
                raise AccountError("unknown_user", f"用户 {username} 不存在", field="username")
            tx.execute("DELETE FROM yousu_login_failures WHERE username = ?", [username])

    # ------------------------------------------------------------------ sessions

    def revoke(self, jti: str, expires_at: datetime) -> None:
        """Sign a session out: its token id is refused from now on (expired entries are purged here)."""
        now = self.clock.now().astimezone(UTC).isoformat()
        with self._tx() as tx:
            tx.execute("DELETE FROM yousu_revoked_sessions WHERE expires_at < ?", [now])
            if not tx.execute("SELECT 1 FROM yousu_revoked_sessions WHERE jti = ?", [jti]).fetchone():
                tx.execute(
                    "INSERT INTO yousu_revoked_sessions (jti, expires_at) VALUES (?, ?)",
                    [jti, expires_at.astimezone(UTC).isoformat()],
                )

    def is_revoked(self, jti: str) -> bool:
        """Whether the session with this token id was signed out (a read: no write lock on SQLite)."""
        try:
            with self._read() as conn:
                return conn.execute("SELECT 1 FROM yousu_revoked_sessions WHERE jti = ?", [jti]).fetchone() is not None
        except (sqlite3.OperationalError, psycopg.OperationalError, PoolTimeout) as exc:
            raise StoreUnavailable from exc

    @contextmanager
    def _read(self) -> Iterator[_Conn]:
        if self.db.kind == "sqlite":
            assert self.db.sqlite_path is not None  # noqa: S101 — parse_database_url sets it for sqlite
            conn = sqlite3.connect(self.db.sqlite_path, timeout=5, isolation_level=None)
            try:
                yield _Sqlite(conn)
            finally:
                conn.close()
            return
        with self._pool().connection() as pg:
            yield _Postgres(pg)

    # ------------------------------------------------------------------ sign-in

    def authenticate(self, username: str, password: str) -> Account:
        """The account when the password is right; LoginFailed or AccountLocked otherwise."""
        now = self.clock.now().astimezone(UTC)  # stored in UTC so that the text columns compare in time order
        since = (now - self.window).isoformat()
        with self._tx() as tx:
            tx.lock(username)  # one sign-in per name at a time, so parallel guesses cannot overrun the limit
            failures = [
                datetime.fromisoformat(r[0])
                for r in tx.execute(
                    "SELECT failed_at FROM yousu_login_failures WHERE username = ? AND failed_at > ? "
                    "ORDER BY failed_at",
                    [username, since],
                ).fetchall()
            ]
            if len(failures) >= self.max_failures:
                # locked until the window has passed since the failure that reached the limit
                until = failures[-self.max_failures] + self.window
                wait = max(1, int((until - now).total_seconds()) + 1)
                minutes = (wait + 59) // 60
                raise AccountLocked(f"连续登录失败次数过多，账户已锁定，请 {minutes} 分钟后再试", wait)
            row = tx.execute(
                "SELECT username, name, roles, department, centre, password_hash FROM yousu_accounts "
                "WHERE username = ?",
                [username],
            ).fetchone()
            if row is not None and self._verify(row[5], password):
                tx.execute("DELETE FROM yousu_login_failures WHERE username = ?", [username])
                if self.hasher.check_needs_rehash(row[5]):
                    tx.execute(
                        "UPDATE yousu_accounts SET password_hash = ? WHERE username = ?",
                        [self.hasher.hash(password), username],
                    )
                return _account(row[:5])
            if row is None:
                self._verify(self._dummy_hash, password)
            # unknown names are counted too, so guessing names is throttled like guessing passwords
            tx.execute(
                "INSERT INTO yousu_login_failures (username, failed_at) VALUES (?, ?)", [username, now.isoformat()]
            )
        raise LoginFailed("login_failed", "用户名或密码错误")

    def _verify(self, stored: str, password: str) -> bool:
        try:
            return self.hasher.verify(stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False


def _account(row: Sequence[Any]) -> Account:
    roles = tuple(Role(r) for r in str(row[2]).split(",") if r)
    return Account(str(row[0]), str(row[1]), roles, row[3] or None, row[4] or None)


class _Sqlite:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self.conn.execute(sql, list(params))

    def lock(self, key: str) -> None:
        """Nothing to do: BEGIN IMMEDIATE already serialises writers on the file."""


class _Postgres:
    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self.conn.execute(sql.replace("?", "%s"), list(params))

    def lock(self, key: str) -> None:
        """A transaction-scoped advisory lock on the name."""
        self.conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"yousu-login:{key}"])
