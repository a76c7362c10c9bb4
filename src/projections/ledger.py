"""工作台账 (the ledger): one row per complaint, with the complainant masked and no ID number.

The module holds the view's tables, its fold, and its queries (filtered pages, cursors, the CSV/XLSX cells).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from typing import Any, ClassVar
from uuid import UUID

from domain.calendar import WorkingCalendar
from domain.complaint import SATISFIED_THRESHOLD, Complaint
from domain.rules import ClockKind
from domain.values import CLASSIFICATION_LABELS, RATING_LABELS, STATUS_LABELS, Classification, Role, Status
from projections.db import Column, Table, Tx, ViewDB
from projections.db import ColumnType as T
from projections.masking import mask_complainant, mask_free_text, mask_marked_names, name_marks
from projections.view import MAX_PAGE, Applied, QueryError, View, aware, by_complaint, needs_lookup

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
        Column("centre", T.text, nullable=False),  # the receiving service centre
        Column("received_by", T.text, nullable=False),  # the receiving clerk's user id (their own intake list)
        Column("reclassified_from", T.text),  # the kind before 改分类, if any
        # what a 台账 records, every free text masked (phones, ID numbers, the complainant's name): views
        # hold no personal information in clear; the full text is on GET /v1/complaints/{id} for roles with access
        Column("content_masked", T.text, nullable=False),
        Column("classification_reason", T.text, nullable=False),
        Column("reclassification_reason", T.text, nullable=False),
        Column("officer_signer", T.text),  # the duty officer who signed (staff display name)
        Column("leader_signer", T.text),
        Column("officer_opinion", T.text, nullable=False),  # 签字意见, masked
        Column("leader_opinion", T.text, nullable=False),
        Column("received_by_name", T.text, nullable=False),  # 受理人 (staff display name)
        Column("consulted_with", T.text, nullable=False),  # 会商: the latest one's participants, as recorded
        Column("consultation", T.text, nullable=False),  # … and its conclusion, masked
        Column("feedback_method", T.text),  # 反馈方式: 当面, 电话, 短信, 热线
        Column("result", T.text),  # the latest 办结 result
        Column("legal_basis", T.text),
        Column("merged_into", T.uuid),  # 并单: the master this duplicate was merged into
        # what awaits the duty leader: 'return' (退单), 'extension' (延期申请), '' nothing
        Column("pending", T.text, nullable=False),
        Column("returns", T.integer, nullable=False),  # 退单 so far
        Column("extensions", T.integer, nullable=False),  # approved 延期
        Column("paused", T.boolean, nullable=False),  # 中止: the resolution clock waits for materials
        # 指定承办人: each department's handler as "code:name", comma-separated in the order of `departments`
        Column("handlers", T.text, nullable=False),
        # 差评申诉: '' none, 'pending' awaiting the duty leader, 'upheld' (the 差评 set aside), 'refused'
        Column("appeal", T.text, nullable=False),
        Column("last_version", T.integer, nullable=False),
        Column("last_notification_id", T.bigint, nullable=False),
    ),
    key=("id",),
    indexes=(
        ("yousu_ledger_centre_idx", "(centre, received_at)"),
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

# The complainant's names as marks (first character, length, keyed digest; never the name): text typed after
# the intake — a result, a reason — is masked of them too (the intake's own content is masked with the names).
LEDGER_NAMES = Table(
    "yousu_ledger_names",
    (Column("complaint_id", T.uuid), Column("marks", T.text, nullable=False)),
    key=("complaint_id",),
)
# Without a configured key (YOUSU_PERSON_KEY or the cipher key) the marks are keyed by this constant.
DEFAULT_NAME_KEY = hashlib.sha256(b"yousu/ledger-names/v1").digest()

COLUMNS = LEDGER.column_names
_as_tuple = itemgetter(*COLUMNS)


def _masked(row: dict[str, Any], text: str | None) -> str:
    """Free text of a row's later event: numbers masked, and the complainant's names by their marks."""
    out = mask_free_text(text)
    marks = row.get("_marks")
    return mask_marked_names(out, marks, row["_key"]) if marks else out


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
        "centre": e.centre,
        "received_by": e.actor.id,
        "reclassified_from": None,
        "content_masked": mask_free_text(e.content, _names(e)),
        "classification_reason": "",
        "reclassification_reason": "",
        "officer_signer": None,
        "leader_signer": None,
        "officer_opinion": "",
        "leader_opinion": "",
        "received_by_name": e.actor.name,
        "consulted_with": "",
        "consultation": "",
        "feedback_method": None,
        "result": None,
        "legal_basis": None,
        "merged_into": None,
        "pending": "",
        "returns": 0,
        "extensions": 0,
        "paused": False,
        "handlers": "",
        "appeal": "",
        "last_version": e.originator_version,
        "last_notification_id": nid,
    }


def _names(e: Complaint.Received) -> list[str]:
    c = e.complainant
    return [c.name, c.enterprise_name or ""]


def _classified(row: dict[str, Any], e: Complaint.Classified) -> None:
    row["classification"] = e.classification.value
    row["classification_reason"] = _masked(row, e.reason)
    row["status"] = Status.classified.value
    if e.due_at is not None:
        row["due_at"] = e.due_at
        row["due_provisional"] = e.due_provisional


def _reclassified(row: dict[str, Any], e: Complaint.Reclassified) -> None:
    row["reclassified_from"] = e.from_classification.value
    row["reclassification_reason"] = _masked(row, e.reason)
    row["classification"] = e.to_classification.value
    row["status"] = Status.classified.value
    row["due_at"] = None  # the complex kind's deadline is fixed at dispatch
    row["due_provisional"] = False


def _signed(row: dict[str, Any], e: Complaint.Signed) -> None:
    officer = e.signer_role is Role.duty_officer
    row["status"] = (Status.officer_signed if officer else Status.signed).value
    row["officer_signer" if officer else "leader_signer"] = e.actor.name
    row["officer_opinion" if officer else "leader_opinion"] = _masked(row, e.opinion)


def _dispatched(row: dict[str, Any], e: Complaint.Dispatched) -> None:
    row["departments"] = ",".join(e.departments)
    row["supervisor"] = e.supervisor
    row["dispatched_at"] = e.occurred_at
    row["due_at"] = e.due_at
    row["due_provisional"] = e.due_provisional
    row["status"] = Status.dispatched.value


def _consulted(row: dict[str, Any], e: Complaint.Consulted) -> None:
    row["consulted_with"] = ",".join(e.participants)
    row["consultation"] = _masked(row, e.conclusion)
    if row["status"] in (Status.dispatched.value, Status.consulted.value):
        row["status"] = Status.consulted.value


def _resolved(row: dict[str, Any], e: Complaint.Resolved) -> None:
    row["resolved_at"] = e.occurred_at
    row["result"] = _masked(row, e.result)
    row["legal_basis"] = _masked(row, e.legal_basis) or None
    row["status"] = Status.resolved.value


def _fed_back(row: dict[str, Any], e: Complaint.FedBack) -> None:
    row["fed_back_at"] = e.occurred_at
    row["feedback_method"] = e.method
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


def _withdrawn(row: dict[str, Any], _e: Complaint.Withdrawn) -> None:
    row["status"] = Status.withdrawn.value


def _merged(row: dict[str, Any], e: Complaint.Merged) -> None:
    row["merged_into"] = e.master_id
    row["status"] = Status.merged.value


def _unmerged(row: dict[str, Any], e: Complaint.Unmerged) -> None:
    row["merged_into"] = None
    row["status"] = e.to_status.value


def _answered_by_master(row: dict[str, Any], e: Complaint.AnsweredByMaster) -> None:
    row["resolved_at"] = e.occurred_at
    row["result"] = _masked(row, e.result)
    row["legal_basis"] = _masked(row, e.legal_basis) or None
    row["pending"] = ""  # a return or extension left waiting at the merge is moot once answered
    row["status"] = Status.resolved.value


def _returned(row: dict[str, Any], _e: Complaint.Returned) -> None:
    row["pending"] = "return"
    row["returns"] += 1


def _return_insisted(row: dict[str, Any], _e: Complaint.ReturnInsisted) -> None:
    row["pending"] = ""


def handler_names(text: str) -> dict[str, str]:
    """The ``handlers`` column read back: department code → its handler's name."""
    return dict(entry.split(":", 1) for entry in text.split(",")) if text else {}


def _handlers_text(names: dict[str, str], departments: str) -> str:
    """The ``handlers`` column: ``code:name`` of each department that has one, in the order of ``departments``."""
    return ",".join(f"{d}:{names[d]}" for d in departments.split(",") if d in names)


def _handler_assigned(row: dict[str, Any], e: Complaint.HandlerAssigned) -> None:
    names = {**handler_names(row["handlers"]), e.department: e.handler_name}  # the latest stands
    row["handlers"] = _handlers_text(names, row["departments"])


def _redispatched(row: dict[str, Any], e: Complaint.Redispatched) -> None:
    _dispatched(row, e)  # type: ignore[arg-type]  # the same fields as a dispatch
    # a department the complaint no longer is with has no handler for it any more
    row["handlers"] = _handlers_text(handler_names(row["handlers"]), row["departments"])
    row["pending"] = ""
    row["overdue"] = False  # the resolution clock starts afresh
    row["overdue_level"] = 0


def _extension_requested(row: dict[str, Any], _e: Complaint.ExtensionRequested) -> None:
    row["pending"] = "extension"


def _extension_approved(row: dict[str, Any], e: Complaint.ExtensionApproved) -> None:
    row["pending"] = ""
    row["extensions"] += 1
    row["due_at"] = e.due_at
    row["due_provisional"] = e.due_provisional


def _extension_refused(row: dict[str, Any], _e: Complaint.ExtensionRefused) -> None:
    row["pending"] = ""


def _clock_paused(row: dict[str, Any], _e: Complaint.ClockPaused) -> None:
    row["paused"] = True


def _clock_resumed(row: dict[str, Any], e: Complaint.ClockResumed) -> None:
    row["paused"] = False
    row["due_at"] = e.due_at
    row["due_provisional"] = e.due_provisional


def _rating_appealed(row: dict[str, Any], _e: Complaint.RatingAppealed) -> None:
    row["pending"] = "appeal"  # 差评申诉: the duty leader decides
    row["appeal"] = "pending"


def _appeal_decided(row: dict[str, Any], e: Complaint.AppealDecided) -> None:
    row["pending"] = ""
    row["appeal"] = "upheld" if e.upheld else "refused"
    if e.upheld and row["status"] == Status.rectifying.value:  # the 差评 set aside: nothing left to rectify
        row["status"] = Status.closed.value


HANDLERS: dict[type, Callable[[dict[str, Any], Any], None]] = {
    Complaint.Withdrawn: _withdrawn,
    Complaint.Classified: _classified,
    Complaint.Reclassified: _reclassified,
    Complaint.Signed: _signed,
    Complaint.Dispatched: _dispatched,
    Complaint.Consulted: _consulted,
    Complaint.HandlerAssigned: _handler_assigned,
    Complaint.Resolved: _resolved,
    Complaint.FedBack: _fed_back,
    Complaint.CalledBack: _called_back,
    Complaint.Escalated: _escalated,
    Complaint.DeadlineCorrected: _deadline_corrected,
    Complaint.Merged: _merged,
    Complaint.Unmerged: _unmerged,
    Complaint.AnsweredByMaster: _answered_by_master,
    Complaint.Returned: _returned,
    Complaint.ReturnInsisted: _return_insisted,
    Complaint.Redispatched: _redispatched,
    Complaint.ExtensionRequested: _extension_requested,
    Complaint.ExtensionApproved: _extension_approved,
    Complaint.ExtensionRefused: _extension_refused,
    Complaint.ClockPaused: _clock_paused,
    Complaint.ClockResumed: _clock_resumed,
    Complaint.RatingAppealed: _rating_appealed,
    Complaint.AppealDecided: _appeal_decided,
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
    version: ClassVar[int] = (
        9  # 3: centre, received_by, reclassified_from; 4: the 台账's content, reasons, signers, result;
        # 5: 并单, 退单, 延期, 中止; 6: names masked in results and reasons (by their marks); 7: 差评申诉,
        # 受理人, 签字意见, 会商, 反馈方式; 8: 指定承办人 (handlers); 9: the 差评申诉's outcome (appeal)
    )
    tables: ClassVar[tuple[Table, ...]] = (LEDGER, LEDGER_DEPARTMENTS, LEDGER_NAMES)

    def __init__(self, calendar: WorkingCalendar, *, name_key: bytes | None = None) -> None:
        super().__init__(calendar)
        self.name_key = name_key or DEFAULT_NAME_KEY

    def apply(self, tx: Tx, page: Sequence[Applied]) -> None:
        """Fold the page into each touched complaint's row and upsert the rows."""
        groups = by_complaint(page)
        rows: dict[UUID, dict[str, Any]] = {}
        lookup = needs_lookup(groups)
        if lookup:
            for values in tx.load(LEDGER, tx.select_in(LEDGER, COLUMNS, "id", lookup, T.uuid)):
                stored = dict(zip(COLUMNS, values, strict=True))
                rows[stored["id"]] = stored
            names = LEDGER_NAMES.column_names
            for cid, marks in tx.load(LEDGER_NAMES, tx.select_in(LEDGER_NAMES, names, "complaint_id", lookup, T.uuid)):
                if cid in rows:
                    rows[cid]["_marks"] = marks.split("\n") if marks else []
        for stored_row in rows.values():
            stored_row["_key"] = self.name_key
        new_marks: list[tuple[UUID, str]] = []
        handled_by: list[tuple[str, UUID]] = []
        redispatched: list[UUID] = []
        changed: list[tuple[Any, ...]] = []
        for cid, events in groups.items():
            row: dict[str, Any] | None = rows.get(cid)
            mine: list[tuple[str, UUID]] = []
            for nid, event in events:
                row = fold(row, nid, event)
                if type(event) is Complaint.Received:
                    assert row is not None  # noqa: S101 — a Received event always makes the row
                    marks = name_marks(self.name_key, _names(event))
                    row.update(_marks=marks, _key=self.name_key)
                    new_marks.append((cid, "\n".join(marks)))
                elif type(event) is Complaint.Dispatched:
                    mine.extend((d, cid) for d in event.departments)
                elif type(event) is Complaint.Redispatched:
                    # 改派: the complaint is with the new departments only
                    redispatched.append(cid)
                    mine = [(d, cid) for d in event.departments]
            handled_by.extend(mine)
            if row is not None:
                changed.append(_as_tuple(row))
        tx.upsert(LEDGER, changed)
        tx.upsert(LEDGER_NAMES, new_marks)
        for cid in redispatched:
            tx.execute(
                f"DELETE FROM {tx.target(LEDGER_DEPARTMENTS)} WHERE complaint_id = ?",  # noqa: S608 — our table name, value bound
                [cid],
            )
        tx.insert_ignore(LEDGER_DEPARTMENTS, handled_by)


# ---------------------------------------------------------------------------------------- queries

# 工作台账 export headings, in column order (CSV and XLSX use exactly these).
LEDGER_COLUMNS_ZH: dict[str, str] = {
    "slip_no": "受理单号",
    "received_at": "受理时间",
    "channel": "受理渠道",
    "complainant_masked": "诉求人",
    "enterprise": "企业名称",
    "centre": "服务中心",
    "received_by_name": "受理人",
    "category": "诉求类别",
    "content_masked": "诉求内容",
    "classification": "问题分类",
    "classification_reason": "分类理由",
    "reclassified_from": "改分类前",
    "reclassification_reason": "改分类理由",
    "officer_signer": "值班人员签字",
    "officer_opinion": "值班人员签字意见",
    "leader_signer": "带班领导签字",
    "leader_opinion": "带班领导签字意见",
    "status": "办理状态",
    "departments": "承办部门",
    "handlers": "承办人",
    "supervisor": "督办专人",
    "dispatched_at": "转办时间",
    "consultation": "会商",
    "due_at": "办结时限",
    "overdue": "是否逾期",
    "overdue_level": "督办级别",
    "resolved_at": "办结时间",
    "result": "办理结果",
    "legal_basis": "法律依据",
    "fed_back_at": "反馈时间",
    "feedback_method": "反馈方式",
    "called_back_at": "回访时间",
    "rating": "满意度评价",
    "appeal": "差评申诉",
    "rectification_rounds": "整改轮次",
}

# 差评申诉 as the 台账 shows it
APPEAL_LABELS = {"": "", "pending": "申诉中", "upheld": "申诉成立（差评不计入满意率）", "refused": "申诉不成立"}

CHANNEL_LABELS = {"window": "窗口", "hotline": "12345热线", "online": "网上"}


@dataclass(frozen=True)
class LedgerFilter:
    """Ledger filters; ``received_from`` inclusive, ``received_to`` exclusive; ``q`` is text in the slip number."""

    received_from: datetime | None = None
    received_to: datetime | None = None
    status: str | None = None
    classification: str | None = None
    department: str | None = None
    channel: str | None = None
    overdue: bool | None = None
    q: str | None = None
    centre: str | None = None
    received_by: str | None = None  # a clerk's own intake


# The ledger's total is exact up to this many rows, else reported as "more than" (``more``): counting a
# million matching rows costs several times the page itself, and nobody pages through 200 pages of 50.
COUNT_CAP = 10_000


@dataclass(frozen=True)
class LedgerPage:
    """One page of ledger rows, the number of rows matching (up to ``COUNT_CAP``; ``more``: more than that),
    and the cursor of the next page."""

    rows: list[dict[str, Any]]
    total: int
    next_cursor: str | None = None
    more: bool = False


def _ledger_where(f: LedgerFilter) -> tuple[list[str], list[Any]]:
    conds: list[str] = []
    params: list[Any] = []
    for column, value in (
        ("status", f.status),
        ("classification", f.classification),
        ("channel", f.channel),
        ("centre", f.centre),
        ("received_by", f.received_by),
    ):
        if value is not None:
            conds.append(f"l.{column} = ?")
            params.append(value)
    if f.received_from is not None:
        conds.append("l.received_at >= ?")
        params.append(aware(f.received_from, "received_from"))
    if f.received_to is not None:
        conds.append("l.received_at < ?")
        params.append(aware(f.received_to, "received_to"))
    if f.overdue is not None:
        conds.append("l.overdue = ?")
        params.append(f.overdue)
    if f.department is not None:
        conds.append(
            f"EXISTS (SELECT 1 FROM {LEDGER_DEPARTMENTS.name} d WHERE d.complaint_id = l.id AND d.department = ?)"  # noqa: S608 — fixed table name, value bound
        )
        params.append(f.department)
    if f.q:
        escaped = f.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conds.append("l.slip_no LIKE ? ESCAPE '\\'")
        params.append(f"%{escaped}%")
    return conds, params


def _ledger_row(tx: Tx, values: Sequence[Any]) -> dict[str, Any]:
    row = dict(zip(LEDGER.column_names, tx.load(LEDGER, [tuple(values)])[0], strict=True))
    row["departments"] = row["departments"].split(",") if row["departments"] else []
    row["overdue"] = bool(row["overdue"])
    row["due_provisional"] = bool(row["due_provisional"])
    row["paused"] = bool(row["paused"])
    return row


def encode_cursor(received_at: datetime, slip_no: str) -> str:
    """An opaque cursor after the row (received_at, slip_no)."""
    return base64.urlsafe_b64encode(f"{received_at.isoformat()}|{slip_no}".encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """The (received_at, slip_no) a cursor points after."""
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
        stamp, slip_no = text.split("|", 1)
        return datetime.fromisoformat(stamp), slip_no
    except (ValueError, UnicodeDecodeError) as exc:
        msg = "invalid cursor"
        raise QueryError(msg) from exc


LEDGER_ORDER = "ORDER BY l.received_at DESC, l.slip_no DESC"


def ledger_page(
    db: ViewDB,
    filters: LedgerFilter | None = None,
    *,
    limit: int = 50,
    offset: int = 0,
    cursor: str | None = None,
    count: bool = True,
) -> LedgerPage:
    """Ledger rows, newest first; page with ``offset`` or, for deep pages, with ``cursor``.

    ``total`` counts the matching rows up to ``COUNT_CAP`` (``more`` when there are more); ``count=False``
    skips counting (``total`` 0) for a reader that only walks the pages."""
    f = filters or LedgerFilter()
    if not 1 <= limit <= MAX_PAGE:
        msg = f"limit must be within 1..{MAX_PAGE}"
        raise QueryError(msg)
    if offset < 0:
        msg = "offset must be >= 0"
        raise QueryError(msg)
    conds, params = _ledger_where(f)
    where = f"WHERE {' AND '.join(conds)}" if conds else ""
    page_conds, page_params = list(conds), list(params)
    if cursor:
        after_at, after_slip = decode_cursor(cursor)
        page_conds.append("(l.received_at, l.slip_no) < (?, ?)")
        page_params += [after_at, after_slip]
    page_where = f"WHERE {' AND '.join(page_conds)}" if page_conds else ""
    cols = ", ".join(f"l.{c}" for c in LEDGER.column_names)
    with db.transaction(write=False) as tx:
        total = 0
        if count:
            total = int(
                tx.query(
                    f"SELECT COUNT(*) FROM (SELECT 1 FROM {LEDGER.name} l {where} LIMIT ?) s",  # noqa: S608 — our table and column names, values bound
                    [*params, COUNT_CAP + 1],
                )[0][0]
            )
        found = tx.query(
            f"SELECT {cols} FROM {LEDGER.name} l {page_where} {LEDGER_ORDER} LIMIT ? OFFSET ?",  # noqa: S608 — our table and column names, values bound
            [*page_params, limit, offset],
        )
        rows = [_ledger_row(tx, r) for r in found]
    next_cursor = None
    if len(rows) == limit:
        last = rows[-1]
        next_cursor = encode_cursor(last["received_at"], last["slip_no"])
    more = total > COUNT_CAP
    return LedgerPage(rows=rows, total=COUNT_CAP if more else total, next_cursor=next_cursor, more=more)


def ledger_iter(db: ViewDB, filters: LedgerFilter | None = None, *, batch: int = 1_000) -> Iterator[dict[str, Any]]:
    """Every matching ledger row, newest first, read in short transactions (for CSV/XLSX streaming)."""
    cursor: str | None = None
    while True:
        page = ledger_page(db, filters, limit=min(batch, MAX_PAGE), cursor=cursor, count=False)
        yield from page.rows
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


def local_time(value: datetime | None, calendar: WorkingCalendar) -> str:
    """An instant as the exports show it: local time of the calendar's zone, to the minute ("" for none)."""
    return value.astimezone(calendar.zone).strftime("%Y-%m-%d %H:%M") if value is not None else ""


def ledger_export_values(
    row: dict[str, Any],
    calendar: WorkingCalendar,
    *,
    departments: dict[str, str] | None = None,
    categories: dict[str, str] | None = None,
    centres: dict[str, str] | None = None,
) -> list[str]:
    """A ledger row as the cells under :data:`LEDGER_COLUMNS_ZH`, in Chinese and local time."""
    depts = departments or {}
    cats = categories or {}
    status = row["status"]
    classification = row["classification"]
    before = row["reclassified_from"]
    values: dict[str, str] = {
        "slip_no": row["slip_no"],
        "received_at": local_time(row["received_at"], calendar),
        "centre": (centres or {}).get(row["centre"], row["centre"]),
        "content_masked": row["content_masked"],
        "classification_reason": row["classification_reason"],
        "reclassified_from": CLASSIFICATION_LABELS[Classification(before)] if before else "",
        "reclassification_reason": row["reclassification_reason"],
        "received_by_name": row["received_by_name"],
        "officer_signer": row["officer_signer"] or "",
        "officer_opinion": row["officer_opinion"],
        "leader_signer": row["leader_signer"] or "",
        "leader_opinion": row["leader_opinion"],
        "dispatched_at": local_time(row["dispatched_at"], calendar),
        "consultation": _consultation_cell(row, depts),
        "feedback_method": row["feedback_method"] or "",
        "result": row["result"] or "",
        "legal_basis": row["legal_basis"] or "",
        "channel": CHANNEL_LABELS.get(row["channel"], row["channel"]),
        "complainant_masked": row["complainant_masked"],
        "enterprise": enterprise_masked(row),
        "category": cats.get(row["category"], row["category"]),
        "classification": CLASSIFICATION_LABELS[Classification(classification)] if classification else "",
        "status": STATUS_LABELS[Status(status)],
        "departments": "、".join(depts.get(d, d) for d in row["departments"]),
        "handlers": "、".join(f"{depts.get(d, d)}:{name}" for d, name in handler_names(row["handlers"]).items()),
        "supervisor": row["supervisor"] or "",
        "due_at": local_time(row["due_at"], calendar),
        "overdue": "是" if row["overdue"] else "否",
        "overdue_level": str(row["overdue_level"]) if row["overdue_level"] else "",
        "resolved_at": local_time(row["resolved_at"], calendar),
        "fed_back_at": local_time(row["fed_back_at"], calendar),
        "called_back_at": local_time(row["called_back_at"], calendar),
        "rating": RATING_LABELS.get(row["rating"], "") if row["rating"] is not None else "",
        "appeal": APPEAL_LABELS.get(row["appeal"], row["appeal"]),
        "rectification_rounds": str(row["rectification_rounds"]),
    }
    return [values[c] for c in LEDGER_COLUMNS_ZH]


def enterprise_masked(row: Mapping[str, Any]) -> str:
    """企业名称 as the 台账 shows it: an enterprise complainant's masked name (the first part of the masked
    complainant, which reads "企业名 联系人 电话"); empty for a person."""
    if row["complainant_type"] != "enterprise":
        return ""
    return str(row["complainant_masked"]).split(" ")[0]


def _consultation_cell(row: Mapping[str, Any], departments: Mapping[str, str]) -> str:
    """会商 as the 台账 shows it: who took part (department names) and the conclusion."""
    if not row["consultation"] and not row["consulted_with"]:
        return ""
    who = "、".join(departments.get(p, p) for p in row["consulted_with"].split(",") if p)
    return f"{who}：{row['consultation']}" if who else row["consultation"]


def ledger_id_by_slip(db: ViewDB, slip_no: str) -> UUID | None:
    """The complaint id of a 受理单号, or None."""
    with db.transaction(write=False) as tx:
        found = tx.query(f"SELECT l.id FROM {LEDGER.name} l WHERE l.slip_no = ?", [slip_no])  # noqa: S608 — fixed table name, value bound
    if not found:
        return None
    value = found[0][0]
    return value if isinstance(value, UUID) else UUID(str(value))


WORKLIST_ORDER = "ORDER BY CASE WHEN l.due_at IS NULL THEN 1 ELSE 0 END, l.due_at, l.received_at"


def department_worklist(
    db: ViewDB, department: str, *, open_only: bool = True, limit: int = 100, offset: int = 0
) -> LedgerPage:
    """A department's dispatched complaints, nearest resolution deadline first (open ones only by default)."""
    if not 1 <= limit <= MAX_PAGE:
        msg = f"limit must be within 1..{MAX_PAGE}"
        raise QueryError(msg)
    conds = [
        f"EXISTS (SELECT 1 FROM {LEDGER_DEPARTMENTS.name} d WHERE d.complaint_id = l.id AND d.department = ?)"  # noqa: S608 — fixed table name, value bound
    ]
    params: list[Any] = [department]
    if open_only:
        conds.append("l.status IN (?, ?, ?)")
        params += [Status.dispatched.value, Status.consulted.value, Status.rectifying.value]
    where = " AND ".join(conds)
    cols = ", ".join(f"l.{c}" for c in LEDGER.column_names)
    with db.transaction(write=False) as tx:
        total = int(tx.query(f"SELECT COUNT(*) FROM {LEDGER.name} l WHERE {where}", params)[0][0])  # noqa: S608 — our table and column names, values bound
        found = tx.query(
            f"SELECT {cols} FROM {LEDGER.name} l WHERE {where} {WORKLIST_ORDER} LIMIT ? OFFSET ?",  # noqa: S608 — our table and column names, values bound
            [*params, limit, offset],
        )
        rows = [_ledger_row(tx, r) for r in found]
    return LedgerPage(rows=rows, total=total)


def answerable_duplicates(db: ViewDB, limit: int) -> list[UUID]:
    """Complaints still merged (并单) whose master has been resolved: the merge policy answers them."""
    sql = (
        f"SELECT d.id FROM {LEDGER.name} d JOIN {LEDGER.name} m ON m.id = d.merged_into"  # noqa: S608 — our table names, values bound
        " WHERE d.status = ? AND m.resolved_at IS NOT NULL ORDER BY d.received_at LIMIT ?"
    )
    with db.transaction(write=False) as tx:
        found = tx.query(sql, [Status.merged.value, limit])
    return [r[0] if isinstance(r[0], UUID) else UUID(str(r[0])) for r in found]


def leader_decisions(db: ViewDB, centre: str | None, *, limit: int = 100) -> list[dict[str, Any]]:
    """What awaits the duty leader: 退单 (re-dispatch or insist), 延期申请 (approve or refuse) and 差评申诉 (uphold or
    not), oldest first."""
    if not 1 <= limit <= MAX_PAGE:
        msg = f"limit must be within 1..{MAX_PAGE}"
        raise QueryError(msg)
    conds = ["l.pending <> ''"]
    params: list[Any] = []
    if centre is not None:
        conds.append("l.centre = ?")
        params.append(centre)
    cols = ", ".join(f"l.{c}" for c in LEDGER.column_names)
    where = " AND ".join(conds)
    with db.transaction(write=False) as tx:
        found = tx.query(
            f"SELECT {cols} FROM {LEDGER.name} l WHERE {where} {WORKLIST_ORDER} LIMIT ?",  # noqa: S608 — our table and column names, values bound
            [*params, limit],
        )
        return [_ledger_row(tx, r) for r in found]
