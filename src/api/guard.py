"""Bounded store calls: when the database goes away, answer 503 within seconds and recover by itself."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TypeVar

import structlog
from eventsourcing.persistence import InterfaceError, OperationalError
from psycopg_pool import PoolTimeout

from application.errors import StoreUnavailable
from projections.db import UNAVAILABLE_ERRORS

T = TypeVar("T")
log = structlog.get_logger("yousu.store")

# What a store call raises when the database is unreachable — from the event store (eventsourcing's
# wrappers) or from the views' own connections (psycopg, its pool, SQLite): all of it is a 503.
STORE_ERRORS: tuple[type[BaseException], ...] = (
    StoreUnavailable,
    OperationalError,
    InterfaceError,
    PoolTimeout,
    *UNAVAILABLE_ERRORS,
)


class StoreGuard:
    """A circuit breaker in front of the event store.

    Every store call runs with a deadline. A failure or timeout opens the breaker: calls fail
    fast with ``StoreUnavailable`` while a background probe checks the database every second;
    when the probe succeeds the breaker closes. A call that timed out keeps running in its
    worker: if it commits after all, the client got 503 (never 2xx), so nothing acknowledged
    is lost, and an intake retried with its Idempotency-Key returns the same complaint.
    """

    def __init__(
        self,
        probe: Callable[[], object],
        *,
        timeout: float = 4.0,
        retry_after: int = 5,
        workers: int = 32,
    ) -> None:
        self._probe = probe
        self.timeout = timeout
        self.retry_after = retry_after
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="store")
        self._lock = threading.Lock()
        self._down_since: float | None = None
        self._prober: threading.Thread | None = None
        self._stopped = threading.Event()

    @property
    def available(self) -> bool:
        """False while the breaker is open."""
        return self._down_since is None

    def call(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` against the store within the deadline, or raise StoreUnavailable."""
        if not self.available:
            raise StoreUnavailable
        future = self._pool.submit(fn)
        try:
            return future.result(timeout=self.timeout)
        except FutureTimeout:
            self._trip("timeout")
            raise StoreUnavailable from None
        except StoreUnavailable:
            self._trip("error")
            raise
        except STORE_ERRORS as exc:
            self._trip(type(exc).__name__)
            raise StoreUnavailable from exc

    def check(self) -> bool:
        """Probe the store now (for /readyz); trips or resets the breaker accordingly."""
        try:
            self._pool.submit(self._probe).result(timeout=self.timeout)
        except Exception:
            self._trip("probe")
            return False
        self._reset()
        return True

    def close(self) -> None:
        """Stop the prober and the workers."""
        self._stopped.set()
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _trip(self, reason: str) -> None:
        with self._lock:
            if self._down_since is None:
                self._down_since = time.monotonic()
                log.warning("store_unavailable", reason=reason)
            if self._prober is None or not self._prober.is_alive():
                self._prober = threading.Thread(target=self._probe_until_up, name="store-probe", daemon=True)
                self._prober.start()

    def _reset(self) -> None:
        with self._lock:
            if self._down_since is not None:
                log.info("store_available", down_seconds=round(time.monotonic() - self._down_since, 2))
            self._down_since = None

    def _probe_until_up(self) -> None:
        while not self._stopped.wait(1.0):
            try:
                self._probe()
            except Exception:  # noqa: S112 — still down: keep probing
                continue
            self._reset()
            return
