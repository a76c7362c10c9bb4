"""Complaint commands: 受理, 分类, 签字, 转办, 会商, 办结, 反馈, 回访."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Header, Response

from api.auth import Principal
from api.commands import command
from api.container import ApiLimits
from api.deps import (
    Caller,
    Complaints,
    ContainerDep,
    ExpectedVersion,
    Guard,
    ReferenceDep,
    Visible,
    intake_role,
    signing_role,
)
from api.permissions import Action
from api.problems import ApiProblem
from api.schemas import (
    AppealDecisionIn,
    CallbackIn,
    ClassifyIn,
    CommandOut,
    ConsultIn,
    DispatchIn,
    FeedbackIn,
    OnTheSpotIn,
    RatingAppealIn,
    ReceiveIn,
    ReclassifyIn,
    ResolveIn,
    SignIn,
)
from api.scope import Reach
from application.reference import Reference
from application.store import CommandResult
from domain.centres import DEFAULT_CENTRE
from domain.values import Channel, Classification, Complainant, ComplainantType, Role

router = APIRouter(prefix="/v1/complaints", tags=["commands"])

IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)]


def answer(result: CommandResult) -> CommandOut:
    """Every command's answer."""
    return CommandOut(
        id=result.id,
        slip_no=result.slip_no,
        status=result.status,
        version=result.version,
        notification_id=result.notification_id,
        due_at=result.due_at,
    )


async def run(guard: Guard, command: Callable[[], CommandResult]) -> CommandOut:
    """Run a command on the store guard's worker and answer it: the route awaits it on the event loop, so a
    command costs one thread hop (to the worker that loads, decides and joins the group commit), not two."""
    return answer(await guard.call_async(command))


def require_known_departments(reference: Reference, codes: list[str]) -> None:
    """422 naming every department code the reference file does not know (转办 and 改派 alike)."""
    unknown = [c for c in codes if c not in reference.departments]
    if unknown:
        raise ApiProblem(422, "unknown_department", f"未知的部门代码：{', '.join(unknown)}", field="departments")


def fingerprint(body: ReceiveIn) -> str:
    """The intake's content hash: the same Idempotency-Key with another body is a conflict."""
    canonical = json.dumps(body.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def check_received_at(body: ReceiveIn, now: datetime, limits: ApiLimits) -> None:
    """``received_at`` is the hotline's own receipt time: only for the hotline, within the backdating window."""
    if body.received_at is None:
        return
    if body.channel != "hotline":
        raise ApiProblem(422, "received_at_not_allowed", "只有热线诉求可以提供原始受理时间", field="received_at")
    if body.received_at > now:
        raise ApiProblem(422, "received_at_in_future", "原始受理时间不能晚于当前时间", field="received_at")
    if body.received_at < now - limits.backdate:
        days = limits.backdate.total_seconds() / 86_400
        detail = f"原始受理时间不能早于当前时间 {days:g} 天以上"
        raise ApiProblem(422, "received_at_too_early", detail, field="received_at")


def intake_centre(role: Role, who: Principal, named: str | None, reference: Reference) -> str:
    """The centre a complaint belongs to: the clerk's token centre, or the centre a hotline work order names.

    Without either it is the district hall's. A window clerk may not file a complaint under another centre.
    """
    own = who.centre or DEFAULT_CENTRE
    if role is not Role.hotline:
        if named is not None and named != own:
            raise ApiProblem(422, "invalid_input", f"窗口受理只能登记在本中心（{own}）", field="centre")
        centre = own
    else:
        centre = named or DEFAULT_CENTRE
    if centre not in reference.centres:
        raise ApiProblem(422, "unknown_centre", f"未知的服务中心代码：{centre}", field="centre")
    return centre


@command(
    router,
    "",
    intake_role,
    scope=Reach.own,
    status_code=201,
    responses={200: {"model": CommandOut, "description": "重复提交：返回同一幂等键（或热线编号）已受理的诉求"}},
)
async def receive(
    role: Role,
    who: Caller,
    body: ReceiveIn,
    response: Response,
    complaints: Complaints,
    guard: Guard,
    reference: ReferenceDep,
    container: ContainerDep,
    idempotency_key: IdempotencyKey = None,
) -> CommandOut:
    """一窗受理: record a complaint. Retries with the same Idempotency-Key return the same complaint."""
    check_received_at(body, complaints.clock.now(), container.limits)
    if body.category not in reference.categories:
        raise ApiProblem(422, "unknown_category", f"未知的诉求类别：{body.category}", field="category")
    centre = intake_centre(role, who, body.centre, reference)
    c = body.complainant
    complainant = Complainant(
        type=ComplainantType(c.type),
        name=c.name,
        phone=c.phone,
        id_number=c.id_number,
        enterprise_name=c.enterprise_name,
    )
    result = await guard.call_async(
        lambda: complaints.receive(
            channel=Channel(body.channel),
            content=body.content,
            category=body.category,
            complainant=complainant,
            actor=who.actor(role),
            received_at=body.received_at,
            external_ref=body.external_ref,
            idempotency_key=idempotency_key,
            fingerprint=fingerprint(body),
            centre=centre,
        )
    )
    response.headers["Location"] = f"/v1/complaints/{result.id}"
    if not result.created:
        response.status_code = 200
        response.headers["Idempotent-Replayed"] = "true"
    return answer(result)


@command(router, "/{complaint_id}/classify", Action.classify)
async def classify(
    complaint_id: UUID,
    role: Role,
    _seen: Visible,
    who: Caller,
    body: ClassifyIn,
    complaints: Complaints,
    guard: Guard,
    version: ExpectedVersion,
) -> CommandOut:
    """按责分类: general, or one of the three complex kinds."""
    return await run(
        guard,
        lambda: complaints.classify(
            complaint_id,
            classification=Classification(body.classification),
            reason=body.reason,
            actor=who.actor(role),
            expected_version=version,
        ),
    )


@command(router, "/{complaint_id}/reclassify", Action.reclassify)
async def reclassify(
    complaint_id: UUID,
    role: Role,
    _seen: Visible,
    who: Caller,
    body: ReclassifyIn,
    complaints: Complaints,
    guard: Guard,
    version: ExpectedVersion,
) -> CommandOut:
    """改分类: a general complaint not solved on the spot becomes a complex kind (once, with a reason, before 办结)."""
    return await run(
        guard,
        lambda: complaints.reclassify(
            complaint_id,
            classification=Classification(body.classification),
            reason=body.reason,
            actor=who.actor(role),
            expected_version=version,
        ),
    )


@command(router, "/{complaint_id}/sign", signing_role)
async def sign(
    complaint_id: UUID,
    role: Role,
    _seen: Visible,
    who: Caller,
    body: SignIn,
    complaints: Complaints,
    guard: Guard,
    version: ExpectedVersion,
) -> CommandOut:
    """审核签字 as duty officer or duty leader: the token's one signer role, or the one named in ``as``."""
    return await run(
        guard,
        lambda: complaints.sign(complaint_id, opinion=body.opinion, actor=who.actor(role), expected_version=version),
    )


@command(router, "/{complaint_id}/dispatch", Action.dispatch)
async def dispatch(
    complaint_id: UUID,
    role: Role,
    _seen: Visible,
    who: Caller,
    body: DispatchIn,
    complaints: Complaints,
    guard: Guard,
    reference: ReferenceDep,
    version: ExpectedVersion,
) -> CommandOut:
    """转办 to departments with a supervisor (their user id); answers the resolution deadline ``due_at``.

    By a duty leader of the centre that signs the complaint (``signed_by``) or of the district hall: a street
    centre's leader whose centre is signed by the district hall is refused (403 ``not_signing_centre``)."""
    require_known_departments(reference, body.departments)
    return await run(
        guard,
        lambda: complaints.dispatch(
            complaint_id,
            departments=body.departments,
            supervisor=body.supervisor,
            instructions=body.instructions,
            actor=who.actor(role),
            acting_centre=who.centre or DEFAULT_CENTRE,
            expected_version=version,
        ),
    )


@command(router, "/{complaint_id}/consult", Action.consult)
async def consult(
    complaint_id: UUID,
    role: Role,
    _seen: Visible,
    who: Caller,
    body: ConsultIn,
    complaints: Complaints,
    guard: Guard,
    version: ExpectedVersion,
) -> CommandOut:
    """会商."""
    return await run(
        guard,
        lambda: complaints.consult(
            complaint_id,
            participants=body.participants,
            conclusion=body.conclusion,
            opinions=body.opinions,
            actor=who.actor(role),
            expected_version=version,
        ),
    )


@command(router, "/{complaint_id}/resolve", Action.resolve)
async def resolve(
    complaint_id: UUID,
    role: Role,
    _seen: Visible,
    who: Caller,
    body: ResolveIn,
    complaints: Complaints,
    guard: Guard,
    version: ExpectedVersion,
) -> CommandOut:
    """限时办结 (`cannot_do` needs `legal_basis`)."""
    return await run(
        guard,
        lambda: complaints.resolve(
            complaint_id,
            result=body.result,
            legal_basis=body.legal_basis,
            actor=who.actor(role),
            expected_version=version,
        ),
    )


@command(router, "/{complaint_id}/on-the-spot", Action.answer_on_the_spot)
async def answer_on_the_spot(
    complaint_id: UUID,
    role: Role,
    _seen: Visible,
    who: Caller,
    body: OnTheSpotIn,
    complaints: Complaints,
    guard: Guard,
    version: ExpectedVersion,
) -> CommandOut:
    """当场答复: a general question received at the window, answered there (办结 + 当面反馈, no 反馈 clock)."""
    actor = who.actor(role)
    return await run(
        guard,
        lambda: complaints.command(
            complaint_id,
            lambda c, now: c.answer_on_the_spot(
                result=body.result, actor=actor, now=now, calendar=complaints.calendar, limits=complaints.limits
            ),
            expected_version=version,
        ),
    )


@command(router, "/{complaint_id}/feedback", Action.feedback)
async def feedback(
    complaint_id: UUID,
    role: Role,
    _seen: Visible,
    who: Caller,
    body: FeedbackIn,
    complaints: Complaints,
    guard: Guard,
    version: ExpectedVersion,
) -> CommandOut:
    """及时反馈."""
    return await run(
        guard,
        lambda: complaints.feed_back(
            complaint_id, method=body.method, summary=body.summary, actor=who.actor(role), expected_version=version
        ),
    )


@command(router, "/{complaint_id}/callback", Action.callback)
async def callback(
    complaint_id: UUID,
    role: Role,
    _seen: Visible,
    who: Caller,
    body: CallbackIn,
    complaints: Complaints,
    guard: Guard,
    version: ExpectedVersion,
) -> CommandOut:
    """回访 with a rating 1–5; 1–2 (差评) opens a rectification round."""
    return await run(
        guard,
        lambda: complaints.call_back(
            complaint_id, rating=body.rating, comment=body.comment, actor=who.actor(role), expected_version=version
        ),
    )


@command(router, "/{complaint_id}/rating-appeal", Action.appeal_rating)
async def appeal_rating(
    complaint_id: UUID,
    role: Role,
    _seen: Visible,
    who: Caller,
    body: RatingAppealIn,
    complaints: Complaints,
    guard: Guard,
    version: ExpectedVersion,
) -> CommandOut:
    """差评申诉 by whoever resolved the round (its department; the window for a general one), once per round."""
    actor = who.actor(role)
    return await run(
        guard,
        lambda: complaints.command(
            complaint_id,
            lambda c, now: c.appeal_rating(reason=body.reason, actor=actor, now=now),
            expected_version=version,
        ),
    )


@command(router, "/{complaint_id}/rating-appeal/decision", Action.decide_appeal)
async def decide_appeal(
    complaint_id: UUID,
    role: Role,
    _seen: Visible,
    who: Caller,
    body: AppealDecisionIn,
    complaints: Complaints,
    guard: Guard,
    version: ExpectedVersion,
) -> CommandOut:
    """申诉审核 by the duty leader: upheld sets the 差评 aside (and ends the round); refused, 整改 goes on."""
    actor = who.actor(role)
    return await run(
        guard,
        lambda: complaints.command(
            complaint_id,
            lambda c, now: c.decide_appeal(upheld=body.upheld, opinion=body.opinion, actor=actor, now=now),
            expected_version=version,
        ),
    )
