"""Group commit: the commands of one process that are ready at the same moment share one transaction.

Leader/follower, for the thread-pool handlers of the HTTP app (every store call runs in a worker
thread of the store guard). A thread with work calls :meth:`GroupCommit.submit`, which queues it.
If no batch is being committed, the thread becomes the *leader*: it waits a short, bounded window
(``window`` seconds) while other commands of this process are still being prepared (loaded and
decided, see :meth:`GroupCommit.preparing`) and the batch is not full (``max_batch``), then takes
the queue and commits it with the ``commit`` function — one transaction. The others (*followers*)
sleep until their work is done. Whatever arrives while a batch commits forms the next batch: with
one client there is no wait at all, with many the commits carry many commands each.

``commit`` answers every work item of the batch (sets its result or its error); an exception
escaping it is the answer of every item it left unanswered. Nobody is answered before the commit
that holds their work has returned.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Generic, TypeVar

import structlog

log = structlog.get_logger("yousu.group_commit")

W = TypeVar("W")
COMMIT_WINDOW_SECONDS = 0.002  # YOUSU_COMMIT_WINDOW_MS's default: how long a batch waits for commands in preparation
COMMIT_BATCH = 64  # YOUSU_COMMIT_BATCH's default: commands one transaction carries at most
SUMMARY_SECONDS = 60.0  # a log line with the batch sizes of the last minute (when there were any)


@dataclass
class Ticket(Generic[W]):
    """One caller's work and, once its batch is committed, its outcome."""

    work: W
    answered: bool = False
    error: BaseException | None = None
    done: bool = False  # set by the leader once the whole batch is through: only then does its caller go on

    @property
    def failed(self) -> bool:
        """Answered with an error."""
        return self.error is not None

    def fail(self, error: BaseException) -> None:
        """Answer with an error (only the first answer counts)."""
        if not self.answered:
            self.error = error
            self.answered = True

    def succeed(self) -> None:
        """Answer: committed."""
        self.answered = True


@dataclass
class BatchStats:
    """Batch sizes since the last summary line."""

    batches: int = 0
    items: int = 0
    largest: int = 0
    since: float = field(default_factory=time.monotonic)


class GroupCommit(Generic[W]):
    """A per-process batcher: one leader commits what every thread has queued, in one transaction."""

    def __init__(
        self,
        commit: Callable[[list[Ticket[W]]], None],
        *,
        window: float = COMMIT_WINDOW_SECONDS,
        max_batch: int = COMMIT_BATCH,
        observe: Callable[[int, float], None] | None = None,
    ) -> None:
        self._commit = commit
        self.window = max(0.0, window)
        self.max_batch = max(1, max_batch)
        self.observe = observe  # (batch size, seconds the commit took), e.g. a Prometheus histogram
        self._cond = threading.Condition()
        self._queue: list[Ticket[W]] = []
        self._leading = False
        self._preparing = 0
        self._local = threading.local()
        self._stats = BatchStats()

    @contextmanager
    def preparing(self) -> Iterator[None]:
        """Mark the enclosed command as on its way to :meth:`submit`: a leader waits (a little) for it."""
        if getattr(self._local, "preparing", False):  # nested: counted once
            yield
            return
        with self._cond:
            self._preparing += 1
        self._local.preparing = True
        try:
            yield
        finally:
            if self._local.preparing:
                self._local.preparing = False
                with self._cond:
                    self._preparing -= 1
                    self._cond.notify_all()

    def submit(self, work: W) -> Ticket[W]:
        """Queue ``work`` and return once the batch holding it is committed (or failed): see the ticket."""
        ticket = Ticket(work)
        with self._cond:
            if getattr(self._local, "preparing", False):
                self._local.preparing = False
                self._preparing -= 1
            self._queue.append(ticket)
            self._cond.notify_all()
        while True:
            with self._cond:
                while not ticket.done and self._leading:
                    self._cond.wait()
                if ticket.done:
                    return ticket
                self._leading = True
            try:
                self._lead()
            finally:
                with self._cond:
                    self._leading = False
                    self._cond.notify_all()

    def _lead(self) -> None:
        """Gather a batch (bounded wait), commit it, answer every ticket in it."""
        until = time.monotonic() + self.window
        with self._cond:
            while len(self._queue) < self.max_batch and self._preparing > 0:
                left = until - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            batch = self._queue[: self.max_batch]
            del self._queue[: self.max_batch]
        if not batch:
            return
        started = time.perf_counter()
        try:
            self._commit(batch)
        except BaseException as exc:
            for t in batch:
                t.fail(exc)
            if not isinstance(exc, Exception):
                raise
        finally:
            with self._cond:
                for t in batch:
                    t.succeed()  # a ticket the commit left unanswered was committed with the rest
                    t.done = True  # nobody goes on (and e.g. retries) before the batch is through
                self._cond.notify_all()
            self._record(len(batch), time.perf_counter() - started)

    def _record(self, size: int, seconds: float) -> None:
        if self.observe is not None:
            self.observe(size, seconds)
        log.debug("group_commit", batch=size, ms=round(seconds * 1000, 2))
        s = self._stats
        s.batches += 1
        s.items += size
        s.largest = max(s.largest, size)
        now = time.monotonic()
        if now - s.since >= SUMMARY_SECONDS:
            log.info(
                "group_commit_batches",
                batches=s.batches,
                items=s.items,
                mean_batch=round(s.items / s.batches, 2),
                largest_batch=s.largest,
                seconds=round(now - s.since, 1),
            )
            self._stats = BatchStats(since=now)
