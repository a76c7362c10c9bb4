"""A request's store budget: work its 503 has abandoned must not commit afterwards.

The store guard runs each call in a worker thread and answers 503 when the deadline passes; the
worker cannot be killed. So the guard hands the worker a :class:`Budget` (a context variable) and
the recorders check it before they begin a write and once more right before COMMIT. Abandoning
the budget and beginning a commit take the same lock, so exactly one of two things happens: the
guard abandons first and the write rolls back, or the commit begins first and the guard answers
``outcome_unknown`` (may have been stored) instead of a plain ``store_unavailable``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from application.errors import DeadlineExceeded

# the longest a request may spend in the store (YOUSU_STORE_LONG_TIMEOUT's default: full scans); no statement
# of the event store runs longer (adapters.pg_setup)
LONG_BUDGET_SECONDS = 120.0
MIN_SQL_TIMEOUT_MS = 50  # a statement timeout of 0 would mean "no timeout" to PostgreSQL


class Budget:
    """The time one request may spend in the store, and whether a commit has begun."""

    def __init__(self, seconds: float) -> None:
        self.deadline = time.monotonic() + seconds
        self._lock = threading.Lock()
        self._abandoned = False
        self._committing = False

    def remaining(self) -> float:
        """Seconds left before the deadline (never below zero)."""
        return max(0.0, self.deadline - time.monotonic())

    def sql_timeout_ms(self) -> int:
        """The remaining time as a PostgreSQL timeout in milliseconds (at least a little, never 0)."""
        return max(MIN_SQL_TIMEOUT_MS, int(self.remaining() * 1000))

    def check(self) -> None:
        """Raise DeadlineExceeded when the request was answered already or its time is up."""
        if self._abandoned or time.monotonic() >= self.deadline:
            raise DeadlineExceeded

    def alive(self) -> bool:
        """Neither answered already nor out of time."""
        return not self._abandoned and time.monotonic() < self.deadline

    def begin_commit(self) -> None:
        """Mark that a COMMIT is about to be sent; refused (rollback) once the request was abandoned.

        The mark stays: a request abandoned after its commit succeeded has stored something too.
        """
        with self._lock:
            self.check()
            self._committing = True

    def abandon(self) -> bool:
        """The request is answered without waiting for its worker; True if a commit may be under way."""
        with self._lock:
            self._abandoned = True
            return self._committing


class Abandoned(DeadlineExceeded):
    """Some members of a group commit were answered already: the batch rolled back, the others retry."""

    def __init__(self, members: list[int]) -> None:
        super().__init__()
        self.members = members


class BatchBudget(Budget):
    """The budget of one group commit: it lasts as long as its longest member's, and commits all or none.

    ``begin_commit`` holds every member's lock at once (in a fixed order, so a guard abandoning one
    member never deadlocks with it): either every member is still waiting and all are marked as
    committing, or the members already answered are named in :class:`Abandoned` and nothing commits.
    A member without a budget (the CLI, background loops) waits up to ``unbudgeted`` seconds.
    """

    def __init__(self, members: list[Budget | None], unbudgeted: float) -> None:
        longest = max((b.remaining() for b in members if b is not None), default=unbudgeted)
        if any(b is None for b in members):
            longest = max(longest, unbudgeted)
        super().__init__(longest)
        self.members = members

    def check(self) -> None:
        """Raise Abandoned naming the members answered already or out of time (none: go on)."""
        gone = [i for i, b in enumerate(self.members) if b is not None and not b.alive()]
        if gone:
            raise Abandoned(gone)
        super().check()

    def begin_commit(self) -> None:
        """Mark every member as committing, or raise Abandoned (→ ROLLBACK) naming those answered already."""
        held = sorted({id(b): b for b in self.members if b is not None}.values(), key=id)
        for b in held:
            b._lock.acquire()
        try:
            self.check()
            for b in held:
                b._committing = True
        finally:
            for b in reversed(held):
                b._lock.release()


_current: ContextVar[Budget | None] = ContextVar("yousu_store_budget", default=None)


def current() -> Budget | None:
    """The budget of the request this thread works for (None: no deadline, e.g. the CLI)."""
    return _current.get()


@contextmanager
def bound(budget: Budget) -> Iterator[Budget]:
    """Run the enclosed store work under ``budget``."""
    token = _current.set(budget)
    try:
        yield budget
    finally:
        _current.reset(token)


def check() -> None:
    """Stop here when the current request's budget is spent (no-op without a budget)."""
    budget = _current.get()
    if budget is not None:
        budget.check()
