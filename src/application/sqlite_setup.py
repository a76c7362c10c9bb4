"""The event store's SQLite recorder: writes checked against the request's budget, the access index."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import Notification, StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder

from application import deadline
from application.access_index import ACCESS_BACKFILL_TABLE, ACCESS_TABLE, AccessIndexRow, AccessQuery, rows_with_ids

INSERT_ACCESS = (
    f"INSERT OR IGNORE INTO {ACCESS_TABLE} "  # noqa: S608 — a constant table name
    "(notification_id, record_id, complaint_id, reader_id, read_at) VALUES (?, ?, ?, ?, ?)"
)


class IndexedSQLiteApplicationRecorder(SQLiteApplicationRecorder):
    """The stock recorder; a write abandoned by its request's 503 rolls back; access records are indexed."""

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

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        """Insert events and their index rows in one transaction, checked before and right before COMMIT."""
        budget = deadline.current()
        if budget is not None:
            budget.check()
        access: Sequence[AccessIndexRow] = kwargs.get("access_index", ())
        with self.datastore.transaction(commit=True) as c:
            notification_ids = self._insert_events(c, stored_events, **kwargs)
            rows = rows_with_ids(access, stored_events, notification_ids, "sqlite")
            if rows:
                c.executemany(INSERT_ACCESS, rows)
            if budget is not None:
                budget.begin_commit()  # raises (→ ROLLBACK) when the request was answered already
        return notification_ids

    def select_access(self, query: AccessQuery) -> list[Notification]:
        """Access-record notifications matching ``query``, oldest first, through the access index."""
        where, params = query.where("sqlite")
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
