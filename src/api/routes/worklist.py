"""我的工作清单: what the window clerk and a department handler work on."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from api.deps import Caller, CaughtUp, Complaints, Guard, Views, require, run_query
from api.paging import Limit, Offset
from api.permissions import Action
from api.schemas_views import WorklistOut
from api.scope import scope_of
from domain.audit import plain
from domain.centres import DEFAULT_CENTRE
from domain.values import Role
from projections import ledger as ledger_view
from projections import sla as sla_view
from projections.ledger import LedgerFilter

router = APIRouter(prefix="/v1", tags=["views"])


@router.get("/worklist", response_model=WorklistOut, response_model_exclude_unset=True)
def worklist(
    role: Annotated[Role, Depends(require(Action.read_worklist))],
    who: Caller,
    _caught_up: CaughtUp,
    views: Views,
    guard: Guard,
    complaints: Complaints,
    open_only: bool = True,
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    """The caller's own list.

    A window clerk: ``intake`` (the complaints they received, newest first) and ``queue`` (their centre's
    open 反馈 and 回访 clocks, the soonest due first). A department handler: ``dispatched`` (the complaints
    dispatched to their department, nearest resolution deadline first; ``open_only=false`` for all), each
    with ``working_hours_left``: working hours (09:00 to close on working days, 调休 included) from now to
    its deadline, negative once overdue. A duty leader: ``decisions`` (the 退单 to re-dispatch or insist on,
    the 延期 requests to approve or refuse and the 差评申诉 to decide, of the centres they lead; ``pending``
    says which: ``return``, ``extension`` or ``appeal``).
    Personal information is masked as in every view.
    """
    if role is Role.duty_leader:
        centre_of_leader = scope_of(who).centre
        decisions = run_query(guard, lambda: ledger_view.leader_decisions(views, centre_of_leader, limit=limit))
        return {"decisions": plain(decisions), "total": len(decisions)}
    if role is Role.department:
        department = who.department or ""
        page = run_query(
            guard,
            lambda: ledger_view.department_worklist(views, department, open_only=open_only, limit=limit, offset=offset),
        )
        now, calendar = complaints.clock.now(), complaints.calendar
        for row in page.rows:
            due = row.get("due_at")
            if due is None:
                row["working_hours_left"] = None
            elif due >= now:
                row["working_hours_left"] = round(calendar.working_hours_between(now, due), 2)
            else:
                row["working_hours_left"] = -round(calendar.working_hours_between(due, now), 2)
        return {"dispatched": plain(page.rows), "total": page.total}
    centre = scope_of(who).centre or DEFAULT_CENTRE
    mine = LedgerFilter(received_by=who.sub, centre=centre)  # their own intake at the centre they work for
    intake = run_query(guard, lambda: ledger_view.ledger_page(views, mine, limit=limit, offset=offset))
    queue = run_query(guard, lambda: sla_view.window_queue(views, centre, limit=limit))
    return {"intake": plain(intake.rows), "intake_total": intake.total, "queue": plain(queue)}
