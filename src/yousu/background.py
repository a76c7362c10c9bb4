"""Background work: loops that never take the service down, and the duties one node at a time holds.

Several nodes may run `yousu sweep` (or `serve` with background work) against one PostgreSQL: each
duty (``sweep``: deadline sweeps, order and merge passes, webhook and hotline deliveries;
``anchor``) is done by the node holding its PostgreSQL **session advisory lock**. The others try for
it every ``DUTY_POLL`` seconds. The lock lives as long as the holder's database session: a killed
process's socket is closed by its kernel and the lock is free at once; a machine that vanishes is
noticed by the server's TCP keepalives on that session (``DUTY_KEEPALIVES``: about 6 s). Either way
another node takes the duty within 10 s. A holder checks its session before each run; one that lost
it (a failover, a cut network) stops and competes again.

Holding the lock is about not doing the work twice, not about correctness: every effect is already
once-only (an escalation is refused by the aggregate when raised twice; deliveries are leased rows
with ``FOR UPDATE SKIP LOCKED``), so two holders for a moment would only repeat a read.
"""

from __future__ import annotations

import os
import threading
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import psycopg
import structlog

log = structlog.get_logger("yousu.background")

DUTY_POLL = 2.0  # seconds between a follower's tries for a duty
# server-side keepalives of the lock's session: a vanished holder is dropped after about 3 + 3 × 1 s
DUTY_KEEPALIVES = "-c tcp_keepalives_idle=3 -c tcp_keepalives_interval=1 -c tcp_keepalives_count=3"


class Duty:
    """A duty only one process does at a time: a PostgreSQL session advisory lock (always held on SQLite)."""

    def __init__(self, name: str, conninfo: str | None) -> None:
        self.name = name
        self.key = zlib.crc32(f"yousu duty {name}".encode())
        self.conninfo = conninfo  # None: the embedded SQLite store, one process, no competition
        self._conn: psycopg.Connection[Any] | None = None
        self._lock = threading.Lock()

    def held(self) -> bool:
        """True when this process holds the duty now (it tries to take it when free)."""
        if self.conninfo is None:
            return True
        with self._lock:
            if self._conn is not None:
                try:
                    self._conn.execute("SELECT 1")
                    return True
                except psycopg.Error:
                    log.warning("duty_lost", duty=self.name, pid=os.getpid())
                    self._drop()
            return self._try()

    def _try(self) -> bool:
        assert self.conninfo is not None  # noqa: S101 — held() checked it
        try:
            conn = psycopg.connect(self.conninfo, autocommit=True, connect_timeout=3, options=DUTY_KEEPALIVES)
        except psycopg.Error:
            return False
        try:
            row = conn.execute("SELECT pg_try_advisory_lock(%s)", [self.key]).fetchone()
        except psycopg.Error:
            conn.close()
            return False
        if not (row and row[0]):
            conn.close()
            log.debug("duty_busy", duty=self.name, pid=os.getpid())  # another process holds it: try again later
            return False
        self._conn = conn
        log.info("duty_acquired", duty=self.name, pid=os.getpid())
        return True

    def _drop(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None

    def close(self) -> None:
        """Give the duty up (closing the session releases the lock)."""
        with self._lock:
            if self._conn is not None:
                log.info("duty_released", duty=self.name, pid=os.getpid())
            self._drop()


@dataclass
class Periodic:
    """Runs ``task`` every ``interval`` seconds until stopped; a failure is logged and retried next time.

    With a ``duty``, only while this process holds it; otherwise it tries again every ``DUTY_POLL`` seconds.
    """

    name: str
    interval: float
    task: Callable[[], object]
    duty: Duty | None = None
    stop: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None
    runs: int = 0
    failures: int = 0

    def start(self) -> Periodic:
        """Start the loop in a daemon thread."""
        self.thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
        self.thread.start()
        return self

    def _loop(self) -> None:
        try:
            while not self.stop.is_set():
                if self.duty is not None and not self.duty.held():
                    self.stop.wait(min(self.interval, DUTY_POLL))
                    continue
                try:
                    self.task()
                    self.runs += 1
                except Exception:
                    self.failures += 1
                    log.exception("background_task_failed", task=self.name)
                self.stop.wait(self.interval)
        finally:
            if self.duty is not None:
                self.duty.close()

    def close(self, timeout: float = 5.0) -> None:
        """Stop the loop and wait for it (its duty is given up)."""
        self.stop.set()
        if self.thread is not None:
            self.thread.join(timeout)
