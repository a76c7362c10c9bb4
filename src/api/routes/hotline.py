"""12345 热线一体办理: what the hotline reports back on its work orders, and what yousu sent it.

The hotline names a work order by its own ``external_ref`` and every message by its ``message_id``:
a message posted again (same id) is answered as before and records nothing twice.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import BaseModel, Field

from api.deps import Caller, Complaints, Guard, Views, require, run_query
from api.permissions import Action
from api.problems import ApiProblem
from api.routes.complaint_commands import answer
from api.schemas import CommandOut, Line, OptionalText, Str, Strict, Text
from api.scope import centre_filter
from application.errors import ComplaintNotFound
from application.store import CommandResult, hotline_complaint_id
from domain.values import Channel, Role
from policies import hotline as outbox

router = APIRouter(prefix="/v1/hotline", tags=["hotline"])
deliveries_router = APIRouter(prefix="/v1/deliveries", tags=["hotline"])

Reporter = Annotated[Role, Depends(require(Action.hotline_report))]
Supplementer = Annotated[Role, Depends(require(Action.supplement))]
Withdrawer = Annotated[Role, Depends(require(Action.withdraw))]
DeliveryReader = Annotated[Role, Depends(require(Action.read_deliveries))]
ExternalRef = Annotated[str, Path(min_length=1, max_length=128, description="热线工单编号")]
MessageId = Annotated[Line, Field(min_length=1, max_length=128, description="热线消息编号（幂等键）")]


class HotlineFeedbackIn(Strict):
    """热线自行反馈办理结果."""

    message_id: MessageId
    method: Annotated[Str, Field(min_length=1, max_length=64)]
    summary: OptionalText = ""


class HotlineCallbackIn(Strict):
    """热线回访中心的回访结果."""

    message_id: MessageId
    rating: Annotated[int, Field(ge=1, le=5, strict=True)]
    comment: OptionalText = ""


class SupplementIn(Strict):
    """补充诉求/材料."""

    message_id: MessageId
    text: Text


class WithdrawIn(Strict):
    """撤诉."""

    message_id: MessageId
    reason: Text


class AttemptOut(BaseModel):
    """One POST to the hotline."""

    attempt: int
    attempted_at: datetime | None
    http_status: int | None
    error: str | None


class DeliveryOut(BaseModel):
    """One message of a work order and its delivery."""

    message_id: str
    external_ref: str
    seq: int
    previous_seq: int
    type: str
    complaint_id: str
    state: str  # queued | failing | delivered
    attempts: int
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    attempt_log: list[AttemptOut]


def work_order(complaints: Complaints, guard: Guard, external_ref: str) -> UUID:
    """The complaint a work order became; 404 when the hotline never sent it."""
    complaint_id = hotline_complaint_id(external_ref)
    try:
        found = guard.call(lambda: complaints.get(complaint_id))
    except ComplaintNotFound:
        raise ApiProblem(404, "work_order_not_found", f"未找到热线工单：{external_ref}") from None
    if found.channel is not Channel.hotline or found.external_ref != external_ref:
        raise ApiProblem(404, "work_order_not_found", f"未找到热线工单：{external_ref}")
    return complaint_id


def replayable(response: Response, guard: Guard, command: Callable[[], CommandResult]) -> CommandOut:
    """Run a hotline command; a message id recorded before is answered with ``Idempotent-Replayed: true``."""
    result = guard.call(command)
    if not result.created:
        response.headers["Idempotent-Replayed"] = "true"
    return answer(result)


@router.post("/work-orders/{external_ref}/feedback", response_model=CommandOut)
def feedback(
    external_ref: ExternalRef,
    role: Reporter,
    who: Caller,
    body: HotlineFeedbackIn,
    response: Response,
    complaints: Complaints,
    guard: Guard,
) -> CommandOut:
    """热线反馈: the hotline told the person the result itself (recorded as 反馈)."""
    cid = work_order(complaints, guard, external_ref)
    return replayable(
        response,
        guard,
        lambda: complaints.feed_back(
            cid, method=body.method, summary=body.summary, actor=who.actor(role), message_id=body.message_id
        ),
    )


@router.post("/work-orders/{external_ref}/callback", response_model=CommandOut)
def callback(
    external_ref: ExternalRef,
    role: Reporter,
    who: Caller,
    body: HotlineCallbackIn,
    response: Response,
    complaints: Complaints,
    guard: Guard,
) -> CommandOut:
    """热线回访: the hotline's call-back centre's rating 1–5 (1–2 opens a rectification round)."""
    cid = work_order(complaints, guard, external_ref)
    return replayable(
        response,
        guard,
        lambda: complaints.call_back(
            cid, rating=body.rating, comment=body.comment, actor=who.actor(role), message_id=body.message_id
        ),
    )


@router.post("/work-orders/{external_ref}/supplement", response_model=CommandOut)
def supplement(
    external_ref: ExternalRef,
    role: Supplementer,
    who: Caller,
    body: SupplementIn,
    response: Response,
    complaints: Complaints,
    guard: Guard,
) -> CommandOut:
    """补充诉求/材料 to an open work order."""
    cid = work_order(complaints, guard, external_ref)
    return replayable(
        response,
        guard,
        lambda: complaints.add_supplement(
            cid, text=body.text, source="hotline", actor=who.actor(role), message_id=body.message_id
        ),
    )


@router.post("/work-orders/{external_ref}/withdraw", response_model=CommandOut)
def withdraw(
    external_ref: ExternalRef,
    role: Withdrawer,
    who: Caller,
    body: WithdrawIn,
    response: Response,
    complaints: Complaints,
    guard: Guard,
) -> CommandOut:
    """撤诉: the person withdrew; the complaint closes as withdrawn (counted apart in metrics)."""
    cid = work_order(complaints, guard, external_ref)
    return replayable(
        response,
        guard,
        lambda: complaints.withdraw(cid, reason=body.reason, actor=who.actor(role), message_id=body.message_id),
    )


@deliveries_router.get("", response_model=list[DeliveryOut])
def deliveries(
    _role: DeliveryReader,
    who: Caller,
    views: Views,
    guard: Guard,
    external_ref: Annotated[Line | None, Query(max_length=128, description="热线工单编号")] = None,
    failed: Annotated[bool, Query(description="只看最近一次投递失败的消息")] = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[dict[str, Any]]:
    """Messages to the 12345 hotline with every delivery attempt, in order per work order (a centre's duty
    leader: their centre's complaints only)."""
    centre = centre_filter(who, None)
    return run_query(
        guard,
        lambda: outbox.deliveries(views, external_ref=external_ref, failed=failed, limit=limit, centre=centre),
    )
