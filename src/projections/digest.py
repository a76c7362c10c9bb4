"""纪检联络摘要: the weekly or monthly digest the discipline-inspection liaison receives.

The notice asks the centres to keep 常态化的联络、抄送 with the district's discipline-inspection organ — beyond
the copies of escalations, a regular account of what went wrong. One digest covers one period (a week from
Monday, or a calendar month, in Beijing time) and lists, from the read models:

- **逾期** (overdue): every clock (signing, resolution, 反馈, rectification) that fell due in the period and
  was missed — met after its due instant, or still open at the period's end (or now, for the current
  period). A paused clock (中止, waiting for the person's materials) is not overdue.
- **差评**: complaints whose latest call-back, made in the period, rated 1 or 2.
- **不给办**: complaints received in the period and classified 不给办.
- **整改** (rectification orders): orders issued in the period, and orders issued earlier still not accepted,
  with their status, deadline and late rounds.

Personal information is never part of it: complaint rows carry the slip number, centre, category,
classification, status and departments, not the complainant.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from enum import Enum
from typing import Any
from uuid import UUID

from domain.complaint import SATISFIED_THRESHOLD
from domain.orders import OrderStatus
from domain.values import Classification
from projections.db import ViewDB, as_datetime
from projections.ledger import LEDGER
from projections.orders import ORDERS
from projections.sla import SLA


class DigestPeriod(Enum):
    """How long a digest's period is."""

    week = "week"  # Monday to Sunday
    month = "month"  # a calendar month


PERIOD_LABELS = {DigestPeriod.week: "周报", DigestPeriod.month: "月报"}


def period_bounds(period: DigestPeriod, on: date) -> tuple[date, date]:
    """The first and last day of the period that contains ``on``."""
    if period is DigestPeriod.week:
        start = on - timedelta(days=on.weekday())
        return start, start + timedelta(days=6)
    start = on.replace(day=1)
    next_month = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return start, next_month - timedelta(days=1)


def last_complete(period: DigestPeriod, today: date) -> date:
    """A day of the latest period that has ended by ``today`` (the default digest)."""
    start, _ = period_bounds(period, today)
    return start - timedelta(days=1)


@dataclass(frozen=True)
class Digest:
    """One period's digest: its bounds and its four lists."""

    period: DigestPeriod
    start: date
    end: date
    centre: str | None
    overdue: list[dict[str, Any]] = field(default_factory=list)
    bad_ratings: list[dict[str, Any]] = field(default_factory=list)
    refused: list[dict[str, Any]] = field(default_factory=list)
    orders: list[dict[str, Any]] = field(default_factory=list)
    received: int = 0

    def counts(self) -> dict[str, int]:
        """How many of each, for the digest's heading."""
        running = {OrderStatus.issued.value, OrderStatus.acknowledged.value}
        return {
            "received": self.received,
            "overdue": len(self.overdue),
            "overdue_open": sum(1 for r in self.overdue if r["met_at"] is None),
            "bad_ratings": len(self.bad_ratings),
            "refused": len(self.refused),
            "orders": len(self.orders),
            "orders_open": sum(1 for r in self.orders if r["status"] in running),
            "orders_late": sum(1 for r in self.orders if r["late_rounds"] > 0),
        }


def _instant(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)


def _uuid(value: Any) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))


def _departments(value: Any) -> list[str]:
    return str(value).split(",") if value else []


COMPLAINT_COLUMNS = "l.id, l.slip_no, l.centre, l.category, l.classification, l.status, l.departments"


def _complaint(r: Any) -> dict[str, Any]:
    return {
        "complaint_id": _uuid(r[0]),
        "slip_no": r[1],
        "centre": r[2],
        "category": r[3],
        "classification": r[4],
        "status": r[5],
        "departments": _departments(r[6]),
    }


def liaison_digest(
    db: ViewDB,
    period: DigestPeriod,
    on: date,
    now: datetime,
    zone: tzinfo,
    *,
    centre: str | None = None,
    limit: int = 1000,
) -> Digest:
    """The digest of the period containing ``on`` (days in ``zone``, the calendar's), as the views stand at
    ``now`` (each list at most ``limit``)."""
    start, end = period_bounds(period, on)
    since, until = _instant(start, zone), _instant(end + timedelta(days=1), zone)
    looked_at = min(until, now)  # an open clock is overdue if it fell due before this
    where_centre, centre_params = ("", []) if centre is None else (" AND l.centre = ?", [centre])
    with db.transaction(write=False) as tx:
        received = tx.query(
            f"SELECT COUNT(*) FROM {LEDGER.name} l WHERE l.received_at >= ? AND l.received_at < ?{where_centre}",  # noqa: S608 — fixed names, values bound
            [since, until, *centre_params],
        )
        late = tx.query(
            f"SELECT s.clock, s.round, s.due_at, s.met_at, s.escalation_level, {COMPLAINT_COLUMNS}"  # noqa: S608 — fixed names, values bound
            f" FROM {SLA.name} s JOIN {LEDGER.name} l ON l.id = s.complaint_id"
            " WHERE s.due_at >= ? AND s.due_at < ?"
            " AND ((s.met_at IS NULL AND s.paused_at IS NULL) OR s.met_at > s.due_at)"
            f"{where_centre} ORDER BY s.due_at, l.slip_no, s.clock, s.round LIMIT ?",
            [since, looked_at, *centre_params, limit],
        )
        rated = tx.query(
            f"SELECT {COMPLAINT_COLUMNS}, l.called_back_at, l.rating, l.rectification_rounds"  # noqa: S608 — fixed names, values bound
            f" FROM {LEDGER.name} l WHERE l.called_back_at >= ? AND l.called_back_at < ? AND l.rating < ?"
            f"{where_centre} ORDER BY l.called_back_at, l.slip_no LIMIT ?",
            [since, until, SATISFIED_THRESHOLD, *centre_params, limit],
        )
        refused = tx.query(
            f"SELECT {COMPLAINT_COLUMNS}, l.received_at, l.resolved_at"  # noqa: S608 — fixed names, values bound
            f" FROM {LEDGER.name} l WHERE l.received_at >= ? AND l.received_at < ? AND l.classification = ?"
            f"{where_centre} ORDER BY l.received_at, l.slip_no LIMIT ?",
            [since, until, Classification.refused_to_do.value, *centre_params, limit],
        )
        orders = tx.query(
            "SELECT o.id, o.unit, o.finding_kind, o.issued_at, o.due_at, o.status, o.round, o.late_rounds,"  # noqa: S608 — fixed names, values bound
            f" o.escalation_level, o.accepted_at FROM {ORDERS.name} o WHERE o.issued_at < ?"
            " AND (o.issued_at >= ? OR o.status IN (?, ?) OR o.accepted_at >= ?)"
            " ORDER BY o.issued_at, o.id LIMIT ?",
            [until, since, OrderStatus.issued.value, OrderStatus.acknowledged.value, since, limit],
        )
    return Digest(
        period=period,
        start=start,
        end=end,
        centre=centre,
        received=int(received[0][0]),
        overdue=[
            {
                **_complaint(r[5:]),
                "clock": r[0],
                "round": r[1],
                "due_at": as_datetime(r[2]),
                "met_at": as_datetime(r[3]),
                "escalation_level": r[4],
            }
            for r in late
        ],
        bad_ratings=[
            {**_complaint(r), "called_back_at": as_datetime(r[7]), "rating": r[8], "rectification_rounds": r[9]}
            for r in rated
        ],
        refused=[
            {**_complaint(r), "received_at": as_datetime(r[7]), "resolved_at": as_datetime(r[8])} for r in refused
        ],
        orders=[
            {
                "order_id": _uuid(r[0]),
                "unit": r[1],
                "finding_kind": r[2],
                "issued_at": as_datetime(r[3]),
                "due_at": as_datetime(r[4]),
                "status": r[5],
                "round": r[6],
                "late_rounds": r[7],
                "escalation_level": r[8],
                "accepted_at": as_datetime(r[9]),
            }
            for r in orders
        ],
    )
