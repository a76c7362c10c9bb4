"""Slip numbers from a counter row per centre and day, taken in the transaction that stores the intakes.

Before, each intake loaded the day's ``SlipBook`` aggregate and saved it with the complaint, so
all intakes met on one aggregate (retries across processes, a lock within one). Now a batch of
intakes claims its numbers with one upsert per centre and day —
``yousu_slip_counters(centre, day, last)`` — inside the recorder's insert transaction, and only
then are the intakes' events made (the number is part of the hashed, encrypted ``Received``
event). The counter and the events commit together or not at all, so numbers have **no gaps**:
an intake refused by a rule never reaches the batch, and a batch that does not commit takes its
numbers back with it. Two processes serialise only on the counter row of the same centre and day,
and only for the commit itself, which the event table's lock serialises anyway.

A store that already holds ``SlipBook`` aggregates (written before this counter) seeds a day's row
from that day's book the first time the row is made, so today's numbers continue after the book's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from eventsourcing.persistence import StoredEvent

SLIP_COUNTER_TABLE = "yousu_slip_counters"

Key = tuple[str, date]  # (centre, day)


@dataclass(frozen=True)
class SlipClaims:
    """What one batch asks of the counter, and how to make its intake events once numbered.

    ``counts``: numbers wanted per (centre, day). ``seeds``: for a row that may not exist yet, the
    numbers already issued by a legacy slip book (the row starts there). ``fill`` receives the
    first number claimed per key and answers the stored events of the numbered intakes.
    """

    counts: dict[Key, int]
    seeds: dict[Key, int]
    fill: Callable[[dict[Key, int]], Sequence[StoredEvent]]

    def ordered(self) -> list[tuple[Key, int, int]]:
        """(key, count, seed) in a fixed order, so two batches lock their rows in the same order."""
        return [(key, self.counts[key], self.seeds.get(key, 0)) for key in sorted(self.counts)]
