"""The event store's PostgreSQL recorder: serialised table creation, bounded writes, the access index."""

from __future__ import annotations

import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from eventsourcing.persistence import (
    DataError,
    IntegrityError,
    InterfaceError,
    Notification,
    OperationalError,
    PersistenceError,
    ProgrammingError,
    StoredEvent,
)
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresFactory
from eventsourcing.utils import Environment, EnvType
from psycopg import Connection
from psycopg.rows import DictRow
from psycopg.sql import SQL, Composed, Identifier

from adapters.access_index import access_where
from application import deadline
from application.access_index import ACCESS_BACKFILL_TABLE, ACCESS_TABLE, AccessIndexRow, AccessQuery, rows_with_ids
from application.errors import OutcomeUnknown
from application.slip_counter import SLIP_COUNTER_TABLE, SlipClaims

# advisory lock key serialising the store's DDL across processes (the views use their own key)
STORE_SETUP_LOCK = zlib.crc32(b"yousu store setup")
# a write without a request budget (CLI, background loops) still may not hang on a dead connection
UNBUDGETED_WRITE_SECONDS = 30.0
# no statement of the event store runs longer than the longest request deadline (YOUSU_STORE_LONG_TIMEOUT's default)
SESSION_STATEMENT_TIMEOUT_MS = int(deadline.LONG_BUDGET_SECONDS * 1000)

# psycopg's errors as eventsourcing's (what the library's own datastore does), most specific first
_TRANSLATED: tuple[tuple[type[psycopg.Error], type[PersistenceError]], ...] = (
    (psycopg.InterfaceError, InterfaceError),
    (psycopg.OperationalError, OperationalError),
    (psycopg.IntegrityError, IntegrityError),
    (psycopg.DataError, DataError),
    (psycopg.ProgrammingError, ProgrammingError),
)


def _translated(exc: psycopg.Error) -> PersistenceError:
    for source, target in _TRANSLATED:
        if isinstance(exc, source):
            return target(str(exc))
    return PersistenceError(str(exc))


def _connection_lost(exc: BaseException) -> bool:
    """The server gave no answer (connection failure), as opposed to refusing the statement."""
    if not isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError):
        return False
    sqlstate = exc.sqlstate
    return sqlstate is None or sqlstate.startswith("08")


class SerialisedPostgresApplicationRecorder(PostgresApplicationRecorder):
    """The stock recorder with three changes.

    * ``create_table`` holds a PostgreSQL advisory lock: ``CREATE TABLE IF NOT EXISTS`` is not safe
      against itself (two sessions both pass the check and one fails on ``pg_type_typname_nsp_index``).
    * ``insert_events`` is bounded by the request's budget (application.deadline): the pool wait,
      ``statement_timeout`` and ``lock_timeout`` are what is left of it, it is checked again right
      before COMMIT, and it is never retried — the library retried ten times, so a write answered 503
      committed up to half a minute later, and a retry after a COMMIT whose answer was lost stored
      the intake twice. A connection lost during COMMIT raises OutcomeUnknown.
    * Access records are indexed in ``yousu_access_log`` in the same transaction as their events.
    * A batch with intakes claims their slip numbers from ``yousu_slip_counters`` in the same
      transaction, before the events are made (application.slip_counter).
    """

    counts_slips = True  # takes ``slip_claims`` (application.slip_counter)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # libpq options of every pooled connection (the pool opens later, on first use)
        pool_kwargs = self.datastore.pool.kwargs
        if isinstance(pool_kwargs, dict):
            pool_kwargs.setdefault("options", f"-c statement_timeout={SESSION_STATEMENT_TIMEOUT_MS}")
        schema = Identifier(self.datastore.schema)
        table = Identifier(ACCESS_TABLE)
        self.access_ddl = [
            SQL(
                "CREATE TABLE IF NOT EXISTS {schema}.{table} ("
                "notification_id bigint PRIMARY KEY, "
                "record_id uuid NOT NULL, "
                "complaint_id uuid NOT NULL, "
                "reader_id text NOT NULL, "
                "read_at timestamptz NOT NULL)"
            ).format(schema=schema, table=table),
            SQL("CREATE INDEX IF NOT EXISTS {i} ON {schema}.{table} (complaint_id, notification_id)").format(
                i=Identifier(f"{ACCESS_TABLE}_complaint"), schema=schema, table=table
            ),
            SQL("CREATE INDEX IF NOT EXISTS {i} ON {schema}.{table} (reader_id, notification_id)").format(
                i=Identifier(f"{ACCESS_TABLE}_reader"), schema=schema, table=table
            ),
            SQL("CREATE INDEX IF NOT EXISTS {i} ON {schema}.{table} (read_at)").format(
                i=Identifier(f"{ACCESS_TABLE}_read_at"), schema=schema, table=table
            ),
            # access records stored before the index existed: indexed by the application (AuditService)
            SQL("CREATE TABLE IF NOT EXISTS {schema}.{table} (upto bigint NOT NULL)").format(
                schema=schema, table=Identifier(ACCESS_BACKFILL_TABLE)
            ),
            SQL(
                "INSERT INTO {schema}.{backfill} SELECT COALESCE(MAX(notification_id), 0) FROM {schema}.{events}"
            ).format(
                schema=schema, backfill=Identifier(ACCESS_BACKFILL_TABLE), events=Identifier(self.events_table_name)
            ),
        ]
        counters = Identifier(SLIP_COUNTER_TABLE)
        self.slip_counter_ddl = SQL(
            "CREATE TABLE IF NOT EXISTS {schema}.{table} ("
            "centre text NOT NULL, day date NOT NULL, last bigint NOT NULL, PRIMARY KEY (centre, day))"
        ).format(schema=schema, table=counters)
        # a new row starts after the legacy slip book's numbers (seed); an existing one just counts on
        self.claim_slips_statement = SQL(
            "INSERT INTO {schema}.{table} AS c (centre, day, last) VALUES (%s, %s, %s) "
            "ON CONFLICT (centre, day) DO UPDATE SET last = c.last + %s RETURNING last"
        ).format(schema=schema, table=counters)
        self.insert_access_statement = SQL(
            "INSERT INTO {schema}.{table} (notification_id, record_id, complaint_id, reader_id, read_at) "
            "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (notification_id) DO NOTHING"
        ).format(schema=schema, table=table)

    def create_table(self) -> None:
        """Create tables and indexes if missing, holding the store's setup lock."""
        with self.datastore.get_connection() as conn:
            # session-level lock, committed at once: an idle open transaction would be ended by
            # the datastore's idle_in_transaction_session_timeout while the DDL runs elsewhere
            conn.execute("SELECT pg_advisory_lock(%s)", [STORE_SETUP_LOCK])
            conn.commit()
            try:
                super().create_table()
                self._create_access_index()
                with self.datastore.transaction(commit=True) as curs:
                    curs.execute(self.slip_counter_ddl)
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", [STORE_SETUP_LOCK])
                conn.commit()

    def _create_access_index(self) -> None:
        """The access index and its backfill marker, in one transaction, only when the index is missing."""
        name = f"{self.datastore.schema}.{ACCESS_TABLE}"
        with self.datastore.transaction(commit=True) as curs:
            curs.execute("SELECT to_regclass(%s) AS found", [name])
            row = curs.fetchone()
            if row is not None and row["found"] is not None:
                return
            for statement in self.access_ddl:
                curs.execute(statement)

    # ------------------------------------------------------------------ bounded writes

    @contextmanager
    def _bounded_connection(self, seconds: float) -> Iterator[Connection[DictRow]]:
        """A pooled connection, waiting at most ``seconds`` for one; psycopg errors as eventsourcing's."""
        try:
            with self.datastore.pool.connection(timeout=max(seconds, 0.05)) as conn:
                yield conn
        except psycopg.Error as exc:
            raise _translated(exc) from exc

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        """Insert in one transaction within the request's budget; never retried (see the class)."""
        budget = deadline.current() or deadline.Budget(UNBUDGETED_WRITE_SECONDS)
        budget.check()
        access: Sequence[AccessIndexRow] = kwargs.get("access_index", ())
        notification_ids: Sequence[int] | None = None
        committing = False
        with self._bounded_connection(budget.remaining()) as conn:
            try:
                with conn.transaction(), conn.cursor() as curs:
                    millis = budget.sql_timeout_ms()
                    curs.execute(SQL("SET LOCAL statement_timeout = {0}").format(millis))
                    claims: SlipClaims | None = kwargs.get("slip_claims")
                    if claims is not None:  # rows locked in key order, before the table lock, by everyone
                        stored_events = [*stored_events, *claims.fill(self._claim_slips(curs, claims))]
                    self._insert_events(curs, stored_events, **kwargs)
                    if stored_events:
                        self._insert_stored_events(curs, stored_events, **kwargs)
                        notification_ids = self._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
                    for row in rows_with_ids(access, stored_events, notification_ids):
                        curs.execute(self.insert_access_statement, row, prepare=True)
                    budget.begin_commit()  # raises (→ ROLLBACK) when the request was answered already
                    committing = True
            except psycopg.Error as exc:
                if committing and _connection_lost(exc):
                    raise OutcomeUnknown from exc
                raise _translated(exc) from exc
        return notification_ids

    def _claim_slips(self, curs: Any, claims: SlipClaims) -> dict[tuple[str, Any], int]:
        """Take each key's numbers from its counter row; answers the first number per key."""
        firsts: dict[tuple[str, Any], int] = {}
        for key, count, seed in claims.ordered():
            centre, day = key
            curs.execute(self.claim_slips_statement, (centre, day, seed + count, count), prepare=True)
            row = curs.fetchone()
            firsts[key] = int(row["last"]) - count + 1
        return firsts

    def _lock_table(self, curs: Any) -> None:
        # the library's lock_timeout is a fixed number of seconds: wait no longer than the budget allows
        budget = deadline.current()
        millis = budget.sql_timeout_ms() if budget is not None else int(UNBUDGETED_WRITE_SECONDS * 1000)
        curs.execute(SQL("SET LOCAL lock_timeout = {0}").format(millis))
        for statement in self.lock_table_statements[1:]:  # [0] is the library's own SET LOCAL lock_timeout
            curs.execute(statement, prepare=True)

    # ------------------------------------------------------------------ the access index

    def access_statement(self, query: AccessQuery) -> tuple[Composed, list[Any]]:
        """The access log's query over the index (joined to the events for their state), and its values."""
        where, params = access_where(query, "postgresql")
        statement = SQL(
            "SELECT e.notification_id, e.originator_id, e.originator_version, e.topic, e.state "
            "FROM {schema}.{access} a JOIN {schema}.{events} e ON e.notification_id = a.notification_id"
        ).format(
            schema=Identifier(self.datastore.schema),
            access=Identifier(ACCESS_TABLE),
            events=Identifier(self.events_table_name),
        )
        statement += SQL(where) + SQL(" ORDER BY a.notification_id LIMIT %s")  # clauses from AccessQuery, values bound
        return statement, [*params, query.limit]

    def select_access(self, query: AccessQuery) -> list[Notification]:
        """Access-record notifications matching ``query``, oldest first, through the access index."""
        statement, params = self.access_statement(query)
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(statement, params)
            return [
                Notification(
                    id=row["notification_id"],
                    originator_id=row["originator_id"],
                    originator_version=row["originator_version"],
                    topic=row["topic"],
                    state=bytes(row["state"]),
                )
                for row in curs.fetchall()
            ]

    def access_backfill_upto(self) -> int | None:
        """The newest notification that may hold an unindexed access record (None: nothing to backfill)."""
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(
                SQL("SELECT MAX(upto) AS upto FROM {0}.{1}").format(
                    Identifier(self.datastore.schema), Identifier(ACCESS_BACKFILL_TABLE)
                )
            )
            row = curs.fetchone()
        return None if row is None or row["upto"] is None else int(row["upto"])

    def index_access(self, rows: Sequence[tuple[int, AccessIndexRow]]) -> None:
        """Index access records stored before the index existed (idempotent); the backfill is then done."""
        with self.datastore.transaction(commit=True) as curs:
            for notification_id, row in rows:
                curs.execute(self.insert_access_statement, (notification_id, *row.values("postgresql")))
            curs.execute(
                SQL("DELETE FROM {0}.{1}").format(Identifier(self.datastore.schema), Identifier(ACCESS_BACKFILL_TABLE))
            )


class TargetedPostgresFactory(PostgresFactory):
    """The stock factory whose pool asks libpq for a kind of server (``target_session_attrs``).

    With several hosts in ``YOUSU_DATABASE_URL`` (a primary and its hot standby) every pooled
    connection goes to the one that accepts writes: after a failover the pool's next connection
    lands on the promoted standby, with no restart.
    """

    def __init__(self, env: Environment | EnvType | None) -> None:
        super().__init__(env)
        attrs = self.env.get("POSTGRES_TARGET_SESSION_ATTRS")
        pool_kwargs = self.datastore.pool.kwargs
        if attrs and isinstance(pool_kwargs, dict):
            pool_kwargs["target_session_attrs"] = attrs
