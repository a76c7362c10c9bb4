"""The local accounts' tables (``yousu_accounts``, ``yousu_sessions``, ``yousu_revoked_sessions``) in the
store's SQLite file or PostgreSQL database: application.accounts.AccountStore kept in SQL.

Each console session is recorded (its token id, the account, its expiry) in the same transaction that
checked the password, under a per-name lock; disabling an account, changing its roles or its password
revokes every recorded session of it at once (their ids go to ``yousu_revoked_sessions``, which every
request checks).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, Protocol

import psycopg
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from psycopg_pool import ConnectionPool, PoolTimeout

from application.accounts import Account, AccountError, AccountRules, LoginFailed, Session, UnknownAccount
from application.clock import Clock
from application.errors import StoreUnavailable
from application.persistence import Database, libpq_params
from domain.values import Role

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
    # signed-out console sessions: a token id here is refused until the token would have expired anyway
    """CREATE TABLE IF NOT EXISTS yousu_revoked_sessions (
        jti TEXT PRIMARY KEY,
        expires_at TEXT NOT NULL
    )""",
    # live console sessions per account: what "revoke every session of this account" revokes
    """CREATE TABLE IF NOT EXISTS yousu_sessions (
        jti TEXT PRIMARY KEY,
        username TEXT NOT NULL,
        expires_at TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS yousu_sessions_user ON yousu_sessions (username)",
)
# added after the first release: an existing table gains it on setup
DISABLED_COLUMN = "ALTER TABLE yousu_accounts ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0"


class _Conn(Protocol):
    def execute(self, sql: str, params: Sequence[Any] = ...) -> Any: ...

    def lock(self, key: str) -> None: ...

    def has_column(self, table: str, column: str) -> bool: ...


class SqlAccountStore(AccountRules):
    """Accounts and their sessions in the store's SQLite file or PostgreSQL database (the rules: AccountRules)."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        *,
        hasher: PasswordHasher | None = None,
        centres: Collection[str] | None = None,
        departments: Collection[str] | None = None,
    ) -> None:
        if db.kind not in ("sqlite", "postgresql"):
            msg = f"local accounts need SQLite or PostgreSQL, not {db.kind}"
            raise ValueError(msg)
        self.db = db
        self.clock = clock
        super().__init__(centres=centres, departments=departments)
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
                        **libpq_params(env),
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
        with psycopg.connect(**libpq_params(env), connect_timeout=3) as pg:
            yield _Postgres(pg)

    def setup(self) -> None:
        """Create the tables, and the ``disabled`` column on a table made before it existed (idempotent)."""
        with self._tx() as tx:
            tx.lock("schema")  # several `yousu serve` processes starting at once on PostgreSQL
            for statement in SCHEMA:
                tx.execute(statement)
            if not tx.has_column("yousu_accounts", "disabled"):
                tx.execute(DISABLED_COLUMN)

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
        """Create an account; refuses a taken name, a weak password, unknown codes, a role without department."""
        self.check_new(
            username=username, name=name, roles=roles, password=password, department=department, centre=centre
        )
        account = Account(username, name.strip(), tuple(roles), department or None, centre or None)
        password_hash = self.hasher.hash(password)
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
                    password_hash,
                    self.clock.now().astimezone(UTC).isoformat(),
                ],
            )
        return account

    def get(self, username: str) -> Account | None:
        """The account, or None."""
        with self._tx() as tx:
            row = tx.execute(SELECT_ACCOUNTS + " WHERE username = ?", [username]).fetchone()
        return None if row is None else _account(row)

    def list_accounts(self) -> list[Account]:
        """Every account, by user name."""
        with self._tx() as tx:
            rows = tx.execute(SELECT_ACCOUNTS + " ORDER BY username").fetchall()
        return [_account(r) for r in rows]

    def set_disabled(self, username: str, *, disabled: bool) -> Account:
        """Disable (sign-in refused, every session revoked) or enable an account."""
        with self._tx() as tx:
            tx.lock(username)
            done = tx.execute(
                "UPDATE yousu_accounts SET disabled = ? WHERE username = ?", [1 if disabled else 0, username]
            )
            if done.rowcount == 0:
                raise UnknownAccount(username)
            if disabled:
                self._revoke_all(tx, username)
        account = self.get(username)
        assert account is not None  # noqa: S101 — updated just now
        return account

    def set_roles(self, username: str, roles: Sequence[Role], *, department: str | None, centre: str | None) -> Account:
        """New roles, department and centre; every session is revoked (its token carries the old ones)."""
        self.check_roles(roles, department, centre)
        with self._tx() as tx:
            tx.lock(username)
            done = tx.execute(
                "UPDATE yousu_accounts SET roles = ?, department = ?, centre = ? WHERE username = ?",
                [",".join(r.value for r in roles), department or None, centre or None, username],
            )
            if done.rowcount == 0:
                raise UnknownAccount(username)
            self._revoke_all(tx, username)
        account = self.get(username)
        assert account is not None  # noqa: S101 — updated just now
        return account

    def set_password(self, username: str, password: str) -> None:
        """Replace the password; every session of the account is revoked."""
        self.check_password(username, password)
        password_hash = self.hasher.hash(password)
        with self._tx() as tx:
            tx.lock(username)
            done = tx.execute(
                "UPDATE yousu_accounts SET password_hash = ? WHERE username = ?", [password_hash, username]
            )
            if done.rowcount == 0:
                raise UnknownAccount(username)
            self._revoke_all(tx, username)

    # ------------------------------------------------------------------ sessions

    def _revoke_all(self, tx: _Conn, username: str) -> None:
        """Every recorded session of ``username`` goes to the revoked list (the caller holds its lock)."""
        now = self.clock.now().astimezone(UTC).isoformat()
        live = tx.execute(
            "SELECT jti, expires_at FROM yousu_sessions WHERE username = ? AND expires_at >= ?", [username, now]
        ).fetchall()
        for jti, expires_at in live:
            if not tx.execute("SELECT 1 FROM yousu_revoked_sessions WHERE jti = ?", [jti]).fetchone():
                tx.execute("INSERT INTO yousu_revoked_sessions (jti, expires_at) VALUES (?, ?)", [jti, expires_at])
        tx.execute("DELETE FROM yousu_sessions WHERE username = ?", [username])

    def sessions(self, username: str) -> int:
        """How many recorded sessions of ``username`` are live (not expired, not revoked)."""
        now = self.clock.now().astimezone(UTC).isoformat()
        with self._tx() as tx:
            row = tx.execute(
                "SELECT COUNT(*) FROM yousu_sessions s WHERE s.username = ? AND s.expires_at >= ? "
                "AND NOT EXISTS (SELECT 1 FROM yousu_revoked_sessions r WHERE r.jti = s.jti)",
                [username, now],
            ).fetchone()
        return int(row[0])

    def revoke(self, jti: str, expires_at: datetime) -> None:
        """Sign a session out: its token id is refused from now on (expired entries are purged here)."""
        now = self.clock.now().astimezone(UTC).isoformat()
        with self._tx() as tx:
            tx.execute("DELETE FROM yousu_revoked_sessions WHERE expires_at < ?", [now])
            tx.execute("DELETE FROM yousu_sessions WHERE jti = ?", [jti])
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

    def authenticate(self, username: str, password: str, session: Session | None = None) -> Account:
        """The account when the password is right and it is enabled; LoginFailed otherwise.

        With ``session``, the session is recorded in the same transaction, under the name's lock, so a
        password change or a disabling that commits meanwhile either sees and revokes it or is seen first.
        """
        now = self.clock.now().astimezone(UTC)  # stored in UTC so that the text columns compare in time order
        with self._tx() as tx:
            tx.lock(username)
            row = tx.execute(SELECT_CREDENTIALS, [username]).fetchone()
            if row is None:
                self._verify(self._dummy_hash, password)
                raise LoginFailed("login_failed", "用户名或密码错误")
            stored = str(row[-1])
            account = _account(row[:-1])
            if not self._verify(stored, password) or account.disabled:
                # a disabled account answers as a wrong password does: nothing tells the two apart
                raise LoginFailed("login_failed", "用户名或密码错误")
            if self.hasher.check_needs_rehash(stored):
                tx.execute(
                    "UPDATE yousu_accounts SET password_hash = ? WHERE username = ?",
                    [self.hasher.hash(password), username],
                )
            if session is not None:
                tx.execute(
                    "DELETE FROM yousu_sessions WHERE username = ? AND expires_at < ?", [username, now.isoformat()]
                )
                tx.execute(
                    "INSERT INTO yousu_sessions (jti, username, expires_at) VALUES (?, ?, ?)",
                    [session.jti, username, session.expires_at.astimezone(UTC).isoformat()],
                )
            return account

    def _verify(self, stored: str, password: str) -> bool:
        try:
            return self.hasher.verify(stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False


SELECT_ACCOUNTS = "SELECT username, name, roles, department, centre, disabled FROM yousu_accounts"
SELECT_CREDENTIALS = (
    "SELECT username, name, roles, department, centre, disabled, password_hash FROM yousu_accounts WHERE username = ?"
)


def _account(row: Sequence[Any]) -> Account:
    roles = tuple(Role(r) for r in str(row[2]).split(",") if r)
    return Account(str(row[0]), str(row[1]), roles, row[3] or None, row[4] or None, bool(row[5]))


class _Sqlite:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self.conn.execute(sql, list(params))

    def lock(self, key: str) -> None:
        """Nothing to do: BEGIN IMMEDIATE already serialises writers on the file."""

    def has_column(self, table: str, column: str) -> bool:
        """Whether ``table`` has ``column``."""
        return any(r[1] == column for r in self.conn.execute(f"PRAGMA table_info({table})").fetchall())


class _Postgres:
    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self.conn.execute(sql.replace("?", "%s"), list(params))

    def lock(self, key: str) -> None:
        """A transaction-scoped advisory lock on the name."""
        self.conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"yousu-login:{key}"])

    def has_column(self, table: str, column: str) -> bool:
        """Whether ``table`` has ``column``."""
        found = self.conn.execute(
            "SELECT 1 FROM information_schema.columns WHERE table_name = %s AND column_name = %s "
            "AND table_schema = current_schema()",
            [table, column],
        ).fetchone()
        return found is not None
