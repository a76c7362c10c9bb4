"""Inboxes (抄送): every escalation, for the liaison, the supervisor and the duty leader."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from domain.complaint import Complaint
from projections.db import Column, Table, Tx
from projections.db import ColumnType as T
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
    version: ClassVar[int] = 1
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
