"""The views' connection to the database the events live in: PostgreSQL (psycopg 3) or a SQLite file."""

from __future__ import annotations

import sqlite3
import threading
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import Enum
from functools import lru_cache
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
from psycopg_pool import ConnectionPool

from application.persistence import Database, libpq_params, parse_database_url

Row = tuple[Any, ...]
SQLITE_BUSY_TIMEOUT_MS = 10_000

# Errors that mean "the database is not reachable right now": the follower retries after a pause.
UNAVAILABLE_ERRORS: tuple[type[BaseException], ...] = (
    psycopg.OperationalError,
    psycopg.InterfaceError,
    sqlite3.OperationalError,
)


class ColumnType(Enum):
    """Portable column types and how each dialect spells them."""

    text = ("text", "TEXT")
    integer = ("integer", "INTEGER")
    bigint = ("bigint", "INTEGER")
    boolean = ("boolean", "INTEGER")
    real = ("double precision", "REAL")
    timestamp = ("timestamptz", "TEXT")  # SQLite: ISO 8601 in UTC, so text order is time order
    day = ("date", "TEXT")  # SQLite: YYYY-MM-DD
    uuid = ("uuid", "TEXT")

    def spelled(self, dialect: str) -> str:
        """The type's name in ``dialect``."""
        return self.value[0] if dialect == "postgresql" else self.value[1]


@dataclass(frozen=True)
class Column:
    """One column of a view table."""

    name: str
    type: ColumnType
    nullable: bool = True


@dataclass(frozen=True)
class Table:
    """A view table: columns, primary key and secondary indexes (``name: column list [WHERE …]``)."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    indexes: tuple[tuple[str, str], ...] = ()
    column_names: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "column_names", tuple(c.name for c in self.columns))

    def ddl(self, dialect: str) -> list[str]:
        """CREATE statements for the table and its indexes."""
        cols = [
            f"{c.name} {c.type.spelled(dialect)}{'' if c.nullable and c.name not in self.key else ' NOT NULL'}"
            for c in self.columns
        ]
        cols.append(f"PRIMARY KEY ({', '.join(self.key)})")
        body = ",\n  ".join(cols)
        statements = [f"CREATE TABLE IF NOT EXISTS {self.name} (\n  {body}\n)"]
        for index_name, definition in self.indexes:
            statements.append(f"CREATE INDEX IF NOT EXISTS {index_name} ON {self.name} {definition}")
        return statements


def _sqlite_timestamp(value: datetime) -> str:
    if value.tzinfo is None:
        msg = "naive datetimes are not stored"
        raise ValueError(msg)
    return value.astimezone(UTC).isoformat(timespec="microseconds")


_adapters_registered = False
_adapters_lock = threading.Lock()


def _register_sqlite_adapters() -> None:
    # Registered once per process; the event store's SQLite recorder only binds str/bytes/int,
    # so these adapters change nothing for it.
    global _adapters_registered  # noqa: PLW0603 — one-time process setup
    with _adapters_lock:
        if _adapters_registered:
            return
        sqlite3.register_adapter(datetime, _sqlite_timestamp)
        sqlite3.register_adapter(date, date.isoformat)
        sqlite3.register_adapter(UUID, str)
        _adapters_registered = True


def as_datetime(value: Any) -> datetime | None:
    """A timestamp column's value as an aware datetime (SQLite hands back ISO text)."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


_FROM_SQLITE: dict[ColumnType, Any] = {
    ColumnType.timestamp: datetime.fromisoformat,
    ColumnType.day: date.fromisoformat,
    ColumnType.uuid: UUID,
    ColumnType.boolean: bool,
}


_PG_BINARY: dict[ColumnType, str] = {
    ColumnType.text: "text",
    ColumnType.integer: "int4",
    ColumnType.bigint: "int8",
    ColumnType.boolean: "bool",
    ColumnType.real: "float8",
    ColumnType.timestamp: "timestamptz",
    ColumnType.day: "date",
    ColumnType.uuid: "uuid",
}


_PG_ARRAY = {t: f"{t.spelled('postgresql')}[]" for t in ColumnType}
STAGE_FROM_ROWS = 200  # from this many rows on, COPY through a staging table beats column arrays


@lru_cache(maxsize=1024)
def _to_pg(sql: str) -> str:
    # SQL in the views is written with qmark placeholders; psycopg wants %s and literal %%.
    return sql.replace("%", "%%").replace("?", "%s")


class Tx:
    """One open transaction on the views' database, with dialect-aware helpers."""

    def __init__(self, dialect: str, conn: Any) -> None:
        self.dialect = dialect
        self._conn = conn
        self._cur = conn.cursor()
        self._staged: set[str] = set()
        # A rebuild writes a view into shadow tables: the table helpers below write to
        # ``targets[table.name]`` instead of the live table while it is set.
        self.targets: dict[str, str] = {}

    def target(self, table: Table) -> str:
        """The name the table helpers write ``table`` under in this transaction (its shadow during a rebuild)."""
        return self.targets.get(table.name, table.name)

    @property
    def is_postgres(self) -> bool:
        """Whether this is PostgreSQL (else SQLite)."""
        return self.dialect == "postgresql"

    def sql(self, statement: str) -> str:
        """``statement`` with placeholders in this dialect."""
        return _to_pg(statement) if self.is_postgres else statement

    def execute(self, statement: str, params: Sequence[Any] = ()) -> int:
        """Run one statement; returns the number of rows it changed."""
        self._cur.execute(self.sql(statement), params)
        return int(self._cur.rowcount)

    def query(self, statement: str, params: Sequence[Any] = ()) -> list[Row]:
        """Run a query and fetch all rows."""
        self._cur.execute(self.sql(statement), params)
        return list(self._cur.fetchall())

    def query_binary(self, statement: str, params: Sequence[Any] = ()) -> list[Any]:
        """Like :meth:`query`, with results in binary format on PostgreSQL (raw ``bytea``, no hex)."""
        if not self.is_postgres:
            return self.query(statement, params)
        cur = self._conn.cursor(binary=True)
        cur.execute(self.sql(statement), params)
        return list(cur.fetchall())

    def executemany(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run one statement for many parameter rows."""
        if rows:
            self._cur.executemany(self.sql(statement), rows)

    def load(self, table: Table, rows: Sequence[Row], columns: Sequence[str] | None = None) -> list[list[Any]]:
        """Rows read from ``table`` with Python values (SQLite hands back text for times, dates, ids)."""
        if self.is_postgres:
            return [list(r) for r in rows]
        names = columns or table.column_names
        types = {c.name: c.type for c in table.columns}
        convert = [_FROM_SQLITE.get(types[n]) for n in names]
        out = []
        for r in rows:
            out.append([v if f is None or v is None else f(v) for f, v in zip(convert, r, strict=True)])
        return out

    def in_list(self, column: str, values: Sequence[Any], column_type: ColumnType) -> tuple[str, list[Any]]:
        """A ``column IN (...)`` condition: one array parameter on PostgreSQL, placeholders on SQLite."""
        if self.is_postgres:
            return f"{column} = ANY(?::{column_type.spelled('postgresql')}[])", [list(values)]
        return f"{column} IN ({','.join('?' * len(values))})", list(values)

    def select_in(
        self,
        table: Table,
        columns: Sequence[str],
        key_column: str,
        keys: Sequence[Any],
        key_type: ColumnType,
    ) -> list[Row]:
        """Rows of ``table`` whose ``key_column`` is one of ``keys`` (chunked for SQLite's parameter limit)."""
        out: list[Row] = []
        chunk = 50_000 if self.is_postgres else 900
        cols = ", ".join(columns)
        name = self.target(table)
        for i in range(0, len(keys), chunk):
            cond, params = self.in_list(key_column, keys[i : i + chunk], key_type)
            out.extend(self.query(f"SELECT {cols} FROM {name} WHERE {cond}", params))  # noqa: S608 — names are ours, values bound
        return out

    def upsert(self, table: Table, rows: Sequence[Sequence[Any]]) -> None:
        """Insert or replace whole rows (every column, in ``table.columns`` order)."""
        if not rows:
            return
        names = table.column_names
        updates = ", ".join(f"{c} = excluded.{c}" for c in names if c not in table.key)
        conflict = f"ON CONFLICT ({', '.join(table.key)}) DO " + (f"UPDATE SET {updates}" if updates else "NOTHING")
        self._write(table, rows, conflict)

    def add_counts(self, table: Table, rows: Sequence[Sequence[Any]]) -> None:
        """Add count deltas to rows (key columns then count columns); rows left all-zero are deleted."""
        if not rows:
            return
        counts = [c for c in table.column_names if c not in table.key]
        name = self.target(table)
        updates = ", ".join(f"{c} = {name}.{c} + excluded.{c}" for c in counts)
        stage = self._write(table, rows, f"ON CONFLICT ({', '.join(table.key)}) DO UPDATE SET {updates}")
        # A key whose total fell back to zero is removed, so that tables built incrementally and
        # tables rebuilt in one pass hold exactly the same rows.
        nk = len(table.key)
        shrinking = [row[:nk] for row in rows if any(v < 0 for v in row[nk:])]
        if not shrinking:
            return
        zero = " AND ".join(f"t.{c} = 0" for c in counts)
        if stage is not None:
            match = " AND ".join(f"t.{c} = s.{c}" for c in table.key)
            self.execute(f"DELETE FROM {name} t USING {stage} s WHERE {match} AND {zero}")  # noqa: S608 — names are ours
        elif self.is_postgres:
            keys = ", ".join(f"t.{c}" for c in table.key)
            kinds = {c.name: c.type for c in table.columns}
            types = ", ".join(f"?::{_PG_ARRAY[kinds[k]]}" for k in table.key)
            self.execute(
                f"DELETE FROM {name} t WHERE ({keys}) IN (SELECT * FROM unnest({types})) AND {zero}",  # noqa: S608 — names are ours, values bound
                [list(col) for col in zip(*shrinking, strict=True)],
            )
        else:
            match = " AND ".join(f"t.{c} = ?" for c in table.key)
            self.executemany(f"DELETE FROM {name} AS t WHERE {match} AND {zero}", shrinking)  # noqa: S608 — names are ours, values bound

    def insert_ignore(self, table: Table, rows: Sequence[Sequence[Any]]) -> None:
        """Insert rows, leaving existing keys alone."""
        if rows:
            self._write(table, rows, f"ON CONFLICT ({', '.join(table.key)}) DO NOTHING")

    def _write(self, table: Table, rows: Sequence[Sequence[Any]], conflict: str) -> str | None:
        """Insert ``rows`` with ``conflict``; on PostgreSQL returns the staging table that held them."""
        names = ", ".join(table.column_names)
        target = self.target(table)
        if not self.is_postgres:
            marks = ", ".join("?" * len(table.columns))
            self.executemany(f"INSERT INTO {target} ({names}) VALUES ({marks}) {conflict}", rows)  # noqa: S608 — names are ours, values bound
            return None
        if len(rows) < STAGE_FROM_ROWS:
            # A few rows (a follower's page): one statement over column arrays, one round trip.
            types = ", ".join(f"?::{_PG_ARRAY[c.type]}" for c in table.columns)
            columns = [list(col) for col in zip(*rows, strict=True)]
            self.execute(f"INSERT INTO {target} ({names}) SELECT * FROM unnest({types}) {conflict}", columns)  # noqa: S608 — names are ours, values bound
            return None
        stage = self._stage(table, rows)
        self.execute(f"INSERT INTO {target} ({names}) SELECT {names} FROM {stage} {conflict}")  # noqa: S608 — names are ours
        return stage

    def _stage(self, table: Table, rows: Sequence[Sequence[Any]]) -> str:
        """Binary-COPY ``rows`` into a temporary table shaped like ``table`` (several times faster than
        parameter arrays), emptied at commit; its name carries the column list, so a changed view
        never meets a staging table of its old shape."""
        shape = zlib.crc32(",".join(f"{c.name}:{c.type.name}" for c in table.columns).encode())
        target = self.target(table)
        stage = f"_stage_{target}_{shape:08x}"
        if stage in self._staged:
            self.execute(f"TRUNCATE {stage}")
        else:
            self.execute(f"CREATE TEMP TABLE IF NOT EXISTS {stage} (LIKE {target}) ON COMMIT DELETE ROWS")
            self._staged.add(stage)
        names = ", ".join(table.column_names)
        with self._cur.copy(f"COPY {stage} ({names}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types([_PG_BINARY[c.type] for c in table.columns])
            for row in rows:
                copy.write_row(row)
        return stage


class ViewDB:
    """Connections to the views' database: a pool on PostgreSQL, one connection per thread on SQLite."""

    def __init__(self, database: Database, *, pool_size: int = 4) -> None:
        self.database = database
        self.dialect = database.kind
        self._local = threading.local()
        self._pool: ConnectionPool[psycopg.Connection[Row]] | None = None
        self._sqlite_conns: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        if self.dialect == "postgresql":
            self._pool = ConnectionPool(
                self.conninfo(),
                min_size=1,
                max_size=pool_size,
                open=True,
                check=ConnectionPool.check_connection,
                kwargs={"connect_timeout": 3, "autocommit": True},
                timeout=5,
            )
        elif self.dialect == "sqlite":
            if database.sqlite_path is None:  # pragma: no cover — parse_database_url sets it
                msg = "sqlite database without a path"
                raise ValueError(msg)
            _register_sqlite_adapters()
        else:
            msg = f"views need PostgreSQL or a SQLite file, not {self.dialect!r}"
            raise ValueError(msg)

    @classmethod
    def from_url(cls, url: str, *, pool_size: int = 4) -> ViewDB:
        """Open the views' database named by a ``YOUSU_DATABASE_URL``."""
        return cls(parse_database_url(url), pool_size=pool_size)

    @property
    def is_postgres(self) -> bool:
        """Whether the views live in PostgreSQL."""
        return self.dialect == "postgresql"

    def conninfo(self) -> str:
        """libpq connection string (PostgreSQL only)."""
        return psycopg.conninfo.make_conninfo(**libpq_params(self.database.env))

    @property
    def sqlite_path(self) -> Path:
        """The SQLite file (SQLite only)."""
        path = self.database.sqlite_path
        if path is None:
            msg = "not a SQLite database"
            raise ValueError(msg)
        return path

    def _sqlite(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                self.sqlite_path,
                isolation_level=None,  # transactions are begun explicitly
                check_same_thread=False,
                timeout=SQLITE_BUSY_TIMEOUT_MS / 1000,
            )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: atomic and consistent
            self._local.conn = conn
            with self._lock:
                self._sqlite_conns.append(conn)
        return conn

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Tx]:
        """A transaction, committed when the block ends and rolled back on error.

        On SQLite a writing transaction is ``BEGIN IMMEDIATE``: it takes the file's write lock at
        once, so two writers serialise instead of failing at commit.
        """
        if self._pool is not None:
            with self._pool.connection() as conn, conn.transaction():
                tx = Tx("postgresql", conn)
                if write:
                    # A crash may lose the newest page, but view rows and tracking are lost
                    # together, so exactly-once still holds; commits no longer wait on the WAL flush.
                    tx.execute("SET LOCAL synchronous_commit TO OFF")
                yield tx
            return
        lite = self._sqlite()
        lite.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        try:
            yield Tx("sqlite", lite)
        except BaseException:
            lite.rollback()
            raise
        lite.commit()

    def close(self) -> None:
        """Close every connection this object opened."""
        if self._pool is not None:
            self._pool.close()
        with self._lock:
            for conn in self._sqlite_conns:
                conn.close()
            self._sqlite_conns.clear()
        self._local = threading.local()
