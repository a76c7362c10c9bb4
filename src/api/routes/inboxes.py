"""Escalation inboxes (抄送): the liaison's, and the duty leader's or supervisor's own."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from api.deps import Caller, CaughtUp, Complaints, Guard, Views, require, run_query
from api.paging import Limit
from api.permissions import Action
from api.schemas_views import InboxOut, LiaisonInbox
from api.scope import centre_filter, leading_today
from domain.audit import plain
from domain.values import Role
from projections import inbox

router = APIRouter(prefix="/v1", tags=["views"])


@router.get("/liaison/inbox", response_model=LiaisonInbox)
def liaison_inbox(
    _role: Annotated[Role, Depends(require(Action.read_liaison_inbox))],
    _caught_up: CaughtUp,
    views: Views,
    guard: Guard,
    limit: Limit = 100,
) -> dict[str, Any]:
    """抄送纪检: escalations copied to discipline inspection, newest first."""
    return {"items": plain(run_query(guard, lambda: inbox.liaison_inbox(views, limit)))}


@router.get("/inbox", response_model=InboxOut, response_model_exclude_unset=True)
def my_inbox(
    role: Annotated[Role, Depends(require(Action.read_inbox))],
    who: Caller,
    _caught_up: CaughtUp,
    views: Views,
    guard: Guard,
    complaints: Complaints,
    limit: Limit = 100,
) -> dict[str, Any]:
    """The caller's escalation notices: a duty leader's all of theirs (their centre's); a supervisor's those of the
    complaints whose supervisor is the caller's user id (token ``sub``). A duty leader also gets
    ``awaiting_signature``: the complaints the duty officer signed that wait for them as today's leader."""
    centre = centre_filter(who, None)
    if role is Role.duty_leader:
        items = run_query(guard, lambda: inbox.duty_leader_inbox(views, limit, centre=centre))
        centres = guard.call(lambda: leading_today(complaints, who))
        waiting = run_query(guard, lambda: inbox.awaiting_leader_signature(views, centres, limit))
        return {"items": plain(items), "awaiting_signature": plain(waiting)}
    items = run_query(guard, lambda: inbox.supervisor_inbox(views, who.sub, limit, centre=centre))
    return {"items": plain(items)}
