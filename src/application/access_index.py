"""The access index: one row per recorded read, written with its event, so the access log needs no scan.

Reads are recorded as ``AccessRecord`` events; before this index, listing them meant reading every
notification of the store. The recorders (adapters.pg_setup, adapters.sqlite_setup) insert
the row in the same transaction as the event, so index and events cannot disagree. Only ids and
the time are indexed: the reader's name stays in the (encrypted) event, read through a join.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent

ACCESS_TABLE = "yousu_access_log"
# one row while access records stored before the index existed still need indexing (up to this notification)
ACCESS_BACKFILL_TABLE = "yousu_access_backfill"


def stored_uuid(value: UUID, dialect: str) -> Any:
    return value if dialect == "postgresql" else value.hex


def stored_instant(value: datetime, dialect: str) -> Any:
    # SQLite: ISO 8601 in UTC, so text order is time order
    return value if dialect == "postgresql" else value.astimezone(UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class AccessIndexRow:
    """The indexed facts of one access record (its event carries the rest)."""

    record_id: UUID
    complaint_id: UUID
    reader_id: str
    read_at: datetime

    def values(self, dialect: str = "postgresql") -> tuple[Any, ...]:
        """Column values after ``notification_id``, as ``dialect`` stores them."""
        return (
            stored_uuid(self.record_id, dialect),
            stored_uuid(self.complaint_id, dialect),
            self.reader_id,
            stored_instant(self.read_at, dialect),
        )


@dataclass(frozen=True)
class AccessQuery:
    """A filter on the access log; every condition uses an index (adapters.access_index writes its WHERE)."""

    complaint_id: UUID | None = None
    reader: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 1000


def rows_with_ids(
    access: Sequence[AccessIndexRow],
    stored_events: Sequence[StoredEvent],
    notification_ids: Sequence[int] | None,
    dialect: str = "postgresql",
) -> list[tuple[Any, ...]]:
    """Index rows for the access records among ``stored_events``, each with its event's notification id."""
    if not access or not notification_ids:
        return []
    by_record: dict[UUID | str, AccessIndexRow] = {row.record_id: row for row in access}
    out: list[tuple[Any, ...]] = []
    for stored, notification_id in zip(stored_events, notification_ids, strict=True):
        row = by_record.get(stored.originator_id)
        if row is not None and stored.originator_version == 1:
            out.append((notification_id, *row.values(dialect)))
    return out
