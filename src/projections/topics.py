"""高频事项 (high-frequency topics): complaints of a period grouped by what they are about, within category.

The view keeps, per complaint, the words of its content and its meaning vector (``application.meaning``;
personal data typed into the text masked first, so no phone or ID number reaches the table), its category,
centre, departments and slip number. Grouping happens at query time (``application.topics.group_meaning``),
because a topic is a property of a period, not of one complaint; the vectors are computed once, when the
complaint is received.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar
from uuid import UUID

import numpy as np

from application import meaning, text, topics
from domain.complaint import Complaint
from projections.db import Column, Table, Tx, ViewDB, as_datetime
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
        Column("vector", T.text, nullable=False),  # the content's meaning vector (meaning.to_bytes), hex
    ),
    key=("complaint_id",),
    indexes=(("yousu_topic_items_received_idx", "(received_at, category)"),),
)


class TopicView(View):
    """One row per complaint: its words and facets; departments follow dispatch."""

    name: ClassVar[str] = "topics"
    version: ClassVar[int] = 2  # 2: meaning vectors
    tables: ClassVar[tuple[Table, ...]] = (TOPIC_ITEMS,)

    def apply(self, tx: Tx, page: Sequence[Applied]) -> None:
        """Insert received complaints; set departments on dispatch."""
        rows = []
        dispatched: list[tuple[str, UUID]] = []
        for cid, group in by_complaint(page).items():
            for _nid, e in group:
                if isinstance(e, Complaint.Received):
                    masked = mask_free_text(e.content)
                    words = " ".join(text.tokens(masked))
                    vector = meaning.to_bytes(meaning.embed([masked])[0]).hex()
                    rows.append([cid, e.received_at, e.slip_no, e.category, e.centre, "", words, vector])
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
class TopicItems:
    """The complaints of a period as the grouping sees them, column by column (a month of 100,000 complaints is
    a handful of lists, not 100,000 objects)."""

    received_at: list[datetime]
    slip_no: list[str]
    category: list[str]
    departments: list[str]  # ",a,b," once dispatched, else ""
    words: list[str]  # space-separated
    vectors: list[str]  # meaning vectors, hex

    def __len__(self) -> int:
        return len(self.slip_no)


MAX_ITEMS = 400_000  # a period (with the one before it) larger than this is refused rather than grouped slowly


def topic_items(
    db: ViewDB, start: datetime, end: datetime, *, centre: str | None = None, category: str | None = None
) -> TopicItems:
    """Complaints received in [start, end), optionally of one centre and category."""
    if end <= start:
        msg = "to 必须晚于 from"
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
        "SELECT received_at, slip_no, category, departments, words, vector"  # noqa: S608 — fixed columns, bound filters
        f" FROM {TOPIC_ITEMS.name} WHERE {' AND '.join(where)} ORDER BY received_at, complaint_id LIMIT ?"
    )
    with db.transaction(write=False) as tx:
        rows = tx.query(sql, [*params, MAX_ITEMS + 1])
    if len(rows) > MAX_ITEMS:
        msg = f"统计期间（含上一期）超过 {MAX_ITEMS} 件诉求：请缩短期间"
        raise QueryError(msg)
    if not rows:
        return TopicItems([], [], [], [], [], [])
    received, slips, categories, departments, words, vectors = (list(column) for column in zip(*rows, strict=True))
    return TopicItems([as_datetime(v) or start for v in received], slips, categories, departments, words, vectors)


@dataclass(frozen=True)
class Topic:
    """One group of complaints about the same matter, in the period asked and the one before."""

    category: str
    label: list[str]
    count: int
    previous: int
    departments: dict[str, int]
    trend: dict[str, int]
    members: list[str]  # every slip number of the period's complaints in the topic, newest first

    @property
    def key(self) -> str:
        """The topic's handle for paging its members: its oldest member's slip number in the period."""
        return self.members[-1] if self.members else ""

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
            "samples": self.members[:5],
            "key": self.key,
        }

    def page(self, offset: int, limit: int) -> dict[str, Any]:
        """Members ``offset`` … ``offset + limit`` (newest first), with the total."""
        return {
            "key": self.key,
            "label": self.label,
            "total": len(self.members),
            "offset": offset,
            "members": self.members[offset : offset + limit],
        }


def rank_topics(
    items: TopicItems,
    start: datetime,
    previous_start: datetime,
    zone: Any,
    *,
    min_count: int = 2,
    limit: int = 20,
) -> list[Topic]:
    """Group ``items`` (the period and the one before it, together) within category; rank the period's topics
    by volume, then growth."""
    vectors = meaning.stack(items.vectors)
    by_category: dict[str, list[int]] = {}
    for i, c in enumerate(items.category):
        by_category.setdefault(c, []).append(i)
    # compared as numbers: comparing aware datetimes of different zones costs an offset look-up each time
    stamps = np.fromiter((t.timestamp() for t in items.received_at), dtype=np.float64, count=len(items))
    in_period = stamps >= start.timestamp()
    in_previous = ~in_period & (stamps >= previous_start.timestamp())
    ranked: list[tuple[int, float, str, list[str], int, list[int]]] = []
    for category, indices in sorted(by_category.items()):
        members = np.asarray(indices, dtype=np.int64)
        words = [items.words[i].split() for i in indices]
        numbers = np.asarray(topics.group_meaning(vectors[members]), dtype=np.int64)
        order = np.argsort(numbers, kind="stable")
        cuts = np.flatnonzero(np.diff(numbers[order])) + 1
        for positions in np.split(order, cuts):
            now = positions[in_period[members[positions]]]
            if len(now) < min_count or not any(words[p] for p in now):
                continue
            before = int(np.count_nonzero(in_previous[members[positions]]))
            growth = round((len(now) - before) / before, 4) if before else 0.0  # as Topic.growth
            label = topics.label([words[p] for p in now])
            ranked.append((len(now), growth, category, label, before, [int(members[p]) for p in now]))
    ranked.sort(key=lambda t: (-t[0], -t[1], t[2], t[3]))
    return [_topic(items, zone, category, label, before, now) for _, _, category, label, before, now in ranked[:limit]]


def _topic(items: TopicItems, zone: Any, category: str, label: list[str], before: int, now: list[int]) -> Topic:
    """The details of one topic shown: its departments, its trend by day, its newest slip numbers."""
    departments: dict[str, int] = {}
    trend: dict[str, int] = {}
    for i in now:
        for d in items.departments[i].split(","):
            if d:
                departments[d] = departments.get(d, 0) + 1
        day = items.received_at[i].astimezone(zone).date().isoformat()
        trend[day] = trend.get(day, 0) + 1
    newest = sorted(now, key=lambda i: (items.received_at[i], items.slip_no[i]), reverse=True)
    return Topic(
        category=category,
        label=label,
        count=len(now),
        previous=before,
        departments=dict(sorted(departments.items(), key=lambda kv: (-kv[1], kv[0]))),
        trend=dict(sorted(trend.items())),
        members=[items.slip_no[i] for i in newest],
    )


SIMILAR_DAYS = 90  # the similar-matters panel looks this many days either side of the complaint
SIMILAR_READ = 20_000  # complaints compared at most (the nearest in time)


def similar_to(
    db: ViewDB, complaint_id: UUID, *, limit: int = 10, centre: str | None = None
) -> list[dict[str, Any]] | None:
    """Other complaints about the same matter as ``complaint_id`` (anyone's, within ``SIMILAR_DAYS`` either side),
    most alike first: meaning cosine ≥ ``topics.APART_LINK``, the repeat rule's "same matter"; ``centre``'s only
    when given. None when the view does not know the complaint yet."""
    with db.transaction(write=False) as tx:
        own = tx.query(f"SELECT received_at, vector FROM {TOPIC_ITEMS.name} WHERE complaint_id = ?", [complaint_id])  # noqa: S608 — names are ours
        if not own:
            return None
        at = as_datetime(own[0][0])
        if at is None or not own[0][1] or not meaning.from_bytes(own[0][1]).any():
            return []
        rows = tx.query(
            "SELECT complaint_id, slip_no, received_at, category, vector"  # noqa: S608 — names are ours, values bound
            f" FROM {TOPIC_ITEMS.name} WHERE received_at >= ? AND received_at <= ? AND complaint_id <> ?"
            + (" AND centre = ?" if centre is not None else "")
            + " ORDER BY received_at DESC LIMIT ?",
            [
                at - timedelta(days=SIMILAR_DAYS),
                at + timedelta(days=SIMILAR_DAYS),
                complaint_id,
                *([centre] if centre is not None else []),
                SIMILAR_READ,
            ],
        )
    if not rows:
        return []
    both = meaning.apart(meaning.stack([own[0][1]] + [r[4] for r in rows]))
    sims = both[1:] @ both[0]
    close = np.flatnonzero(sims >= topics.APART_LINK)
    ranked = sorted(close.tolist(), key=lambda i: (-float(sims[i]), str(rows[i][1])))[:limit]
    return [
        {
            "complaint_id": str(rows[i][0]),
            "slip_no": rows[i][1],
            "received_at": as_datetime(rows[i][2]),
            "category": rows[i][3],
            "score": round(float(sims[i]), 3),
        }
        for i in ranked
    ]
