"""回访队列: complaints whose call-back is due (fed back, not yet called back), closed complaints drawn
for a 抽查 spot check, and 主动回访 contacts (people served at the window, no complaint; the row is keyed by
the task's own id), with each one's call-back task (assignee, attempts, next try, outcome).

Complaint events make the rows; the tasks' own events (``other_topics``) fill in the task columns for the
row's current call-back only (its kind and rectification round). Complainants are masked here; the agent
reads the number from the complaint itself, under the personal-information permission.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Literal
from uuid import UUID

from eventsourcing.utils import get_topic

from domain.callbacks import SPOT_BUCKETS, CallbackTask, spot_bucket
from domain.complaint import SATISFIED_THRESHOLD, Complaint
from projections.db import Column, Table, Tx, ViewDB
from projections.db import ColumnType as T
from projections.masking import mask_complainant
from projections.view import MAX_PAGE, Applied, OtherApplied, QueryError, View, by_complaint, needs_lookup

DUE, CLOSED, OTHER, PROACTIVE = "due", "closed", "other", "proactive"

CALLBACKS = Table(
    "yousu_callbacks",
    (
        Column("complaint_id", T.uuid),
        Column("slip_no", T.text, nullable=False),
        Column("centre", T.text, nullable=False),
        Column("category", T.text, nullable=False),
        Column("departments", T.text, nullable=False),
        Column("complainant_masked", T.text, nullable=False),
        Column("status", T.text, nullable=False),  # due | closed | other | proactive
        Column("round", T.integer, nullable=False),  # rectification rounds so far (the task's round)
        Column("fed_back_at", T.timestamp),
        Column("callback_due_at", T.timestamp),  # a 主动回访: when it was registered
        Column("closed_at", T.timestamp),
        Column("spot_bucket", T.integer, nullable=False),  # 0..9999: spot-checked when below share × 10000
        Column("assignee", T.text),
        Column("attempts", T.integer, nullable=False),
        Column("next_try_at", T.timestamp),
        Column("task_state", T.text, nullable=False),  # open | answered | refused | unreachable
        Column("task_rating", T.integer),
        Column("finding", T.text, nullable=False),
        Column("last_notification_id", T.bigint, nullable=False),
        # due call-backs answered on this complaint so far (its 回访 records): the row itself moves on with each
        Column("answered", T.integer, nullable=False),
    ),
    key=("complaint_id",),
    indexes=(
        ("yousu_callbacks_due_idx", "(status, task_state, callback_due_at, complaint_id)"),
        ("yousu_callbacks_spot_idx", "(status, task_state, spot_bucket, closed_at)"),
        ("yousu_callbacks_assignee_idx", "(assignee, status)"),
    ),
)
# Which complaint and call-back each task belongs to (a task's later events do not repeat it).
TASKS = Table(
    "yousu_callback_tasks",
    (
        Column("task_id", T.uuid),
        Column("complaint_id", T.uuid, nullable=False),
        Column("status", T.text, nullable=False),  # the row status its call-back belongs to: due | closed | proactive
        Column("round", T.integer, nullable=False),
    ),
    key=("task_id",),
)
COLUMNS = CALLBACKS.column_names
TASK_TOPIC = get_topic(CallbackTask) + "."


def _reset_task(row: dict[str, Any]) -> None:
    row.update(assignee=None, attempts=0, next_try_at=None, task_state="open", task_rating=None, finding="")


def _fold(row: dict[str, Any] | None, nid: int, e: Complaint.Event) -> dict[str, Any] | None:
    t = type(e)
    if t is Complaint.Received:
        assert isinstance(e, Complaint.Received)  # noqa: S101 — by exact class
        row = {
            "complaint_id": e.originator_id,
            "slip_no": e.slip_no,
            "centre": e.centre,
            "category": e.category,
            "departments": "",
            "complainant_masked": mask_complainant(e.complainant),
            "status": OTHER,
            "round": 0,
            "fed_back_at": None,
            "callback_due_at": None,
            "closed_at": None,
            "spot_bucket": spot_bucket(e.originator_id),
            "answered": 0,
        }
        _reset_task(row)
    elif row is None:
        return None
    elif t is Complaint.Dispatched:
        assert isinstance(e, Complaint.Dispatched)  # noqa: S101 — by exact class
        row["departments"] = ",".join(e.departments)
    elif t is Complaint.FedBack:
        assert isinstance(e, Complaint.FedBack)  # noqa: S101 — by exact class
        row.update(status=DUE, fed_back_at=e.occurred_at, callback_due_at=e.callback_due_at)
        _reset_task(row)
    elif t is Complaint.DeadlineCorrected:
        assert isinstance(e, Complaint.DeadlineCorrected)  # noqa: S101 — by exact class
        if e.clock.value == "callback":
            row["callback_due_at"] = e.due_at
    elif t is Complaint.Withdrawn:  # 撤诉: no call-back is due any more
        row["status"] = OTHER
        _reset_task(row)
    elif t is Complaint.CalledBack:
        assert isinstance(e, Complaint.CalledBack)  # noqa: S101 — by exact class
        if e.rating < SATISFIED_THRESHOLD:
            row.update(status=OTHER, round=row["round"] + 1)
        else:
            row.update(status=CLOSED, closed_at=e.occurred_at)
        row["answered"] += 1
        _reset_task(row)
    row["last_notification_id"] = nid
    return row


def _fold_task(row: dict[str, Any], nid: int, e: Any) -> None:
    """A task event on the row of the call-back it belongs to (the caller checks it is the current one)."""
    if isinstance(e, CallbackTask.Assigned):
        row["assignee"] = e.agent
    elif isinstance(e, CallbackTask.Attempted):
        row["attempts"] = e.attempt
        row["next_try_at"] = e.next_try_at
        row["task_state"] = e.state
        if e.rating is not None:
            row["task_rating"] = e.rating
        if e.finding:
            row["finding"] = e.finding
    row["last_notification_id"] = max(row["last_notification_id"], nid)


def _proactive_row(nid: int, e: Any) -> dict[str, Any]:
    """A 主动回访 contact's row: keyed by the task's id, the person masked, queued from registration."""
    row = {
        "complaint_id": e.originator_id,
        "slip_no": "",
        "centre": e.centre,
        "category": e.category,
        "departments": "",
        "complainant_masked": mask_complainant(e.person),
        "status": PROACTIVE,
        "round": 0,
        "fed_back_at": None,
        "callback_due_at": e.occurred_at,
        "closed_at": None,
        "spot_bucket": 0,
        "last_notification_id": nid,
        "answered": 0,
    }
    _reset_task(row)
    return row


class CallbacksView(View):
    """回访队列."""

    name: ClassVar[str] = "callbacks"
    version: ClassVar[int] = 3  # 2: 主动回访 rows; 3: answered due call-backs counted
    tables: ClassVar[tuple[Table, ...]] = (CALLBACKS, TASKS)
    other_topics: ClassVar[tuple[str, ...]] = (TASK_TOPIC,)

    def _load(self, tx: Tx, ids: list[UUID]) -> dict[UUID, dict[str, Any]]:
        rows: dict[UUID, dict[str, Any]] = {}
        if ids:
            for values in tx.load(CALLBACKS, tx.select_in(CALLBACKS, COLUMNS, "complaint_id", ids, T.uuid)):
                stored = dict(zip(COLUMNS, values, strict=True))
                rows[stored["complaint_id"]] = stored
        return rows

    def apply(self, tx: Tx, page: Sequence[Applied]) -> None:
        """Fold the complaints' events into their rows."""
        groups = by_complaint(page)
        rows = self._load(tx, needs_lookup(groups))
        changed = []
        for cid, events in groups.items():
            row = rows.get(cid)
            for nid, event in events:
                row = _fold(row, nid, event)
            if row is not None:
                changed.append(tuple(row[c] for c in COLUMNS))
        tx.upsert(CALLBACKS, changed)

    def apply_other(self, tx: Tx, events: Sequence[OtherApplied]) -> None:
        """Fold the call-back tasks' events into their complaint's row (the task names its complaint)."""
        by_task: dict[UUID, list[OtherApplied]] = {}
        for a in events:
            by_task.setdefault(a.event.originator_id, []).append(a)
        complaint_of: dict[UUID, UUID] = {}
        task_round: dict[UUID, tuple[str, int]] = {}
        registered: list[dict[str, Any]] = []
        for tid, evs in by_task.items():
            opened = next((a.event for a in evs if isinstance(a.event, CallbackTask.Opened)), None)
            if opened is not None:
                complaint_of[tid] = UUID(opened.complaint_id)
                task_round[tid] = (DUE if opened.kind == "due" else CLOSED, opened.round)
            contact = next((a for a in evs if isinstance(a.event, CallbackTask.Registered)), None)
            if contact is not None:
                complaint_of[tid] = tid
                task_round[tid] = (PROACTIVE, 0)
                registered.append(_proactive_row(contact.notification_id, contact.event))
        # tasks opened on an earlier page: their complaint and round are in the task table
        missing = [tid for tid in by_task if tid not in complaint_of]
        if missing:
            for tid, cid, status, round_ in tx.load(
                TASKS, tx.select_in(TASKS, TASKS.column_names, "task_id", missing, T.uuid)
            ):
                complaint_of[tid] = cid
                task_round[tid] = (status, round_)
        tx.insert_ignore(TASKS, [(tid, complaint_of[tid], *task_round[tid]) for tid in by_task if tid in complaint_of])
        rows = self._load(tx, sorted(set(complaint_of.values()), key=str))
        rows.update({r["complaint_id"]: r for r in registered})
        for tid, evs in by_task.items():
            row = rows.get(complaint_of.get(tid, UUID(int=0)))
            if row is None or (row["status"], row["round"]) != task_round[tid]:
                continue  # a task of a call-back the complaint has moved past
            for nid, event in evs:
                _fold_task(row, nid, event)
        tx.upsert(CALLBACKS, [tuple(r[c] for c in COLUMNS) for r in rows.values()])


# ---------------------------------------------------------------------------------------- queries

Kind = Literal["due", "spot_check", "proactive"]
COUNT_CAP = 1_000  # the queue's total is exact up to this many, else reported as "more than"


@dataclass(frozen=True)
class QueueFilter:
    """Queue filters; ``ready`` keeps calls whose next try is now or unset."""

    kind: Kind = "due"
    assignee: str | None = None
    centre: str | None = None
    unassigned: bool | None = None
    ready: bool = False
    findings: bool = False  # the calls made that found a problem (for 转整改), instead of the calls to make


def _where(f: QueueFilter, spot_share: float, now: datetime) -> tuple[str, list[Any]]:
    conds = ["task_state <> 'open'", "finding <> ''"] if f.findings else ["task_state = 'open'"]
    params: list[Any] = []
    if f.kind == "due":
        conds.insert(0, "status = 'due'")
    elif f.kind == "proactive":
        conds.insert(0, "status = 'proactive'")
    else:
        conds.insert(0, "status = 'closed'")
        conds.append("spot_bucket < ?")
        params.append(round(spot_share * SPOT_BUCKETS))
    if f.assignee is not None:
        conds.append("assignee = ?")
        params.append(f.assignee)
    if f.unassigned is not None:
        conds.append("assignee IS NULL" if f.unassigned else "assignee IS NOT NULL")
    if f.centre is not None:
        conds.append("centre = ?")
        params.append(f.centre)
    if f.ready:
        conds.append("(next_try_at IS NULL OR next_try_at <= ?)")
        params.append(now)
    return " AND ".join(conds), params


def queue(
    views: ViewDB, f: QueueFilter, now: datetime, *, spot_share: float, limit: int = 50, offset: int = 0
) -> tuple[list[dict[str, Any]], int]:
    """One page of the queue: due call-backs by deadline (spot checks by closing time) and how many wait."""
    if not 1 <= limit <= MAX_PAGE:
        raise QueryError(f"limit 须在 1 至 {MAX_PAGE} 之间")
    where, params = _where(f, spot_share, now)
    order = "closed_at, complaint_id" if f.kind == "spot_check" else "callback_due_at, complaint_id"
    shown = [c for c in COLUMNS if c not in ("spot_bucket", "last_notification_id")]
    with views.transaction(write=False) as tx:
        # Counting 100,000 waiting rows costs more than the page itself: the queue counts up to a cap
        # (the summary has the full counts).
        total = tx.query(
            f"SELECT COUNT(*) FROM (SELECT 1 FROM {CALLBACKS.name} WHERE {where} LIMIT ?) s",  # noqa: S608 — fixed names, values bound
            [*params, COUNT_CAP + 1],
        )[0][0]
        rows = tx.query(
            f"SELECT {', '.join(shown)} FROM {CALLBACKS.name} WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?",  # noqa: S608 — fixed names, values bound
            [*params, limit, offset],
        )
        loaded = tx.load(CALLBACKS, rows, shown)
    out = []
    for values in loaded:
        row = dict(zip(shown, values, strict=True))
        row["departments"] = row["departments"].split(",") if row["departments"] else []
        row["kind"] = f.kind
        row["overdue"] = f.kind == "due" and row["callback_due_at"] is not None and row["callback_due_at"] < now
        out.append(row)
    return out, int(total)


def capped(total: int) -> tuple[int, bool]:
    """The total to show and whether there are more than that."""
    return (COUNT_CAP, True) if total > COUNT_CAP else (total, False)


def summary(views: ViewDB, *, spot_share: float, centre: str | None = None) -> dict[str, dict[str, int]]:
    """Call-backs by kind and task state (``centre``'s only, when given), every state counted: 无法联系 and
    拒绝回访 are their own counts, never satisfied; a due call-back answered (its 回访 recorded) counts as
    ``answered`` though its complaint has moved on (closed, or back to rectification after a poor rating)."""
    threshold = round(spot_share * SPOT_BUCKETS)
    within = " AND centre = ?" if centre is not None else ""
    with views.transaction(write=False) as tx:
        rows = tx.query(
            f"SELECT status, task_state, COUNT(*) FROM {CALLBACKS.name}"  # noqa: S608 — fixed names, values bound
            f" WHERE (status IN ('due', 'proactive') OR (status = 'closed' AND spot_bucket < ?)){within}"
            " GROUP BY status, task_state",
            [threshold, *([centre] if centre is not None else [])],
        )
        answered = tx.query(
            f"SELECT COALESCE(SUM(answered), 0) FROM {CALLBACKS.name}"  # noqa: S608 — fixed names, values bound
            + (" WHERE centre = ?" if centre is not None else ""),
            [centre] if centre is not None else [],
        )
    out: dict[str, dict[str, int]] = {"due": {}, "spot_check": {}, "proactive": {}}
    names = {DUE: "due", CLOSED: "spot_check", PROACTIVE: "proactive"}
    for status, state, count in rows:
        out[names[str(status)]][str(state)] = int(count)
    due_answered = int(answered[0][0])
    if due_answered:
        out["due"]["answered"] = out["due"].get("answered", 0) + due_answered
    return out
