"""Queries over the views, for the HTTP layer and the CLI: the ledger, overdue clocks, metrics, read-your-writes."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from domain.calendar import WorkingCalendar
from domain.values import CLASSIFICATION_LABELS, RATING_LABELS, STATUS_LABELS, Classification, Status
from projections.db import Tx, ViewDB, as_datetime
from projections.ledger import LEDGER
from projections.metrics import (
    ALL_DEPARTMENTS,
    COUNTS,
    DEFAULT_SATISFIED_LEVELS,
    Rate,
    rates,
)
from projections.sla import SLA, clock_state

# 工作台账 export headings, in column order (CSV and XLSX use exactly these).
LEDGER_COLUMNS_ZH: dict[str, str] = {
    "slip_no": "受理单号",
    "received_at": "受理时间",
    "channel": "受理渠道",
    "complainant_masked": "诉求人",
    "category": "诉求类别",
    "classification": "问题分类",
    "status": "办理状态",
    "departments": "承办部门",
    "supervisor": "督办专人",
    "due_at": "办结时限",
    "overdue": "是否逾期",
    "overdue_level": "督办级别",
    "resolved_at": "办结时间",
    "fed_back_at": "反馈时间",
    "called_back_at": "回访时间",
    "rating": "满意度评价",
    "rectification_rounds": "整改轮次",
}

CHANNEL_LABELS = {"window": "窗口", "hotline": "12345热线", "online": "网上"}
GROUP_BY = ("department", "classification", "channel", "category", "month")
MAX_PAGE = 1_000


class QueryError(ValueError):
    """A query parameter the views cannot answer (the HTTP layer maps it to 422)."""


# ---------------------------------------------------------------------------------------- ledger


@dataclass(frozen=True)
class LedgerFilter:
    """Ledger filters; ``received_from`` inclusive, ``received_to`` exclusive; ``q`` is text in the slip number."""

    received_from: datetime | None = None
    received_to: datetime | None = None
    status: str | None = None
    classification: str | None = None
    department: str | None = None
    channel: str | None = None
    overdue: bool | None = None
    q: str | None = None


@dataclass(frozen=True)
class LedgerPage:
    """One page of ledger rows, the number of rows matching, and the cursor of the next page."""

    rows: list[dict[str, Any]]
    total: int
    next_cursor: str | None = None


def _ledger_where(f: LedgerFilter) -> tuple[list[str], list[Any]]:
    conds: list[str] = []
    params: list[Any] = []
    for column, value in (
        ("status", f.status),
        ("classification", f.classification),
        ("channel", f.channel),
    ):
        if value is not None:
            conds.append(f"l.{column} = ?")
            params.append(value)
    if f.received_from is not None:
        conds.append("l.received_at >= ?")
        params.append(_aware(f.received_from, "received_from"))
    if f.received_to is not None:
        conds.append("l.received_at < ?")
        params.append(_aware(f.received_to, "received_to"))
    if f.overdue is not None:
        conds.append("l.overdue = ?")
        params.append(f.overdue)
    if f.department is not None:
        conds.append(
            "EXISTS (SELECT 1 FROM yousu_ledger_departments d WHERE d.complaint_id = l.id AND d.department = ?)"
        )
        params.append(f.department)
    if f.q:
        escaped = f.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conds.append("l.slip_no LIKE ? ESCAPE '\\'")
        params.append(f"%{escaped}%")
    return conds, params


def _aware(value: datetime, name: str) -> datetime:
    if value.tzinfo is None:
        msg = f"{name} needs a UTC offset"
        raise QueryError(msg)
    return value


def _ledger_row(tx: Tx, values: Sequence[Any]) -> dict[str, Any]:
    row = dict(zip(LEDGER.column_names, tx.load(LEDGER, [tuple(values)])[0], strict=True))
    row["departments"] = row["departments"].split(",") if row["departments"] else []
    row["overdue"] = bool(row["overdue"])
    row["due_provisional"] = bool(row["due_provisional"])
    return row


def encode_cursor(received_at: datetime, slip_no: str) -> str:
    """An opaque cursor after the row (received_at, slip_no)."""
    return base64.urlsafe_b64encode(f"{received_at.isoformat()}|{slip_no}".encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """The (received_at, slip_no) a cursor points after."""
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
        stamp, slip_no = text.split("|", 1)
        return datetime.fromisoformat(stamp), slip_no
    except (ValueError, UnicodeDecodeError) as exc:
        msg = "invalid cursor"
        raise QueryError(msg) from exc


LEDGER_ORDER = "ORDER BY l.received_at DESC, l.slip_no DESC"


def ledger_page(
    db: ViewDB,
    filters: LedgerFilter | None = None,
    *,
    limit: int = 50,
    offset: int = 0,
    cursor: str | None = None,
) -> LedgerPage:
    """Ledger rows, newest first; page with ``offset`` or, for deep pages, with ``cursor``."""
    f = filters or LedgerFilter()
    if not 1 <= limit <= MAX_PAGE:
        msg = f"limit must be within 1..{MAX_PAGE}"
        raise QueryError(msg)
    if offset < 0:
        msg = "offset must be >= 0"
        raise QueryError(msg)
    conds, params = _ledger_where(f)
    where = f"WHERE {' AND '.join(conds)}" if conds else ""
    page_conds, page_params = list(conds), list(params)
    if cursor:
        after_at, after_slip = decode_cursor(cursor)
        page_conds.append("(l.received_at, l.slip_no) < (?, ?)")
        page_params += [after_at, after_slip]
    page_where = f"WHERE {' AND '.join(page_conds)}" if page_conds else ""
    cols = ", ".join(f"l.{c}" for c in LEDGER.column_names)
    with db.transaction(write=False) as tx:
        total = int(tx.query(f"SELECT COUNT(*) FROM yousu_ledger l {where}", params)[0][0])  # noqa: S608
        found = tx.query(
            f"SELECT {cols} FROM yousu_ledger l {page_where} {LEDGER_ORDER} LIMIT ? OFFSET ?",  # noqa: S608
            [*page_params, limit, offset],
        )
        rows = [_ledger_row(tx, r) for r in found]
    next_cursor = None
    if len(rows) == limit:
        last = rows[-1]
        next_cursor = encode_cursor(last["received_at"], last["slip_no"])
    return LedgerPage(rows=rows, total=total, next_cursor=next_cursor)


def ledger_iter(db: ViewDB, filters: LedgerFilter | None = None, *, batch: int = 1_000) -> Iterator[dict[str, Any]]:
    """Every matching ledger row, newest first, read in short transactions (for CSV/XLSX streaming)."""
    cursor: str | None = None
    while True:
        page = ledger_page(db, filters, limit=min(batch, MAX_PAGE), cursor=cursor)
        yield from page.rows
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


def ledger_get(db: ViewDB, complaint_id: UUID) -> dict[str, Any] | None:
    """One complaint's ledger row, or None."""
    cols = ", ".join(f"l.{c}" for c in LEDGER.column_names)
    with db.transaction(write=False) as tx:
        found = tx.query(f"SELECT {cols} FROM yousu_ledger l WHERE l.id = ?", [complaint_id])  # noqa: S608
        return _ledger_row(tx, found[0]) if found else None


def _fmt_time(value: datetime | None, calendar: WorkingCalendar) -> str:
    return value.astimezone(calendar.zone).strftime("%Y-%m-%d %H:%M") if value is not None else ""


def ledger_export_values(
    row: dict[str, Any],
    calendar: WorkingCalendar,
    *,
    departments: dict[str, str] | None = None,
    categories: dict[str, str] | None = None,
) -> list[str]:
    """A ledger row as the cells under :data:`LEDGER_COLUMNS_ZH`, in Chinese and local time."""
    depts = departments or {}
    cats = categories or {}
    status = row["status"]
    classification = row["classification"]
    values: dict[str, str] = {
        "slip_no": row["slip_no"],
        "received_at": _fmt_time(row["received_at"], calendar),
        "channel": CHANNEL_LABELS.get(row["channel"], row["channel"]),
        "complainant_masked": row["complainant_masked"],
        "category": cats.get(row["category"], row["category"]),
        "classification": CLASSIFICATION_LABELS[Classification(classification)] if classification else "",
        "status": STATUS_LABELS[Status(status)],
        "departments": "、".join(depts.get(d, d) for d in row["departments"]),
        "supervisor": row["supervisor"] or "",
        "due_at": _fmt_time(row["due_at"], calendar),
        "overdue": "是" if row["overdue"] else "否",
        "overdue_level": str(row["overdue_level"]) if row["overdue_level"] else "",
        "resolved_at": _fmt_time(row["resolved_at"], calendar),
        "fed_back_at": _fmt_time(row["fed_back_at"], calendar),
        "called_back_at": _fmt_time(row["called_back_at"], calendar),
        "rating": RATING_LABELS.get(row["rating"], "") if row["rating"] is not None else "",
        "rectification_rounds": str(row["rectification_rounds"]),
    }
    return [values[c] for c in LEDGER_COLUMNS_ZH]


# ------------------------------------------------------------------------------------------- SLA


@dataclass(frozen=True)
class OverduePage:
    """Open clocks past their due instant at ``now``, most overdue first."""

    rows: list[dict[str, Any]]
    total: int


def overdue(
    db: ViewDB,
    now: datetime,
    calendar: WorkingCalendar,
    *,
    clock: str | None = None,
    department: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> OverduePage:
    """Open clocks whose due instant is before ``now`` (uses the partial index on open clocks)."""
    _aware(now, "now")
    if not 1 <= limit <= MAX_PAGE:
        msg = f"limit must be within 1..{MAX_PAGE}"
        raise QueryError(msg)
    conds = ["s.met_at IS NULL", "s.due_at < ?"]
    params: list[Any] = [now]
    if clock is not None:
        conds.append("s.clock = ?")
        params.append(clock)
    if department is not None:
        conds.append(
            "EXISTS (SELECT 1 FROM yousu_ledger_departments d WHERE d.complaint_id = s.complaint_id"
            " AND d.department = ?)"
        )
        params.append(department)
    where = " AND ".join(conds)
    cols = (
        "s.complaint_id, s.clock, s.round, s.started_at, s.due_at, s.due_provisional, s.escalation_level,"
        " l.slip_no, l.status, l.classification, l.departments, l.supervisor"
    )
    order = "ORDER BY s.due_at, s.complaint_id, s.clock, s.round"
    sql = f"SELECT {cols} FROM yousu_sla s LEFT JOIN yousu_ledger l ON l.id = s.complaint_id WHERE {where} {order}"  # noqa: S608
    sql += " LIMIT ? OFFSET ?"
    with db.transaction(write=False) as tx:
        total = int(tx.query(f"SELECT COUNT(*) FROM yousu_sla s WHERE {where}", params)[0][0])  # noqa: S608
        found = tx.query(sql, [*params, limit, offset])
    rows = []
    for r in found:
        due_at = as_datetime(r[4])
        assert due_at is not None  # noqa: S101 — NOT NULL column
        rows.append(
            {
                "complaint_id": r[0] if isinstance(r[0], UUID) else UUID(str(r[0])),
                "clock": r[1],
                "round": r[2],
                "started_at": as_datetime(r[3]),
                "due_at": due_at,
                "due_provisional": bool(r[5]),
                "escalation_level": r[6],
                "slip_no": r[7],
                "status": r[8],
                "classification": r[9],
                "departments": r[10].split(",") if r[10] else [],
                "supervisor": r[11],
                "late_hours": round(calendar.working_hours_between(due_at, now), 2),
            }
        )
    return OverduePage(rows=rows, total=total)


def complaint_clocks(db: ViewDB, complaint_id: UUID, now: datetime, calendar: WorkingCalendar) -> list[dict[str, Any]]:
    """One complaint's clocks with their state (pending / met / breached) at ``now``."""
    _aware(now, "now")
    cols = ", ".join(SLA.column_names)
    with db.transaction(write=False) as tx:
        found = tx.load(
            SLA,
            tx.query(f"SELECT {cols} FROM yousu_sla WHERE complaint_id = ? ORDER BY started_at, round", [complaint_id]),  # noqa: S608
        )
    out = []
    for values in found:
        row = dict(zip(SLA.column_names, values, strict=True))
        status = clock_state(row["due_at"], row["met_at"], now, calendar)
        row["state"] = status.state.value
        row["late_hours"] = round(status.late_hours, 2)
        row["due_provisional"] = bool(row["due_provisional"])
        out.append(row)
    return out


# --------------------------------------------------------------------------------------- metrics


@dataclass(frozen=True)
class MetricsGroup:
    """One group of a metrics query: its key, raw counts, the clocks still ahead, and the six rates."""

    group: str
    counts: dict[str, int]
    ahead: dict[str, int]
    rates: dict[str, Rate] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: ``{group, counts, rates: {name: {numerator, denominator, rate}}}``."""
        return {
            "group": self.group,
            "counts": dict(self.counts),
            "rates": {name: r.as_dict() for name, r in self.rates.items()},
        }


def _group_expr(tx: Tx, group_by: str | None, day_column: str) -> str:
    if group_by is None:
        return "''"
    if group_by == "month":
        return f"to_char({day_column}, 'YYYY-MM')" if tx.is_postgres else f"substr({day_column}, 1, 7)"
    return group_by


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def split_period(from_: date, to: date) -> tuple[tuple[date, date] | None, list[tuple[date, date]]]:
    """Whole months within ``from_..to`` (first days of the first and last), and the days left over."""
    first = from_ if from_.day == 1 else _next_month(from_)  # the first whole month's first day
    after = _next_month(to) if _next_month(to) - timedelta(days=1) == to else to.replace(day=1)  # after the last
    if first >= after:
        return None, [(from_, to)] if from_ <= to else []
    days = []
    if from_ < first:
        days.append((from_, first - timedelta(days=1)))
    if after <= to:
        days.append((after, to))
    return (first, (after - timedelta(days=1)).replace(day=1)), days


def metrics(  # noqa: PLR0913 — the query's knobs
    db: ViewDB,
    from_: date,
    to: date,
    group_by: str | None,
    now: datetime,
    *,
    satisfied_levels: Iterable[int] = DEFAULT_SATISFIED_LEVELS,
    department: str | None = None,
    classification: str | None = None,
    channel: str | None = None,
    category: str | None = None,
) -> list[MetricsGroup]:
    """Rates for complaints received from ``from_`` to ``to`` (local days, inclusive), per group, as of ``now``.

    ``now`` decides which deadlines have passed; it should not be earlier than the events counted.
    """
    if group_by is not None and group_by not in GROUP_BY:
        msg = f"group_by must be one of {', '.join(GROUP_BY)}"
        raise QueryError(msg)
    _aware(now, "now")
    levels = sorted(set(satisfied_levels))
    if not levels or any(not 1 <= lv <= 5 for lv in levels):
        msg = "satisfied levels must be within 1..5"
        raise QueryError(msg)
    # The department facet when grouping or filtering by department, else each complaint once.
    facet_conds = ["department <> ?" if group_by == "department" or department is not None else "department = ?"]
    facet_params: list[Any] = [ALL_DEPARTMENTS]
    for column, value in (
        ("department", department),
        ("classification", classification),
        ("channel", channel),
        ("category", category),
    ):
        if value is not None:
            facet_conds.append(f"{column} = ?")
            facet_params.append(value)
    facets = " AND ".join(facet_conds)
    months, day_ranges = split_period(from_, to)
    sums = ", ".join(f"SUM({c})" for c in COUNTS)
    totals: dict[str, list[int]] = {}
    ahead: dict[str, dict[str, int]] = {}
    with db.transaction(write=False) as tx:
        found: list[tuple[Any, ...]] = []
        if months is not None:
            g = _group_expr(tx, group_by, "month")
            found += tx.query(
                f"SELECT {g}, {sums} FROM yousu_metrics_monthly"  # noqa: S608 — our column names only
                f" WHERE month >= ? AND month <= ? AND {facets} GROUP BY 1",
                [*months, *facet_params],
            )
        if day_ranges:
            g = _group_expr(tx, group_by, "day")
            spans = " OR ".join("(day >= ? AND day <= ?)" for _ in day_ranges)
            found += tx.query(
                f"SELECT {g}, {sums} FROM yousu_metrics_counts WHERE ({spans}) AND {facets} GROUP BY 1",  # noqa: S608
                [*(d for span in day_ranges for d in span), *facet_params],
            )
        g = _group_expr(tx, group_by, "day")
        pending = tx.query(
            f"SELECT {g}, clock, SUM(n) FROM yousu_metrics_due"  # noqa: S608
            f" WHERE due_at >= ? AND day >= ? AND day <= ? AND {facets} GROUP BY 1, 2",
            [now, from_, to, *facet_params],
        )
    for row in found:
        acc = totals.setdefault(str(row[0]), [0] * len(COUNTS))
        for i, v in enumerate(row[1:]):
            acc[i] += int(v or 0)
    for key, clock, n in pending:
        ahead.setdefault(str(key), {})[str(clock)] = int(n)
    groups = []
    for key in sorted(totals):
        counts = dict(zip(COUNTS, totals[key], strict=True))
        if not counts["received"]:
            continue
        group_ahead = ahead.get(key, {})
        groups.append(MetricsGroup(key, counts, group_ahead, rates(counts, group_ahead, levels)))
    return groups


# ------------------------------------------------------------------------------------- tracking


def positions(db: ViewDB) -> dict[str, int]:
    """Every view's tracking position (empty before the first runner set the views up)."""
    try:
        with db.transaction(write=False) as tx:
            rows = tx.query("SELECT view, position FROM yousu_tracking")
    except Exception as exc:
        if _missing_table(exc):  # no runner has set the views up yet
            return {}
        raise
    return {str(v): int(p) for v, p in rows}


def lag(db: ViewDB, newest: int) -> dict[str, int]:
    """Each view's distance behind ``newest`` (the store's newest notification id), for /readyz and status."""
    return {name: max(0, newest - position) for name, position in positions(db).items()}


def _missing_table(exc: Exception) -> bool:
    text = str(exc).lower()
    return "no such table" in text or "does not exist" in text


def wait_until(db: ViewDB, position: int, timeout: float = 5.0, views: Sequence[str] | None = None) -> bool:
    """Wait until every view (or the named ones) has applied ``position``; False after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    delay = 0.005
    while True:
        current = positions(db)
        names = list(views) if views is not None else list(current)
        if names and all(current.get(n, -1) >= position for n in names):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(min(delay, max(0.0, deadline - time.monotonic())))
        delay = min(delay * 2, 0.05)


__all__ = [
    "LEDGER_COLUMNS_ZH",
    "LedgerFilter",
    "LedgerPage",
    "MetricsGroup",
    "OverduePage",
    "QueryError",
    "complaint_clocks",
    "decode_cursor",
    "encode_cursor",
    "lag",
    "ledger_export_values",
    "ledger_get",
    "ledger_iter",
    "ledger_page",
    "metrics",
    "overdue",
    "positions",
    "split_period",
    "wait_until",
]
