"""Where each view stands: its tracking row (last notification applied, schema version), lag, read-your-writes.

The runner moves a view's position in the transaction that writes the view's rows; everything
else (``/readyz``, ``yousu status``, ``?after=``, the sweeper) only reads it, through this module.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from projections.db import Column, Table, Tx, ViewDB
from projections.db import ColumnType as T

TRACKING = Table(
    "yousu_tracking",
    (
        Column("view", T.text),
        Column("position", T.bigint, nullable=False),  # the last notification id applied
        Column("version", T.integer, nullable=False),  # the view's schema version
    ),
    key=("view",),
)


def read_positions(tx: Tx, names: Sequence[str]) -> dict[str, int]:
    """Tracking positions of ``names`` (without locking); a view not set up raises ``LookupError``."""
    cond, params = tx.in_list("view", names, T.text)
    rows = tx.query(f"SELECT view, position FROM {TRACKING.name} WHERE {cond}", params)  # noqa: S608 — fixed table name, values bound
    found = {str(v): int(p) for v, p in rows}
    missing = set(names) - set(found)
    if missing:
        msg = f"views not set up: {sorted(missing)}"
        raise LookupError(msg)
    return found


def lock_positions(tx: Tx, names: Sequence[str], *, wait: bool = False) -> dict[str, int]:
    """Lock the tracking rows of ``names`` and return their positions.

    By default rows another runner holds are skipped (``SKIP LOCKED``); ``wait`` waits for them
    instead. On SQLite the writing transaction already holds the file's write lock.
    """
    if not tx.is_postgres:
        return read_positions(tx, names)
    cond, params = tx.in_list("view", names, T.text)
    lock = "FOR UPDATE" if wait else "FOR UPDATE SKIP LOCKED"
    rows = tx.query(f"SELECT view, position FROM {TRACKING.name} WHERE {cond} {lock}", params)  # noqa: S608 — fixed table name, values bound
    return {str(v): int(p) for v, p in rows}


def _missing_table(exc: Exception) -> bool:
    text = str(exc).lower()
    return "no such table" in text or "does not exist" in text


def positions(db: ViewDB) -> dict[str, int]:
    """Every view's tracking position (empty before the first runner set the views up)."""
    try:
        with db.transaction(write=False) as tx:
            rows = tx.query(f"SELECT view, position FROM {TRACKING.name}")  # noqa: S608 — fixed table name
    except Exception as exc:
        if _missing_table(exc):  # no runner has set the views up yet
            return {}
        raise
    return {str(v): int(p) for v, p in rows}


def lag(db: ViewDB, newest: int, views: Sequence[str] | None = None) -> dict[str, int]:
    """Each view's distance behind ``newest`` (the store's newest notification id), for /readyz and status.

    With ``views``, exactly those are reported; one not set up yet lags by ``newest``.
    """
    current = positions(db)
    names = list(views) if views is not None else list(current)
    return {name: max(0, newest - current.get(name, 0)) for name in names}


def lagging(db: ViewDB, newest: int, max_lag: int, views: Sequence[str] | None = None) -> dict[str, int]:
    """The views more than ``max_lag`` notifications behind ``newest``, with their lag; empty means ready."""
    return {name: behind for name, behind in lag(db, newest, views).items() if behind > max_lag}


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
