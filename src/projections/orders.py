"""整改通知台账: one row per rectification order (its round, deadline, lateness, escalation), and 整改按期完成率.

Fed by the orders' own events (``other_topics``); rebuildable like every view.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.utils import get_topic

from domain.orders import FINDING_LABELS, ORDER_STATUS_LABELS, FindingKind, OrderStatus, RectificationOrder
from projections.db import Column, Table, Tx, ViewDB
from projections.db import ColumnType as T
from projections.view import MAX_PAGE, Applied, OtherApplied, QueryError, View

ORDERS = Table(
    "yousu_orders",
    (
        Column("id", T.uuid),
        Column("unit", T.text, nullable=False),
        Column("finding_kind", T.text, nullable=False),
        Column("finding_text", T.text, nullable=False),
        Column("complaint_id", T.text),
        Column("callback_task_id", T.text),  # the call-back whose finding this is, if any
        Column("issuer_id", T.text, nullable=False),
        Column("issued_at", T.timestamp, nullable=False),
        Column("round", T.integer, nullable=False),
        Column("status", T.text, nullable=False),
        Column("due_at", T.timestamp, nullable=False),
        Column("acknowledged_at", T.timestamp),
        Column("reported_at", T.timestamp),
        Column("accepted_at", T.timestamp),
        Column("late_rounds", T.integer, nullable=False),  # rounds whose report came after the round's deadline
        Column("escalation_level", T.integer, nullable=False),  # the highest level raised in the current round
        Column("last_notification_id", T.bigint, nullable=False),
    ),
    key=("id",),
    indexes=(
        ("yousu_orders_due_idx", "(status, due_at)"),
        ("yousu_orders_unit_idx", "(unit, issued_at)"),
        ("yousu_orders_issued_idx", "(issued_at)"),
    ),
)
COLUMNS = ORDERS.column_names
ORDER_TOPIC = get_topic(RectificationOrder) + "."
RUNNING = (OrderStatus.issued.value, OrderStatus.acknowledged.value)


def _fold(row: dict[str, Any] | None, nid: int, e: Any) -> dict[str, Any] | None:
    """The order's row after event ``e``."""
    if isinstance(e, RectificationOrder.Issued):
        row = {
            "id": e.originator_id,
            "unit": e.unit,
            "finding_kind": e.finding_kind,
            "finding_text": e.finding_text,
            "complaint_id": e.complaint_id,
            "callback_task_id": e.callback_task_id,
            "issuer_id": e.actor.id,
            "issued_at": e.occurred_at,
            "round": 1,
            "status": OrderStatus.issued.value,
            "due_at": e.due_at,
            "acknowledged_at": None,
            "reported_at": None,
            "accepted_at": None,
            "late_rounds": 0,
            "escalation_level": 0,
        }
    elif row is None:
        return None
    elif isinstance(e, RectificationOrder.Acknowledged):
        row["status"] = OrderStatus.acknowledged.value
        row["acknowledged_at"] = e.occurred_at
    elif isinstance(e, RectificationOrder.Reported):
        row["status"] = OrderStatus.reported.value
        row["reported_at"] = e.occurred_at
        row["late_rounds"] += 0 if e.on_time else 1
    elif isinstance(e, RectificationOrder.Accepted):
        row["status"] = OrderStatus.accepted.value
        row["accepted_at"] = e.occurred_at
    elif isinstance(e, RectificationOrder.Returned):
        row["status"] = OrderStatus.issued.value
        row["round"] += 1
        row["due_at"] = e.due_at
        row["acknowledged_at"] = None
        row["escalation_level"] = 0
    elif isinstance(e, RectificationOrder.Escalated) and e.round == row["round"]:
        row["escalation_level"] = max(row["escalation_level"], e.level)
    row["last_notification_id"] = nid
    return row


class OrdersView(View):
    """整改通知台账."""

    name: ClassVar[str] = "orders"
    version: ClassVar[int] = 2  # 2: the call-back a finding came from
    tables: ClassVar[tuple[Table, ...]] = (ORDERS,)
    other_topics: ClassVar[tuple[str, ...]] = (ORDER_TOPIC,)

    def apply(self, tx: Tx, page: Sequence[Applied]) -> None:
        """Complaint events do not change orders."""

    def apply_other(self, tx: Tx, events: Sequence[OtherApplied]) -> None:
        """Fold the orders' events into their rows."""
        groups: dict[UUID, list[OtherApplied]] = {}
        for a in events:
            groups.setdefault(a.event.originator_id, []).append(a)
        lookup = [oid for oid, evs in groups.items() if not isinstance(evs[0].event, RectificationOrder.Issued)]
        rows: dict[UUID, dict[str, Any]] = {}
        if lookup:
            for values in tx.load(ORDERS, tx.select_in(ORDERS, COLUMNS, "id", lookup, T.uuid)):
                stored = dict(zip(COLUMNS, values, strict=True))
                rows[stored["id"]] = stored
        changed = []
        for oid, evs in groups.items():
            row = rows.get(oid)
            for nid, event in evs:
                row = _fold(row, nid, event)
            if row is not None:
                changed.append(tuple(row[c] for c in COLUMNS))
        tx.upsert(ORDERS, changed)


# ---------------------------------------------------------------------------------------- queries


@dataclass(frozen=True)
class OrderFilter:
    """Ledger filters; ``issued_from`` inclusive, ``issued_to`` exclusive; ``overdue`` at ``now``."""

    unit: str | None = None
    status: str | None = None
    finding_kind: str | None = None
    overdue: bool | None = None
    issued_from: datetime | None = None
    issued_to: datetime | None = None
    within: tuple[str, list[Any]] | None = None  # the caller's scope: a condition on the row and its values


def _row(tx: Tx, values: Sequence[Any], now: datetime) -> dict[str, Any]:
    row = dict(zip(COLUMNS, tx.load(ORDERS, [tuple(values)])[0], strict=True))
    row["overdue"] = row["status"] in RUNNING and row["due_at"] < now
    row["status_label"] = ORDER_STATUS_LABELS[OrderStatus(row["status"])]
    row["finding_label"] = FINDING_LABELS[FindingKind(row["finding_kind"])]
    return row


def orders_page(
    views: ViewDB, f: OrderFilter, now: datetime, *, limit: int = 50, offset: int = 0
) -> tuple[list[dict[str, Any]], int]:
    """One page of the orders ledger (newest first) and how many match."""
    if not 1 <= limit <= MAX_PAGE:
        raise QueryError(f"limit 须在 1 至 {MAX_PAGE} 之间")
    if f.status is not None and f.status not in {s.value for s in OrderStatus}:
        raise QueryError(f"未知的整改状态：{f.status}")
    if f.finding_kind is not None and f.finding_kind not in {k.value for k in FindingKind}:
        raise QueryError(f"未知的问题类型：{f.finding_kind}")
    conds: list[str] = []
    params: list[Any] = []
    for column, value in (("unit", f.unit), ("status", f.status), ("finding_kind", f.finding_kind)):
        if value is not None:
            conds.append(f"{column} = ?")
            params.append(value)
    if f.issued_from is not None:
        conds.append("issued_at >= ?")
        params.append(f.issued_from)
    if f.issued_to is not None:
        conds.append("issued_at < ?")
        params.append(f.issued_to)
    if f.overdue is not None:
        running = "status IN ('issued', 'acknowledged') AND due_at < ?"
        conds.append(f"({running})" if f.overdue else f"NOT ({running})")
        params.append(now)
    if f.within is not None:
        conds.append(f"({f.within[0]})")
        params.extend(f.within[1])
    where = f"WHERE {' AND '.join(conds)}" if conds else ""
    with views.transaction(write=False) as tx:
        total = tx.query(f"SELECT COUNT(*) FROM {ORDERS.name} {where}", params)[0][0]  # noqa: S608 — fixed names, values bound
        rows = tx.query(
            f"SELECT {', '.join(COLUMNS)} FROM {ORDERS.name} {where} ORDER BY issued_at DESC, id LIMIT ? OFFSET ?",  # noqa: S608 — fixed names, values bound
            [*params, limit, offset],
        )
        return [_row(tx, r, now) for r in rows], int(total)


@dataclass(frozen=True)
class DueOrder:
    """An order whose running round is past its deadline."""

    order_id: UUID
    round: int
    due_at: datetime


def due_orders(views: ViewDB, now: datetime, limit: int) -> list[DueOrder]:
    """Orders not yet reported in their round and past the round's deadline (candidates for escalation)."""
    with views.transaction(write=False) as tx:
        rows = tx.query(
            f"SELECT id, round, due_at FROM {ORDERS.name}"  # noqa: S608 — fixed names, values bound
            " WHERE status IN ('issued', 'acknowledged') AND due_at < ? AND escalation_level < 2"
            " ORDER BY due_at LIMIT ?",
            [now, limit],
        )
        loaded = tx.load(ORDERS, rows, ["id", "round", "due_at"])
    return [DueOrder(r[0], r[1], r[2]) for r in loaded]


@dataclass(frozen=True)
class OnTimeRate:
    """整改按期完成率 with its numerator and denominator, and the orders not yet decided."""

    numerator: int
    denominator: int
    pending: int

    @property
    def rate(self) -> float | None:
        """numerator / denominator (None when nothing is decided)."""
        return self.numerator / self.denominator if self.denominator else None


def on_time_rate(
    views: ViewDB,
    start: date,
    end: date,
    now: datetime,
    zone: Any,
    *,
    unit: str | None = None,
    within: tuple[str, list[Any]] | None = None,
) -> OnTimeRate:
    """Over orders issued ``start..end`` (local days, inclusive): accepted with every round reported by its
    deadline ÷ (accepted + still open past the current round's deadline); the rest are pending."""
    if end < start:
        raise QueryError("to 不能早于 from")
    lo = datetime.combine(start, time(), tzinfo=zone)
    hi = datetime.combine(end + timedelta(days=1), time(), tzinfo=zone)
    conds = "issued_at >= ? AND issued_at < ?" + (" AND unit = ?" if unit else "")
    params: list[Any] = [lo, hi, *([unit] if unit else [])]
    if within is not None:  # the caller's scope
        conds += f" AND ({within[0]})"
        params.extend(within[1])
    with views.transaction(write=False) as tx:
        rows = tx.query(f"SELECT status, due_at, late_rounds FROM {ORDERS.name} WHERE {conds}", params)  # noqa: S608 — fixed names, values bound
        loaded = tx.load(ORDERS, rows, ["status", "due_at", "late_rounds"])
    numerator = denominator = pending = 0
    for status, due_at, late in loaded:
        if status == OrderStatus.accepted.value:
            denominator += 1
            numerator += 1 if late == 0 else 0
        elif (status in RUNNING and due_at < now) or late > 0:
            denominator += 1  # already late: it can no longer be completed on time
        else:
            pending += 1
    return OnTimeRate(numerator, denominator, pending)
