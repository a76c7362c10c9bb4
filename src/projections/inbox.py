"""Inboxes (抄送): every escalation — of complaints and of rectification orders — for the liaison, the supervisor
and the duty leader; the webhooks deliver from the same rows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from eventsourcing.utils import get_topic

from domain.complaint import Complaint
from domain.orders import RectificationOrder
from projections.db import Column, Table, Tx, ViewDB, as_datetime
from projections.db import ColumnType as T
from projections.ledger import LEDGER
from projections.view import Applied, OtherApplied, View

ORDER_CLOCK = "order"  # the clock of an order escalation: its round's deadline
# An order's "unit_leader" is the leader answerable for the unit's rectification: in the hall, the duty leader
# (带班领导) — their inbox holds it, and a webhook for "duty_leader" (or "unit_leader") delivers it.
UNIT_LEADER = "unit_leader"

INBOX = Table(
    "yousu_inbox",
    (
        Column("notification_id", T.bigint),
        Column("complaint_id", T.uuid),  # a complaint's escalation …
        Column("order_id", T.uuid),  # … or a rectification order's (clock "order")
        Column("unit", T.text),  # the order's unit
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
# Which unit each order was issued to (its escalations do not repeat it).
ORDER_UNITS = Table(
    "yousu_inbox_order_units", (Column("order_id", T.uuid), Column("unit", T.text, nullable=False)), key=("order_id",)
)


class InboxView(View):
    """One row per ``Escalated`` event of a complaint or an order, keyed by its notification id (replays are
    idempotent)."""

    name: ClassVar[str] = "inbox"
    version: ClassVar[int] = 3  # 2: answers carry the complaint's centre; 3: rectification orders' escalations
    tables: ClassVar[tuple[Table, ...]] = (INBOX, ORDER_UNITS)
    other_topics: ClassVar[tuple[str, ...]] = (get_topic(RectificationOrder) + ".",)

    def apply(self, tx: Tx, page: Sequence[Applied]) -> None:
        """Insert the page's escalations."""
        rows = [
            _row(nid, e, complaint_id=e.originator_id, clock=e.clock.value, to_duty_leader="duty_leader")
            for nid, e in page
            if isinstance(e, Complaint.Escalated)
        ]
        if rows:
            tx.insert_ignore(INBOX, rows)

    def apply_other(self, tx: Tx, events: Sequence[OtherApplied]) -> None:
        """Insert the orders' escalations: level 1 to the unit's leader, level 2 also 抄送纪检."""
        units = {e.originator_id: e.unit for _, e in events if isinstance(e, RectificationOrder.Issued)}
        tx.insert_ignore(ORDER_UNITS, list(units.items()))
        rows = []
        for nid, e in events:
            if isinstance(e, RectificationOrder.Escalated):
                unit = units.get(e.originator_id) or _unit_of(tx, e.originator_id)
                rows.append(
                    _row(nid, e, order_id=e.originator_id, unit=unit, clock=ORDER_CLOCK, to_duty_leader=UNIT_LEADER)
                )
        if rows:
            tx.insert_ignore(INBOX, rows)


def _row(
    nid: int,
    e: Any,
    *,
    clock: str,
    to_duty_leader: str,
    complaint_id: Any = None,
    order_id: Any = None,
    unit: str | None = None,
) -> tuple[Any, ...]:
    """An inbox row of an escalation event (a complaint's or an order's): its round, level, dates and recipients;
    addressed to the duty leader when ``to_duty_leader`` (or ``duty_leader``) is among the recipients."""
    recipients = set(e.recipients)
    return (
        nid,
        complaint_id,
        order_id,
        unit,
        clock,
        e.round,
        e.level,
        e.due_at,
        e.occurred_at,
        e.reason,
        "," + ",".join(sorted(recipients)) + ",",
        "liaison" in recipients,
        "supervisor" in recipients,
        bool({to_duty_leader, "duty_leader"} & recipients),
    )


def _unit_of(tx: Tx, order_id: Any) -> str | None:
    """The unit an order was issued to, from the view's own record of issued orders (an earlier page)."""
    # tx.target: the shadow table while the view is being rebuilt
    found = tx.query(f"SELECT unit FROM {tx.target(ORDER_UNITS)} WHERE order_id = ?", [order_id])  # noqa: S608 — fixed name, value bound
    return str(found[0][0]) if found else None


# ------------------------------------------------------------------------------------ queries

INBOX_KEYS = (
    "complaint_id",
    "order_id",
    "unit",
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
        "SELECT i.complaint_id, i.order_id, i.unit, l.slip_no, i.clock, i.round, i.level, i.due_at, i.escalated_at,"  # noqa: S608 — fixed columns, parameterised filter
        f" i.reason, i.recipients, l.supervisor, l.centre FROM {INBOX.name} i"
        f" LEFT JOIN {LEDGER.name} l ON l.id = i.complaint_id WHERE {where} ORDER BY i.escalated_at DESC LIMIT ?"
    )
    with db.transaction(write=False) as tx:
        found = tx.query(sql, [*params, limit])
    items = []
    for r in found:
        item = dict(zip(INBOX_KEYS, r, strict=True))
        item["complaint_id"] = str(item["complaint_id"]) if item["complaint_id"] is not None else None
        item["order_id"] = str(item["order_id"]) if item["order_id"] is not None else None
        item["due_at"] = as_datetime(item["due_at"])
        item["escalated_at"] = as_datetime(item["escalated_at"])
        item["recipients"] = [x for x in str(item["recipients"]).split(",") if x]
        items.append(item)
    return items


def liaison_inbox(db: ViewDB, limit: int = 100) -> list[dict[str, Any]]:
    """抄送纪检: escalations copied to discipline inspection, newest first."""
    return _inbox(db, "i.to_liaison = ?", [True], limit)


def duty_leader_inbox(db: ViewDB, limit: int = 100, *, centre: str | None = None) -> list[dict[str, Any]]:
    """Escalations addressed to the duty leader (of ``centre``'s complaints when given; orders' escalations, like
    the orders ledger, are the district's and reach every duty leader), newest first."""
    if centre is None:
        return _inbox(db, "i.to_duty_leader = ?", [True], limit)
    return _inbox(db, "i.to_duty_leader = ? AND (l.centre = ? OR i.order_id IS NOT NULL)", [True, centre], limit)


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
