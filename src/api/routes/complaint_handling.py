"""Handling beside the main line: 并单 merge, 退单/改派 return and re-dispatch, 延期 extension, 中止 pause."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends

from api.deps import Caller, Complaints, ExpectedVersion, Guard, ReferenceDep, require
from api.permissions import Action
from api.routes.complaint_commands import require_known_departments, run
from api.schemas import (
    CommandOut,
    ExtensionApproveIn,
    ExtensionIn,
    ExtensionRefuseIn,
    InsistIn,
    MergeIn,
    PauseIn,
    RedispatchIn,
    ResumeIn,
    ReturnIn,
    UnmergeIn,
)
from api.scope import Visible, load_visible
from domain.values import Role

router = APIRouter(prefix="/v1/complaints", tags=["commands"])

Merger = Annotated[Role, Depends(require(Action.merge))]
Returner = Annotated[Role, Depends(require(Action.return_complaint))]
Redispatcher = Annotated[Role, Depends(require(Action.redispatch))]
ExtensionAsker = Annotated[Role, Depends(require(Action.request_extension))]
ExtensionDecider = Annotated[Role, Depends(require(Action.decide_extension))]
Pauser = Annotated[Role, Depends(require(Action.pause_clock))]
Resumer = Annotated[Role, Depends(require(Action.resume_clock))]


@router.post("/{complaint_id}/merge", response_model=CommandOut)
def merge(
    complaint_id: UUID,
    role: Merger,
    _seen: Visible,
    who: Caller,
    body: MergeIn,
    complaints: Complaints,
    guard: Guard,
    version: ExpectedVersion,
) -> CommandOut:
    """并单 by the duty leader: this complaint (the duplicate) is closed as merged into ``master_id``.

    The master must be another, earlier, still open complaint of the same centre that is not itself merged
    (409 otherwise). When the master is resolved, its result answers the duplicate; feedback and
    call-back follow for each person.
    """
    guard.call(lambda: load_visible(complaints, who, body.master_id))  # a master outside the scope is 404
    return run(
        guard,
        lambda: complaints.merge(
            complaint_id, master_id=body.master_id, reason=body.reason, actor=who.actor(role), expected_version=version
        ),
    )


@router.post("/{complaint_id}/unmerge", response_model=CommandOut)
def unmerge(
    complaint_id: UUID,
    role: Merger,
    _seen: Visible,
    who: Caller,
    body: UnmergeIn,
    complaints: Complaints,
    guard: Guard,
    version: ExpectedVersion,
) -> CommandOut:
    """取消并单 by the duty leader, with a reason, before the master's result has answered the duplicate."""
    return run(
        guard,
        lambda: complaints.unmerge(complaint_id, reason=body.reason, actor=who.actor(role), expected_version=version),
    )


@router.post("/{complaint_id}/return", response_model=CommandOut)
def return_complaint(
    complaint_id: UUID,
    role: Returner,
    _seen: Visible,
    who: Caller,
    body: ReturnIn,
    complaints: Complaints,
    guard: Guard,
    version: ExpectedVersion,
) -> CommandOut:
    """退单 by a department the complaint is dispatched to, within the return window after dispatch (409 after)."""
    return run(
        guard,
        lambda: complaints.return_complaint(
            complaint_id, reason=body.reason, actor=who.actor(role), expected_version=version
        ),
    )


@router.post("/{complaint_id}/redispatch", response_model=CommandOut)
def redispatch(
    complaint_id: UUID,
    role: Redispatcher,
    _seen: Visible,
    who: Caller,
    body: RedispatchIn,
    complaints: Complaints,
    guard: Guard,
    reference: ReferenceDep,
    version: ExpectedVersion,
) -> CommandOut:
    """改派 after a return, by the duty leader: to other departments; answers the restarted deadline ``due_at``."""
    require_known_departments(reference, body.departments)
    return run(
        guard,
        lambda: complaints.redispatch(
            complaint_id,
            departments=body.departments,
            supervisor=body.supervisor,
            instructions=body.instructions,
            actor=who.actor(role),
            expected_version=version,
        ),
    )


@router.post("/{complaint_id}/insist", response_model=CommandOut)
def insist(
    complaint_id: UUID,
    role: Redispatcher,
    _seen: Visible,
    who: Caller,
    body: InsistIn,
    complaints: Complaints,
    guard: Guard,
    version: ExpectedVersion,
) -> CommandOut:
    """坚持交办 by the duty leader: the returning department must handle the complaint (it cannot return it again)."""
    return run(
        guard,
        lambda: complaints.insist_on_dispatch(
            complaint_id, opinion=body.opinion, actor=who.actor(role), expected_version=version
        ),
    )


@router.post("/{complaint_id}/extension", response_model=CommandOut)
def request_extension(
    complaint_id: UUID,
    role: ExtensionAsker,
    _seen: Visible,
    who: Caller,
    body: ExtensionIn,
    complaints: Complaints,
    guard: Guard,
    version: ExpectedVersion,
) -> CommandOut:
    """申请延期 by a handling department, before the deadline, within the number of extensions allowed."""
    return run(
        guard,
        lambda: complaints.request_extension(
            complaint_id, days=body.days, reason=body.reason, actor=who.actor(role), expected_version=version
        ),
    )


@router.post("/{complaint_id}/extension/approve", response_model=CommandOut)
def approve_extension(
    complaint_id: UUID,
    role: ExtensionDecider,
    _seen: Visible,
    who: Caller,
    body: ExtensionApproveIn,
    complaints: Complaints,
    guard: Guard,
    version: ExpectedVersion,
) -> CommandOut:
    """批准延期 by the duty leader: answers the new deadline ``due_at``."""
    return run(
        guard,
        lambda: complaints.approve_extension(
            complaint_id, opinion=body.opinion, actor=who.actor(role), expected_version=version
        ),
    )


@router.post("/{complaint_id}/extension/refuse", response_model=CommandOut)
def refuse_extension(
    complaint_id: UUID,
    role: ExtensionDecider,
    _seen: Visible,
    who: Caller,
    body: ExtensionRefuseIn,
    complaints: Complaints,
    guard: Guard,
    version: ExpectedVersion,
) -> CommandOut:
    """不予延期 by the duty leader, with a reason."""
    return run(
        guard,
        lambda: complaints.refuse_extension(
            complaint_id, reason=body.reason, actor=who.actor(role), expected_version=version
        ),
    )


@router.post("/{complaint_id}/pause", response_model=CommandOut)
def pause(
    complaint_id: UUID,
    role: Pauser,
    _seen: Visible,
    who: Caller,
    body: PauseIn,
    complaints: Complaints,
    guard: Guard,
    version: ExpectedVersion,
) -> CommandOut:
    """中止计时 by a handling department while it waits for the person's materials (reason required)."""
    return run(
        guard,
        lambda: complaints.pause_clock(
            complaint_id, reason=body.reason, actor=who.actor(role), expected_version=version
        ),
    )


@router.post("/{complaint_id}/resume", response_model=CommandOut)
def resume(
    complaint_id: UUID,
    role: Resumer,
    _seen: Visible,
    who: Caller,
    body: ResumeIn,
    complaints: Complaints,
    guard: Guard,
    version: ExpectedVersion,
) -> CommandOut:
    """材料到达，恢复计时 (the window clerk): the deadline moves by the working time paused; answers ``due_at``."""
    return run(
        guard,
        lambda: complaints.resume_clock(complaint_id, note=body.note, actor=who.actor(role), expected_version=version),
    )
