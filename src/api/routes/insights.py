"""未诉先办 analysis: repeat links of a complaint, the 重复诉求率, and the period's high-frequency topics."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query

from api.deps import Caller, CaughtUp, Code, Complaints, ContainerDep, Guard, ReferenceDep, Views, require, run_query
from api.guard import StoreGuard
from api.permissions import Action
from api.problems import ApiProblem
from api.schemas import Day
from api.schemas_answers import ComplaintRepeats, RepeatRate, SimilarComplaints, TopicMembers, TopicsOut
from api.scope import centre_filter, load_visible
from application.complaints import ComplaintsApp
from domain.audit import plain
from domain.values import Role
from projections import repeats as repeats_view
from projections import topics as topics_view
from projections.db import ViewDB

router = APIRouter(prefix="/v1", tags=["insights"])

InsightReader = Annotated[Role, Depends(require(Action.read_insights))]
MAX_PERIOD_DAYS = 366


def period(complaints: ComplaintsApp, from_: date | None, to: date | None) -> tuple[date, date]:
    """``from..to`` (days, inclusive); by default the 30 days ending today in the calendar's zone."""
    today = complaints.calendar.local_day(complaints.clock.now())
    to = to or today
    from_ = from_ or to - timedelta(days=29)
    if to < from_:
        raise ApiProblem(422, "invalid_query", "to 不能早于 from", field="to")
    if (to - from_).days >= MAX_PERIOD_DAYS:
        raise ApiProblem(422, "invalid_query", f"统计期间不能超过 {MAX_PERIOD_DAYS} 天", field="from")
    return from_, to


@router.get("/complaints/{complaint_id}/repeats", response_model=ComplaintRepeats)
def complaint_repeats(
    complaint_id: UUID,
    *,
    _role: InsightReader,
    who: Caller,
    _caught_up: CaughtUp,
    container: ContainerDep,
    views: Views,
    guard: Guard,
) -> dict[str, Any]:
    """重复诉求 (advisory): earlier complaints of the same person or about the same matter, best first (those
    within the caller's scope)."""
    guard.call(lambda: load_visible(container.complaints, who, complaint_id))  # 404 as if unknown
    centre = centre_filter(who, None)
    found = run_query(guard, lambda: repeats_view.repeats_of(views, complaint_id, centre=centre))
    if found is None and container.catch_up is not None:
        guard.call(container.catch_up)  # just received: project it here rather than answer "unknown"
        found = run_query(guard, lambda: repeats_view.repeats_of(views, complaint_id, centre=centre))
    if found is None:
        raise ApiProblem(404, "not_found", f"没有编号为 {complaint_id} 的诉求", field="complaint_id")
    return {"complaint_id": str(complaint_id), "items": [plain(r) for r in found], "repeat": bool(found)}


@router.get("/complaints/{complaint_id}/similar", response_model=SimilarComplaints)
def complaint_similar(
    complaint_id: UUID,
    *,
    _role: InsightReader,
    _caught_up: CaughtUp,
    who: Caller,
    container: ContainerDep,
    views: Views,
    guard: Guard,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> dict[str, Any]:
    """相似事项: other complaints about the same matter (anyone's within the caller's scope, 90 days either side),
    most alike first."""
    guard.call(lambda: load_visible(container.complaints, who, complaint_id))  # 404 as if unknown
    centre = centre_filter(who, None)
    found = run_query(guard, lambda: topics_view.similar_to(views, complaint_id, limit=limit, centre=centre))
    if found is None and container.catch_up is not None:
        guard.call(container.catch_up)  # just received: project it here rather than answer "unknown"
        found = run_query(guard, lambda: topics_view.similar_to(views, complaint_id, limit=limit, centre=centre))
    if found is None:
        raise ApiProblem(404, "not_found", f"没有编号为 {complaint_id} 的诉求", field="complaint_id")
    return {"complaint_id": str(complaint_id), "items": [plain(r) for r in found]}


@router.get("/insights/repeats", response_model=RepeatRate)
def repeat_rate(
    *,
    _role: InsightReader,
    who: Caller,
    _caught_up: CaughtUp,
    views: Views,
    guard: Guard,
    complaints: Complaints,
    from_: Annotated[Day | None, Query(alias="from", description="默认：30 天前")] = None,
    to: Annotated[Day | None, Query(description="默认：今天（北京时间）")] = None,
    centre: Code = None,
    category: Code = None,
) -> dict[str, Any]:
    """重复诉求率: complaints received in the period that repeat an earlier one ÷ complaints received."""
    first, last = period(complaints, from_, to)
    start, end = repeats_view.day_bounds(first, last, complaints.calendar)
    centre = centre_filter(who, centre)  # a centre's staff: their own centre's
    rate = run_query(guard, lambda: repeats_view.repeat_rate(views, start, end, centre=centre, category=category))
    return {"from": first.isoformat(), "to": last.isoformat(), **rate}


@router.get("/insights/topics", response_model=TopicsOut)
def topics(  # noqa: PLR0913 — a period, two filters and two cut-offs
    *,
    _role: InsightReader,
    _caught_up: CaughtUp,
    views: Views,
    guard: Guard,
    who: Caller,
    complaints: Complaints,
    reference: ReferenceDep,
    from_: Annotated[Day | None, Query(alias="from", description="默认：30 天前")] = None,
    to: Annotated[Day | None, Query(description="默认：今天（北京时间）")] = None,
    centre: Code = None,
    category: Code = None,
    min_count: Annotated[int, Query(ge=1, le=10_000)] = 2,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
) -> dict[str, Any]:
    """高频事项: the period's complaints grouped by meaning within category, by volume and growth over the
    period of the same length before it; labels are the matter's key terms (personal data masked first)."""
    centre = centre_filter(who, centre)  # a centre's staff: their own centre's
    found, first, last, prev_first = _ranked(views, guard, complaints, (from_, to, centre, category), min_count, limit)
    return {
        "from": first.isoformat(),
        "to": last.isoformat(),
        "previous_from": prev_first.isoformat(),
        "previous_to": (first - timedelta(days=1)).isoformat(),
        "topics": [
            {
                **t.as_dict(),
                "category_label": reference.categories.get(t.category, t.category),
                "title": "、".join(t.label),
            }
            for t in found
        ],
    }


@router.get("/insights/topics/members", response_model=TopicMembers)
def topic_members(  # noqa: PLR0913 — a period, two filters, the topic and its page
    *,
    _role: InsightReader,
    _caught_up: CaughtUp,
    who: Caller,
    views: Views,
    guard: Guard,
    complaints: Complaints,
    key: Annotated[str, Query(min_length=1, max_length=64, description="话题的 key（/v1/insights/topics 所列）")],
    from_: Annotated[Day | None, Query(alias="from", description="默认：30 天前")] = None,
    to: Annotated[Day | None, Query(description="默认：今天（北京时间）")] = None,
    centre: Code = None,
    category: Code = None,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    """Every complaint of one 高频事项 in the period (slip numbers, newest first), a page at a time; a key that is
    no topic of the period has no members (``total`` 0)."""
    centre = centre_filter(who, centre)  # a centre's staff: their own centre's
    found, *_ = _ranked(views, guard, complaints, (from_, to, centre, category), 1, 1_000_000)
    for t in found:
        if t.key == key:
            return t.page(offset, limit)
    return {"key": key, "label": [], "total": 0, "offset": offset, "members": []}


def _ranked(
    views: ViewDB,
    guard: StoreGuard,
    complaints: ComplaintsApp,
    scope: tuple[date | None, date | None, str | None, str | None],
    min_count: int,
    limit: int,
) -> tuple[list[topics_view.Topic], date, date, date]:
    """The period's topics (as ``GET /v1/insights/topics`` ranks them) and the period's days."""
    from_, to, centre, category = scope
    first, last = period(complaints, from_, to)
    days = (last - first).days + 1
    prev_first = first - timedelta(days=days)
    cal = complaints.calendar
    start, end = repeats_view.day_bounds(first, last, cal)
    prev_start, _ = repeats_view.day_bounds(prev_first, prev_first, cal)

    items = run_query(guard, lambda: topics_view.topic_items(views, prev_start, end, centre=centre, category=category))
    # grouping is CPU work outside the store guard: its deadline is for the database, not for arithmetic
    found = topics_view.rank_topics(items, start, prev_start, cal.zone, min_count=min_count, limit=limit)
    return found, first, last, prev_first
