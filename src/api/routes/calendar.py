"""The working-day calendar: deadlines N working days out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from api.deps import Complaints, require
from api.permissions import Action
from api.schemas import DueOut, Instant
from domain.values import Role

router = APIRouter(prefix="/v1/calendar", tags=["queries"])


@router.get("/due", response_model=DueOut)
def calendar_due(
    _role: Annotated[Role, Depends(require(Action.read_calendar))],
    complaints: Complaints,
    from_: Annotated[Instant, Query(alias="from")],
    working_days: Annotated[int, Query(ge=0, le=366)],
) -> DueOut:
    """The deadline N working days after ``from`` (Civil Code counting; 0 = the same working day)."""
    d = complaints.calendar.add_working_days(from_, working_days)
    return DueOut(from_=from_, working_days=working_days, due_at=d.due_at, provisional=d.provisional)
