"""The access log's WHERE clause, on either store (the recorders in adapters.pg_setup and adapters.sqlite_setup)."""

from __future__ import annotations

from typing import Any

from application.access_index import AccessQuery, stored_instant, stored_uuid


def access_where(query: AccessQuery, dialect: str) -> tuple[str, list[Any]]:
    """A WHERE clause over the index (alias ``a``) with ``?``/``%s`` placeholders, and its values."""
    mark = "%s" if dialect == "postgresql" else "?"
    clauses: list[str] = []
    params: list[Any] = []
    if query.complaint_id is not None:
        clauses.append(f"a.complaint_id = {mark}")
        params.append(stored_uuid(query.complaint_id, dialect))
    if query.reader is not None:
        clauses.append(f"a.reader_id = {mark}")
        params.append(query.reader)
    if query.since is not None:
        clauses.append(f"a.read_at >= {mark}")
        params.append(stored_instant(query.since, dialect))
    if query.until is not None:
        clauses.append(f"a.read_at <= {mark}")
        params.append(stored_instant(query.until, dialect))
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params
