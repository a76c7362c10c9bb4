"""Handling beside the main line: 并单 merge, 退单/改派 return and re-dispatch, 延期 extension, 中止 pause, and
指定承办人 (a department's 负责人 names its handler)."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter

from api.commands import command
from api.container import Container
from api.deps import Caller, Complaints, ContainerDep, ExpectedVersion, Guard, ReferenceDep, Visible
from api.permissions import Action
from api.problems import ApiProblem
from api.routes.complaint_commands import require_known_departments, run
from api.schemas import (
    AssignHandlerIn,
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
from api.scope import load_visible, may_be_handler
from application.store import CommandResult
from domain.values import Role

router = APIRouter(prefix="/v1/complaints", tags=["commands"])


@command(router, "/{complaint_id}/merge", Action.merge)
async def merge(
    complaint_id: UUID,
    role: Role,
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

    def merged() -> CommandResult:
        load_visible(complaints, who, body.master_id)  # a master outside the scope is 404
        return complaints.merge(
            complaint_id, master_id=body.master_id, reason=body.reason, actor=who.actor(role), expected_version=version
        )

    return await run(guard, merged)


@command(router, "/{complaint_id}/unmerge", Action.merge)
async def unmerge(
    complaint_id: UUID,
    role: Role,
    _seen: Visible,
    who: Caller,
    body: UnmergeIn,
    complaints: Complaints,
    guard: Guard,
    version: ExpectedVersion,
) -> CommandOut:
    """取消并单 by the duty leader, with a reason, before the master's result has answered the duplicate."""
    return await run(
        guard,
        lambda: complaints.unmerge(complaint_id, reason=body.reason, actor=who.actor(role), expected_version=version),
    )


@command(router, "/{complaint_id}/return", Action.return_complaint)
async def return_complaint(
    complaint_id: UUID,
    role: Role,
    _seen: Visible,
    who: Caller,
    body: ReturnIn,
    complaints: Complaints,
    guard: Guard,
    version: ExpectedVersion,
) -> CommandOut:
    """退单 by a department the complaint is dispatched to, within the return window after dispatch (409 after)."""
    return await run(
        guard,
        lambda: complaints.return_complaint(
            complaint_id, reason=body.reason, actor=who.actor(role), expected_version=version
        ),
    )


@command(router, "/{complaint_id}/redispatch", Action.redispatch)
async def redispatch(
    complaint_id: UUID,
    role: Role,
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
    return await run(
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


@command(router, "/{complaint_id}/insist", Action.redispatch)
async def insist(
    complaint_id: UUID,
    role: Role,
    _seen: Visible,
    who: Caller,
    body: InsistIn,
    complaints: Complaints,
    guard: Guard,
    version: ExpectedVersion,
) -> CommandOut:
    """坚持交办 by the duty leader: the returning department must handle the complaint (it cannot return it again)."""
    return await run(
        guard,
        lambda: complaints.insist_on_dispatch(
            complaint_id, opinion=body.opinion, actor=who.actor(role), expected_version=version
        ),
    )


@command(router, "/{complaint_id}/extension", Action.request_extension)
async def request_extension(
    complaint_id: UUID,
    role: Role,
    _seen: Visible,
    who: Caller,
    body: ExtensionIn,
    complaints: Complaints,
    guard: Guard,
    version: ExpectedVersion,
) -> CommandOut:
    """申请延期 by a handling department, before the deadline, within the number of extensions allowed."""
    return await run(
        guard,
        lambda: complaints.request_extension(
            complaint_id, days=body.days, reason=body.reason, actor=who.actor(role), expected_version=version
        ),
    )


@command(router, "/{complaint_id}/extension/approve", Action.decide_extension)
async def approve_extension(
    complaint_id: UUID,
    role: Role,
    _seen: Visible,
    who: Caller,
    body: ExtensionApproveIn,
    complaints: Complaints,
    guard: Guard,
    version: ExpectedVersion,
) -> CommandOut:
    """批准延期 by the duty leader: answers the new deadline ``due_at``."""
    return await run(
        guard,
        lambda: complaints.approve_extension(
            complaint_id, opinion=body.opinion, actor=who.actor(role), expected_version=version
        ),
    )


@command(router, "/{complaint_id}/extension/refuse", Action.decide_extension)
async def refuse_extension(
    complaint_id: UUID,
    role: Role,
    _seen: Visible,
    who: Caller,
    body: ExtensionRefuseIn,
    complaints: Complaints,
    guard: Guard,
    version: ExpectedVersion,
) -> CommandOut:
    """不予延期 by the duty leader, with a reason."""
    return await run(
        guard,
        lambda: complaints.refuse_extension(
            complaint_id, reason=body.reason, actor=who.actor(role), expected_version=version
        ),
    )


@command(router, "/{complaint_id}/pause", Action.pause_clock)
async def pause(
    complaint_id: UUID,
    role: Role,
    _seen: Visible,
    who: Caller,
    body: PauseIn,
    complaints: Complaints,
    guard: Guard,
    version: ExpectedVersion,
) -> CommandOut:
    """中止计时 by a handling department while it waits for the person's materials (reason required)."""
    return await run(
        guard,
        lambda: complaints.pause_clock(
            complaint_id, reason=body.reason, actor=who.actor(role), expected_version=version
        ),
    )


@command(router, "/{complaint_id}/resume", Action.resume_clock)
async def resume(
    complaint_id: UUID,
    role: Role,
    _seen: Visible,
    who: Caller,
    body: ResumeIn,
    complaints: Complaints,
    guard: Guard,
    version: ExpectedVersion,
) -> CommandOut:
    """材料到达，恢复计时 (the window clerk): the deadline moves by the working time paused; answers ``due_at``."""
    return await run(
        guard,
        lambda: complaints.resume_clock(complaint_id, note=body.note, actor=who.actor(role), expected_version=version),
    )


async def require_handler_of(container: Container, department: str, body: AssignHandlerIn) -> None:
    """With local accounts (console sign-in), the handler named must be an enabled account of ``department`` holding
    the department role, under the name given (422 otherwise). An identity provider's subject (not ``local:``) is
    taken as named: the API has no list of its staff."""
    store = container.accounts
    if store is None or container.verifier.public_key or not body.handler_id.startswith("local:"):
        return
    account = await container.guard.call_async(lambda: store.get(body.handler_id.removeprefix("local:")))
    if account is None or not may_be_handler(account, department):
        raise ApiProblem(
            422, "unknown_handler", f"部门 {department} 没有用户编号为 {body.handler_id} 的可用账号", field="handler_id"
        )
    if account.name != body.handler_name:
        raise ApiProblem(
            422,
            "handler_name_mismatch",
            f"承办人姓名与账号不符：{body.handler_id} 是 {account.name}",
            field="handler_name",
        )


@command(router, "/{complaint_id}/handler", Action.assign_handler)
async def assign_handler(
    complaint_id: UUID,
    role: Role,
    _seen: Visible,
    who: Caller,
    body: AssignHandlerIn,
    complaints: Complaints,
    container: ContainerDep,
    guard: Guard,
    version: ExpectedVersion,
) -> CommandOut:
    """指定承办人 by a department the complaint is with (its account assigning is the department's 负责人 on record):
    names the handler of the department (by default the caller's); the latest assignment stands. From then on only
    the handler or the assigner resolves for the department, and the result carries the assigner's name."""
    department = body.department or who.department or ""
    await require_handler_of(container, department, body)
    actor = who.actor(role)
    return await run(
        guard,
        lambda: complaints.command(
            complaint_id,
            lambda c, now: c.assign_handler(
                department=department,
                handler_id=body.handler_id,
                handler_name=body.handler_name,
                actor=actor,
                now=now,
            ),
            expected_version=version,
        ),
    )
