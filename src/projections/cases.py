"""指导案例 search view: one row per case (its redacted text and words), written through after each command."""

from __future__ import annotations

from typing import Any

from application import text
from domain.cases import GuidanceCase
from projections.db import Column, Table, ViewDB, as_datetime
from projections.db import ColumnType as T
from projections.view import QueryError

CASES = Table(
    "yousu_cases",
    (
        Column("case_id", T.uuid),
        Column("version", T.integer, nullable=False),
        Column("published", T.boolean, nullable=False),
        Column("title", T.text, nullable=False),
        Column("details", T.text, nullable=False),
        Column("conclusion", T.text, nullable=False),
        Column("words", T.text, nullable=False),
        Column("updated_at", T.timestamp, nullable=False),
    ),
    key=("case_id",),
)


def create(db: ViewDB) -> None:
    """Create the table if missing."""
    with db.transaction() as tx:
        for statement in CASES.ddl(tx.dialect):
            tx.execute(statement)


def index_case(db: ViewDB, case: GuidanceCase) -> None:
    """Write the case's current (already redacted) text; an older version never overwrites a newer one."""
    t = case.text
    words = text.search_tokens(t.title) * 2 + text.search_tokens(t.details) + text.search_tokens(t.handling)
    row = (case.id, case.version, case.published, t.title, t.details, t.conclusion, " ".join(words), case.updated_at)
    names = ", ".join(CASES.column_names)
    updates = ", ".join(f"{c} = excluded.{c}" for c in CASES.column_names if c != "case_id")
    with db.transaction() as tx:
        tx.execute(
            f"INSERT INTO {CASES.name} ({names}) VALUES ({', '.join('?' * len(row))})"  # noqa: S608 — names are ours, values bound
            f" ON CONFLICT (case_id) DO UPDATE SET {updates} WHERE {CASES.name}.version < excluded.version",
            row,
        )


def search(db: ViewDB, query: str, *, limit: int = 20) -> list[dict[str, Any]]:
    """Published cases, those sharing most words with ``query`` first (all, newest first, without a query)."""
    words = set(text.search_tokens(query)) if query.strip() else set()
    if query.strip() and not words:
        msg = "检索词中没有可检索的字词（只有表情、标点或空白）"
        raise QueryError(msg)
    with db.transaction(write=False) as tx:
        rows = tx.query(
            f"SELECT case_id, title, details, conclusion, words, updated_at FROM {CASES.name}"  # noqa: S608 — names are ours
            " WHERE published = ? ORDER BY updated_at DESC",
            [True],
        )
    scored = []
    for case_id, title, details, conclusion, stored, updated in rows:
        have = set(str(stored).split())
        score = len(words & have) / len(words) if words else 1.0
        if score > 0:
            scored.append((score, str(case_id), title, details, conclusion, as_datetime(updated)))
    scored.sort(key=lambda r: (-r[0], -(r[5].timestamp() if r[5] else 0.0), r[1]))
    return [
        {"id": cid, "title": title, "summary": details[:200], "conclusion": conclusion, "score": round(s, 3)}
        for s, cid, title, details, conclusion, _ in scored[:limit]
    ]
