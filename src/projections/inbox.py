"""Inboxes (抄送): every escalation, for the liaison, the supervisor and the duty leader."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from domain.complaint import Complaint
from projections.db import Column, Table, Tx, ViewDB, as_datetime
from projections.db import ColumnType as T
from projections.ledger import LEDGER
from projections.view import Applied, View

INBOX = Table(
    "yousu_inbox",
    (
        Column("notification_id", T.bigint),
        Column("complaint_id", T.uuid, nullable=False),
        Column("clock", T.text, nullable=False),
        Column("round", T.integer, nullable=False),
        Column("level", T.integer, nullable=False),
        Column("due_at", T.timestamp, nullable=False),
        Column("escalated_at", T.timestamp, nullable=False),
        Column("reason", T.text, nullable=False),
        Column("recipients", T.text, nullable=False),  # ",liaison,supervisor," — roles, comma-bounded
        Column("to_liaison", T.boolean, nullable=False),
        Column("to_supervisor", T.boolean, nullable=False),
        Column("to_duty_leader", T.boolean, nullable=False),
    ),
    key=("notification_id",),
    indexes=(
        ("yousu_inbox_liaison_idx", "(escalated_at) WHERE to_liaison"),
        ("yousu_inbox_complaint_idx", "(complaint_id)"),
    ),
)


class InboxView(View):
    """One row per ``Escalated`` event, keyed by its notification id (so replays are idempotent)."""

    name: ClassVar[str] = "inbox"
    version: ClassVar[int] = 2  # 2: answers carry the complaint's centre (read through the ledger)
    tables: ClassVar[tuple[Table, ...]] = (INBOX,)

    def apply(self, tx: Tx, page: Sequence[Applied]) -> None:
        """Insert the page's escalations."""
        rows = []
        for nid, e in page:
            if not isinstance(e, Complaint.Escalated):
                continue
            recipients = set(e.recipients)
            rows.append(
                (
                    nid,
                    e.originator_id,
                    e.clock.value,
                    e.round,
                    e.level,
                    e.due_at,
                    e.occurred_at,
                    e.reason,
                    "," + ",".join(sorted(recipients)) + ",",
                    "liaison" in recipients,
                    "supervisor" in recipients,
                    "duty_leader" in recipients,
                )
            )
        if rows:
            tx.insert_ignore(INBOX, rows)


# ------------------------------------------------------------------------------------ queries

INBOX_KEYS = (
    "complaint_id",
    "slip_no",
    "clock",
    "round",
    "level",
    "due_at",
    "escalated_at",
    "reason",
    "recipients",
    "supervisor",
    "centre",
)


def _inbox(db: ViewDB, where: str, params: list[Any], limit: int) -> list[dict[str, Any]]:
    sql = (
        "SELECT i.complaint_id, l.slip_no, i.clock, i.round, i.level, i.due_at, i.escalated_at, i.reason,"  # noqa: S608 — fixed columns, parameterised filter
        f" i.recipients, l.supervisor, l.centre FROM {INBOX.name} i LEFT JOIN {LEDGER.name} l ON l.id = i.complaint_id"
        f" WHERE {where} ORDER BY i.escalated_at DESC LIMIT ?"
    )
    with db.transaction(write=False) as tx:
        found = tx.query(sql, [*params, limit])
    items = []
    for r in found:
        item = dict(zip(INBOX_KEYS, r, strict=True))
        item["complaint_id"] = str(item["complaint_id"])
        item["due_at"] = as_datetime(item["due_at"])
        item["escalated_at"] = as_datetime(item["escalated_at"])
        item["recipients"] = [x for x in str(item["recipients"]).split(",") if x]
        items.append(item)
    return items


def liaison_inbox(db: ViewDB, limit: int = 100) -> list[dict[str, Any]]:
    """抄送纪检: escalations copied to discipline inspection, newest first."""
    return _inbox(db, "i.to_liaison = ?", [True], limit)


def duty_leader_inbox(db: ViewDB, limit: int = 100, *, centre: str | None = None) -> list[dict[str, Any]]:
    """Escalations addressed to the duty leader (of ``centre``'s complaints when given), newest first."""
    if centre is None:
        return _inbox(db, "i.to_duty_leader = ?", [True], limit)
    return _inbox(db, "i.to_duty_leader = ? AND l.centre = ?", [True, centre], limit)


def supervisor_inbox(
    db: ViewDB, supervisor_id: str, limit: int = 100, *, centre: str | None = None
) -> list[dict[str, Any]]:
    """Escalations addressed to the supervisor of complaints whose supervisor is ``supervisor_id`` (a token's sub)."""
    if centre is None:
        return _inbox(db, "i.to_supervisor = ? AND l.supervisor = ?", [True, supervisor_id], limit)
    return _inbox(db, "i.to_supervisor = ? AND l.supervisor = ? AND l.centre = ?", [True, supervisor_id, centre], limit)


def awaiting_leader_signature(db: ViewDB, centres: list[str] | None, limit: int = 100) -> list[dict[str, Any]]:
    """Complaints the officer signed that wait for the duty leader (of ``centres``; None: all), oldest first."""
    if centres is not None and not centres:
        return []
    where = "l.status = ?"
    params: list[Any] = ["officer_signed"]
    if centres is not None:
        where += f" AND l.centre IN ({', '.join('?' for _ in centres)})"
        params += centres
    sql = (
        f"SELECT l.id, l.slip_no, l.centre, l.classification, l.received_at FROM {LEDGER.name} l"  # noqa: S608 — fixed columns, parameterised filter
        f" WHERE {where} ORDER BY l.received_at LIMIT ?"
    )
    with db.transaction(write=False) as tx:
        found = tx.query(sql, [*params, limit])
    return [
        {
            "complaint_id": str(r[0]),
            "slip_no": r[1],
            "centre": r[2],
            "classification": r[3],
            "received_at": as_datetime(r[4]),
        }
        for r in found
    ]
