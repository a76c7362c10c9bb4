"""重复诉求 (repeat detection), advisory: for each received complaint, the earlier ones of the same person
or about the same matter within the window.

The same person: a keyed HMAC of the normalised phone and ID number (``application.text.person_keys``);
the view never holds either in clear. The same matter: MinHash signatures of the content's words,
candidates found through LSH bands, confirmed by the estimated Jaccard similarity. Each complaint is
compared only with complaints already in the view (log order) received up to ``window`` before it, so
applying page by page or all at once gives the same links.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, ClassVar
from uuid import UUID

from application import text
from domain.calendar import WorkingCalendar
from domain.complaint import Complaint
from projections.db import Column, Table, Tx, ViewDB, as_datetime
from projections.db import ColumnType as T
from projections.view import Applied, QueryError, View

SIMILAR = 0.5  # estimated Jaccard of the content's words from which two complaints are "about the same matter"
BAND_ROWS = 3  # 21 bands of 3: a pair at J=0.5 is a candidate with p≈0.94, at J=0.2 with p≈0.16
MAX_CANDIDATES = 200  # same-person matches read per lookup
MAX_LINKS = 10  # earlier complaints kept per complaint, best first
PER_BAND = 20  # newest complaints read per LSH band (21 × 20 index entries at most per look-up)
MAX_VERIFY = 20  # text candidates whose signatures are compared, those sharing most bands first
UNKEYED = "yousu-unkeyed-person-key"  # only for stores without any key (tests, plaintext drills)

ITEMS = Table(
    "yousu_repeat_items",
    (
        Column("complaint_id", T.uuid),
        Column("received_at", T.timestamp, nullable=False),
        Column("slip_no", T.text, nullable=False),
        Column("category", T.text, nullable=False),
        Column("centre", T.text, nullable=False),
        Column("signature", T.text, nullable=False),  # MinHash, hex; empty when the text has no words
        Column("repeat_of", T.uuid),  # the best earlier complaint, if any
        Column("score", T.real),
        Column("why", T.text),  # same_person | similar_text
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
BANDS = Table(
    "yousu_repeat_bands",
    (
        Column("band", T.bigint),  # the band's 64-bit hash (application.text.bands)
        Column("complaint_id", T.uuid),
        Column("received_at", T.timestamp, nullable=False),
    ),
    key=("band", "received_at", "complaint_id"),  # one index: the key serves the newest-first range scan
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
    version: ClassVar[int] = 3  # 2: whole LSH bands only; 3: integer bands, keys that are the look-up index
    tables: ClassVar[tuple[Table, ...]] = (ITEMS, PERSONS, BANDS, LINKS)

    def __init__(self, calendar: WorkingCalendar, *, person_key: bytes | None = None, window_days: int = 90) -> None:
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
    def _candidates(
        tx: Tx, cid: UUID, since: datetime, at: datetime, keys: list[str], bands: list[int]
    ) -> list[tuple[Any, str, int]]:
        """The earlier complaints of the same person, and those sharing most LSH bands with their signatures,
        as ``(complaint_id, signature, same_person)`` rows — one statement, one round trip.

        Each band is read only for its newest ``PER_BAND`` complaints (the key's order): a band shared by
        thousands (a matter many people raise) costs the same as a rare one, so a look-up reads at most
        ``len(bands) × PER_BAND`` index entries and ``MAX_VERIFY`` signatures, however many are stored; the
        candidates sharing most bands come first (a sharper estimate of similarity than sharing one).
        """
        parts: list[str] = []
        params: list[Any] = []
        if keys:
            cond, key_params = tx.in_list("person_key", keys, T.text)
            parts.append(
                "SELECT * FROM (SELECT DISTINCT complaint_id, '' AS signature, 1 AS same_person"  # noqa: S608 — names are ours, values bound
                f" FROM {tx.target(PERSONS)} WHERE {cond}"
                f" AND received_at >= ? AND received_at <= ? AND complaint_id <> ? LIMIT ?) AS p"
            )
            params += [*key_params, since, at, cid, MAX_CANDIDATES]
        if bands:
            band = (
                f"SELECT * FROM (SELECT complaint_id FROM {tx.target(BANDS)} WHERE band = ?"  # noqa: S608 — names are ours, values bound
                " AND received_at >= ? AND received_at <= ? ORDER BY received_at DESC LIMIT ?) AS b"
            )
            union = " UNION ALL ".join(band for _ in bands)
            parts.append(
                f"SELECT c.complaint_id, i.signature, 0 AS same_person FROM (SELECT complaint_id, COUNT(*) AS shared"  # noqa: S608 — built from fixed parts
                f" FROM ({union}) AS u WHERE complaint_id <> ? GROUP BY complaint_id ORDER BY shared DESC, complaint_id"
                f" LIMIT ?) AS c JOIN {tx.target(ITEMS)} i ON i.complaint_id = c.complaint_id"
            )
            params += [*(v for b in bands for v in (b, since, at, PER_BAND)), cid, MAX_VERIFY]
        if not parts:
            return []
        return [(r[0], r[1], r[2]) for r in tx.query(" UNION ALL ".join(parts), params)]

    def _receive(self, tx: Tx, e: Complaint.Received) -> None:
        cid = e.originator_id
        at = e.received_at
        since = at - self.window
        keys = text.person_keys(self.person_key, e.complainant.phone, e.complainant.id_number)
        sig = text.signature(e.content)
        has_words = bool(sig.size) and bool(text.tokens(e.content))
        bands = text.bands(sig, BAND_ROWS) if has_words else []
        links: dict[UUID, Link] = {}
        found = self._candidates(tx, cid, since, at, keys, bands)
        for other, raw, same_person in sorted(found, key=lambda r: -int(r[2])):  # same person first
            oid = other if isinstance(other, UUID) else UUID(str(other))
            if same_person:
                links[oid] = Link(oid, 1.0, "same_person")
            elif raw and oid not in links:
                score = text.jaccard(sig, text.from_bytes(bytes.fromhex(raw)))
                if score >= SIMILAR:
                    links[oid] = Link(oid, round(score, 3), "similar_text")
        best = sorted(links.values(), key=lambda k: (-k.score, k.why, str(k.earlier_id)))[:MAX_LINKS]
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
                    sig.astype("<u4").tobytes().hex() if has_words else "",
                    top.earlier_id if top else None,
                    top.score if top else None,
                    top.why if top else None,
                )
            ],
        )
        tx.insert_ignore(PERSONS, [(k, cid, at) for k in keys])
        tx.insert_ignore(BANDS, [(b, cid, at) for b in bands])
        tx.insert_ignore(LINKS, [(cid, k.earlier_id, k.score, k.why) for k in best])


# ------------------------------------------------------------------------------------ queries


def repeats_of(db: ViewDB, complaint_id: UUID) -> list[dict[str, Any]] | None:
    """The earlier complaints ``complaint_id`` repeats, best first (None when the view does not know it yet)."""
    with db.transaction(write=False) as tx:
        known = tx.query(f"SELECT 1 FROM {ITEMS.name} WHERE complaint_id = ?", [complaint_id])  # noqa: S608 — names are ours
        if not known:
            return None
        rows = tx.query(
            f"SELECT l.earlier_id, i.slip_no, i.received_at, l.score, l.why FROM {LINKS.name} l"  # noqa: S608 — names are ours
            f" JOIN {ITEMS.name} i ON i.complaint_id = l.earlier_id WHERE l.complaint_id = ?"
            " ORDER BY l.score DESC, i.received_at DESC",
            [complaint_id],
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
    """重复诉求率: complaints received in [start, end) that repeat an earlier one ÷ complaints received."""
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
        " SUM(CASE WHEN why = 'same_person' THEN 1 ELSE 0 END), SUM(CASE WHEN why = 'similar_text' THEN 1 ELSE 0 END)"
        f" FROM {ITEMS.name} WHERE {' AND '.join(where)}"
    )
    with db.transaction(write=False) as tx:
        received, repeats, person, similar = tx.query(sql, params)[0]
    received, repeats = int(received or 0), int(repeats or 0)
    return {
        "label": "重复诉求率",
        "received": received,
        "repeats": repeats,
        "same_person": int(person or 0),
        "similar_text": int(similar or 0),
        "rate": round(repeats / received, 4) if received else None,
    }


def day_bounds(first: date, last: date, calendar: WorkingCalendar) -> tuple[datetime, datetime]:
    """[first 00:00, the day after last 00:00) in the calendar's zone."""
    zone = calendar.zone
    start = datetime(first.year, first.month, first.day, tzinfo=zone)
    after = last + timedelta(days=1)
    return start, datetime(after.year, after.month, after.day, tzinfo=zone)
