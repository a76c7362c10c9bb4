"""What tests read beside the API: a view's rows and clock states by complaint, a work order's hotline
messages, the permission matrix as the README's table. Only tests use these, so they live here, not in
the production modules whose tables and matrix they read."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from api.permissions import ACTION_LABELS, PERMISSIONS, Action
from domain.calendar import WorkingCalendar
from domain.values import Role
from projections.db import ViewDB, as_datetime
from projections.hotline import HOTLINE_MESSAGES
from projections.ledger import LEDGER, _ledger_row
from projections.sla import SLA, clock_state
from projections.view import aware


def ledger_get(db: ViewDB, complaint_id: UUID) -> dict[str, Any] | None:
    """One complaint's ledger row, or None."""
    cols = ", ".join(f"l.{c}" for c in LEDGER.column_names)
    with db.transaction(write=False) as tx:
        found = tx.query(f"SELECT {cols} FROM {LEDGER.name} l WHERE l.id = ?", [complaint_id])  # noqa: S608 — our table and column names, values bound
        return _ledger_row(tx, found[0]) if found else None


def complaint_clocks(db: ViewDB, complaint_id: UUID, now: datetime, calendar: WorkingCalendar) -> list[dict[str, Any]]:
    """One complaint's clocks with their state (pending / met / breached) at ``now``."""
    aware(now, "now")
    cols = ", ".join(SLA.column_names)
    with db.transaction(write=False) as tx:
        found = tx.load(
            SLA,
            tx.query(
                f"SELECT {cols} FROM {SLA.name} WHERE complaint_id = ? ORDER BY started_at, round",  # noqa: S608 — our table and column names, values bound
                [complaint_id],
            ),
        )
    out = []
    for values in found:
        row = dict(zip(SLA.column_names, values, strict=True))
        status = clock_state(row["due_at"], row["met_at"], now, calendar, row["paused_at"])
        row["state"] = status.state.value
        row["late_hours"] = round(status.late_hours, 2)
        row["due_provisional"] = bool(row["due_provisional"])
        out.append(row)
    return out


def messages_of(db: ViewDB, external_ref: str) -> list[dict[str, Any]]:
    """A work order's messages, in order."""
    with db.transaction(write=False) as tx:
        rows = tx.query(
            f"SELECT notification_id, complaint_id, seq, previous_seq, type, occurred_at FROM {HOTLINE_MESSAGES.name}"  # noqa: S608 — fixed table name, values bound
            " WHERE external_ref = ? ORDER BY seq",
            [external_ref],
        )
    return [
        {
            "notification_id": int(r[0]),
            "complaint_id": str(r[1]),
            "seq": int(r[2]),
            "previous_seq": int(r[3]),
            "type": r[4],
            "occurred_at": as_datetime(r[5]),
        }
        for r in rows
    ]


def matrix_markdown() -> str:
    """The matrix as a Markdown table (for the README)."""
    roles = [r for r in Role if r is not Role.system]
    head = "| action | " + " | ".join(r.value for r in roles) + " |"
    sep = "|---|" + "---|" * len(roles)
    rows = [
        f"| {ACTION_LABELS[a]} | " + " | ".join("✔" if r in PERMISSIONS[a] else "" for r in roles) + " |"
        for a in Action
    ]
    return "\n".join([head, sep, *rows])
