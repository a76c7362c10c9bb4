"""SLA view: every clock of every complaint — its due instant, when it was met, how late.

A clock that was met has a fixed state (met, or breached by so many working hours). An open
clock's state depends on the instant it is looked at, so it is not stored: queries compare
``due_at`` with an injected ``now`` (see :func:`clock_state`), and the partial index on open
clocks' ``due_at`` makes "what is overdue now" cost the number of overdue clocks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from operator import itemgetter
from typing import Any, ClassVar
from uuid import UUID

from domain.calendar import WorkingCalendar
from domain.complaint import SATISFIED_THRESHOLD, Complaint
from domain.rules import ClockKind
from projections.db import Column, Table, Tx
from projections.db import ColumnType as T
from projections.view import Applied, View, by_complaint, needs_lookup

SLA = Table(
    "yousu_sla",
    (
        Column("complaint_id", T.uuid),
        Column("clock", T.text),  # ClockKind value
        Column("round", T.integer),  # 0, then the rectification round (整改轮次) for later clocks
        Column("started_at", T.timestamp, nullable=False),
        Column("due_at", T.timestamp, nullable=False),
        Column("due_provisional", T.boolean, nullable=False),
        Column("met_at", T.timestamp),
        Column("late_hours", T.real),  # working hours past due when met late; 0 when met in time
        Column("escalation_level", T.integer, nullable=False),
    ),
    key=("complaint_id", "clock", "round"),
    indexes=(
        ("yousu_sla_open_due_idx", "(due_at) WHERE met_at IS NULL"),
        ("yousu_sla_due_idx", "(due_at)"),
    ),
)

COLUMNS = SLA.column_names
_as_tuple = itemgetter(*COLUMNS)


class ClockState(Enum):
    """Where a clock stands at an instant."""

    pending = "pending"  # running, not yet due
    met = "met"  # met by its due instant
    breached = "breached"  # met late, or open past its due instant


@dataclass(frozen=True)
class ClockStatus:
    """A clock's state at an instant and, when breached, by how many working hours."""

    state: ClockState
    late_hours: float


def clock_state(due_at: datetime, met_at: datetime | None, now: datetime, calendar: WorkingCalendar) -> ClockStatus:
    """The state of a clock due at ``due_at`` and met at ``met_at`` (None: still open), seen at ``now``."""
    if met_at is not None:
        if met_at <= due_at:
            return ClockStatus(ClockState.met, 0.0)
        return ClockStatus(ClockState.breached, calendar.working_hours_between(due_at, met_at))
    if now > due_at:
        return ClockStatus(ClockState.breached, calendar.working_hours_between(due_at, now))
    return ClockStatus(ClockState.pending, 0.0)


Clocks = dict[tuple[str, int], dict[str, Any]]


def _round(clocks: Clocks) -> int:
    """The current rectification round: 0 until a 差评 opens round 1, 2, …."""
    return max((r for (c, r) in clocks if c == RECTIFICATION), default=0)


RESPONSE = ClockKind.response.value
RESOLUTION = ClockKind.resolution.value
FEEDBACK = ClockKind.feedback.value
CALLBACK = ClockKind.callback.value
RECTIFICATION = ClockKind.rectification.value


class SlaView(View):
    """Each complaint's clocks: response, resolution, feedback, call-back, rectification."""

    name: ClassVar[str] = "sla"
    version: ClassVar[int] = 1
    tables: ClassVar[tuple[Table, ...]] = (SLA,)

    def _start(
        self, clocks: Clocks, cid: UUID, clock: str, round_: int, started: datetime, due: datetime, prov: bool
    ) -> None:
        clocks[(clock, round_)] = {
            "complaint_id": cid,
            "clock": clock,
            "round": round_,
            "started_at": started,
            "due_at": due,
            "due_provisional": prov,
            "met_at": None,
            "late_hours": None,
            "escalation_level": 0,
        }

    def _meet(self, clocks: Clocks, clock: str, round_: int, at: datetime) -> None:
        row = clocks.get((clock, round_))
        if row is not None and row["met_at"] is None:
            row["met_at"] = at
            due: datetime = row["due_at"]
            row["late_hours"] = self.calendar.working_hours_between(due, at) if at > due else 0.0

    def fold(self, clocks: Clocks, e: Complaint.Event) -> None:
        """Apply one event to a complaint's clocks (keyed by clock and round)."""
        cid = e.originator_id
        at = e.occurred_at
        later_round = isinstance(e, Complaint.Resolved | Complaint.FedBack | Complaint.CalledBack)
        current = _round(clocks) if later_round else 0
        if isinstance(e, Complaint.Received):
            self._start(clocks, cid, RESPONSE, 0, e.received_at, e.response_due_at, e.response_due_provisional)
        elif isinstance(e, Complaint.Classified):
            if e.due_at is not None:  # general: answered the same working day, counted from receipt
                response = clocks.get((RESPONSE, 0))
                started = response["started_at"] if response is not None else at
                self._start(clocks, cid, RESOLUTION, 0, started, e.due_at, e.due_provisional)
        elif isinstance(e, Complaint.Dispatched):
            self._meet(clocks, RESPONSE, 0, at)  # answered: dispatched after both signatures
            self._start(clocks, cid, RESOLUTION, 0, at, e.due_at, e.due_provisional)
        elif isinstance(e, Complaint.Resolved):
            self._meet(clocks, RESPONSE, 0, at)  # general: answered by resolving on the spot
            self._meet(clocks, RESOLUTION, 0, at)
            if current > 0:
                self._meet(clocks, RECTIFICATION, current, at)
            self._start(clocks, cid, FEEDBACK, current, at, e.feedback_due_at, e.feedback_due_provisional)
        elif isinstance(e, Complaint.FedBack):
            self._meet(clocks, FEEDBACK, current, at)
            self._start(clocks, cid, CALLBACK, current, at, e.callback_due_at, e.callback_due_provisional)
        elif isinstance(e, Complaint.CalledBack):
            self._meet(clocks, CALLBACK, current, at)
            if e.rating < SATISFIED_THRESHOLD and e.rectification_due_at is not None:
                self._start(
                    clocks,
                    cid,
                    RECTIFICATION,
                    current + 1,
                    at,
                    e.rectification_due_at,
                    e.rectification_due_provisional,
                )
        elif isinstance(e, Complaint.Escalated):
            row = clocks.get((e.clock.value, e.round))
            if row is not None:
                row["escalation_level"] = max(row["escalation_level"], e.level)

    def apply(self, tx: Tx, page: Sequence[Applied]) -> None:
        """Fold the page into the touched complaints' clocks and upsert the changed ones."""
        groups = by_complaint(page)
        state: dict[UUID, Clocks] = {cid: {} for cid in groups}
        lookup = needs_lookup(groups)
        if lookup:
            for values in tx.load(SLA, tx.select_in(SLA, COLUMNS, "complaint_id", lookup, T.uuid)):
                row = dict(zip(COLUMNS, values, strict=True))
                state[row["complaint_id"]][(row["clock"], row["round"])] = row
        changed: list[tuple[Any, ...]] = []
        for cid, events in groups.items():
            clocks = state[cid]
            before = {k: _as_tuple(v) for k, v in clocks.items()} if clocks else {}
            for applied in events:
                self.fold(clocks, applied.event)
            for k, v in clocks.items():
                row = _as_tuple(v)
                if before.get(k) != row:
                    changed.append(row)
        tx.upsert(SLA, changed)
