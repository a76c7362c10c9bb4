"""The day's slip book: hands out 受理单号 that are unique and ordered by time.

Two formats are valid. Before centres: ``YS`` + date + five-digit sequence (YS2025092600001), read as
the district hall's. With centres: ``YS-<centre>-YYYYMMDD-NNNNN`` (YS-district-20261130-00012): the
hyphens keep the centre code readable and unambiguous, and a hall's numbers still sort by day.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain import errors
from domain.centres import DEFAULT_CENTRE, check_centre

SLIP_NAMESPACE = uuid5(NAMESPACE_URL, "https://yousu.invalid/slip-book")
SEQUENCE_DIGITS = 5  # zero-padded; a day past 99999 simply gets a longer number

_LEGACY = re.compile(r"YS(?P<day>\d{8})(?P<seq>\d{5,})")
_CENTRED = re.compile(r"YS-(?P<centre>[a-z][a-z0-9_]{0,31})-(?P<day>\d{8})-(?P<seq>\d{5,})")


@dataclass(frozen=True)
class SlipNumber:
    """A parsed 受理单号: which centre, which day, which slip of that day."""

    centre: str
    day: date
    sequence: int
    legacy: bool = False  # the pre-centre format (always the district hall)


def slip_number(centre: str, day: date, sequence: int) -> str:
    """The centre format: ``slip_number("district", date(2026, 11, 30), 12)`` is YS-district-20261130-00012."""
    check_centre(centre)
    if sequence < 1:
        raise errors.InvalidInput("sequence", "受理单序号从 1 开始")
    return f"YS-{centre}-{day:%Y%m%d}-{sequence:0{SEQUENCE_DIGITS}d}"


def legacy_slip_number(day: date, sequence: int) -> str:
    """The pre-centre format, e.g. YS2025092600001."""
    return f"YS{day:%Y%m%d}{sequence:0{SEQUENCE_DIGITS}d}"


def parse_slip_number(text: str) -> SlipNumber:
    """Read either format; a malformed number is refused naming ``slip_no``."""
    centred = _CENTRED.fullmatch(text)
    legacy = None if centred else _LEGACY.fullmatch(text)
    match = centred or legacy
    if match is None:
        raise errors.InvalidInput("slip_no", "受理单号格式应为 YS-<中心代码>-YYYYMMDD-NNNNN 或 YSYYYYMMDDNNNNN")
    digits = match["day"]
    try:
        day = date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        raise errors.InvalidInput("slip_no", f"受理单号中的日期无效：{digits}") from None
    sequence = int(match["seq"])
    if sequence < 1:
        raise errors.InvalidInput("slip_no", "受理单序号从 1 开始")
    if centred:
        return SlipNumber(centred["centre"], day, sequence)
    return SlipNumber(DEFAULT_CENTRE, day, sequence, legacy=True)


class SlipBook(Aggregate):
    """One per calendar day (and centre); its version is the number of slips issued that day.

    Legacy: numbers now come from a counter row per centre and day (application.slip_counter); a
    store written before keeps its books, and a day's counter starts after its book's numbers.

    A book opened without a centre is the pre-centre book: its id and numbers keep the old format.
    """

    class Opened(Aggregate.Created):
        """The day's first slip."""

        class_version = 2

        day: date
        centre: str | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Books opened before centres have no centre: they keep the legacy numbering."""
            state["centre"] = None

    class Issued(Aggregate.Event):
        """One more slip number was taken."""

        def apply(self, aggregate: Any) -> None:
            aggregate.issued += 1

    def __init__(self, day: date, centre: str | None = None) -> None:
        self.day = day
        self.centre = centre
        self.issued = 0

    @staticmethod
    def id_for(day: date, centre: str | None = None) -> UUID:
        """The book's id is a function of the day (and centre), so concurrent intakes meet on one aggregate."""
        if centre is None:
            return uuid5(SLIP_NAMESPACE, day.isoformat())
        return uuid5(SLIP_NAMESPACE, f"{centre}/{day.isoformat()}")

    @classmethod
    def open(cls, day: date, centre: str | None = None, *, now: datetime) -> SlipBook:
        """Open the day's book (for ``centre``; without one, the legacy book)."""
        if centre is not None:
            check_centre(centre)
        return cls._create(cls.Opened, id=cls.id_for(day, centre), timestamp=now, day=day, centre=centre)

    def issue(self, *, now: datetime) -> str:
        """Take the next number: YS-<centre>-YYYYMMDD-NNNNN, or YSYYYYMMDDNNNNN from a legacy book."""
        self.trigger_event(self.Issued, timestamp=now)
        if self.centre is None:
            return legacy_slip_number(self.day, self.issued)
        return slip_number(self.centre, self.day, self.issued)
