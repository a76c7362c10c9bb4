"""Turning aggregates and events into response bodies, masking personal information by role."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime
from enum import Enum
from typing import Any

from api.auth import Principal
from api.permissions import PERMISSIONS, Action, allowed
from api.schemas import (
    ActorOut,
    AppealOut,
    ComplainantOut,
    ComplaintOut,
    ConsultationOpinion,
    ConsultationOut,
    HandlerOut,
    HistoryItem,
)
from application.store import RecordedEvent
from domain.complaint import EVENT_LABELS, Appeal, Complaint, Consultation, HandlerAssignment
from domain.values import CLASSIFICATION_LABELS, STATUS_LABELS, Complainant, Role
from projections.masking import mask_free_text, mask_id_number, mask_name, mask_phone

# personal_salts: with a masked payload they would let a reader brute-force the hashed phone number
EVENT_ENVELOPE = {
    "originator_id",
    "originator_version",
    "timestamp",
    "originator_topic",
    "actor",
    "occurred_at",
    "personal_salts",
}


# fields where staff type what people tell them: phones and ID numbers turn up here too
FREE_TEXT = frozenset(
    {"content", "reason", "result", "legal_basis", "conclusion", "summary", "comment", "opinion", "text", "note"}
)


def may_see_personal_info(principal: Principal, complaint: Complaint) -> bool:
    """Window clerks, duty officer and leader, liaisons, and the departments handling it."""
    roles = principal.roles & PERMISSIONS[Action.read_personal_info]
    if roles - {Role.department}:
        return True
    return Role.department in roles and principal.department in complaint.departments


def personal_info_role(principal: Principal) -> Role | None:
    """The role in which the caller reads personal information (the one the access log records), if any."""
    return allowed(Action.read_personal_info, principal.roles)


def complainant_out(c: Complainant, *, clear: bool) -> ComplainantOut:
    """The complainant, in clear or masked."""
    if clear:
        return ComplainantOut(
            type=c.type.value,
            name=c.name,
            phone=c.phone,
            id_number=c.id_number,
            enterprise_name=c.enterprise_name,
            masked=False,
        )
    return ComplainantOut(
        type=c.type.value,
        name=mask_name(c.name),
        phone=mask_phone(c.phone),
        id_number=mask_id_number(c.id_number),
        enterprise_name=c.enterprise_name,
        masked=True,
    )


def consultation_out(k: Consultation, text: Callable[[str | None], str | None]) -> ConsultationOut:
    """One 会商 as recorded, its conclusion through ``text`` (masked for a reader without personal-info access)."""
    return ConsultationOut(
        occurred_at=k.occurred_at,
        recorded_by=k.actor.name,
        recorded_by_role=k.actor.role.value,
        participants=list(k.participants),
        conclusion=text(k.conclusion) or "",
        opinions=[ConsultationOpinion(participant=p, opinion=text(o) or "") for p, o in k.opinions],
    )


def appeal_out(a: Appeal, text: Callable[[str | None], str | None]) -> AppealOut:
    """One 差评申诉, its reason and opinion through ``text`` (masked for a reader without personal-info access)."""
    return AppealOut(
        round=a.round,
        occurred_at=a.occurred_at,
        appealed_by=a.actor.name,
        appealed_by_role=a.actor.role.value,
        reason=text(a.reason) or "",
        upheld=a.upheld,
        decided_by=a.decided_by.name if a.decided_by else None,
        opinion=text(a.opinion) or "",
    )


def handler_out(a: HandlerAssignment) -> HandlerOut:
    """One department's 承办人 and the 负责人 who named them."""
    return HandlerOut(
        department=a.department,
        handler_id=a.handler_id,
        handler_name=a.handler_name,
        assigned_by=a.assigned_by.name,
        assigned_at=a.assigned_at,
    )


def complaint_out(c: Complaint, principal: Principal) -> ComplaintOut:
    """The state of one complaint; free text masked (phones, ID numbers, names) without personal-info access."""
    clear = may_see_personal_info(principal, c)
    names = [c.complainant.name, c.complainant.enterprise_name or ""]

    def text(value: str | None) -> str | None:
        return value if clear or value is None else mask_free_text(value, names)

    return ComplaintOut(
        id=c.id,
        slip_no=c.slip_no,
        centre=c.centre,
        version=c.version,
        status=c.status.value,
        status_label=STATUS_LABELS[c.status],
        channel=c.channel.value,
        category=c.category,
        content=text(c.content) or "",
        complainant=complainant_out(c.complainant, clear=clear),
        external_ref=c.external_ref,
        received_at=c.received_at,
        received_by=c.received_by.name if c.received_by else None,
        registered_at=c.registered_at,
        response_due_at=c.response_due_at,
        classification=c.classification.value if c.classification else None,
        classification_label=CLASSIFICATION_LABELS[c.classification] if c.classification else None,
        classification_reason=text(c.classification_reason) or "",
        reclassified_from=c.reclassified_from.value if c.reclassified_from else None,
        reclassification_reason=text(c.reclassification_reason) or "",
        departments=list(c.departments),
        supervisor=c.supervisor,
        dispatched_at=c.dispatched_at,
        due_at=c.due_at,
        due_provisional=c.due_provisional,
        consultations=c.consultations,
        consultation_records=[consultation_out(k, text) for k in c.consultation_log],
        officer_signer=c.officer_signature.name if c.officer_signature else None,
        officer_opinion=text(c.officer_opinion) or "",
        leader_signer=c.leader_signature.name if c.leader_signature else None,
        leader_opinion=text(c.leader_opinion) or "",
        resolved_at=c.resolved_at,
        legal_basis=text(c.legal_basis),
        result=text(c.result),
        signed_off_by=c.signed_off_by,
        fed_back_at=c.fed_back_at,
        feedback_method=c.feedback_method,
        feedback_summary=text(c.feedback_summary) or "",
        rating=c.rating,
        called_back_at=c.called_back_at,
        rectification_round=c.rectification_round,
        rectification_due_at=c.rectification_due_at,
        escalations=[{"clock": k.value, "level": lv, "round": r} for k, lv, r in c.escalations],
        **_beside(c, text),
    )


def _beside(c: Complaint, text: Callable[[str | None], str | None]) -> dict[str, Any]:
    """The state beside the main line: 并单, 退单, 延期, 中止, 差评申诉 and 指定承办人."""
    return {
        "merged_into": c.merged_into,
        "merge_reason": text(c.merge_reason) or "",
        "pending_return": c.pending_return,
        "returns": c.returns,
        "pending_extension_days": c.pending_extension,
        "extensions": c.extensions,
        "paused_at": c.paused_at,
        "pause_due_at": c.pause_due_at,
        "appeals": [appeal_out(a, text) for a in c.appeals],
        # 指定承办人, in the order of the complaint's departments
        "handlers": [handler_out(c.handlers[d]) for d in c.departments if d in c.handlers],
        "pending_appeal": c.pending_appeal is not None,
    }


FREE_TEXT_FIELDS = frozenset(
    {"content", "result", "legal_basis", "summary", "opinion", "instructions", "conclusion", "reason"}
)


def _plain(value: Any, *, clear: bool) -> Any:
    if isinstance(value, Complainant):
        return complainant_out(value, clear=clear).model_dump()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name), clear=clear) for f in dataclasses.fields(value)}
    if isinstance(value, list | tuple):
        return [_plain(v, clear=clear) for v in value]
    return value


def history_item(recorded: RecordedEvent, *, clear: bool) -> HistoryItem:
    """One event of the audit trail with its full payload."""
    event = recorded.event
    payload = {
        k: _plain(v, clear=clear) for k, v in vars(event).items() if k not in EVENT_ENVELOPE and k != "fingerprint"
    }
    if not clear:
        for key in FREE_TEXT & payload.keys():
            if isinstance(payload[key], str):
                payload[key] = mask_free_text(payload[key])
        if isinstance(payload.get("opinions"), dict):  # 会商: each participant's 意见 is free text too
            payload["opinions"] = {p: mask_free_text(str(o)) for p, o in payload["opinions"].items()}
    actor = event.actor
    return HistoryItem(
        version=recorded.version,
        type=recorded.type,
        label=EVENT_LABELS.get(recorded.type, recorded.type),
        actor=ActorOut(id=actor.id, name=actor.name, role=actor.role.value, department=actor.department),
        occurred_at=event.occurred_at,
        recorded_at=recorded.recorded_at,
        payload=payload,
    )
