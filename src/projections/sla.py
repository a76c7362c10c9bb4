"""SLA view: every clock of every complaint — when it started, its due instant, when it was met.

States are not stored: an open clock's state depends on the instant it is looked at, and how late a
clock was, in working hours, depends on the calendar, which changes when a year's schedule is
loaded. Queries derive both with an injected ``now`` and the current calendar (:func:`clock_state`);
the partial index on open clocks' ``due_at`` makes "what is overdue now" cost the number of overdue
clocks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from operator import itemgetter
from typing import Any, ClassVar
from uuid import UUID

from domain.calendar import WorkingCalendar
from domain.centres import DEFAULT_CENTRE
from domain.complaint import SATISFIED_THRESHOLD, Complaint
from domain.rules import ClockKind
from projections.db import Column, Table, Tx, ViewDB, as_datetime
from projections.db import ColumnType as T
from projections.ledger import LEDGER, LEDGER_DEPARTMENTS
from projections.view import MAX_PAGE, Applied, QueryError, View, aware, by_complaint, needs_lookup

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
        Column("escalation_level", T.integer, nullable=False),
        Column("centre", T.text, nullable=False),  # the complaint's service centre
        # 中止: the resolution clock is paused since this instant (its deadline moves when it resumes);
        # a paused clock is never overdue: the pause runs against its own clock, ``pause``
        Column("paused_at", T.timestamp),
    ),
    key=("complaint_id", "clock", "round"),
    indexes=(
        ("yousu_sla_open_due_idx", "(due_at) WHERE met_at IS NULL"),
        ("yousu_sla_due_idx", "(due_at)"),
        # the sweeper's other question: open rectification rounds (差评 notices), few at any time
        ("yousu_sla_open_provisional_idx", "(due_at) WHERE met_at IS NULL AND due_provisional"),
        ("yousu_sla_open_rectification_idx", "(due_at) WHERE met_at IS NULL AND clock = 'rectification'"),
    ),
)

COLUMNS = SLA.column_names
_as_tuple = itemgetter(*COLUMNS)


class ClockState(Enum):
    """Where a clock stands at an instant."""

    pending = "pending"  # running, not yet due
    paused = "paused"  # 中止: waiting for the person's materials
    met = "met"  # met by its due instant
    breached = "breached"  # met late, or open past its due instant


@dataclass(frozen=True)
class ClockStatus:
    """A clock's state at an instant and, when breached, by how many working hours."""

    state: ClockState
    late_hours: float


def clock_state(
    due_at: datetime,
    met_at: datetime | None,
    now: datetime,
    calendar: WorkingCalendar,
    paused_at: datetime | None = None,
) -> ClockStatus:
    """The state of a clock due at ``due_at`` and met at ``met_at`` (None: still open), seen at ``now``."""
    if met_at is None and paused_at is not None:
        return ClockStatus(ClockState.paused, 0.0)
    if met_at is not None:
        if met_at <= due_at:
            return ClockStatus(ClockState.met, 0.0)
        return ClockStatus(ClockState.breached, calendar.working_hours_between(due_at, met_at))
    if now > due_at:
        return ClockStatus(ClockState.breached, calendar.working_hours_between(due_at, now))
    return ClockStatus(ClockState.pending, 0.0)


Clocks = dict[tuple[str, int], dict[str, Any]]
Handler = Callable[[Clocks, Any], None]

RESPONSE = ClockKind.response.value
RESOLUTION = ClockKind.resolution.value
FEEDBACK = ClockKind.feedback.value
CALLBACK = ClockKind.callback.value
RECTIFICATION = ClockKind.rectification.value
PAUSE = ClockKind.pause.value


def _round(clocks: Clocks) -> int:
    """The current rectification round: 0 until a 差评 opens round 1, 2, …."""
    return max((r for (c, r) in clocks if c == RECTIFICATION), default=0)


def _centre(clocks: Clocks, e: Any) -> str:
    """The complaint's centre: on its Received event, else on any clock already kept (the response clock)."""
    if isinstance(e, Complaint.Received):
        return e.centre
    return next((str(c["centre"]) for c in clocks.values()), DEFAULT_CENTRE)


def _start(clocks: Clocks, e: Any, clock: str, round_: int, started: datetime, due: datetime, prov: bool) -> None:
    centre = _centre(clocks, e)
    clocks[(clock, round_)] = {
        "complaint_id": e.originator_id,
        "clock": clock,
        "round": round_,
        "started_at": started,
        "due_at": due,
        "due_provisional": prov,
        "met_at": None,
        "escalation_level": 0,
        "centre": centre,
        "paused_at": None,
    }


def _meet(clocks: Clocks, clock: str, round_: int, at: datetime) -> None:
    row = clocks.get((clock, round_))
    if row is not None and row["met_at"] is None:
        row["met_at"] = at


def _received(clocks: Clocks, e: Complaint.Received) -> None:
    _start(clocks, e, RESPONSE, 0, e.received_at, e.response_due_at, e.response_due_provisional)


def _classified(clocks: Clocks, e: Complaint.Classified) -> None:
    if e.due_at is not None:  # general: answered the same working day, counted from receipt
        response = clocks.get((RESPONSE, 0))
        started = response["started_at"] if response is not None else e.occurred_at
        _start(clocks, e, RESOLUTION, 0, started, e.due_at, e.due_provisional)


def _reclassified(clocks: Clocks, e: Complaint.Reclassified) -> None:
    # 改分类 ends the general kind's same-day clock (the complex kind's starts at dispatch, replacing this
    # row): closed here so that neither the sweeper nor the overdue list chases a deadline that no longer applies
    _meet(clocks, RESOLUTION, 0, e.occurred_at)


def _dispatched(clocks: Clocks, e: Complaint.Dispatched) -> None:
    _meet(clocks, RESPONSE, 0, e.occurred_at)  # answered: dispatched after both signatures
    _start(clocks, e, RESOLUTION, 0, e.occurred_at, e.due_at, e.due_provisional)


def _resolved(clocks: Clocks, e: Complaint.Resolved) -> None:
    at, current = e.occurred_at, _round(clocks)
    _meet(clocks, RESPONSE, 0, at)  # general: answered by resolving on the spot
    _meet(clocks, RESOLUTION, 0, at)
    if current > 0:
        _meet(clocks, RECTIFICATION, current, at)
    _start(clocks, e, FEEDBACK, current, at, e.feedback_due_at, e.feedback_due_provisional)


def _fed_back(clocks: Clocks, e: Complaint.FedBack) -> None:
    at, current = e.occurred_at, _round(clocks)
    _meet(clocks, FEEDBACK, current, at)
    _start(clocks, e, CALLBACK, current, at, e.callback_due_at, e.callback_due_provisional)


def _called_back(clocks: Clocks, e: Complaint.CalledBack) -> None:
    at, current = e.occurred_at, _round(clocks)
    _meet(clocks, CALLBACK, current, at)
    if e.rating < SATISFIED_THRESHOLD and e.rectification_due_at is not None:
        _start(clocks, e, RECTIFICATION, current + 1, at, e.rectification_due_at, e.rectification_due_provisional)


def _escalated(clocks: Clocks, e: Complaint.Escalated) -> None:
    row = clocks.get((e.clock.value, e.round))
    if row is not None:
        row["escalation_level"] = max(row["escalation_level"], e.level)


def _deadline_corrected(clocks: Clocks, e: Complaint.DeadlineCorrected) -> None:
    row = clocks.get((e.clock.value, e.round))
    if row is not None:
        row["due_at"] = e.due_at
        row["due_provisional"] = e.provisional


def _withdrawn(clocks: Clocks, e: Complaint.Withdrawn) -> None:
    # 撤诉 stops every running clock: closed at the withdrawal, so no sweep escalates it
    for row in clocks.values():
        if row["met_at"] is None:
            row["met_at"] = e.occurred_at


def _merged(clocks: Clocks, e: Complaint.Merged) -> None:
    # 并单 answers the duplicate (its response) and ends its own resolution clock: the master's counts
    _meet(clocks, RESPONSE, 0, e.occurred_at)
    _meet(clocks, RESOLUTION, 0, e.occurred_at)


def _reopen(clocks: Clocks, clock: str, due: datetime | None) -> None:
    row = clocks.get((clock, 0))
    if row is not None and due is not None:
        row["met_at"] = None
        row["due_at"] = due


def _unmerged(clocks: Clocks, e: Complaint.Unmerged) -> None:
    _reopen(clocks, RESPONSE, e.response_due_at)
    _reopen(clocks, RESOLUTION, e.due_at)


def _answered_by_master(clocks: Clocks, e: Complaint.AnsweredByMaster) -> None:
    current = _round(clocks)
    _start(clocks, e, FEEDBACK, current, e.occurred_at, e.feedback_due_at, e.feedback_due_provisional)


def _redispatched(clocks: Clocks, e: Complaint.Redispatched) -> None:
    # 改派: the resolution clock restarts (its escalations belonged to the departments before)
    _start(clocks, e, RESOLUTION, 0, e.occurred_at, e.due_at, e.due_provisional)


def _extension_approved(clocks: Clocks, e: Complaint.ExtensionApproved) -> None:
    row = clocks.get((RESOLUTION, 0))
    if row is not None:
        row["due_at"] = e.due_at
        row["due_provisional"] = e.due_provisional


def _clock_paused(clocks: Clocks, e: Complaint.ClockPaused) -> None:
    row = clocks.get((RESOLUTION, 0))
    if row is not None:
        row["paused_at"] = e.occurred_at
    _start(clocks, e, PAUSE, e.round, e.occurred_at, e.pause_due_at, e.pause_due_provisional)


def _clock_resumed(clocks: Clocks, e: Complaint.ClockResumed) -> None:
    row = clocks.get((RESOLUTION, 0))
    if row is not None:
        row["paused_at"] = None
        row["due_at"] = e.due_at
        row["due_provisional"] = e.due_provisional
    _meet(clocks, PAUSE, e.round, e.occurred_at)


# Events the clocks depend on, by exact class (stored events decode to exactly these classes).
HANDLERS: dict[type, Handler] = {
    Complaint.Received: _received,
    Complaint.Classified: _classified,
    Complaint.Reclassified: _reclassified,
    Complaint.Dispatched: _dispatched,
    Complaint.Resolved: _resolved,
    Complaint.FedBack: _fed_back,
    Complaint.CalledBack: _called_back,
    Complaint.Escalated: _escalated,
    Complaint.DeadlineCorrected: _deadline_corrected,
    Complaint.Withdrawn: _withdrawn,
    Complaint.Merged: _merged,
    Complaint.Unmerged: _unmerged,
    Complaint.AnsweredByMaster: _answered_by_master,
    Complaint.Redispatched: _redispatched,
    Complaint.ExtensionApproved: _extension_approved,
    Complaint.ClockPaused: _clock_paused,
    Complaint.ClockResumed: _clock_resumed,
}


def fold(clocks: Clocks, e: Complaint.Event) -> None:
    """Apply one event to a complaint's clocks (keyed by clock and round)."""
    handler = HANDLERS.get(type(e))
    if handler is not None:
        handler(clocks, e)


class SlaView(View):
    """Each complaint's clocks: response, resolution, feedback, call-back, rectification."""

    name: ClassVar[str] = "sla"
    version: ClassVar[int] = 5  # 5: paused_at, the pause clock, merges, re-dispatch and extensions
    tables: ClassVar[tuple[Table, ...]] = (SLA,)

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
        handlers = HANDLERS
        for cid, events in groups.items():
            clocks = state[cid]
            before = {k: _as_tuple(v) for k, v in clocks.items()} if clocks else None
            for applied in events:
                event = applied.event
                handler = handlers.get(type(event))
                if handler is not None:
                    handler(clocks, event)
            if before is None:
                changed.extend(_as_tuple(v) for v in clocks.values())
            else:
                for k, v in clocks.items():
                    row = _as_tuple(v)
                    if before.get(k) != row:
                        changed.append(row)
        tx.upsert(SLA, changed)


# ---------------------------------------------------------------------------------------- queries


@dataclass(frozen=True)
class OverduePage:
    """Open clocks past their due instant at ``now``, most overdue first."""

    rows: list[dict[str, Any]]
    total: int


def overdue(
    db: ViewDB,
    now: datetime,
    calendar: WorkingCalendar,
    *,
    clock: str | None = None,
    department: str | None = None,
    centre: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> OverduePage:
    """Open clocks whose due instant is before ``now`` (uses the partial index on open clocks)."""
    aware(now, "now")
    if not 1 <= limit <= MAX_PAGE:
        msg = f"limit must be within 1..{MAX_PAGE}"
        raise QueryError(msg)
    conds = ["s.met_at IS NULL", "s.paused_at IS NULL", "s.due_at < ?"]
    params: list[Any] = [now]
    if clock is not None:
        conds.append("s.clock = ?")
        params.append(clock)
    if centre is not None:
        conds.append("s.centre = ?")
        params.append(centre)
    if department is not None:
        conds.append(
            f"EXISTS (SELECT 1 FROM {LEDGER_DEPARTMENTS.name} d WHERE d.complaint_id = s.complaint_id"  # noqa: S608 — fixed table name, value bound
            " AND d.department = ?)"
        )
        params.append(department)
    where = " AND ".join(conds)
    cols = (
        "s.complaint_id, s.clock, s.round, s.started_at, s.due_at, s.due_provisional, s.escalation_level,"
        " l.slip_no, l.status, l.classification, l.departments, l.supervisor, s.centre"
    )
    order = "ORDER BY s.due_at, s.complaint_id, s.clock, s.round"
    sql = f"SELECT {cols} FROM {SLA.name} s LEFT JOIN {LEDGER.name} l ON l.id = s.complaint_id WHERE {where} {order}"  # noqa: S608 — our table and column names, values bound
    sql += " LIMIT ? OFFSET ?"
    with db.transaction(write=False) as tx:
        total = int(tx.query(f"SELECT COUNT(*) FROM {SLA.name} s WHERE {where}", params)[0][0])  # noqa: S608 — our table and column names, values bound
        found = tx.query(sql, [*params, limit, offset])
    rows = []
    for r in found:
        due_at = as_datetime(r[4])
        assert due_at is not None  # noqa: S101 — a NOT NULL column, for the type checker
        rows.append(
            {
                "complaint_id": r[0] if isinstance(r[0], UUID) else UUID(str(r[0])),
                "clock": r[1],
                "round": r[2],
                "started_at": as_datetime(r[3]),
                "due_at": due_at,
                "due_provisional": bool(r[5]),
                "escalation_level": r[6],
                "slip_no": r[7],
                "status": r[8],
                "classification": r[9],
                "departments": r[10].split(",") if r[10] else [],
                "supervisor": r[11],
                "centre": r[12],
                "late_hours": round(calendar.working_hours_between(due_at, now), 2),
            }
        )
    return OverduePage(rows=rows, total=total)


@dataclass(frozen=True)
class DueClock:
    """An open clock the deadline sweeper must look at: past due, or a rectification round (for its 差评 notice)."""

    complaint_id: UUID
    clock: ClockKind
    round: int
    due_at: datetime


def due_clocks(db: ViewDB, now: datetime, limit: int) -> list[DueClock]:
    """Open clocks past due at ``now`` and open rectification rounds, not yet escalated to level 2.

    The partial indexes on open clocks make this cost the number of due items, not of open clocks.
    """
    aware(now, "now")
    with db.transaction(write=False) as tx:
        # two index-backed halves (an OR across them would scan every open clock)
        rows = tx.query(
            f"SELECT complaint_id, clock, round, due_at FROM {SLA.name} "  # noqa: S608 — fixed table name, values bound
            "WHERE met_at IS NULL AND due_at < ? AND escalation_level < 2 AND paused_at IS NULL"
            " ORDER BY due_at LIMIT ?",
            [now, limit],
        )
        rows += tx.query(
            f"SELECT complaint_id, clock, round, due_at FROM {SLA.name} "  # noqa: S608 — fixed table name, values bound
            "WHERE met_at IS NULL AND clock = 'rectification' AND due_at >= ? AND escalation_level < 2 LIMIT ?",
            [now, limit],
        )
    out = []
    for cid, clock, round_, due in rows:
        due_at = as_datetime(due)
        assert due_at is not None  # noqa: S101 — a NOT NULL column, for the type checker
        out.append(DueClock(_uuid(cid), ClockKind(clock), int(round_), due_at))
    return out


def provisional_complaints(db: ViewDB) -> list[UUID]:
    """Complaints with an open clock whose deadline was counted Monday–Friday for want of a calendar."""
    with db.transaction(write=False) as tx:
        rows = tx.query(f"SELECT DISTINCT complaint_id FROM {SLA.name} WHERE met_at IS NULL AND due_provisional")  # noqa: S608 — fixed table name
    return [_uuid(cid) for (cid,) in rows]


def _uuid(value: Any) -> UUID:
    # PostgreSQL hands back a UUID, SQLite its text
    return value if isinstance(value, UUID) else UUID(str(value))


def window_queue(db: ViewDB, centre: str, *, limit: int = 100) -> list[dict[str, Any]]:
    """A centre's open feedback and call-back clocks (the window clerk's queue), the soonest due first."""
    if not 1 <= limit <= MAX_PAGE:
        msg = f"limit must be within 1..{MAX_PAGE}"
        raise QueryError(msg)
    sql = (
        "SELECT s.complaint_id, s.clock, s.round, s.due_at, s.due_provisional, l.slip_no, l.status,"  # noqa: S608 — our table and column names, values bound
        f" l.complainant_masked FROM {SLA.name} s LEFT JOIN {LEDGER.name} l ON l.id = s.complaint_id"
        " WHERE s.met_at IS NULL AND s.clock IN (?, ?) AND s.centre = ? ORDER BY s.due_at LIMIT ?"
    )
    with db.transaction(write=False) as tx:
        found = tx.query(sql, [FEEDBACK, CALLBACK, centre, limit])
    return [
        {
            "complaint_id": _uuid(r[0]),
            "clock": r[1],
            "round": r[2],
            "due_at": as_datetime(r[3]),
            "due_provisional": bool(r[4]),
            "slip_no": r[5],
            "status": r[6],
            "complainant_masked": r[7],
        }
        for r in found
    ]
