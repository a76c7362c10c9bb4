"""One complaint's state (now, at a version or an instant) and its audit trail; reads of personal info are logged."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Response

from api.auth import Principal
from api.container import Container
from api.deps import Caller, CaughtUp, Complaints, ContainerDep, Guard, Views, require
from api.permissions import Action
from api.presenters import complaint_out, history_item, may_see_personal_info, personal_info_role
from api.problems import ApiProblem
from api.schemas import ComplaintOut, HistoryOut, Instant
from api.scope import load_visible
from application.complaints import ComplaintsApp
from application.store import RecordedEvent
from domain.complaint import Complaint
from domain.slips import parse_slip_number
from domain.values import Role
from projections import ledger as ledger_view

router = APIRouter(prefix="/v1/complaints", tags=["queries"])

StateReader = Annotated[Role, Depends(require(Action.read_state))]
HistoryReader = Annotated[Role, Depends(require(Action.read_history))]


def audited_read(
    container: Container, who: Principal, role: Role, complaint_id: UUID, endpoint: str, *, personal_info: bool
) -> None:
    """Record the read (by ``who`` acting in ``role``) before answering: no record, no answer.

    Called on the store guard's worker, within the read's own store call (see :func:`read_state`)."""
    container.audit.record_access(
        reader=who.actor(role), complaint_id=complaint_id, endpoint=endpoint, personal_info=personal_info
    )


def load(complaints: ComplaintsApp, current: Complaint, version: int | None, as_of: datetime | None) -> Complaint:
    """The complaint now (``current``, just loaded), at ``version``, or as it was recorded at ``as_of`` (404 when there
    is no such version)."""
    if version is not None and as_of is not None:
        raise ApiProblem(422, "invalid_input", "version 与 as_of 只能选其一", field="as_of")
    v = version
    if as_of is not None:
        v = complaints.version_as_of(current.id, as_of)
        if v is None:
            raise ApiProblem(404, "not_yet_received", "该时刻诉求尚未受理")
    if v is not None and v > current.version:
        raise ApiProblem(404, "version_not_found", f"该诉求只有 {current.version} 个版本")
    return current if v is None or v == current.version else complaints.get(current.id, version=v)


def read_state(
    container: Container,
    who: Principal,
    role: Role,
    complaint_id: UUID,
    version: int | None,
    as_of: datetime | None,
) -> Complaint:
    """On the store guard's worker, in one call: the scope check, the complaint, and its access record when the
    caller sees the personal information (committed before the answer, as the read's own part)."""
    current = load_visible(container.complaints, who, complaint_id)  # loaded once: the scope check's copy is the state
    c = load(container.complaints, current, version, as_of)
    if may_see_personal_info(who, c):
        reader = personal_info_role(who) or role
        audited_read(container, who, reader, complaint_id, "GET /v1/complaints/{id}", personal_info=True)
    return c


@router.get("/{complaint_id}", response_model=ComplaintOut)
async def get_complaint(
    complaint_id: UUID,
    role: StateReader,
    who: Caller,
    response: Response,
    guard: Guard,
    container: ContainerDep,
    version: Annotated[int | None, Query(ge=1, le=2**31)] = None,
    as_of: Annotated[Instant | None, Query()] = None,
) -> ComplaintOut:
    """The complaint now, or at ``version`` / ``as_of`` (recorded time)."""
    c = await guard.call_async(lambda: read_state(container, who, role, complaint_id, version, as_of))
    response.headers["ETag"] = f'"{c.version}"'
    return complaint_out(c, who)


@router.get("/by-slip/{slip_no}", response_model=ComplaintOut)
async def get_by_slip(
    slip_no: str,
    role: StateReader,
    who: Caller,
    response: Response,
    guard: Guard,
    container: ContainerDep,
    views: Views,
    _caught_up: CaughtUp,
) -> ComplaintOut:
    """The complaint with this 受理单号 (YS-<centre>-YYYYMMDD-NNNNN, or the old YSYYYYMMDDNNNNN); same visibility."""
    parse_slip_number(slip_no)  # 422 naming slip_no when malformed

    def read() -> Complaint:
        found = ledger_view.ledger_id_by_slip(views, slip_no)
        if found is None:
            raise ApiProblem(404, "complaint_not_found", "未找到该诉求")
        return read_state(container, who, role, found, None, None)

    c = await guard.call_async(read)
    response.headers["ETag"] = f'"{c.version}"'
    return complaint_out(c, who)


@router.get("/{complaint_id}/history", response_model=HistoryOut)
async def get_history(
    complaint_id: UUID, role: HistoryReader, who: Caller, complaints: Complaints, guard: Guard, container: ContainerDep
) -> HistoryOut:
    """The audit trail: every event with actor, business time, recorded time and payload."""

    def read() -> tuple[Complaint, list[RecordedEvent], bool]:
        current = load_visible(complaints, who, complaint_id)
        events = complaints.history(complaint_id)
        clear = may_see_personal_info(who, current)
        audited_read(container, who, role, complaint_id, "GET /v1/complaints/{id}/history", personal_info=clear)
        return current, events, clear

    current, events, clear = await guard.call_async(read)
    return HistoryOut(id=current.id, slip_no=current.slip_no, events=[history_item(e, clear=clear) for e in events])
