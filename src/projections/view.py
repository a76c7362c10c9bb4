"""What every view is: tables, and a fold of a page of complaint events into changes of those tables."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar, NamedTuple
from uuid import UUID

from domain.calendar import WorkingCalendar
from domain.complaint import Complaint
from projections.db import Table, Tx

MAX_PAGE = 1_000  # rows one query answers at most


class QueryError(ValueError):
    """A query parameter the views cannot answer (the HTTP layer maps it to 422)."""


def aware(value: datetime, name: str) -> datetime:
    """``value`` if it carries a UTC offset; a naive instant cannot be compared with stored ones."""
    if value.tzinfo is None:
        msg = f"{name} needs a UTC offset"
        raise QueryError(msg)
    return value


class Applied(NamedTuple):
    """One decoded complaint event and its position in the store's notification log."""

    notification_id: int
    event: Complaint.Event


class OtherApplied(NamedTuple):
    """One decoded event of another aggregate (整改通知, 回访任务) a view asked for by topic prefix."""

    notification_id: int
    event: Any


class View(ABC):
    """A read model: its tables, a schema version, and how a page of events changes them.

    ``apply`` must be a fold: applying events one page at a time or all at once gives the same
    rows, so incremental updates and rebuilds agree.
    """

    name: ClassVar[str]
    version: ClassVar[int]  # bump when the tables or the fold change: the runner then rebuilds
    tables: ClassVar[tuple[Table, ...]]
    # Topic prefixes of other aggregates' events this view folds too (``apply_other``); complaint views need none.
    other_topics: ClassVar[tuple[str, ...]] = ()

    def __init__(self, calendar: WorkingCalendar) -> None:
        self.calendar = calendar

    def create(self, tx: Tx) -> None:
        """Create the view's tables and indexes if missing."""
        for table in self.tables:
            for statement in table.ddl(tx.dialect):
                tx.execute(statement)

    def drop(self, tx: Tx) -> None:
        """Drop the view's tables."""
        for table in self.tables:
            tx.execute(f"DROP TABLE IF EXISTS {table.name}")

    @abstractmethod
    def apply(self, tx: Tx, page: Sequence[Applied]) -> None:
        """Write the changes ``page`` makes, inside the runner's transaction."""

    def apply_other(self, tx: Tx, events: Sequence[OtherApplied]) -> None:
        """Write the changes other aggregates' events make (after the page's complaint events)."""
        del tx, events  # complaint-only views ignore them: only views naming ``other_topics`` receive any


class Page(list[Applied]):
    """A page of events as the runner hands it to every view; remembers its grouping by complaint."""

    groups: dict[UUID, list[Applied]] | None = None


def by_complaint(page: Sequence[Applied]) -> dict[UUID, list[Applied]]:
    """The page's events grouped by complaint, each group in log order (computed once per page)."""
    if isinstance(page, Page) and page.groups is not None:
        return page.groups
    groups: dict[UUID, list[Applied]] = {}
    for applied in page:
        key = applied.event.originator_id
        group = groups.get(key)
        if group is None:
            groups[key] = [applied]
        else:
            group.append(applied)
    if isinstance(page, Page):
        page.groups = groups
    return groups


def needs_lookup(groups: dict[UUID, list[Applied]]) -> list[UUID]:
    """Complaints whose stored row must be read first: those not received within this page."""
    return [cid for cid, evs in groups.items() if not isinstance(evs[0].event, Complaint.Received)]
