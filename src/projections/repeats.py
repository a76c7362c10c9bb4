"""重复诉求 (repeat detection), advisory: for each received complaint, the earlier ones of the same person or
enterprise *about the same matter* within the window.

The rule: a complaint repeats an earlier one when both (1) the same complainant made it — the same phone, ID
number or enterprise name, recognised by a keyed HMAC of the normalised value (``application.text.person_keys``;
the view never holds any in clear) — and (2) it is about the same matter: the cosine of the two contents' meaning
vectors (``application.meaning``, common direction removed) is at least ``SAME_MATTER``. One person with eight
different matters has made no repeat; eight people with one matter have made none either (that is a topic).
Each complaint is compared only with complaints already in the view (log order) received up to ``window``
before it, so applying page by page or all at once gives the same links.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, ClassVar
from uuid import UUID

import numpy as np

from application import meaning, text, topics
from domain.calendar import WorkingCalendar
from domain.complaint import Complaint
from projections.db import Column, Table, Tx, ViewDB, as_datetime
from projections.db import ColumnType as T
from projections.view import Applied, QueryError, View

SAME_MATTER = topics.APART_LINK  # cosine of meaning vectors from which two complaints are about the same matter
MAX_CANDIDATES = 200  # same-person matches read per lookup
MAX_LINKS = 10  # earlier complaints kept per complaint, best first
UNKEYED = "yousu-unkeyed-person-key"  # only for stores without any key (tests, plaintext drills)
REPEAT_WINDOW_DAYS = 90  # 重复诉求: how far back earlier complaints count (YOUSU_REPEAT_WINDOW_DAYS's default)

ITEMS = Table(
    "yousu_repeat_items",
    (
        Column("complaint_id", T.uuid),
        Column("received_at", T.timestamp, nullable=False),
        Column("slip_no", T.text, nullable=False),
        Column("category", T.text, nullable=False),
        Column("centre", T.text, nullable=False),
        Column("vector", T.text, nullable=False),  # meaning vector (meaning.to_bytes), hex; empty without words
        Column("repeat_of", T.uuid),  # the best earlier complaint of the same complainant and matter, if any
        Column("score", T.real),
        Column("why", T.text),  # same_matter
        Column("same_person", T.integer, nullable=False),  # 1: the complainant made an earlier one (any matter)
    ),
    key=("complaint_id",),
    indexes=(("yousu_repeat_items_received_idx", "(received_at)"),),
)
PERSONS = Table(
    "yousu_repeat_persons",
    (
        Column("person_key", T.text),  # "p:" / "i:" + HMAC-SHA256 (truncated), never the value
        Column("complaint_id", T.uuid),
        Column("received_at", T.timestamp, nullable=False),
    ),
    key=("person_key", "received_at", "complaint_id"),  # the key is the look-up's index: newest first per key
)
LINKS = Table(
    "yousu_repeat_links",
    (
        Column("complaint_id", T.uuid),
        Column("earlier_id", T.uuid),
        Column("score", T.real, nullable=False),
        Column("why", T.text, nullable=False),
    ),
    key=("complaint_id", "earlier_id"),
)


@dataclass(frozen=True)
class Link:
    """One earlier complaint a complaint repeats, and why."""

    earlier_id: UUID
    score: float
    why: str


class RepeatView(View):
    """Repeat links, found once when a complaint is received (never changed later)."""

    name: ClassVar[str] = "repeats"
    version: ClassVar[int] = 4  # 4: the same complainant and the same matter (meaning vectors)
    tables: ClassVar[tuple[Table, ...]] = (ITEMS, PERSONS, LINKS)

    def __init__(
        self, calendar: WorkingCalendar, *, person_key: bytes | None = None, window_days: int = REPEAT_WINDOW_DAYS
    ) -> None:
        super().__init__(calendar)
        self.person_key = person_key or text.derive_person_key(UNKEYED)
        self.window = timedelta(days=window_days)

    def apply(self, tx: Tx, page: Sequence[Applied]) -> None:
        """Find and record the links of each complaint received in the page, in log order."""
        self._index_shadows(tx)
        for _nid, e in page:
            if isinstance(e, Complaint.Received):
                self._receive(tx, e)

    def _index_shadows(self, tx: Tx) -> None:
        """During a rebuild the runner indexes the shadow tables only after filling them; this fold looks rows
        up while filling, so it indexes them first (under the names the runner uses: its later
        CREATE INDEX IF NOT EXISTS finds them made)."""
        for table in self.tables:
            target = tx.target(table)
            if target == table.name:
                continue
            suffix = target[len(table.name) :]
            for index_name, definition in table.indexes:
                tx.execute(f"CREATE INDEX IF NOT EXISTS {index_name}{suffix} ON {target} {definition}")

    @staticmethod
    def _candidates(tx: Tx, cid: UUID, since: datetime, at: datetime, keys: list[str]) -> list[tuple[Any, str]]:
        """The newest earlier complaints (at most MAX_CANDIDATES) of the same complainant in the window, with
        their meaning vectors.

        One query per key, each walking the persons key (person_key, received_at) backwards and stopping at
        the limit, then merged: one ``IN`` over several keys made the database read and sort every match of a
        frequent complainant (an enterprise, a hotline's placeholder number) for each new complaint.
        """
        sql = (
            "SELECT i.complaint_id, i.vector, p.received_at"  # noqa: S608 — names are ours, values bound
            f" FROM {tx.target(PERSONS)} p JOIN {tx.target(ITEMS)} i ON i.complaint_id = p.complaint_id"
            " WHERE p.person_key = ? AND p.received_at >= ? AND p.received_at <= ? AND p.complaint_id <> ?"
            " ORDER BY p.received_at DESC LIMIT ?"
        )
        found: dict[str, tuple[Any, Any, Any]] = {}
        for key in dict.fromkeys(keys):
            for row in tx.query(sql, [key, since, at, cid, MAX_CANDIDATES]):
                found.setdefault(str(row[0]), (row[0], row[1], row[2]))
        newest = sorted(found.values(), key=lambda r: r[2], reverse=True)[:MAX_CANDIDATES]
        return [(r[0], r[1]) for r in newest]

    def _receive(self, tx: Tx, e: Complaint.Received) -> None:
        cid = e.originator_id
        at = e.received_at
        since = at - self.window
        who = e.complainant
        keys = text.person_keys(self.person_key, who.phone, who.id_number, who.enterprise_name)
        vector = meaning.embed([e.content])[0]
        has_words = bool(vector.any())
        found = self._candidates(tx, cid, since, at, keys)
        links: list[Link] = []
        if has_words and found:
            raws = [raw for _, raw in found]
            earlier = meaning.stack(raws)
            # compared with the common direction removed (as topics of a few complaints are)
            both = meaning.apart(np.vstack([vector[None, :], earlier]))
            sims = both[1:] @ both[0]
            for (other, raw), sim in zip(found, sims, strict=True):
                if raw and float(sim) >= SAME_MATTER:
                    oid = other if isinstance(other, UUID) else UUID(str(other))
                    links.append(Link(oid, round(float(sim), 3), "same_matter"))
        best = sorted(links, key=lambda k: (-k.score, str(k.earlier_id)))[:MAX_LINKS]
        top = best[0] if best else None
        tx.upsert(
            ITEMS,
            [
                (
                    cid,
                    at,
                    e.slip_no,
                    e.category,
                    e.centre,
                    meaning.to_bytes(vector).hex() if has_words else "",
                    top.earlier_id if top else None,
                    top.score if top else None,
                    top.why if top else None,
                    1 if found else 0,
                )
            ],
        )
        tx.insert_ignore(PERSONS, [(k, cid, at) for k in keys])
        tx.insert_ignore(LINKS, [(cid, k.earlier_id, k.score, k.why) for k in best])


# ------------------------------------------------------------------------------------ queries


def repeats_of(db: ViewDB, complaint_id: UUID, *, centre: str | None = None) -> list[dict[str, Any]] | None:
    """The earlier complaints ``complaint_id`` repeats (``centre``'s only, when given), best first (None when the
    view does not know it yet)."""
    with db.transaction(write=False) as tx:
        known = tx.query(f"SELECT 1 FROM {ITEMS.name} WHERE complaint_id = ?", [complaint_id])  # noqa: S608 — names are ours
        if not known:
            return None
        rows = tx.query(
            f"SELECT l.earlier_id, i.slip_no, i.received_at, l.score, l.why FROM {LINKS.name} l"  # noqa: S608 — names are ours
            f" JOIN {ITEMS.name} i ON i.complaint_id = l.earlier_id WHERE l.complaint_id = ?"
            + (" AND i.centre = ?" if centre is not None else "")
            + " ORDER BY l.score DESC, i.received_at DESC",
            [complaint_id, *([centre] if centre is not None else [])],
        )
    return [
        {
            "repeat_of": str(r[0]),
            "slip_no": r[1],
            "received_at": as_datetime(r[2]),
            "score": float(r[3]),
            "why": r[4],
        }
        for r in rows
    ]


def repeat_rate(
    db: ViewDB, start: datetime, end: datetime, *, centre: str | None = None, category: str | None = None
) -> dict[str, Any]:
    """重复诉求率: complaints received in [start, end) that repeat an earlier one (the same complainant and the same
    matter) ÷ complaints received; ``same_person`` counts those whose complainant made any earlier complaint."""
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
        "SELECT COUNT(*), SUM(CASE WHEN repeat_of IS NULL THEN 0 ELSE 1 END),"  # noqa: S608 — fixed columns, bound filters
        " SUM(same_person)"
        f" FROM {ITEMS.name} WHERE {' AND '.join(where)}"
    )
    with db.transaction(write=False) as tx:
        received, repeats, person = tx.query(sql, params)[0]
    received, repeats = int(received or 0), int(repeats or 0)
    return {
        "label": "重复诉求率",
        "received": received,
        "repeats": repeats,
        "same_person": int(person or 0),
        "rule": "同一诉求人（电话、证件号或企业名称相同）且同一事项（内容语义相近），时间窗内",
        "rate": round(repeats / received, 4) if received else None,
    }


def day_bounds(first: date, last: date, calendar: WorkingCalendar) -> tuple[datetime, datetime]:
    """[first 00:00, the day after last 00:00) in the calendar's zone."""
    zone = calendar.zone
    start = datetime(first.year, first.month, first.day, tzinfo=zone)
    after = last + timedelta(days=1)
    return start, datetime(after.year, after.month, after.day, tzinfo=zone)
