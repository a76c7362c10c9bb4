"""The day's slip book: hands out 受理单号 that are unique and ordered by time."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

SLIP_NAMESPACE = uuid5(NAMESPACE_URL, "https://yousu.invalid/slip-book")


class SlipBook(Aggregate):
    """One per calendar day; its version is the number of slips issued that day."""

    class Opened(Aggregate.Created):
        """The day's first slip."""

        day: date

    class Issued(Aggregate.Event):
        """One more slip number was taken."""

        def apply(self, aggregate: Any) -> None:
            aggregate.issued += 1

    def __init__(self, day: date) -> None:
        self.day = day
        self.issued = 0

    @staticmethod
    def id_for(day: date) -> UUID:
        """The book's id is a function of the day, so concurrent intakes meet on one aggregate."""
        return uuid5(SLIP_NAMESPACE, day.isoformat())

    @classmethod
    def open(cls, day: date) -> SlipBook:
        """Open the day's book."""
        return cls._create(cls.Opened, id=cls.id_for(day), day=day)

    def issue(self) -> str:
        """Take the next number: ``YS`` + date + five-digit sequence, e.g. YS2025092600001."""
        self.trigger_event(self.Issued)
        return f"YS{self.day:%Y%m%d}{self.issued:05d}"
