"""工作台账 (the ledger): one row per complaint, with the complainant masked and no ID number."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from operator import itemgetter
from typing import Any, ClassVar
from uuid import UUID

from domain.complaint import SATISFIED_THRESHOLD, Complaint
from domain.rules import ClockKind
from domain.values import Role, Status
from projections.db import Column, Table, Tx
from projections.db import ColumnType as T
from projections.masking import mask_complainant
from projections.view import Applied, View, by_complaint, needs_lookup

LEDGER = Table(
    "yousu_ledger",
    (
        Column("id", T.uuid),
        Column("slip_no", T.text, nullable=False),
        Column("received_at", T.timestamp, nullable=False),
        Column("channel", T.text, nullable=False),
        Column("complainant_type", T.text, nullable=False),
        Column("complainant_masked", T.text, nullable=False),  # 张* 138****5678; never an ID number
        Column("category", T.text, nullable=False),
        Column("classification", T.text),
        Column("status", T.text, nullable=False),
        Column("departments", T.text, nullable=False),  # comma-separated codes, '' before dispatch
        Column("supervisor", T.text),
        Column("dispatched_at", T.timestamp),
        Column("due_at", T.timestamp),  # resolution deadline
        Column("due_provisional", T.boolean, nullable=False),
        Column("overdue", T.boolean, nullable=False),
        Column("overdue_level", T.integer, nullable=False),
        Column("resolved_at", T.timestamp),  # the latest resolution (a rectification resolves again)
        Column("fed_back_at", T.timestamp),
        Column("called_back_at", T.timestamp),
        Column("rating", T.integer),  # the latest call-back's rating
        Column("rectification_rounds", T.integer, nullable=False),
        Column("last_version", T.integer, nullable=False),
        Column("last_notification_id", T.bigint, nullable=False),
    ),
    key=("id",),
    indexes=(
        ("yousu_ledger_received_idx", "(received_at, slip_no)"),
        ("yousu_ledger_slip_idx", "(slip_no)"),
        ("yousu_ledger_status_idx", "(status, received_at)"),
        ("yousu_ledger_due_idx", "(due_at)"),
    ),
)

# Which complaints each department handles: the ledger's department filter without string matching.
LEDGER_DEPARTMENTS = Table(
    "yousu_ledger_departments",
    (Column("department", T.text), Column("complaint_id", T.uuid)),
    key=("department", "complaint_id"),
    indexes=(("yousu_ledger_departments_complaint_idx", "(complaint_id)"),),
)

COLUMNS = LEDGER.column_names
_as_tuple = itemgetter(*COLUMNS)


def _received(nid: int, e: Complaint.Received) -> dict[str, Any]:
    return {
        "id": e.originator_id,
        "slip_no": e.slip_no,
        "received_at": e.received_at,
        "channel": e.channel.value,
        "complainant_type": e.complainant.type.value,
        "complainant_masked": mask_complainant(e.complainant),
        "category": e.category,
        "classification": None,
        "status": Status.received.value,
        "departments": "",
        "supervisor": None,
        "dispatched_at": None,
        "due_at": None,
        "due_provisional": False,
        "overdue": False,
        "overdue_level": 0,
        "resolved_at": None,
        "fed_back_at": None,
        "called_back_at": None,
        "rating": None,
        "rectification_rounds": 0,
        "last_version": e.originator_version,
        "last_notification_id": nid,
    }


def _classified(row: dict[str, Any], e: Complaint.Classified) -> None:
    row["classification"] = e.classification.value
    row["status"] = Status.classified.value
    if e.due_at is not None:
        row["due_at"] = e.due_at
        row["due_provisional"] = e.due_provisional


def _signed(row: dict[str, Any], e: Complaint.Signed) -> None:
    officer = e.signer_role is Role.duty_officer
    row["status"] = (Status.officer_signed if officer else Status.signed).value


def _dispatched(row: dict[str, Any], e: Complaint.Dispatched) -> None:
    row["departments"] = ",".join(e.departments)
    row["supervisor"] = e.supervisor
    row["dispatched_at"] = e.occurred_at
    row["due_at"] = e.due_at
    row["due_provisional"] = e.due_provisional
    row["status"] = Status.dispatched.value


def _consulted(row: dict[str, Any], _e: Complaint.Consulted) -> None:
    if row["status"] in (Status.dispatched.value, Status.consulted.value):
        row["status"] = Status.consulted.value


def _resolved(row: dict[str, Any], e: Complaint.Resolved) -> None:
    row["resolved_at"] = e.occurred_at
    row["status"] = Status.resolved.value


def _fed_back(row: dict[str, Any], e: Complaint.FedBack) -> None:
    row["fed_back_at"] = e.occurred_at
    row["status"] = Status.fed_back.value


def _called_back(row: dict[str, Any], e: Complaint.CalledBack) -> None:
    row["rating"] = e.rating
    row["called_back_at"] = e.occurred_at
    if e.rating < SATISFIED_THRESHOLD:
        row["rectification_rounds"] += 1
        row["status"] = Status.rectifying.value
    else:
        row["status"] = Status.closed.value


def _escalated(row: dict[str, Any], e: Complaint.Escalated) -> None:
    if e.due_at <= e.occurred_at:
        # Raised because a limit passed (a 差评's escalation looks ahead to its rectification
        # deadline instead, and does not make the complaint overdue).
        row["overdue"] = True
        row["overdue_level"] = max(row["overdue_level"], e.level)


# By exact class: stored events decode to exactly these classes.
def _deadline_corrected(row: dict[str, Any], e: Complaint.DeadlineCorrected) -> None:
    if e.clock is ClockKind.resolution:
        row["due_at"] = e.due_at
        row["due_provisional"] = e.provisional


HANDLERS: dict[type, Callable[[dict[str, Any], Any], None]] = {
    Complaint.Classified: _classified,
    Complaint.Signed: _signed,
    Complaint.Dispatched: _dispatched,
    Complaint.Consulted: _consulted,
    Complaint.Resolved: _resolved,
    Complaint.FedBack: _fed_back,
    Complaint.CalledBack: _called_back,
    Complaint.Escalated: _escalated,
    Complaint.DeadlineCorrected: _deadline_corrected,
}


def fold(row: dict[str, Any] | None, nid: int, e: Complaint.Event) -> dict[str, Any] | None:
    """The ledger row after event ``e`` (notification ``nid``); ``None`` until the complaint is received."""
    if type(e) is Complaint.Received:
        return _received(nid, e)
    if row is None:
        return None
    handler = HANDLERS.get(type(e))
    if handler is not None:
        handler(row, e)
    row["last_version"] = e.originator_version
    row["last_notification_id"] = nid
    return row


class LedgerView(View):
    """工作台账: one row per complaint."""

    name: ClassVar[str] = "ledger"
    version: ClassVar[int] = 2
    tables: ClassVar[tuple[Table, ...]] = (LEDGER, LEDGER_DEPARTMENTS)

    def apply(self, tx: Tx, page: Sequence[Applied]) -> None:
        """Fold the page into each touched complaint's row and upsert the rows."""
        groups = by_complaint(page)
        rows: dict[UUID, dict[str, Any]] = {}
        lookup = needs_lookup(groups)
        if lookup:
            for values in tx.load(LEDGER, tx.select_in(LEDGER, COLUMNS, "id", lookup, T.uuid)):
                stored = dict(zip(COLUMNS, values, strict=True))
                rows[stored["id"]] = stored
        handled_by: list[tuple[str, UUID]] = []
        changed: list[tuple[Any, ...]] = []
        for cid, events in groups.items():
            row: dict[str, Any] | None = rows.get(cid)
            for nid, event in events:
                row = fold(row, nid, event)
                if type(event) is Complaint.Dispatched:
                    handled_by.extend((d, cid) for d in event.departments)
            if row is not None:
                changed.append(_as_tuple(row))
        tx.upsert(LEDGER, changed)
        tx.insert_ignore(LEDGER_DEPARTMENTS, handled_by)
