"""满意度回访中心: the queue of due call-backs, 抽查 spot checks and 主动回访 contacts, call-back agents on
record, assignment to them, attempts, and a call's finding issued as a rectification order."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from pydantic import Field

from api.deps import (
    Caller,
    CaughtUp,
    Code,
    Complaints,
    ContainerDep,
    Guard,
    Offset,
    ReferenceDep,
    Views,
    require,
    run_query,
)
from api.permissions import Action
from api.presenters import personal_info_role
from api.problems import ApiProblem
from api.routes.orders import answer as order_answer
from api.routes.orders import known_units
from api.schemas import Line, OptionalText, Strict, Text
from api.schemas_answers import ReferredOrder
from api.schemas_views import CallbackAnswer, CallbackQueue, CallbackSummary, Enrolled, ProactiveOut
from api.scope import centre_filter, check_call, order_units, scope_of
from application.callbacks import CallbackResult, CallbacksService
from application.errors import ComplaintNotFound
from domain.audit import plain
from domain.callbacks import TASK_STATE_LABELS, CallbackPolicy, CallKind, Outcome
from domain.centres import DEFAULT_CENTRE
from domain.values import Complainant, ComplainantType, Role
from projections import callbacks as callbacks_view
from projections.callbacks import QueueFilter
from projections.masking import mask_name, mask_phone

router = APIRouter(prefix="/v1/callbacks", tags=["callbacks"])

QueueReader = Annotated[Role, Depends(require(Action.read_callbacks))]
Assigner = Annotated[Role, Depends(require(Action.assign_callback))]
Caller_ = Annotated[Role, Depends(require(Action.record_callback))]
Enrolling = Annotated[Role, Depends(require(Action.enrol_callback_agent))]
Registrar = Annotated[Role, Depends(require(Action.register_proactive))]
Issuer = Annotated[Role, Depends(require(Action.issue_order))]


def callback_policy(request: Request) -> CallbackPolicy:
    """YOUSU_CALLBACK_MAX_ATTEMPTS and YOUSU_SPOT_CHECK_SHARE, as the composition root set them."""
    policy = getattr(request.app.state, "callback_policy", None)
    return policy if isinstance(policy, CallbackPolicy) else CallbackPolicy()


Policy = Annotated[CallbackPolicy, Depends(callback_policy)]


class AssignIn(Strict):
    """分派 to a call-back agent (the ``sub`` of their token)."""

    agent: Annotated[Line, Field(min_length=1, max_length=200)]


class AttemptIn(Strict):
    """One call: answered (with a rating 1–5), no_answer, refused or wrong_number; a finding may be noted."""

    outcome: Literal["answered", "no_answer", "refused", "wrong_number"]
    rating: Annotated[int, Field(ge=1, le=5, strict=True)] | None = None
    comment: OptionalText = ""
    finding: Annotated[OptionalText, Field(max_length=4000)] = ""


class PersonIn(Strict):
    """Who was served: a phone to call them on, a name if they gave one."""

    name: Annotated[OptionalText, Field(max_length=100)] = ""
    phone: Annotated[Line, Field(min_length=5, max_length=32)]


class ProactiveIn(Strict):
    """主动回访: someone served at the window without complaining, to be asked how it went."""

    person: PersonIn
    service: Annotated[Line, Field(min_length=1, max_length=500, description="办理的事项")]
    category: Code = None


class ReferIn(Strict):
    """A call's finding issued as a rectification order to a unit."""

    kind: Literal["due", "spot_check", "proactive"] = "due"
    unit: Annotated[Line, Field(min_length=1, max_length=64)]
    working_days: Annotated[int, Field(ge=1, le=60, strict=True)] = 5
    text: Text | None = None


def answer(result: CallbackResult) -> dict[str, Any]:
    """Every call-back command's answer."""
    out: dict[str, Any] = plain(result)
    out["state_label"] = TASK_STATE_LABELS[next(s for s in TASK_STATE_LABELS if s.value == result.state)]
    return out


def run(guard: Guard, command: Callable[[], CallbackResult]) -> dict[str, Any]:
    """A call-back command through the store guard."""
    return answer(guard.call(command))


@router.get("/queue", response_model=CallbackQueue)
def queue(  # noqa: PLR0913 — the queue's filters
    *,
    _role: QueueReader,
    who: Caller,
    _caught_up: CaughtUp,
    views: Views,
    guard: Guard,
    complaints: Complaints,
    policy: Policy,
    kind: Literal["due", "spot_check", "proactive"] = "due",
    assignee: Code = None,
    centre: Code = None,
    unassigned: bool | None = None,
    ready: bool = False,
    findings: Annotated[bool, Query(description="只列出已回访并发现问题的（供转整改），而非待回访的")] = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Due call-backs by deadline (spot checks by closing time, 主动回访 by registration), people masked;
    ``ready``: callable now; ``findings``: the calls made that found a problem (to send as a 整改通知).

    ``total`` is exact up to 1,000 (``more`` says there are more); ``/v1/callbacks/summary`` counts all.
    """
    now = complaints.clock.now()
    f = QueueFilter(kind, assignee, centre_filter(who, centre), unassigned, ready, findings)
    rows, total = run_query(
        guard, lambda: callbacks_view.queue(views, f, now, spot_share=policy.spot_share, limit=limit, offset=offset)
    )
    shown, more = callbacks_view.capped(total)
    return {"items": [plain(r) for r in rows], "total": shown, "more": more}


@router.get("/summary", response_model=CallbackSummary)
def summary(
    *, _role: QueueReader, who: Caller, _caught_up: CaughtUp, views: Views, guard: Guard, policy: Policy
) -> dict[str, Any]:
    """Call-backs by kind and state (the caller's centre's): 无法联系 (unreachable) and 拒绝回访 counted apart,
    never as satisfied."""
    centre = centre_filter(who, None)
    counts = run_query(guard, lambda: callbacks_view.summary(views, spot_share=policy.spot_share, centre=centre))
    return {
        "counts": counts,
        "state_labels": {s.value: label for s, label in TASK_STATE_LABELS.items()},
        "max_attempts": policy.max_attempts,
        "spot_check_share": policy.spot_share,
    }


@router.post("/agents", response_model=Enrolled)
def enrol(role: Enrolling, who: Caller, complaints: Complaints, guard: Guard) -> dict[str, Any]:
    """登记回访员: the caller (a call-back agent's token) is put on record, so calls can be assigned to them."""
    service = CallbacksService(complaints)
    enrolled = guard.call(lambda: service.enrol(actor=who.actor(role)))
    return {"agent": who.sub, "name": who.name, "enrolled": enrolled}


@router.post("/proactive", status_code=201, response_model=CallbackAnswer)
def register_proactive(
    body: ProactiveIn,
    role: Registrar,
    who: Caller,
    complaints: Complaints,
    guard: Guard,
    policy: Policy,
    reference: ReferenceDep,
) -> dict[str, Any]:
    """主动回访: the window clerk registers someone they served (no complaint) for a call; the phone is kept
    only in the (encrypted) events, masked in the queue. The answer's ``complaint_id`` is the call's own id."""
    if body.category is not None and body.category not in reference.categories:
        raise ApiProblem(422, "invalid_input", f"未知的类别代码：{body.category}", field="category")
    service = CallbacksService(complaints, policy)
    person = Complainant(ComplainantType.person, body.person.name, body.person.phone)
    return run(
        guard,
        lambda: service.register_proactive(
            centre=who.centre or DEFAULT_CENTRE,
            category=body.category or "",
            service=body.service,
            person=person,
            actor=who.actor(role),
        ),
    )


@router.get("/proactive/{task_id}", response_model=ProactiveOut)
def read_proactive(
    task_id: UUID, role: QueueReader, who: Caller, complaints: Complaints, guard: Guard, container: ContainerDep
) -> dict[str, Any]:
    """A 主动回访 contact: the phone in clear for roles that read personal information (the read is logged in
    the access log under the call's id), masked for the others."""
    service = CallbacksService(complaints)
    task = guard.call(lambda: service.proactive(task_id))
    if not scope_of(who).sees_centre(task.centre):
        raise ComplaintNotFound("回访任务不存在")  # another centre's: as for an unknown id
    reader = personal_info_role(who)
    person = task.person or Complainant(ComplainantType.person, "", "")
    if reader is not None:
        guard.call(
            lambda: container.audit.record_access(
                reader=who.actor(reader),
                complaint_id=task_id,
                endpoint="GET /v1/callbacks/proactive/{id}",
                personal_info=True,
            )
        )
    shown = {"name": person.name, "phone": person.phone, "masked": False}
    if reader is None:
        shown = {"name": mask_name(person.name), "phone": mask_phone(person.phone), "masked": True}
    return {
        "id": str(task.id),
        "centre": task.centre,
        "category": task.category,
        "service": task.service,
        "person": shown,
        "registered_at": plain(task.registered_at),
        "registered_by": plain(task.registered_by),
        "state": task.state.value,
        "state_label": TASK_STATE_LABELS[task.state],
        "assignee": task.assignee,
        "attempts": task.attempts,
        "finding": task.finding,
        "order_id": str(task.order_id) if task.order_id else None,
    }


@router.post("/{complaint_id}/assign", response_model=CallbackAnswer)
def assign(
    complaint_id: UUID,
    body: AssignIn,
    role: Assigner,
    who: Caller,
    complaints: Complaints,
    guard: Guard,
    policy: Policy,
    container: ContainerDep,
) -> dict[str, Any]:
    """分派 the current call-back (of a complaint: due, or its spot check; or a 主动回访 by its id) to a call-back
    agent on record (enrolled through ``POST /v1/callbacks/agents``, or a local account holding the role);
    anyone else is refused (422 ``not_callback_agent``)."""
    service = CallbacksService(complaints, policy, accounts=container.accounts)
    guard.call(lambda: check_call(complaints, who, complaint_id))
    return run(guard, lambda: service.assign(complaint_id, agent=body.agent, actor=who.actor(role)))


@router.post("/{complaint_id}/attempts", response_model=CallbackAnswer)
def attempt(
    complaint_id: UUID,
    body: AttemptIn,
    role: Caller_,
    who: Caller,
    complaints: Complaints,
    guard: Guard,
    policy: Policy,
) -> dict[str, Any]:
    """Record a call. Answered with a rating on a due call-back records the complaint's 回访 (1–2 opens 整改).

    After YOUSU_CALLBACK_MAX_ATTEMPTS failed calls (no answer, wrong number) the call-back is 无法联系.
    A ``finding`` is kept with the call; a duty leader turns it into an order (``POST /v1/orders``,
    ``finding.kind = callback_finding``, ``complaint_id``).
    """
    service = CallbacksService(complaints, policy)
    guard.call(lambda: check_call(complaints, who, complaint_id))
    return run(
        guard,
        lambda: service.attempt(
            complaint_id,
            outcome=Outcome(body.outcome),
            rating=body.rating,
            comment=body.comment,
            finding=body.finding,
            actor=who.actor(role),
        ),
    )


@router.post("/{complaint_id}/order", status_code=201, response_model=ReferredOrder)
def refer(
    complaint_id: UUID,
    body: ReferIn,
    role: Issuer,
    who: Caller,
    complaints: Complaints,
    guard: Guard,
    reference: ReferenceDep,
) -> dict[str, Any]:
    """A call's finding becomes a 限期整改通知 (``finding.kind = callback_finding``) to ``unit``: the call of
    ``kind`` — the complaint's closing call-back (``due``) or 抽查, or a 主动回访 by its id. The order records
    the call (``callback_task_id``) and the call the order (``order_id``), in one transaction; once per call."""
    service = CallbacksService(complaints)
    guard.call(lambda: check_call(complaints, who, complaint_id))
    units = order_units(who, known_units(reference), reference.centres)
    result, task = guard.call(
        lambda: service.refer(
            complaint_id,
            kind=CallKind(body.kind),
            unit=body.unit,
            working_days=body.working_days,
            text=body.text,
            actor=who.actor(role),
            known_units=units,
        )
    )
    return {**order_answer(result), "callback_task_id": str(task)}
