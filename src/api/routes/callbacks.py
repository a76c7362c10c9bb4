"""满意度回访中心: the queue of due call-backs and 抽查 spot checks, assignment to call-back agents, attempts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from pydantic import Field

from api.deps import Caller, CaughtUp, Code, Complaints, Guard, Offset, Views, require, run_query
from api.permissions import Action
from api.schemas import Line, OptionalText, Strict
from application.callbacks import CallbackResult, CallbacksService
from domain.audit import plain
from domain.callbacks import TASK_STATE_LABELS, CallbackPolicy, Outcome
from domain.values import Role
from projections import callbacks as callbacks_view
from projections.callbacks import QueueFilter

router = APIRouter(prefix="/v1/callbacks", tags=["callbacks"])

QueueReader = Annotated[Role, Depends(require(Action.read_callbacks))]
Assigner = Annotated[Role, Depends(require(Action.assign_callback))]
Caller_ = Annotated[Role, Depends(require(Action.record_callback))]


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


def answer(result: CallbackResult) -> dict[str, Any]:
    """Every call-back command's answer."""
    out: dict[str, Any] = plain(result)
    out["state_label"] = TASK_STATE_LABELS[next(s for s in TASK_STATE_LABELS if s.value == result.state)]
    return out


def run(guard: Guard, command: Callable[[], CallbackResult]) -> dict[str, Any]:
    """A call-back command through the store guard."""
    return answer(guard.call(command))


@router.get("/queue")
def queue(  # noqa: PLR0913 — the queue's filters
    *,
    _role: QueueReader,
    _caught_up: CaughtUp,
    views: Views,
    guard: Guard,
    complaints: Complaints,
    policy: Policy,
    kind: Literal["due", "spot_check"] = "due",
    assignee: Code = None,
    centre: Code = None,
    unassigned: bool | None = None,
    ready: bool = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Due call-backs by deadline (spot checks by closing time), complainants masked; ``ready``: callable now.

    ``total`` is exact up to 1,000 (``more`` says there are more); ``/v1/callbacks/summary`` counts all.
    """
    now = complaints.clock.now()
    f = QueueFilter(kind, assignee, centre, unassigned, ready)
    rows, total = run_query(
        guard, lambda: callbacks_view.queue(views, f, now, spot_share=policy.spot_share, limit=limit, offset=offset)
    )
    shown, more = callbacks_view.capped(total)
    return {"items": [plain(r) for r in rows], "total": shown, "more": more}


@router.get("/summary")
def summary(*, _role: QueueReader, _caught_up: CaughtUp, views: Views, guard: Guard, policy: Policy) -> dict[str, Any]:
    """Call-backs by kind and state: 无法联系 (unreachable) and 拒绝回访 counted apart, never as satisfied."""
    counts = run_query(guard, lambda: callbacks_view.summary(views, spot_share=policy.spot_share))
    return {
        "counts": counts,
        "state_labels": {s.value: label for s, label in TASK_STATE_LABELS.items()},
        "max_attempts": policy.max_attempts,
        "spot_check_share": policy.spot_share,
    }


@router.post("/{complaint_id}/assign")
def assign(
    complaint_id: UUID,
    body: AssignIn,
    role: Assigner,
    who: Caller,
    complaints: Complaints,
    guard: Guard,
    policy: Policy,
) -> dict[str, Any]:
    """分派 the complaint's current call-back (due, or its spot check) to an agent."""
    service = CallbacksService(complaints, policy)
    return run(guard, lambda: service.assign(complaint_id, agent=body.agent, actor=who.actor(role)))


@router.post("/{complaint_id}/attempts")
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
