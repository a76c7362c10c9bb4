"""What the knowledge-base and guidance-case routes share: a search table written through after each command.

Both keep their drafts and versions as aggregates in the event store and a search table beside the views
(created once per process); every command runs under the store guard, then writes the aggregate's new
state to the table, then answers with it as the caller may see it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypedDict, TypeVar

from fastapi.concurrency import run_in_threadpool

from api.auth import Principal
from api.deps import Guard, Views
from api.guard import StoreGuard
from domain.values import Role
from projections.db import ViewDB

A = TypeVar("A")  # the aggregate a command returns
S = TypeVar("S")  # the service that runs commands


class Acting(TypedDict):
    """Who runs a command, as the services take it."""

    actor_id: str
    actor_role: str


def acting(who: Principal, role: Role) -> Acting:
    """The caller and the role the command is run in."""
    return {"actor_id": who.sub, "actor_role": role.value}


class SearchTable:
    """A dependency: the views' database with one search table in place (created once per process)."""

    def __init__(self, create: Callable[[ViewDB], None]) -> None:
        self._create = create
        self._created: set[int] = set()
        self._lock = threading.Lock()

    async def __call__(self, views: Views, guard: Guard) -> ViewDB:
        if id(views) not in self._created:  # once per process: the usual request costs no thread hop
            await run_in_threadpool(self._ensure, views, guard)
        return views

    def _ensure(self, views: ViewDB, guard: StoreGuard) -> None:
        with self._lock:
            if id(views) not in self._created:
                guard.call(lambda: self._create(views))
                self._created.add(id(views))


def written(
    guard: Guard,
    command: Callable[[], A],
    index: Callable[[ViewDB, A], None],
    db: ViewDB,
    shown: Callable[[A], dict[str, Any]],
) -> dict[str, Any]:
    """Run ``command``, write its result to the search table with ``index``, answer with ``shown``."""
    done = guard.call(command)
    guard.call(lambda: index(db, done))
    return shown(done)


@dataclass(frozen=True)
class Writer(Generic[S, A]):
    """A route's commands: run on ``service`` as the caller, written through to the search table, shown."""

    service: S
    db: ViewDB
    guard: Guard
    who: Principal
    index: Callable[[ViewDB, A], None]
    shown: Callable[[A, Principal], dict[str, Any]]

    def __call__(self, role: Role, command: Callable[[S, Acting], A]) -> dict[str, Any]:
        """Run ``command(service, acting)`` in ``role``; answer with the result as the caller may see it."""
        by = acting(self.who, role)
        return written(self.guard, lambda: command(self.service, by), self.index, self.db, self._shown)

    def _shown(self, done: A) -> dict[str, Any]:
        return self.shown(done, self.who)
