"""Bounded store calls: when the database goes away, answer 503 within seconds and recover by itself."""

from __future__ import annotations

import asyncio
import contextvars
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, TypeVar

import structlog
from eventsourcing.persistence import InterfaceError, OperationalError
from psycopg_pool import PoolTimeout

from application import deadline
from application.errors import DeadlineExceeded, OutcomeUnknown, StoreUnavailable
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


def _ended(future: Future[Any]) -> None:
    """Log that a worker whose request was answered at its deadline has ended, and how.

    ``error`` is the worker's exception (e.g. ``DeadlineExceeded``: its budget's check stopped it before COMMIT), or
    None when it finished its work late. Paired with its ``store_deadline`` line: until both are there, the
    abandoned work may still be running.
    """
    exc = None if future.cancelled() else future.exception()
    error = "CancelledError" if future.cancelled() else (None if exc is None else type(exc).__name__)
    log.info("store_late_worker_ended", error=error)


def _retrieved(future: asyncio.Future[Any]) -> None:
    """Take a late worker's outcome, so that asyncio does not report an exception nobody retrieved."""
    if not future.cancelled():
        future.exception()


class StoreGuard:
    """A circuit breaker in front of the event store.

    Every store call runs in a worker with a deadline (``timeout``; ``long_timeout`` for full scans
    such as ``audit verify`` or a projection catch-up). The worker gets the deadline as a budget
    (application.deadline): the recorders check it before a write and right before COMMIT, so work
    abandoned by a 503 rolls back instead of committing later. When the budget was abandoned after
    COMMIT was sent, the answer is ``outcome_unknown`` (retry with the same Idempotency-Key).

    Only an unreachable database opens the breaker: a connection failure, or a short call's timeout
    confirmed by a failing probe. Slow work (a timed-out long call, or a short one while the probe
    answers) is refused on its own without failing fast every other request. While open, calls fail
    fast with ``StoreUnavailable``; a background probe checks the database every second and closes
    the breaker when it answers.
    """

    def __init__(
        self,
        probe: Callable[[], object],
        *,
        timeout: float = 4.0,
        long_timeout: float = 120.0,
        retry_after: int = 5,
        workers: int = 32,
    ) -> None:
        self._probe = probe
        self.timeout = timeout
        self.long_timeout = max(long_timeout, timeout)
        self.retry_after = retry_after
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="store")
        self._lock = threading.Lock()
        self._down_since: float | None = None
        self._prober: threading.Thread | None = None
        self._suspecting = False
        self._stopped = threading.Event()

    @property
    def available(self) -> bool:
        """False while the breaker is open."""
        return self._down_since is None

    def call(self, fn: Callable[[], T], *, long: bool = False) -> T:
        """Run ``fn`` against the store within the deadline (``long``: the long one), or raise StoreUnavailable."""
        future, budget, seconds = self._submit(fn, long=long)
        try:
            return future.result(timeout=seconds)
        except (FutureTimeout, DeadlineExceeded):
            return self._late(future, budget, seconds, long=long)
        except Exception as exc:
            if self._tripped_by(exc):
                raise StoreUnavailable from exc
            raise

    async def call_async(self, fn: Callable[[], T], *, long: bool = False) -> T:
        """:meth:`call` for the event loop: awaits the store worker instead of blocking a thread on it.

        The same deadline, budget and breaker: a dependency that needs the store (the revocation check)
        costs one hop to the store's worker and none to a thread waiting for it.
        """
        future, budget, seconds = self._submit(fn, long=long)
        wrapped = asyncio.wrap_future(future)
        done, _ = await asyncio.wait({wrapped}, timeout=seconds)
        if not done:
            wrapped.add_done_callback(_retrieved)  # answered already: its late outcome is only logged by _late
            return self._late(future, budget, seconds, long=long)
        try:
            return wrapped.result()
        except DeadlineExceeded:
            return self._late(future, budget, seconds, long=long)
        except Exception as exc:
            if self._tripped_by(exc):
                raise StoreUnavailable from exc
            raise

    def _submit(self, fn: Callable[[], T], *, long: bool) -> tuple[Future[T], deadline.Budget, float]:
        if not self.available:
            raise StoreUnavailable
        seconds = self.long_timeout if long else self.timeout
        budget = deadline.Budget(seconds)

        def run() -> T:
            with deadline.bound(budget):
                return fn()

        # in the caller's context: what the request's dependencies set (a complaint handed over) is seen there
        return self._pool.submit(contextvars.copy_context().run, run), budget, seconds

    def _late(self, future: Future[T], budget: deadline.Budget, seconds: float, *, long: bool) -> T:
        """The deadline passed: the worker's answer if it finished meanwhile, else 503 (or outcome unknown)."""
        committing = budget.abandon()
        if future.done() and future.exception() is None:
            return future.result()  # finished while we gave up: its answer is good
        if not long:
            self._suspect()
        log.warning("store_deadline", seconds=seconds, long=long, outcome_unknown=committing)
        context = contextvars.copy_context()  # the request's (its id): the line saying the worker ended carries it
        future.add_done_callback(lambda f: context.run(_ended, f))
        if committing:
            raise OutcomeUnknown from None
        raise DeadlineExceeded from None

    def _tripped_by(self, exc: Exception) -> bool:
        """Trip the breaker on an unreachable database; True when ``exc`` must be answered as StoreUnavailable."""
        if isinstance(exc, OutcomeUnknown):
            self._trip("commit_lost")
        elif isinstance(exc, StoreUnavailable):
            self._trip("error")
        elif isinstance(exc, STORE_ERRORS):
            self._trip(type(exc).__name__)
            return True
        return False

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

    def _suspect(self) -> None:
        """A short call timed out: open the breaker only if the database does not answer a probe."""
        with self._lock:
            if self._suspecting or self._down_since is not None:
                return
            self._suspecting = True

        def probe_once() -> None:
            try:
                self._probe()
            except Exception:
                self._trip("timeout")
            finally:
                with self._lock:
                    self._suspecting = False

        threading.Thread(target=probe_once, name="store-suspect", daemon=True).start()

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
