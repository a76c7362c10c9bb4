"""Read models: 工作台账 (JSON, CSV, XLSX), overdue clocks, metrics (JSON, CSV, XLSX); ``?after=`` reads own writes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query

from api.container import Container
from api.deps import (
    Caller,
    CaughtUp,
    Code,
    Complaints,
    ContainerDep,
    Guard,
    Offset,
    ReadViews,
    ReferenceDep,
    Views,
    Word,
    require,
    run_query,
)
from api.exports import Cell, download, export_responses
from api.permissions import Action
from api.problems import ApiProblem
from api.schemas import Day, Instant, Line
from api.schemas_views import LedgerPage, MetricsOut, OverduePage
from api.scope import centre_filter
from application.complaints import ComplaintsApp
from application.reference import Reference
from domain.audit import plain
from domain.values import CLASSIFICATION_LABELS, Role
from projections import ledger as ledger_view
from projections import metrics as metrics_view
from projections import sla as sla_view
from projections.ledger import CHANNEL_LABELS, LEDGER_COLUMNS_ZH, LedgerFilter
from projections.metrics import RATE_LABELS, MetricsGroup

router = APIRouter(prefix="/v1", tags=["views"])

ViewReader = Annotated[Role, Depends(require(Action.read_views))]
LedgerReader = Annotated[Role, Depends(require(Action.read_ledger))]
ExportFormat = Literal["json", "csv", "xlsx"]
GroupBy = Literal["department", "classification", "channel", "category", "month", "centre"]
CentreQuery = Annotated[Line | None, Query(max_length=32, description="服务中心代码；本中心工作人员总是只看本中心")]


@router.get(
    "/ledger",
    response_model=LedgerPage,
    responses=export_responses("JSON page, or the whole filtered ledger as CSV / XLSX"),
)
def ledger(  # noqa: PLR0913 — the ledger's filters
    *,
    _role: LedgerReader,
    who: Caller,
    _caught_up: CaughtUp,
    views: ReadViews,
    guard: Guard,
    complaints: Complaints,
    reference: ReferenceDep,
    centre: CentreQuery = None,
    received_from: Instant | None = None,
    received_to: Instant | None = None,
    status: Word = None,
    classification: Word = None,
    department: Code = None,
    channel: Word = None,
    overdue: bool | None = None,
    q: Code = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: Offset = 0,
    cursor: Annotated[Line | None, Query(max_length=200)] = None,
    format: ExportFormat = "json",
) -> Any:
    """工作台账: one row per complaint, personal information masked; CSV/XLSX with Chinese headings."""
    f = LedgerFilter(
        received_from,
        received_to,
        status,
        classification,
        department,
        channel,
        overdue,
        q,
        centre=centre_filter(who, centre),
    )
    if format == "json":
        page = run_query(guard, lambda: ledger_view.ledger_page(views, f, limit=limit, offset=offset, cursor=cursor))
        return {
            "items": [plain(r) for r in page.rows],
            "total": page.total,
            "next_cursor": page.next_cursor,
            "more": page.more,
        }
    run_query(guard, lambda: ledger_view.ledger_page(views, f, limit=1))  # validate filters before streaming
    cal = complaints.calendar

    def cells() -> Iterator[list[str]]:
        for row in ledger_view.ledger_iter(views, f):
            yield ledger_view.ledger_export_values(
                row,
                cal,
                departments=reference.departments,
                categories=reference.categories,
                centres={code: c.name for code, c in reference.centres.items()},
            )

    return download(format, "ledger", "“有诉即应”工作台账", list(LEDGER_COLUMNS_ZH.values()), cells())


@router.get("/sla/overdue", response_model=OverduePage)
def sla_overdue(
    *,
    _role: ViewReader,
    who: Caller,
    _caught_up: CaughtUp,
    views: Views,
    guard: Guard,
    complaints: Complaints,
    centre: CentreQuery = None,
    clock: Word = None,
    department: Code = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Open clocks past their due instant now, most overdue first, with working hours late."""
    now = complaints.clock.now()
    page = run_query(
        guard,
        lambda: sla_view.overdue(
            views,
            now,
            complaints.calendar,
            clock=clock,
            department=department,
            centre=centre_filter(who, centre),
            limit=limit,
            offset=offset,
        ),
    )
    return {"items": [plain(r) for r in page.rows], "total": page.total}


# ------------------------------------------------------------------------------------------ metrics


def _month_end(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def metrics_period(complaints: ComplaintsApp, from_: date | None, to: date | None) -> tuple[date, date]:
    """``from..to``; by default the current calendar month in the calendar's zone (Beijing), by the injected clock.

    A missing ``to`` is the end of the current month; a missing ``from`` the first day of ``to``'s month.
    """
    today = complaints.calendar.local_day(complaints.clock.now())
    to = to or _month_end(today)
    from_ = from_ or to.replace(day=1)
    if to < from_:
        raise ApiProblem(422, "invalid_query", "to 不能早于 from", field="to")
    return from_, to


def group_label(group_by: str | None, code: str, reference: Reference) -> str:
    """The Chinese name of a metrics group's key."""
    if group_by is None:
        return "全部"
    if group_by == "month":
        year, _, month = code.partition("-")
        return f"{year}年{int(month)}月" if month.isdigit() else code
    if not code:
        return {"department": "未转办", "classification": "未分类"}.get(group_by, "未填写")
    names: dict[str, str] = {
        "department": reference.departments,
        "category": reference.categories,
        "centre": {code: c.name for code, c in reference.centres.items()},
        "channel": CHANNEL_LABELS,
        "classification": {c.value: label for c, label in CLASSIFICATION_LABELS.items()},
    }.get(group_by, {})
    return names.get(code, code)


def metrics_headings() -> list[str]:
    """The export's Chinese headings: the group, 受理量, then each rate (%) with its numerator and denominator."""
    rates = [h for label in RATE_LABELS.values() for h in (f"{label}（%）", f"{label}分子", f"{label}分母")]
    return ["分组", "受理量", *rates]


def metrics_cells(label: str, group: MetricsGroup) -> list[Cell]:
    """One group as export cells under :func:`metrics_headings`."""
    cells: list[Cell] = [label, group.counts["received"]]
    for name in RATE_LABELS:
        r = group.rates[name]
        cells += [None if r.rate is None else round(r.rate * 100, 2), r.numerator, r.denominator]
    return cells


def metrics_body(
    start: date,
    end: date,
    group_by: str | None,
    centre: str | None,
    container: Container,
    labelled: list[tuple[str, MetricsGroup]],
) -> dict[str, Any]:
    """The JSON answer of /v1/metrics, stating what was counted (period, centre, ratings, levels)."""
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "group_by": group_by,
        "centre": centre,
        # what was counted: 满意率's satisfied ratings (YOUSU_SATISFIED_RATINGS), 差评 is always 1–2
        "satisfied_ratings": list(container.satisfied_ratings),
        "bad_ratings": [1, 2],
        "escalation_levels": list(container.escalation_levels),
        "rate_labels": RATE_LABELS,
        "groups": [{"label": label, **g.as_dict()} for label, g in labelled],
    }


@router.get(
    "/metrics", response_model=MetricsOut, responses=export_responses("Rates per group as JSON, or as CSV / XLSX")
)
def metrics(  # noqa: PLR0913 — the query's filters
    *,
    _role: ViewReader,
    who: Caller,
    _caught_up: CaughtUp,
    views: ReadViews,
    guard: Guard,
    complaints: Complaints,
    reference: ReferenceDep,
    container: ContainerDep,
    centre: CentreQuery = None,
    from_: Annotated[Day | None, Query(alias="from", description="默认：本月第一天（北京时间）")] = None,
    to: Annotated[Day | None, Query(description="默认：本月最后一天（北京时间）")] = None,
    group_by: GroupBy | None = None,
    department: Code = None,
    classification: Word = None,
    channel: Word = None,
    category: Code = None,
    format: ExportFormat = "json",
) -> Any:
    """Response, closure, on-time, satisfaction, 差评 and call-back rates with numerators and denominators."""
    start, end = metrics_period(complaints, from_, to)
    now = complaints.clock.now()
    scoped = centre_filter(who, centre)

    def query(by: str | None) -> list[MetricsGroup]:
        return metrics_view.metrics(
            views,
            start,
            end,
            by,
            now,
            department=department,
            classification=classification,
            channel=channel,
            category=category,
            centre=scoped,
            satisfied_levels=container.satisfied_ratings,
        )

    groups = run_query(guard, lambda: query(group_by))
    labelled = [(group_label(group_by, g.group, reference), g) for g in groups]
    if group_by == "centre" and scoped is None:
        # the district roll-up (全区合计) beside the centres: each complaint once, whatever its centre
        labelled += [("全区合计", g) for g in run_query(guard, lambda: query(None))]
    if format != "json":
        rows = [metrics_cells(label, g) for label, g in labelled]
        name = f"metrics-{start.isoformat()}-{end.isoformat()}"
        return download(format, name, "统计指标", metrics_headings(), rows)
    return metrics_body(start, end, group_by, scoped, container, labelled)
