"""12345 热线一体办理, outbound: which complaint events become work-order updates, and what each carries.

The contract (ops/hotline/, generated from :data:`MESSAGES` by ``yousu hotline schemas``) is one JSON
Schema per message type: a common envelope and a ``data`` object whose fields are named here. Personal
information goes to the hotline only in the fields marked ``personal`` (what the person is told or said:
the answer, the feedback, their comment, their supplement); every other free text is sent with phone,
ID and e-mail numbers masked (:func:`projections.masking.mask_free_text`). The complainant's name,
telephone and ID number are never sent: the hotline holds them already.

``HotlineView`` is the outbox's feed: one row per message, in the log's order, with its sequence number
within the work order (the complaint's event version) and the one before it, so the receiver can check
order and completeness. The view keeps no message body: the outbox renders it from the stored event
when it posts (so no free text sits in a view table in clear).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any, ClassVar
from uuid import UUID

from domain.complaint import Complaint
from domain.values import CLASSIFICATION_LABELS, RATING_LABELS, Channel, Role
from projections.db import Column, Table, Tx
from projections.db import ColumnType as T
from projections.masking import mask_free_text, mask_name
from projections.view import Applied, View, by_complaint, needs_lookup

CONTRACT_VERSION = "yousu.hotline/2"

# JSON Schema fragments
STR: dict[str, Any] = {"type": "string"}
TEXT: dict[str, Any] = {"type": "string", "maxLength": 10000}
OPT_TEXT: dict[str, Any] = {"type": ["string", "null"], "maxLength": 10000}
INSTANT: dict[str, Any] = {"type": "string", "format": "date-time"}
OPT_INSTANT: dict[str, Any] = {"type": ["string", "null"], "format": "date-time"}
CODES: dict[str, Any] = {"type": "array", "items": {"type": "string"}}
INT: dict[str, Any] = {"type": "integer"}
BOOL: dict[str, Any] = {"type": "boolean"}
CLASSIFICATION: dict[str, Any] = {"type": "string", "enum": ["general", "cannot_do", "hard_to_do", "refused_to_do"]}


@dataclass(frozen=True)
class Field:
    """One field of a message's ``data`` (sent with every message of its type): its schema, whether it is personal."""

    schema: dict[str, Any]
    personal: bool = False
    description: str = ""


@dataclass(frozen=True)
class MessageType:
    """What one complaint event becomes: a message ``type``, its Chinese label and its ``data`` fields."""

    type: str
    label: str
    fields: dict[str, Field]
    render: Callable[[Any], dict[str, Any]] | None = None  # None: the fields named, taken from the event

    def data(self, event: Any, names: Iterable[str] = (), extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The message's ``data`` for ``event`` (and ``extra`` values the event does not carry); non-personal
        free text masked (numbers, and ``names``)."""
        raw = {**(self.render(event) if self.render is not None else _pick(event, self.fields)), **(extra or {})}
        out: dict[str, Any] = {}
        for name, spec in self.fields.items():
            if name not in raw:
                continue
            value = _json(raw[name])
            if isinstance(value, str) and not spec.personal and spec.schema.get("maxLength"):
                value = mask_free_text(value, names)
            out[name] = value
        return out

    @property
    def personal_fields(self) -> list[str]:
        """The ``data`` fields that may carry personal information."""
        return [n for n, f in self.fields.items() if f.personal]


def _json(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    return value


def _pick(event: Any, fields: dict[str, Field]) -> dict[str, Any]:
    """The named fields, taken from the event's attributes of the same names."""
    return {name: getattr(event, name) for name in fields if hasattr(event, name)}


def _by_hotline(e: Any) -> bool:
    return bool(e.actor.role is Role.hotline)


def _accepted(e: Complaint.Received) -> dict[str, Any]:
    return {
        "centre": e.centre,
        "slip_no": e.slip_no,
        "category": e.category,
        "received_at": e.received_at,
        "response_due_at": e.response_due_at,
    }


def _classified(e: Complaint.Classified) -> dict[str, Any]:
    return {
        "classification": e.classification,
        "classification_label": CLASSIFICATION_LABELS[e.classification],
        "reason": e.reason,
        "due_at": e.due_at,
    }


def _reclassified(e: Complaint.Reclassified) -> dict[str, Any]:
    return {
        "from_classification": e.from_classification,
        "classification": e.to_classification,
        "classification_label": CLASSIFICATION_LABELS[e.to_classification],
        "reason": e.reason,
    }


# a department code as the reference spells them (market, natural_resources); any other participant is a person
DEPARTMENT_CODE = re.compile(r"[a-z][a-z0-9_]{0,63}")


def _consulted(e: Complaint.Consulted) -> dict[str, Any]:
    """Department codes as they are; a participant named in person is masked like every other name (王**),
    in the list and in the conclusion."""
    people = [p for p in e.participants if not DEPARTMENT_CODE.fullmatch(p)]
    return {
        "participants": [p if DEPARTMENT_CODE.fullmatch(p) else mask_name(p) for p in e.participants],
        "conclusion": mask_free_text(e.conclusion, people),
    }


def _fed_back(e: Complaint.FedBack) -> dict[str, Any]:
    return {"method": e.method, "summary": e.summary, "by_hotline": _by_hotline(e)}


def _called_back(e: Complaint.CalledBack) -> dict[str, Any]:
    return {
        "rating": e.rating,
        "rating_label": RATING_LABELS[e.rating],
        "comment": e.comment,
        "rectification_due_at": e.rectification_due_at,
        "by_hotline": _by_hotline(e),
    }


def _deadline_corrected(e: Complaint.DeadlineCorrected) -> dict[str, Any]:
    return {"clock": e.clock, "previous_due_at": e.previous_due_at, "due_at": e.due_at}


REASON = Field(TEXT, description="原因/说明（号码已遮蔽）")
DAYS: dict[str, Any] = {"type": "integer", "minimum": 1}
# The master of a 并单 by the hotline's own work-order number (the hotline cannot use our internal ids);
# null when the master did not come from the hotline (a window or online complaint).
MASTER_REF = Field({"type": ["string", "null"]}, description="主诉求的热线工单编号（主诉求非热线来件时为 null）")

# Keyed by the event's class name. Every field is sent with every message of its type (required in the
# schema); a field that may be empty says so with null in its type.
MESSAGES: dict[str, MessageType] = {
    "Received": MessageType(
        "accepted",
        "签收",
        {
            "centre": Field(STR, description="受理服务中心代码"),
            "slip_no": Field(STR, description="受理单号"),
            "category": Field(STR, description="诉求类别代码"),
            "received_at": Field(INSTANT, description="热线原始受理时间"),
            "response_due_at": Field(INSTANT, description="接诉响应时限"),
        },
        _accepted,
    ),
    "Classified": MessageType(
        "classified",
        "分类",
        {
            "classification": Field(CLASSIFICATION),
            "classification_label": Field(STR),
            "reason": Field(TEXT),
            "due_at": Field(OPT_INSTANT, description="一般性问题的当日办结时限；其他类别转办时确定"),
        },
        _classified,
    ),
    "Reclassified": MessageType(
        "reclassified",
        "改分类",
        {
            "from_classification": Field(CLASSIFICATION),
            "classification": Field(CLASSIFICATION),
            "classification_label": Field(STR),
            "reason": Field(TEXT),
        },
        _reclassified,
    ),
    "Dispatched": MessageType(
        "dispatched",
        "转办",
        {
            "departments": Field(CODES, description="承办部门代码"),
            "instructions": Field(TEXT),
            "due_at": Field(INSTANT, description="办结时限"),
        },
    ),
    "Consulted": MessageType(
        "consulted",
        "会商",
        {
            "participants": Field(CODES, description="参会部门代码；以姓名列出的参会人已脱敏（王**）"),
            "conclusion": Field(TEXT),
        },
        _consulted,
    ),
    "Resolved": MessageType(
        "resolved",
        "办结",
        {
            "result": Field(TEXT, personal=True, description="办理结果（答复群众的内容）"),
            "legal_basis": Field(OPT_TEXT, description="法律政策依据（办不了必填）"),
            "feedback_due_at": Field(INSTANT),
        },
    ),
    "FedBack": MessageType(
        "fed_back",
        "反馈",
        {
            "method": Field(STR),
            "summary": Field(TEXT, personal=True, description="反馈内容"),
            "by_hotline": Field(BOOL, description="由热线自行反馈时为 true（回执）"),
        },
        _fed_back,
    ),
    "CalledBack": MessageType(
        "called_back",
        "回访",
        {
            "rating": Field({"type": "integer", "minimum": 1, "maximum": 5}),
            "rating_label": Field(STR),
            "comment": Field(TEXT, personal=True, description="群众意见"),
            "rectification_due_at": Field(OPT_INSTANT, description="差评整改时限"),
            "by_hotline": Field(BOOL, description="由热线回访中心回访时为 true（回执）"),
        },
        _called_back,
    ),
    "DeadlineCorrected": MessageType(
        "deadline_corrected",
        "时限更正",
        {
            "clock": Field(
                {"type": "string", "enum": ["response", "resolution", "feedback", "callback", "rectification"]}
            ),
            "previous_due_at": Field(INSTANT),
            "due_at": Field(INSTANT),
        },
        _deadline_corrected,
    ),
    "SupplementAdded": MessageType(
        "supplement_added",
        "补充诉求/材料",
        {
            "text": Field(TEXT, personal=True, description="补充内容"),
            "source": Field({"type": "string", "enum": ["hotline", "window"]}),
        },
    ),
    "Withdrawn": MessageType("withdrawn", "撤诉", {"reason": REASON}),
    "Merged": MessageType(
        "merged",
        "并单",
        {
            "master_slip_no": Field(STR, description="主诉求受理单号"),
            "master_external_ref": MASTER_REF,
            "reason": REASON,
        },
    ),
    "Unmerged": MessageType("unmerged", "撤销并单", {"master_external_ref": MASTER_REF, "reason": REASON}),
    "Returned": MessageType(
        "returned", "退单", {"department": Field(STR, description="退单部门代码"), "reason": REASON}
    ),
    "ReturnInsisted": MessageType(
        "return_insisted",
        "退单不予同意",
        {
            "department": Field(STR, description="须继续办理的部门代码"),
            "opinion": Field(TEXT, description="带班领导意见"),
        },
    ),
    "Redispatched": MessageType(
        "redispatched",
        "改派",
        {
            "departments": Field(CODES, description="改派后的承办部门代码"),
            "instructions": Field(TEXT),
            "due_at": Field(INSTANT, description="自改派起重新计算的办结时限"),
        },
    ),
    "ExtensionRequested": MessageType(
        "extension_requested",
        "申请延期",
        {"department": Field(STR), "days": Field(DAYS, description="申请延长的工作日数"), "reason": REASON},
    ),
    "ExtensionApproved": MessageType(
        "extension_approved",
        "批准延期",
        {
            "days": Field(DAYS),
            "previous_due_at": Field(INSTANT),
            "due_at": Field(INSTANT, description="延期后的办结时限"),
            "opinion": Field(TEXT, description="带班领导意见"),
        },
    ),
    "ExtensionRefused": MessageType("extension_refused", "不予延期", {"reason": REASON}),
    "ClockPaused": MessageType(
        "clock_paused",
        "中止计时",
        {
            "department": Field(STR),
            "reason": REASON,
            "pause_due_at": Field(INSTANT, description="中止时限（超过即督办）"),
        },
    ),
    "ClockResumed": MessageType(
        "clock_resumed",
        "恢复计时",
        {
            "source": Field(
                {"type": "string", "enum": ["clerk", "hotline"]}, description="clerk 窗口 / hotline 热线补充"
            ),
            "note": Field(TEXT),
            "paused_seconds": Field({"type": "integer", "minimum": 0}, description="中止的工作时间（秒）"),
            "previous_due_at": Field(INSTANT),
            "due_at": Field(INSTANT, description="顺延后的办结时限"),
        },
    ),
    "AnsweredByMaster": MessageType(
        "answered_by_master",
        "按主诉求答复",
        {
            "master_external_ref": MASTER_REF,
            "result": Field(TEXT, personal=True, description="主诉求的办理结果"),
            "legal_basis": Field(OPT_TEXT, description="法律政策依据"),
            "feedback_due_at": Field(INSTANT),
        },
    ),
}
MESSAGE_LABELS = {m.type: m.label for m in MESSAGES.values()}

ENVELOPE: dict[str, Field] = {
    "contract": Field({"type": "string", "const": CONTRACT_VERSION}),
    "message_id": Field(STR, description="幂等键：同一消息重发时不变（亦见 Idempotency-Key 请求头）"),
    "type": Field(STR),
    "external_ref": Field(STR, description="热线工单编号"),
    "seq": Field({"type": "integer", "minimum": 1}, description="本工单内的顺序号，严格递增"),
    "previous_seq": Field({"type": "integer", "minimum": 0}, description="本工单上一条消息的 seq（首条为 0）"),
    "occurred_at": Field(INSTANT),
    "data": Field({"type": "object"}),
}


def json_schema(message: MessageType) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of one message type: envelope, ``data`` closed to the fields named."""
    data = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            name: {**f.schema, **({"description": f.description} if f.description else {})}
            | ({"x-personal-info": True} if f.personal else {})
            for name, f in message.fields.items()
        },
        "required": list(message.fields),
    }
    props: dict[str, Any] = {name: dict(f.schema) for name, f in ENVELOPE.items()}
    for name, f in ENVELOPE.items():
        if f.description:
            props[name]["description"] = f.description
    props["type"] = {"const": message.type, "description": message.label}
    props["data"] = data
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://yousu.invalid/hotline/{message.type}.schema.json",
        "title": f"{message.label}（{message.type}）",
        "type": "object",
        "additionalProperties": False,
        "properties": props,
        "required": list(ENVELOPE),
    }


def message_id(external_ref: str, seq: int) -> str:
    """The message's idempotency key: stable for a work order and sequence number."""
    return f"yousu:{external_ref}:{seq}"


def render(
    event: Any,
    *,
    external_ref: str,
    previous_seq: int,
    names: Iterable[str] = (),
    work_order_of: Callable[[UUID], str | None] | None = None,
) -> dict[str, Any] | None:
    """The whole message for ``event`` (None: this event is not sent); ``names``: the complainant's, masked.

    ``work_order_of`` gives a complaint's hotline work-order number (None: not from the hotline): a 并单's
    master is named by it.
    """
    kind = MESSAGES.get(type(event).__name__)
    if kind is None:
        return None
    extra: dict[str, Any] = {}
    if "master_external_ref" in kind.fields:
        master: UUID = event.master_id
        extra["master_external_ref"] = work_order_of(master) if work_order_of is not None else None
    seq = int(event.originator_version)
    return {
        "contract": CONTRACT_VERSION,
        "message_id": message_id(external_ref, seq),
        "type": kind.type,
        "external_ref": external_ref,
        "seq": seq,
        "previous_seq": previous_seq,
        "occurred_at": event.occurred_at.isoformat(),
        "data": kind.data(event, names, extra),
    }


# ------------------------------------------------------------------------------------------ the view

HOTLINE_ORDERS = Table(
    "yousu_hotline_orders",
    (
        Column("complaint_id", T.uuid),
        Column("external_ref", T.text, nullable=False),
        Column("last_seq", T.integer, nullable=False),  # the seq of the newest message so far
    ),
    key=("complaint_id",),
)
HOTLINE_MESSAGES = Table(
    "yousu_hotline_messages",
    (
        Column("notification_id", T.bigint),
        Column("complaint_id", T.uuid, nullable=False),
        Column("external_ref", T.text, nullable=False),
        Column("seq", T.integer, nullable=False),  # the complaint's event version
        Column("previous_seq", T.integer, nullable=False),
        Column("type", T.text, nullable=False),
        Column("occurred_at", T.timestamp, nullable=False),
    ),
    key=("notification_id",),
    indexes=(("yousu_hotline_messages_ref_idx", "(external_ref, seq)"),),
)
ORDER_COLUMNS = HOTLINE_ORDERS.column_names


class HotlineView(View):
    """One row per message for the 12345 hotline: every mapped event of a complaint that came from it."""

    name: ClassVar[str] = "hotline"
    version: ClassVar[int] = 1
    tables: ClassVar[tuple[Table, ...]] = (HOTLINE_ORDERS, HOTLINE_MESSAGES)

    def apply(self, tx: Tx, page: Sequence[Applied]) -> None:
        """Fold the page: work orders seen, their newest seq, and a row per message."""
        groups = by_complaint(page)
        orders: dict[UUID, dict[str, Any]] = {}
        lookup = needs_lookup(groups)
        if lookup:
            found = tx.select_in(HOTLINE_ORDERS, ORDER_COLUMNS, "complaint_id", lookup, T.uuid)
            for values in tx.load(HOTLINE_ORDERS, found):
                row = dict(zip(ORDER_COLUMNS, values, strict=True))
                orders[row["complaint_id"]] = row
        messages: list[tuple[Any, ...]] = []
        changed: list[tuple[Any, ...]] = []
        for cid, events in groups.items():
            order = orders.get(cid)
            before = dict(order) if order is not None else None
            for nid, e in events:
                if isinstance(e, Complaint.Received):
                    if e.channel is not Channel.hotline or not e.external_ref:
                        break
                    order = {"complaint_id": cid, "external_ref": e.external_ref, "last_seq": 0}
                if order is None or type(e).__name__ not in MESSAGES:
                    continue
                seq = e.originator_version
                kind = MESSAGES[type(e).__name__].type
                messages.append((nid, cid, order["external_ref"], seq, order["last_seq"], kind, e.occurred_at))
                order["last_seq"] = seq
            if order is not None and order != before:
                changed.append(tuple(order[c] for c in ORDER_COLUMNS))
        tx.upsert(HOTLINE_ORDERS, changed)
        tx.insert_ignore(HOTLINE_MESSAGES, messages)
