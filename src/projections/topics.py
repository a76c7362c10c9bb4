"""高频事项 (high-frequency topics): complaints of a period grouped by what they are about, within category.

The view keeps, per complaint, the words of its content (personal data typed into the text masked
first, so no phone or ID number reaches the table), its category, centre, departments and slip number.
Grouping happens at query time (``application.topics.group``), because a topic is a property of a
period, not of one complaint.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID

from application import text, topics
from domain.complaint import Complaint
from projections.db import Column, Table, Tx, ViewDB
from projections.db import ColumnType as T
from projections.masking import mask_free_text
from projections.view import Applied, QueryError, View, by_complaint

TOPIC_ITEMS = Table(
    "yousu_topic_items",
    (
        Column("complaint_id", T.uuid),
        Column("received_at", T.timestamp, nullable=False),
        Column("slip_no", T.text, nullable=False),
        Column("category", T.text, nullable=False),
        Column("centre", T.text, nullable=False),
        Column("departments", T.text, nullable=False),  # ",a,b," once dispatched, else ""
        Column("words", T.text, nullable=False),  # the content's words, space-separated, after masking
    ),
    key=("complaint_id",),
    indexes=(("yousu_topic_items_received_idx", "(received_at, category)"),),
)


class TopicView(View):
    """One row per complaint: its words and facets; departments follow dispatch."""

    name: ClassVar[str] = "topics"
    version: ClassVar[int] = 1
    tables: ClassVar[tuple[Table, ...]] = (TOPIC_ITEMS,)

    def apply(self, tx: Tx, page: Sequence[Applied]) -> None:
        """Insert received complaints; set departments on dispatch."""
        rows = []
        dispatched: list[tuple[str, UUID]] = []
        for cid, group in by_complaint(page).items():
            for _nid, e in group:
                if isinstance(e, Complaint.Received):
                    words = " ".join(text.tokens(mask_free_text(e.content)))
                    rows.append([cid, e.received_at, e.slip_no, e.category, e.centre, "", words])
                elif isinstance(e, Complaint.Dispatched):
                    deps = "," + ",".join(sorted(e.departments)) + ","
                    if rows and rows[-1][0] == cid:
                        rows[-1][5] = deps
                    else:
                        dispatched.append((deps, cid))
        if rows:
            tx.insert_ignore(TOPIC_ITEMS, rows)
        if dispatched:
            tx.executemany(f"UPDATE {tx.target(TOPIC_ITEMS)} SET departments = ? WHERE complaint_id = ?", dispatched)  # noqa: S608 — names are ours, values bound


@dataclass(frozen=True)
class TopicItem:
    """One complaint as the grouping sees it."""

    complaint_id: str
    received_at: datetime
    slip_no: str
    category: str
    departments: tuple[str, ...]
    words: tuple[str, ...]


MAX_ITEMS = 200_000  # a period larger than this is refused rather than grouped slowly


def topic_items(
    db: ViewDB, start: datetime, end: datetime, *, centre: str | None = None, category: str | None = None
) -> list[TopicItem]:
    """Complaints received in [start, end), optionally of one centre and category."""
    if end <= start:
        msg = "to must be after from"
        raise QueryError(msg)
    where = ["received_at >= ?", "received_at < ?"]
    params: list[Any] = [start, end]
    if centre:
        where.append("centre = ?")
        params.append(centre)
    if category:
        where.append("category = ?")
        params.append(category)
    sql = (
        "SELECT complaint_id, received_at, slip_no, category, departments, words"  # noqa: S608 — fixed columns, bound filters
        f" FROM {TOPIC_ITEMS.name} WHERE {' AND '.join(where)} ORDER BY received_at, complaint_id LIMIT ?"
    )
    with db.transaction(write=False) as tx:
        rows = tx.load(
            TOPIC_ITEMS,
            tx.query(sql, [*params, MAX_ITEMS + 1]),
            ["complaint_id", "received_at", "slip_no", "category", "departments", "words"],
        )
    if len(rows) > MAX_ITEMS:
        msg = f"the period holds more than {MAX_ITEMS} complaints: choose a shorter one"
        raise QueryError(msg)
    return [
        TopicItem(str(r[0]), r[1], r[2], r[3], tuple(d for d in str(r[4]).split(",") if d), tuple(str(r[5]).split()))
        for r in rows
    ]


@dataclass(frozen=True)
class Topic:
    """One group of complaints about the same matter, in the period asked and the one before."""

    category: str
    label: list[str]
    count: int
    previous: int
    departments: dict[str, int]
    trend: dict[str, int]
    samples: list[str]

    @property
    def growth(self) -> float | None:
        """(count − previous) ÷ previous; None without a previous count."""
        return round((self.count - self.previous) / self.previous, 4) if self.previous else None

    def as_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "category": self.category,
            "label": self.label,
            "count": self.count,
            "previous": self.previous,
            "growth": self.growth,
            "departments": self.departments,
            "trend": self.trend,
            "samples": self.samples,
        }


def rank_topics(
    items: Sequence[TopicItem],
    start: datetime,
    previous_start: datetime,
    zone: Any,
    *,
    min_count: int = 2,
    limit: int = 20,
) -> list[Topic]:
    """Group ``items`` (the period and the one before it, together) within category; rank the period's topics
    by volume, then growth."""
    by_category: dict[str, list[TopicItem]] = {}
    for it in items:
        by_category.setdefault(it.category, []).append(it)
    out: list[Topic] = []
    for category, members in sorted(by_category.items()):
        numbers = topics.group([m.words for m in members])
        grouped: dict[int, list[TopicItem]] = {}
        for n, m in zip(numbers, members, strict=True):
            grouped.setdefault(n, []).append(m)
        for group in grouped.values():
            now = [m for m in group if m.received_at >= start]
            before = [m for m in group if previous_start <= m.received_at < start]
            if len(now) < min_count or not any(m.words for m in now):
                continue
            departments: dict[str, int] = {}
            trend: dict[str, int] = {}
            for m in now:
                for d in m.departments:
                    departments[d] = departments.get(d, 0) + 1
                day = m.received_at.astimezone(zone).date().isoformat()
                trend[day] = trend.get(day, 0) + 1
            out.append(
                Topic(
                    category=category,
                    label=topics.label([m.words for m in now]),
                    count=len(now),
                    previous=len(before),
                    departments=dict(sorted(departments.items(), key=lambda kv: (-kv[1], kv[0]))),
                    trend=dict(sorted(trend.items())),
                    samples=[m.slip_no for m in sorted(now, key=lambda m: m.received_at, reverse=True)[:5]],
                )
            )
    out.sort(key=lambda t: (-t.count, -(t.growth or 0.0), t.category, t.label))
    return out[:limit]
