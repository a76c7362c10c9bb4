"""The event store's SQLite recorder: writes checked against the request's budget, the access index."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import Notification, StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder

from adapters.access_index import access_where
from application import deadline
from application.access_index import ACCESS_BACKFILL_TABLE, ACCESS_TABLE, AccessIndexRow, AccessQuery, rows_with_ids
from application.slip_counter import SLIP_COUNTER_TABLE, SlipClaims

INSERT_ACCESS = (
    f"INSERT OR IGNORE INTO {ACCESS_TABLE} "  # noqa: S608 — a constant table name
    "(notification_id, record_id, complaint_id, reader_id, read_at) VALUES (?, ?, ?, ?, ?)"
)

SLIP_COUNTER_DDL = (
    f"CREATE TABLE IF NOT EXISTS {SLIP_COUNTER_TABLE} ("
    "centre TEXT NOT NULL, day TEXT NOT NULL, last INTEGER NOT NULL, PRIMARY KEY (centre, day))"
)
# a new row starts after the legacy slip book's numbers (seed); an existing one just counts on
CLAIM_SLIPS = (
    f"INSERT INTO {SLIP_COUNTER_TABLE} AS c (centre, day, last) VALUES (?, ?, ?) "  # noqa: S608 — a constant table name
    "ON CONFLICT (centre, day) DO UPDATE SET last = c.last + ? RETURNING last"
)


class IndexedSQLiteApplicationRecorder(SQLiteApplicationRecorder):
    """The stock recorder; a write abandoned by its request's 503 rolls back; access records are indexed.

    A batch with intakes claims their slip numbers from ``yousu_slip_counters`` in the same
    transaction, before the events are made (application.slip_counter).
    """

    counts_slips = True  # takes ``slip_claims`` (application.slip_counter)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.access_ddl = [
            f"CREATE TABLE IF NOT EXISTS {ACCESS_TABLE} ("
            "notification_id INTEGER PRIMARY KEY, "
            "record_id TEXT NOT NULL, "
            "complaint_id TEXT NOT NULL, "
            "reader_id TEXT NOT NULL, "
            "read_at TEXT NOT NULL)",
            f"CREATE INDEX IF NOT EXISTS {ACCESS_TABLE}_complaint ON {ACCESS_TABLE} (complaint_id, notification_id)",
            f"CREATE INDEX IF NOT EXISTS {ACCESS_TABLE}_reader ON {ACCESS_TABLE} (reader_id, notification_id)",
            f"CREATE INDEX IF NOT EXISTS {ACCESS_TABLE}_read_at ON {ACCESS_TABLE} (read_at)",
            # access records stored before the index existed: indexed by the application (AuditService)
            f"CREATE TABLE IF NOT EXISTS {ACCESS_BACKFILL_TABLE} (upto INTEGER NOT NULL)",
            f"INSERT INTO {ACCESS_BACKFILL_TABLE} SELECT COALESCE(MAX(rowid), 0) FROM {self.events_table_name}",  # noqa: S608 — constant names
        ]

    def create_table(self) -> None:
        """The store's tables; the access index and its backfill marker once, in one transaction."""
        super().create_table()
        with self.datastore.transaction(commit=True) as c:
            c.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?", [ACCESS_TABLE])
            if c.fetchone() is None:
                for statement in self.access_ddl:
                    c.execute(statement)
            c.execute(SLIP_COUNTER_DDL)

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        """Insert events and their index rows in one transaction, checked before and right before COMMIT."""
        budget = deadline.current()
        if budget is not None:
            budget.check()
        access: Sequence[AccessIndexRow] = kwargs.get("access_index", ())
        claims: SlipClaims | None = kwargs.get("slip_claims")
        with self.datastore.transaction(commit=True) as c:
            if claims is not None:
                stored_events = [*stored_events, *claims.fill(self._claim_slips(c, claims))]
            notification_ids = self._insert_events(c, stored_events, **kwargs)
            rows = rows_with_ids(access, stored_events, notification_ids, "sqlite")
            if rows:
                c.executemany(INSERT_ACCESS, rows)
            if budget is not None:
                budget.begin_commit()  # raises (→ ROLLBACK) when the request was answered already
        return notification_ids

    @staticmethod
    def _claim_slips(c: Any, claims: SlipClaims) -> dict[tuple[str, Any], int]:
        """Take each key's numbers from its counter row; answers the first number per key."""
        firsts: dict[tuple[str, Any], int] = {}
        for key, count, seed in claims.ordered():
            centre, day = key
            c.execute(CLAIM_SLIPS, (centre, day.isoformat(), seed + count, count))
            firsts[key] = int(c.fetchone()[0]) - count + 1
        return firsts

    def select_access(self, query: AccessQuery) -> list[Notification]:
        """Access-record notifications matching ``query``, oldest first, through the access index."""
        where, params = access_where(query, "sqlite")
        statement = (
            f"SELECT e.rowid, e.originator_id, e.originator_version, e.topic, e.state "  # noqa: S608 — fixed clauses, values bound
            f"FROM {ACCESS_TABLE} a JOIN {self.events_table_name} e ON e.rowid = a.notification_id"
            f"{where} ORDER BY a.notification_id LIMIT ?"
        )
        with self.datastore.transaction(commit=False) as c:
            c.execute(statement, [*params, query.limit])
            return [
                Notification(
                    id=row["rowid"],
                    originator_id=self.convert_originator_id(row["originator_id"]),
                    originator_version=row["originator_version"],
                    topic=row["topic"],
                    state=row["state"],
                )
                for row in c.fetchall()
            ]

    def access_backfill_upto(self) -> int | None:
        """The newest notification that may hold an unindexed access record (None: nothing to backfill)."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT MAX(upto) AS upto FROM {ACCESS_BACKFILL_TABLE}")  # noqa: S608 — a constant name
            row = c.fetchone()
        return None if row is None or row["upto"] is None else int(row["upto"])

    def index_access(self, rows: Sequence[tuple[int, AccessIndexRow]]) -> None:
        """Index access records stored before the index existed (idempotent); the backfill is then done."""
        with self.datastore.transaction(commit=True) as c:
            c.executemany(INSERT_ACCESS, [(n, *row.values("sqlite")) for n, row in rows])
            c.execute(f"DELETE FROM {ACCESS_BACKFILL_TABLE}")  # noqa: S608 — a constant name
