"""The projection runner: pages of notifications → every view's changes and its tracking, in one transaction.

Exactly once: a page's view rows and the views' new tracking positions commit together, so a
process killed mid-page leaves both as they were. Several runners against one PostgreSQL lock
each view's tracking row (``FOR UPDATE SKIP LOCKED``) before writing, re-read the position under
the lock, apply only the events past it, and move the position with a conditional update.

A rebuild never empties a live view: it folds every event into shadow tables while the live ones
keep being followed, then, in one transaction, catches the shadows up to the newest event, drops
the live tables, renames the shadows into their place and moves the tracking position. A rebuild
killed at any point leaves the old views and their position, consistent with each other.
"""

from __future__ import annotations

import gc
import logging
import threading
import zlib
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

import psycopg
from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.utils import get_topic
from psycopg_pool import PoolTimeout

from application.errors import StoreUnavailable
from application.store import Store
from domain.complaint import Complaint
from projections.db import UNAVAILABLE_ERRORS, Table, Tx, ViewDB
from projections.tracking import TRACKING, lock_positions, read_positions
from projections.view import Applied, OtherApplied, Page, View

log = logging.getLogger(__name__)

COMPLAINT_TOPIC_PREFIX = get_topic(Complaint) + "."
SETUP_LOCK = zlib.crc32(b"yousu projections setup")  # advisory lock key serialising DDL
REBUILD_LOCK = zlib.crc32(b"yousu projections rebuild")  # session advisory lock: one rebuild at a time
SHADOW_SUFFIX = "_rebuild"
DEFAULT_PAGE_SIZE = 2_000
# Rebuild pages: big on PostgreSQL (fewer complaints straddle pages); smaller on SQLite, where a page
# holds the file's single write lock and commands wait for it.
REBUILD_PAGE_SIZE = {"postgresql": 50_000, "sqlite": 10_000}
MAX_BACKOFF = 5.0

# The store or the views' database is unreachable: wait and retry rather than die.
RETRYABLE: tuple[type[BaseException], ...] = (
    *UNAVAILABLE_ERRORS,
    OperationalError,
    InterfaceError,
    StoreUnavailable,
    PoolTimeout,
)

Progress = Callable[[int, int], None]  # (position reached, target position)


@dataclass(frozen=True)
class Fetched:
    """Notifications read after ``start`` up to ``end``; ``page`` holds the decoded complaint events."""

    start: int
    end: int
    count: int
    full: bool
    page: Page
    other: list[OtherApplied] = field(default_factory=list)  # events of other aggregates views asked for


_gc_lock = threading.Lock()
_gc_pauses = 0  # pages in flight (reader and writer threads); the collector resumes when none is


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a page allocates its many short-lived objects.

    Nothing on a page forms reference cycles, and collections triggered by the allocation count
    alone took about a fifth of a rebuild's time. A collector that was off to begin with stays off.
    """
    global _gc_pauses  # noqa: PLW0603 — process-wide, like the collector itself
    with _gc_lock:
        counted = _gc_pauses > 0 or gc.isenabled()  # ours to resume later
        if counted:
            _gc_pauses += 1
            gc.disable()
    try:
        yield
    finally:
        with _gc_lock:
            if counted:
                _gc_pauses -= 1
                if _gc_pauses == 0:
                    gc.enable()


class ProjectionRunner:
    """Feeds views from the complaints store, page by page, exactly once."""

    def __init__(
        self,
        app: Store,
        views: Sequence[View],
        db: ViewDB,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        rebuild_page_size: int | None = None,
    ) -> None:
        names = [v.name for v in views]
        if len(set(names)) != len(names):
            msg = f"duplicate view names: {names}"
            raise ValueError(msg)
        self.app = app
        self.views = list(views)
        self.other_topics = tuple(sorted({t for v in views for t in v.other_topics}))
        self.db = db
        self.page_size = page_size
        self.rebuild_page_size = rebuild_page_size or REBUILD_PAGE_SIZE[db.dialect]
        self._ready = False

    # ------------------------------------------------------------------ setup

    def setup(self) -> None:
        """Create the tracking table and the views' tables; a view whose version changed is rebuilt from 0."""
        with self.db.transaction() as tx:
            if tx.is_postgres:
                tx.execute("SELECT pg_advisory_xact_lock(?)", [SETUP_LOCK])
            for statement in TRACKING.ddl(tx.dialect):
                tx.execute(statement)
            rows = tx.query(f"SELECT view, version FROM {TRACKING.name}")  # noqa: S608 — fixed table name
            known: dict[str, int] = {str(v): int(n) for v, n in rows}
            for view in self.views:
                stored = known.get(view.name)
                if stored is None:
                    view.create(tx)
                    tx.execute(
                        "INSERT INTO yousu_tracking (view, position, version) VALUES (?, 0, ?)",
                        [
                            view.name,
                            view.version,
                        ],
                    )
                elif stored != view.version:
                    log.warning("view %s changed from version %s to %s: rebuilding", view.name, stored, view.version)
                    view.drop(tx)
                    view.create(tx)
                    tx.execute(
                        "UPDATE yousu_tracking SET position = 0, version = ? WHERE view = ?",
                        [
                            view.version,
                            view.name,
                        ],
                    )
                else:
                    view.create(tx)  # indexes added since are created; existing ones are kept
        self._ready = True

    def _ensure_setup(self) -> None:
        if not self._ready:
            self.setup()

    # ------------------------------------------------------------------ processing

    def run_once(self, max_pages: int | None = None) -> int:
        """Apply pages until caught up (or ``max_pages``); returns the number of notifications consumed."""
        self._ensure_setup()
        return self._run(self.views, self.page_size, max_pages)

    def _run(
        self, views: Sequence[View], limit: int, max_pages: int | None, on_page: Callable[[], None] | None = None
    ) -> int:
        """Pages for ``views`` until caught up; the next page is read while the current one is applied."""
        names = [v.name for v in views]
        total = 0
        pages = 0
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="projections-read") as reader:
            ahead: Future[Fetched] | None = None
            while max_pages is None or pages < max_pages:
                with self.db.transaction(write=False) as tx:
                    start = min(read_positions(tx, names).values())
                fetched = ahead.result() if ahead is not None else None
                if fetched is None or fetched.start != start:  # nothing read ahead, or another runner moved on
                    fetched = self._fetch(start, limit)
                ahead = None
                if fetched.full and (max_pages is None or pages + 1 < max_pages):
                    ahead = reader.submit(self._fetch, fetched.end, limit)
                consumed = self._apply(views, fetched)
                total += consumed
                pages += 1
                if on_page is not None:
                    on_page()
                if not fetched.full or not consumed:
                    break
            if ahead is not None:
                ahead.cancel()
        return total

    def _fetch(self, start: int, limit: int) -> Fetched:
        """Read and decode the notifications after ``start`` (complaint events only are decoded)."""
        to_event = self.app.mapper.to_domain_event
        page = Page()
        other: list[OtherApplied] = []
        with _gc_paused():
            rows = self._select(start, limit)
            for nid, originator_id, version, topic, state in rows:
                if topic.startswith(COMPLAINT_TOPIC_PREFIX):
                    event = to_event(StoredEvent(originator_id, version, topic, state))
                    if isinstance(event, Complaint.Event):
                        page.append(Applied(nid, event))
                elif self.other_topics and topic.startswith(self.other_topics):
                    other.append(OtherApplied(nid, to_event(StoredEvent(originator_id, version, topic, state))))
        end = rows[-1][0] if rows else start
        return Fetched(start, end, len(rows), len(rows) == limit, page, other)

    def _select(self, start: int, limit: int) -> list[tuple[int, Any, int, str, bytes]]:
        """Notifications after ``start``: (id, originator id, version, topic, state).

        On PostgreSQL the events table is read directly in binary format: the recorder's own query
        returns ``bytea`` hex-encoded and builds a dataclass per row, together three times slower,
        which a rebuild feels. Same table, same order, same committed rows.
        """
        recorder = self.app.recorder
        if self.db.is_postgres and isinstance(recorder, PostgresApplicationRecorder):
            table = f'"{recorder.datastore.schema}"."{recorder.events_table_name}"'
            with self.db.transaction(write=False) as tx:
                return tx.query_binary(
                    "SELECT notification_id, originator_id, originator_version, topic, state"  # noqa: S608 — the recorder's table name, values bound
                    f" FROM {table} WHERE notification_id > ? ORDER BY notification_id LIMIT ?",
                    [start, limit],
                )
        return [
            (n.id, n.originator_id, n.originator_version, n.topic, n.state)
            for n in recorder.select_notifications(start + 1, limit)
        ]

    def _apply(self, views: Sequence[View], fetched: Fetched) -> int:
        """Apply a fetched page to the views whose tracking this runner can lock; returns notifications consumed."""
        if not fetched.count:
            return 0
        start, end = fetched.start, fetched.end
        applied_any = False
        with self.db.transaction() as tx, _gc_paused():
            locked = lock_positions(tx, [v.name for v in views])
            for view in views:
                position = locked.get(view.name)
                # Not ours this time (another runner holds it), already past this page, or moved
                # back by a rebuild since we read it (its events before ``start`` are not in hand).
                if position is None or position >= end or position < start:
                    continue
                page = fetched.page
                if position > start:
                    page = Page(a for a in fetched.page if a.notification_id > position)
                if page:
                    view.apply(tx, page)
                _apply_other(tx, view, fetched.other, position)
                changed = tx.execute(
                    "UPDATE yousu_tracking SET position = ? WHERE view = ? AND position = ?",
                    [end, view.name, position],
                )
                if changed != 1:  # pragma: no cover — the row is locked, so this means a bug
                    msg = f"tracking of view {view.name} moved under its lock"
                    raise RuntimeError(msg)
                applied_any = True
        return fetched.count if applied_any else 0

    # ------------------------------------------------------------------ follow

    def follow(self, stop: threading.Event, poll_interval: float = 0.05) -> None:
        """Catch up, then keep following new events until ``stop`` is set; outages are retried with backoff."""
        waiter = _Waiter(self, poll_interval)
        backoff = 0.0
        try:
            while not stop.is_set():
                try:
                    consumed = self.run_once(max_pages=10)
                except RETRYABLE as exc:
                    backoff = min(MAX_BACKOFF, max(poll_interval, backoff * 2))
                    log.warning("projections: store unavailable (%s); retrying in %.1fs", type(exc).__name__, backoff)
                    waiter.reset()
                    stop.wait(backoff)
                    continue
                except Exception:
                    # A failing page is logged and retried rather than ending the thread.
                    backoff = min(MAX_BACKOFF * 6, max(1.0, backoff * 2))
                    log.exception("projections: page failed; retrying in %.1fs", backoff)
                    stop.wait(backoff)
                    continue
                backoff = 0.0
                if consumed == 0:
                    waiter.wait(stop)
        finally:
            waiter.close()

    # ------------------------------------------------------------------ rebuild

    def rebuild(self, view_names: Sequence[str] | None = None, progress: Progress | None = None) -> int:
        """Replay every event into shadow tables of the named views (default: all), then swap them in.

        Returns the notifications read. The live views stay readable and followed until the swap,
        which is one transaction (see the module docstring).
        """
        self._ensure_setup()
        known = {v.name: v for v in self.views}
        unknown = sorted(set(view_names or ()) - set(known))
        if unknown:
            msg = f"unknown views: {', '.join(unknown)} (known: {', '.join(known)})"
            raise ValueError(msg)
        views = [known[n] for n in view_names] if view_names else list(self.views)
        tables = [t for v in views for t in v.tables]
        targets = {t.name: shadow(t).name for t in tables}
        with self._rebuild_lock():
            with self.db.transaction() as tx:
                for table in tables:
                    # a shadow left by a killed rebuild is discarded; indexes come after loading
                    tx.execute(f"DROP TABLE IF EXISTS {targets[table.name]}")
                    tx.execute(shadow(table).ddl(tx.dialect)[0])
            target = self.app.recorder.max_notification_id() or 0
            if progress is not None:
                progress(0, target)

            def report(position: int) -> None:
                if progress is not None:
                    progress(min(position, target), target)

            position, total = self._fill(views, targets, 0, report)
            if self.db.is_postgres:
                # Built before the swap under the shadow's names, so the swap only renames them.
                with self.db.transaction() as tx:
                    for table in tables:
                        for statement in shadow(table).ddl(tx.dialect)[1:]:
                            tx.execute(statement)
                        tx.execute(f"ANALYZE {targets[table.name]}")
            total += self._swap(views, targets, position)
            report(target)
        return total

    @contextmanager
    def _rebuild_lock(self) -> Iterator[None]:
        """On PostgreSQL, a session advisory lock: one rebuild at a time, released if the process dies."""
        if not self.db.is_postgres:
            yield
            return
        with psycopg.connect(self.db.conninfo(), autocommit=True, connect_timeout=3) as conn:
            conn.execute("SELECT pg_advisory_lock(%s)", [REBUILD_LOCK])
            try:
                yield
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", [REBUILD_LOCK])

    def _fill(
        self, views: Sequence[View], targets: dict[str, str], position: int, on_page: Callable[[int], None]
    ) -> tuple[int, int]:
        """Fold pages after ``position`` into the shadow tables until caught up; returns (position, notifications)."""
        limit = self.rebuild_page_size
        total = 0
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="projections-read") as reader:
            ahead: Future[Fetched] | None = None
            while True:
                fetched = ahead.result() if ahead is not None else self._fetch(position, limit)
                ahead = reader.submit(self._fetch, fetched.end, limit) if fetched.full else None
                if fetched.page or fetched.other:
                    with self.db.transaction() as tx, _gc_paused():
                        tx.targets = targets
                        for view in views:
                            if fetched.page:
                                view.apply(tx, fetched.page)
                            _apply_other(tx, view, fetched.other, 0)
                position = fetched.end
                total += fetched.count
                on_page(position)
                if not fetched.full:
                    return position, total

    def _swap(self, views: Sequence[View], targets: dict[str, str], position: int) -> int:
        """In one transaction: catch the shadows up, put them in the live tables' place, move tracking."""
        total = 0
        with self.db.transaction() as tx:
            # Waits for a runner's page in flight on these views; then no runner moves them until commit.
            lock_positions(tx, [v.name for v in views], wait=True)
            tx.targets = targets
            while True:  # the events written since the fill: the views never step back
                fetched = self._fetch(position, self.rebuild_page_size)
                if fetched.page or fetched.other:
                    with _gc_paused():
                        for view in views:
                            if fetched.page:
                                view.apply(tx, fetched.page)
                            _apply_other(tx, view, fetched.other, 0)
                position = fetched.end
                total += fetched.count
                if not fetched.full:
                    break
            tx.targets = {}
            for view in views:
                for table in view.tables:
                    standby = shadow(table)
                    tx.execute(f"DROP TABLE IF EXISTS {table.name}")
                    tx.execute(f"ALTER TABLE {standby.name} RENAME TO {table.name}")
                    if tx.is_postgres:
                        tx.execute(f"ALTER INDEX {standby.name}_pkey RENAME TO {table.name}_pkey")
                        for (name, _), (standby_name, _) in zip(table.indexes, standby.indexes, strict=True):
                            tx.execute(f"ALTER INDEX {standby_name} RENAME TO {name}")
                    else:  # SQLite cannot rename an index: create them now, on the renamed table
                        for statement in table.ddl(tx.dialect)[1:]:
                            tx.execute(statement)
                tx.execute(f"UPDATE {TRACKING.name} SET position = ? WHERE view = ?", [position, view.name])  # noqa: S608 — fixed table name, values bound
        return total


def _apply_other(tx: Tx, view: View, other: list[OtherApplied], position: int) -> None:
    """The other aggregates' events past ``position`` that ``view`` asked for, if any."""
    if not other or not view.other_topics:
        return
    wanted = [a for a in other if a.notification_id > position and _topic_of(a.event).startswith(view.other_topics)]
    if wanted:
        view.apply_other(tx, wanted)


def _topic_of(event: Any) -> str:
    return get_topic(type(event))


def shadow(table: Table) -> Table:
    """The table a rebuild fills before it replaces ``table``: same columns, its own name and index names."""
    return replace(
        table,
        name=table.name + SHADOW_SUFFIX,
        indexes=tuple((name + SHADOW_SUFFIX, definition) for name, definition in table.indexes),
    )


class _Waiter:
    """Waits for new events: PostgreSQL ``LISTEN`` on the store's channel, else a plain pause."""

    def __init__(self, runner: ProjectionRunner, poll_interval: float) -> None:
        self.runner = runner
        self.poll_interval = poll_interval
        self._conn: psycopg.Connection[Any] | None = None
        self._channel: str | None = getattr(runner.app.recorder, "channel_name", None)

    def _listen(self) -> psycopg.Connection[Any] | None:
        if self._conn is None and self._channel is not None and self.runner.db.is_postgres:
            try:
                conn = psycopg.connect(self.runner.db.conninfo(), autocommit=True, connect_timeout=3)
                conn.execute(psycopg.sql.SQL("LISTEN {}").format(psycopg.sql.Identifier(self._channel)))
                self._conn = conn
            except psycopg.Error as exc:
                log.warning("projections: LISTEN unavailable (%s); polling", type(exc).__name__)
        return self._conn

    def wait(self, stop: threading.Event) -> None:
        """Return when new events may exist, after ``poll_interval`` at most."""
        conn = self._listen()
        if conn is None:
            stop.wait(self.poll_interval)
            return
        try:
            for _ in conn.notifies(timeout=self.poll_interval, stop_after=1):
                break
        except psycopg.Error:
            self.reset()

    def reset(self) -> None:
        """Drop the listening connection (it is reopened on the next wait)."""
        self.close()

    def close(self) -> None:
        """Close the listening connection."""
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None
