"""诉求量历史 (demand history): arrivals per local day and hour by centre and category (from 受理), and per day
by department (from 转办) — rebuildable from the events like every view — and the series the forecasts read."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, ClassVar

from domain.complaint import Complaint
from projections.db import Column, Table, Tx, ViewDB
from projections.db import ColumnType as T
from projections.view import Applied, QueryError, View

DEMAND_HOURLY = Table(
    "yousu_demand_hourly",
    (
        Column("day", T.day),
        Column("hour", T.integer),
        Column("centre", T.text),
        Column("category", T.text),
        Column("n", T.integer, nullable=False),
    ),
    key=("day", "hour", "centre", "category"),
)
DEMAND_DEPARTMENTS = Table(
    "yousu_demand_departments",
    (Column("day", T.day), Column("department", T.text), Column("n", T.integer, nullable=False)),
    key=("day", "department"),
)


class DemandView(View):
    """诉求量历史."""

    name: ClassVar[str] = "demand"
    version: ClassVar[int] = 1
    tables: ClassVar[tuple[Table, ...]] = (DEMAND_HOURLY, DEMAND_DEPARTMENTS)

    def apply(self, tx: Tx, page: Sequence[Applied]) -> None:
        """Count each intake at its local receipt hour, each dispatch at its local day per department."""
        zone = self.calendar.zone
        hourly: Counter[tuple[date, int, str, str]] = Counter()
        departments: Counter[tuple[date, str]] = Counter()
        for _, e in page:
            if type(e) is Complaint.Received:
                assert isinstance(e, Complaint.Received)  # noqa: S101 — by exact class
                local = e.received_at.astimezone(zone)
                hourly[(local.date(), local.hour, e.centre, e.category)] += 1
            elif type(e) is Complaint.Dispatched:
                assert isinstance(e, Complaint.Dispatched)  # noqa: S101 — by exact class
                day = e.occurred_at.astimezone(zone).date()
                for d in e.departments:
                    departments[(day, d)] += 1
        tx.add_counts(DEMAND_HOURLY, [(*k, n) for k, n in hourly.items()])
        tx.add_counts(DEMAND_DEPARTMENTS, [(*k, n) for k, n in departments.items()])


# ---------------------------------------------------------------------------------------- queries

SERIES_KINDS = ("all", "centre", "category", "department")


@dataclass(frozen=True)
class Series:
    """Which volumes: ``all``, or one centre, category or department (``centre:district``), or a centre's
    category (``centre:district,category:housing``)."""

    kind: str
    code: str | None = None
    category: str | None = None  # with kind ``centre``: that centre's intakes of this category only

    @classmethod
    def parse(cls, text: str) -> Series:
        """``all`` | ``centre:<code>`` | ``category:<code>`` | ``department:<code>`` | ``centre:<c>,category:<c>``."""
        first, _, rest = text.partition(",")
        kind, _, code = first.partition(":")
        bad = (
            "series 须为 all、centre:<代码>、category:<代码>、department:<代码> 或 centre:<代码>,category:<代码>，"
            f"而不是 {text!r}"
        )
        if kind not in SERIES_KINDS or (kind == "all") != (code == ""):
            raise QueryError(bad)
        category = None
        if rest:
            other, _, category = rest.partition(":")
            if kind != "centre" or other != "category" or not category or "," in category:
                raise QueryError(bad)
        return cls(kind, code or None, category)

    @property
    def label(self) -> str:
        """The series as written."""
        base = self.kind if self.code is None else f"{self.kind}:{self.code}"
        return base if self.category is None else f"{base},category:{self.category}"


def daily(views: ViewDB, series: Series, start: date, end: date) -> tuple[list[date], list[int]]:
    """Consecutive days ``start..end`` (inclusive) with the series' count on each (0 where none)."""
    if end < start:
        raise QueryError("to 不能早于 from")
    if series.kind == "department":
        sql = (
            f"SELECT day, SUM(n) FROM {DEMAND_DEPARTMENTS.name}"  # noqa: S608 — fixed names, values bound
            " WHERE day >= ? AND day <= ? AND department = ? GROUP BY day"
        )
        params: list[Any] = [start, end, series.code]
        table = DEMAND_DEPARTMENTS
    else:
        cond = "" if series.kind == "all" else f" AND {series.kind} = ?"
        params = [start, end, *([series.code] if series.code else [])]
        if series.category is not None:
            cond += " AND category = ?"
            params.append(series.category)
        sql = f"SELECT day, SUM(n) FROM {DEMAND_HOURLY.name} WHERE day >= ? AND day <= ?{cond} GROUP BY day"  # noqa: S608 — fixed names and a checked column, values bound
        table = DEMAND_HOURLY
    with views.transaction(write=False) as tx:
        rows = tx.load(table, tx.query(sql, params), ["day", "n"])
    by_day = {d: int(n) for d, n in rows}
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    return days, [by_day.get(d, 0) for d in days]


def first_day(views: ViewDB) -> date | None:
    """The earliest day with any intake."""
    with views.transaction(write=False) as tx:
        rows = tx.load(DEMAND_HOURLY, tx.query(f"SELECT MIN(day) FROM {DEMAND_HOURLY.name}"), ["day"])  # noqa: S608 — fixed name
    return rows[0][0] if rows and rows[0][0] is not None else None


def arrivals_profile(
    views: ViewDB, start: date, end: date, *, centre: str | None = None
) -> dict[tuple[int, int], float]:
    """(weekday, hour) → mean intakes per day of that weekday over ``start..end`` (days with none count as 0)."""
    cond = " AND centre = ?" if centre else ""
    with views.transaction(write=False) as tx:
        rows = tx.load(
            DEMAND_HOURLY,
            tx.query(
                f"SELECT day, hour, SUM(n) FROM {DEMAND_HOURLY.name}"  # noqa: S608 — fixed names, values bound
                f" WHERE day >= ? AND day <= ?{cond} GROUP BY day, hour",
                [start, end, *([centre] if centre else [])],
            ),
            ["day", "hour", "n"],
        )
    weekdays = Counter((start + timedelta(days=i)).weekday() for i in range((end - start).days + 1))
    totals: Counter[tuple[int, int]] = Counter()
    for day, hour, n in rows:
        totals[(day.weekday(), int(hour))] += int(n)
    return {k: v / weekdays[k[0]] for k, v in totals.items() if weekdays[k[0]]}


def hourly(views: ViewDB, centre: str, start: date, end: date) -> dict[tuple[date, int], int]:
    """(day, hour) → the centre's intakes that hour, ``start..end`` inclusive (absent: none)."""
    with views.transaction(write=False) as tx:
        rows = tx.load(
            DEMAND_HOURLY,
            tx.query(
                f"SELECT day, hour, SUM(n) FROM {DEMAND_HOURLY.name}"  # noqa: S608 — fixed names, values bound
                " WHERE day >= ? AND day <= ? AND centre = ? GROUP BY day, hour",
                [start, end, centre],
            ),
            ["day", "hour", "n"],
        )
    return {(day, int(hour)): int(n) for day, hour, n in rows}
