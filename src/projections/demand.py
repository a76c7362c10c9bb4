"""诉求量历史 (demand history): arrivals per local day and hour by centre, channel and category (from 受理), and
per day by department (from 转办) — rebuildable from the events like every view — and the series the forecasts
read. Window arrivals and hotline work orders are kept apart by channel, so the 潮汐 plan staffs windows for
the people who come to them. A hall's imported past (:mod:`projections.history`) is added to every series."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, ClassVar

from domain.complaint import Complaint
from projections import history
from projections.db import Table, Tx, ViewDB
from projections.demand_tables import DEMAND_DEPARTMENTS, DEMAND_HOURLY
from projections.view import Applied, QueryError, View


class DemandView(View):
    """诉求量历史."""

    name: ClassVar[str] = "demand"
    version: ClassVar[int] = 2  # 2: by channel
    tables: ClassVar[tuple[Table, ...]] = (DEMAND_HOURLY, DEMAND_DEPARTMENTS)

    def create(self, tx: Tx) -> None:
        """The view's tables, and the imported history's (not the view's: a rebuild leaves them alone)."""
        super().create(tx)
        history.create(tx)

    def apply(self, tx: Tx, page: Sequence[Applied]) -> None:
        """Count each intake at its local receipt hour, each dispatch at its local day per department."""
        zone = self.calendar.zone
        hourly: Counter[tuple[date, int, str, str, str]] = Counter()
        departments: Counter[tuple[date, str]] = Counter()
        for _, e in page:
            if type(e) is Complaint.Received:
                assert isinstance(e, Complaint.Received)  # noqa: S101 — by exact class
                local = e.received_at.astimezone(zone)
                hourly[(local.date(), local.hour, e.centre, e.channel.value, e.category)] += 1
            elif type(e) is Complaint.Dispatched:
                assert isinstance(e, Complaint.Dispatched)  # noqa: S101 — by exact class
                day = e.occurred_at.astimezone(zone).date()
                for d in e.departments:
                    departments[(day, d)] += 1
        tx.add_counts(DEMAND_HOURLY, [(*k, n) for k, n in hourly.items()])
        tx.add_counts(DEMAND_DEPARTMENTS, [(*k, n) for k, n in departments.items()])


# ---------------------------------------------------------------------------------------- queries

SERIES_KINDS = ("all", "centre", "category", "department")
CHANNELS = ("window", "hotline", "online")
WINDOW = "window"


@dataclass(frozen=True)
class Series:
    """Which volumes: ``all``, or one centre, category or department (``centre:district``), or a centre's
    category (``centre:district,category:housing``); of one channel with ``,channel:window`` (not departments)."""

    kind: str
    code: str | None = None
    category: str | None = None  # with kind ``centre``: that centre's intakes of this category only
    channel: str | None = None  # window | hotline | online: that channel's intakes only

    @classmethod
    def parse(cls, text: str) -> Series:
        """``all`` | ``centre:<code>`` | ``category:<code>`` | ``department:<code>`` | ``centre:<c>,category:<c>``,
        each but the department's optionally followed by ``,channel:<window|hotline|online>``."""
        first, *rest = text.split(",")
        kind, _, code = first.partition(":")
        bad = (
            "series 须为 all、centre:<代码>、category:<代码>、department:<代码> 或 centre:<代码>,category:<代码>，"
            f"可加 ,channel:window|hotline|online，而不是 {text!r}"
        )
        if kind not in SERIES_KINDS or (kind == "all") != (code == ""):
            raise QueryError(bad)
        parts: dict[str, str] = {}
        for part in rest:
            other, _, value = part.partition(":")
            if other not in ("category", "channel") or not value or other in parts:
                raise QueryError(bad)
            parts[other] = value
        if "category" in parts and kind != "centre":
            raise QueryError(bad)
        if "channel" in parts and (kind == "department" or parts["channel"] not in CHANNELS):
            raise QueryError(bad)
        return cls(kind, code or None, parts.get("category"), parts.get("channel"))

    @property
    def label(self) -> str:
        """The series as written."""
        base = self.kind if self.code is None else f"{self.kind}:{self.code}"
        base = base if self.category is None else f"{base},category:{self.category}"
        return base if self.channel is None else f"{base},channel:{self.channel}"


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
        if series.channel is not None:
            cond += " AND channel = ?"
            params.append(series.channel)
        source = history.union_sql(DEMAND_HOURLY.name)
        sql = f"SELECT day, SUM(n) FROM {source} WHERE day >= ? AND day <= ?{cond} GROUP BY day"  # noqa: S608 — fixed names and a checked column, values bound
        table = DEMAND_HOURLY
    with views.transaction(write=False) as tx:
        rows = tx.load(table, tx.query(sql, params), ["day", "n"])
    by_day = {d: int(n) for d, n in rows}
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    return days, [by_day.get(d, 0) for d in days]


def first_day(views: ViewDB) -> date | None:
    """The earliest day with any intake, live or imported."""
    source = history.union_sql(DEMAND_HOURLY.name)
    with views.transaction(write=False) as tx:
        rows = tx.load(DEMAND_HOURLY, tx.query(f"SELECT MIN(day) FROM {source}"), ["day"])  # noqa: S608 — fixed names
    return rows[0][0] if rows and rows[0][0] is not None else None


def arrivals_profile(
    views: ViewDB, start: date, end: date, *, centre: str | None = None, channel: str | None = None
) -> dict[tuple[int, int], float]:
    """(weekday, hour) → mean intakes per day of that weekday over ``start..end`` (days with none count as 0);
    of one centre and one channel when given (imported 台账 rows count at their hour, daily counts not at all)."""
    cond = (" AND centre = ?" if centre else "") + (" AND channel = ?" if channel else "")
    source = history.union_sql(DEMAND_HOURLY.name, with_hour=True)
    with views.transaction(write=False) as tx:
        rows = tx.load(
            DEMAND_HOURLY,
            tx.query(
                f"SELECT day, hour, SUM(n) FROM {source}"  # noqa: S608 — fixed names, values bound
                f" WHERE day >= ? AND day <= ?{cond} GROUP BY day, hour",
                [start, end, *([centre] if centre else []), *([channel] if channel else [])],
            ),
            ["day", "hour", "n"],
        )
    weekdays = Counter((start + timedelta(days=i)).weekday() for i in range((end - start).days + 1))
    totals: Counter[tuple[int, int]] = Counter()
    for day, hour, n in rows:
        totals[(day.weekday(), int(hour))] += int(n)
    return {k: v / weekdays[k[0]] for k, v in totals.items() if weekdays[k[0]]}


def hourly(
    views: ViewDB, centre: str, start: date, end: date, *, channel: str | None = None
) -> dict[tuple[date, int], int]:
    """(day, hour) → the centre's intakes that hour (of ``channel`` when given), ``start..end`` inclusive
    (absent: none)."""
    cond = " AND channel = ?" if channel else ""
    with views.transaction(write=False) as tx:
        rows = tx.load(
            DEMAND_HOURLY,
            tx.query(
                f"SELECT day, hour, SUM(n) FROM {DEMAND_HOURLY.name}"  # noqa: S608 — fixed names, values bound
                f" WHERE day >= ? AND day <= ? AND centre = ?{cond} GROUP BY day, hour",
                [start, end, centre, *([channel] if channel else [])],
            ),
            ["day", "hour", "n"],
        )
    return {(day, int(hour)): int(n) for day, hour, n in rows}
