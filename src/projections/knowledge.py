"""知识库 search view: one row per entry (its published text and words), ranked by BM25 over jieba words.

Knowledge entries are not complaint events, so the projection runner does not carry them: the view is
written through after each knowledge command (``index_entry``, an idempotent upsert of the entry's
state) and can be rebuilt from the store (``reindex``). Search keeps an in-process inverted index,
refreshed when the table's change stamp moves.
"""

from __future__ import annotations

import math
import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from application import meaning, text, topics
from domain.knowledge import KnowledgeEntry
from projections.db import Column, Table, ViewDB, as_datetime
from projections.db import ColumnType as T
from projections.view import QueryError

K1, B = 1.5, 0.75  # BM25's usual constants
QUESTION_WEIGHT = 2  # words of the question count twice: it is what people ask

KNOWLEDGE = Table(
    "yousu_knowledge",
    (
        Column("entry_id", T.uuid),
        Column("version", T.integer, nullable=False),  # the aggregate's version (changes with every command)
        Column("status", T.text, nullable=False),
        Column("revision", T.integer),  # the published revision, if any
        Column("question", T.text, nullable=False),
        Column("answer", T.text, nullable=False),
        Column("policy_basis", T.text, nullable=False),
        Column("departments", T.text, nullable=False),  # ",a,b,"
        Column("tags", T.text, nullable=False),  # ",a,b,"
        Column("words", T.text, nullable=False),  # the published text's words, question words twice
        Column("uses", T.integer, nullable=False),
        Column("updated_at", T.timestamp, nullable=False),
    ),
    key=("entry_id",),
    indexes=(("yousu_knowledge_status_idx", "(status)"),),
)


# One row counting changes to the table: a search reads it (one row) to know whether its in-process
# index is still current, instead of scanning the table for a change stamp.
CHANGES = Table("yousu_knowledge_changes", (Column("id", T.integer), Column("changes", T.bigint)), key=("id",))


def create(db: ViewDB) -> None:
    """Create the tables if missing."""
    with db.transaction() as tx:
        for table in (KNOWLEDGE, CHANGES):
            for statement in table.ddl(tx.dialect):
                tx.execute(statement)
        tx.insert_ignore(CHANGES, [(1, 0)])


def _row(entry: KnowledgeEntry) -> tuple[Any, ...]:
    shown = entry.versions[(entry.published_revision or len(entry.versions)) - 1]
    words = text.search_tokens(shown.question) * QUESTION_WEIGHT
    words += text.search_tokens(shown.answer) + [t for tag in shown.tags for t in text.search_tokens(tag)]
    return (
        entry.id,
        entry.version,
        entry.status.value,
        entry.published_revision,
        shown.question,
        shown.answer,
        shown.policy_basis,
        "," + ",".join(shown.departments) + "," if shown.departments else "",
        "," + ",".join(shown.tags) + "," if shown.tags else "",
        " ".join(words),
        entry.uses,
        entry.updated_at,
    )


def index_entry(db: ViewDB, entry: KnowledgeEntry) -> None:
    """Write the entry's current state (a newer stored version is never overwritten by an older one)."""
    row = _row(entry)
    with db.transaction() as tx:
        names = ", ".join(KNOWLEDGE.column_names)
        marks = ", ".join("?" * len(row))
        updates = ", ".join(f"{c} = excluded.{c}" for c in KNOWLEDGE.column_names if c != "entry_id")
        tx.execute(
            f"INSERT INTO {KNOWLEDGE.name} ({names}) VALUES ({marks}) ON CONFLICT (entry_id) DO UPDATE SET {updates}"  # noqa: S608 — names are ours, values bound
            f" WHERE {KNOWLEDGE.name}.version < excluded.version",
            row,
        )
        tx.execute(f"UPDATE {CHANGES.name} SET changes = changes + 1 WHERE id = 1")  # noqa: S608 — names are ours


def reindex(db: ViewDB, entries: Iterable[KnowledgeEntry]) -> int:
    """Write every entry (a rebuild); returns how many."""
    n = 0
    for entry in entries:
        index_entry(db, entry)
        n += 1
    return n


# ------------------------------------------------------------------------------------ search


@dataclass
class _Index:
    stamp: tuple[Any, ...]
    ids: list[str]
    rows: list[dict[str, Any]]
    postings: dict[str, tuple[np.ndarray, np.ndarray]]  # word → (documents, term frequencies)
    norms: np.ndarray  # BM25's length normalisation per document: K1 * (1 − B + B * length / average)
    meanings: np.ndarray  # each entry's question and tags as a meaning vector (common direction removed)


_cache: dict[int, _Index] = {}
_lock = threading.Lock()
COLUMNS = ("entry_id", "revision", "question", "answer", "policy_basis", "departments", "tags", "uses", "updated_at")


def _index(db: ViewDB) -> _Index:
    with db.transaction(write=False) as tx:
        stamp = tuple(tx.query(f"SELECT changes FROM {CHANGES.name} WHERE id = 1")[0])  # noqa: S608 — names are ours
        with _lock:
            cached = _cache.get(id(db))
            if cached is not None and cached.stamp == stamp:
                return cached
        rows = tx.query(
            f"SELECT {', '.join(COLUMNS)}, words FROM {KNOWLEDGE.name} WHERE status = ? ORDER BY entry_id",  # noqa: S608 — names are ours
            ["published"],
        )
    ids, shown, lengths = [], [], []
    lists: dict[str, list[tuple[int, int]]] = {}
    for i, r in enumerate(rows):
        item = dict(zip(COLUMNS, r[:-1], strict=True))
        item["entry_id"] = str(item["entry_id"])
        item["departments"] = [d for d in str(item["departments"]).split(",") if d]
        item["tags"] = [t for t in str(item["tags"]).split(",") if t]
        item["updated_at"] = as_datetime(item["updated_at"])
        ids.append(item["entry_id"])
        shown.append(item)
        words = str(r[-1]).split()
        lengths.append(len(words))
        for w, tf in Counter(words).items():
            lists.setdefault(w, []).append((i, tf))
    postings = {
        w: (np.array([d for d, _ in p], dtype=np.int64), np.array([t for _, t in p], dtype=np.float64))
        for w, p in lists.items()
    }
    length = np.array(lengths, dtype=np.float64)
    average = float(length.mean()) if lengths else 1.0
    asked = [f"{item['question']} {' '.join(item['tags'])}" for item in shown]
    meanings = meaning.apart(meaning.embed(asked)) if asked else np.zeros((0, meaning.DIM), dtype=np.float32)
    built = _Index(stamp, ids, shown, postings, K1 * (1 - B + B * length / (average or 1.0)), meanings)
    with _lock:
        _cache[id(db)] = built
    return built


MAX_QUERY_WORDS = 64


def search(db: ViewDB, query: str, *, limit: int = 10, department: str | None = None) -> list[dict[str, Any]]:
    """Published entries ranked by BM25 against the words of ``query`` (best first, with ``score``)."""
    words = text.search_tokens(query)[:MAX_QUERY_WORDS] if query.strip() else []
    if not words:
        msg = "检索词中没有可检索的字词（只有表情、标点或空白）"
        raise QueryError(msg)
    index = _index(db)
    n = len(index.ids)
    scores = np.zeros(n, dtype=np.float64)
    for w in set(words):
        posting = index.postings.get(w)
        if posting is None:
            continue
        docs, tf = posting
        idf = math.log(1 + (n - len(docs) + 0.5) / (len(docs) + 0.5))
        scores[docs] += idf * tf * (K1 + 1) / (tf + index.norms[docs])
    hits = np.flatnonzero(scores)
    if department is None and len(hits) > limit * 4:  # only the best few need sorting
        hits = hits[np.argpartition(-scores[hits], limit * 4)[: limit * 4]]
    ranked = sorted(((float(scores[d]), int(d)) for d in hits), key=lambda sd: (-sd[0], index.ids[sd[1]]))
    out = []
    for score, doc in ranked:
        item = index.rows[doc]
        if department and department not in item["departments"]:
            continue
        out.append({**item, "score": round(score, 4)})
        if len(out) >= limit:
            break
    return out


SUGGEST_MEANING = 0.5  # share of a suggestion's score that is meaning (the rest: BM25, scaled to the best)


def suggest(db: ViewDB, said: str, *, limit: int = 3) -> list[dict[str, Any]]:
    """Entries for what a person just said, as the clerk types it: by words (BM25) and by meaning together, so
    "社保转不过来" finds the entry on 养老保险关系转移接续. An entry is suggested when it shares a word or its
    question is about the same matter (meaning cosine ≥ the repeat rule's ``topics.APART_LINK``)."""
    words = text.search_tokens(said)[:MAX_QUERY_WORDS] if said.strip() else []
    if not words:
        return []
    index = _index(db)
    n = len(index.ids)
    if not n:
        return []
    lexical = np.zeros(n, dtype=np.float64)
    for w in set(words):
        posting = index.postings.get(w)
        if posting is None:
            continue
        docs, tf = posting
        idf = math.log(1 + (n - len(docs) + 0.5) / (len(docs) + 0.5))
        lexical[docs] += idf * tf * (K1 + 1) / (tf + index.norms[docs])
    near = index.meanings @ meaning.apart(meaning.embed([said]))[0]
    top = float(lexical.max())
    scaled = lexical / top if top > 0 else lexical
    score = (1 - SUGGEST_MEANING) * scaled + SUGGEST_MEANING * np.clip(near, 0.0, 1.0)
    eligible = np.flatnonzero((lexical > 0) | (near >= topics.APART_LINK))
    ranked = sorted(eligible.tolist(), key=lambda d: (-score[d], index.ids[d]))[:limit]
    return [{**index.rows[d], "score": round(float(score[d]), 4)} for d in ranked]


def usage(db: ViewDB) -> dict[str, Any]:
    """采用 counts: how often published answers were used for complaints (POST …/used)."""
    with db.transaction(write=False) as tx:
        total, entries = tx.query(
            f"SELECT COALESCE(SUM(uses), 0), SUM(CASE WHEN uses > 0 THEN 1 ELSE 0 END) FROM {KNOWLEDGE.name}"  # noqa: S608 — names are ours
        )[0]
    return {"label": "知识库答复次数", "uses": int(total or 0), "entries_used": int(entries or 0)}
