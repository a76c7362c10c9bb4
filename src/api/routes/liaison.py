"""纪检联络摘要: the weekly and monthly digest for the discipline-inspection liaison, as JSON or an export."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query

from api.deps import Caller, CaughtUp, Complaints, Guard, ReadViews, ReferenceDep, require, run_query
from api.exports import Cell, download, export_responses
from api.permissions import Action
from api.schemas import Day, Line
from api.schemas_digest import LiaisonDigestOut
from api.scope import centre_filter
from application.reference import Reference
from domain.audit import plain
from domain.calendar import WorkingCalendar
from domain.orders import FINDING_LABELS, ORDER_STATUS_LABELS, FindingKind, OrderStatus
from domain.rules import CLOCK_LABELS, ClockKind
from domain.values import CLASSIFICATION_LABELS, STATUS_LABELS, Classification, Role, Status
from projections import digest as digest_view
from projections.digest import PERIOD_LABELS, Digest, DigestPeriod
from projections.ledger import local_time

router = APIRouter(prefix="/v1", tags=["views"])

DIGEST_HEADINGS = ["类别", "编号", "服务中心", "分类", "状态", "承办部门/单位", "时间", "说明"]


def title(d: Digest) -> str:
    """「2026年11月 纪检联络月报」 or 「2026年11月30日—12月6日 纪检联络周报」."""
    if d.period is DigestPeriod.month:
        span = f"{d.start.year}年{d.start.month}月"
    else:
        span = f"{d.start.year}年{d.start.month}月{d.start.day}日—{d.end.month}月{d.end.day}日"
    return f"{span} 纪检联络{PERIOD_LABELS[d.period]}"


def _classification(code: str | None) -> str:
    return CLASSIFICATION_LABELS[Classification(code)] if code else ""


def digest_cells(d: Digest, reference: Reference, calendar: WorkingCalendar) -> Iterator[list[Cell]]:
    """The digest as one table: each row a 逾期, 差评, 不给办 or 整改 item, in Chinese and local time."""
    centres = {code: c.name for code, c in reference.centres.items()}

    def names(codes: list[str]) -> str:
        return "、".join(reference.departments.get(c, c) for c in codes)

    for r in d.overdue:
        late = "至期末未完成" if r["met_at"] is None else f"{local_time(r['met_at'], calendar)} 完成（逾期）"
        yield [
            "逾期",
            r["slip_no"],
            centres.get(r["centre"], r["centre"]),
            _classification(r["classification"]),
            STATUS_LABELS[Status(r["status"])],
            names(r["departments"]),
            local_time(r["due_at"], calendar),
            f"{CLOCK_LABELS[ClockKind(r['clock'])]}；{late}",
        ]
    for r in d.bad_ratings:
        yield [
            "差评",
            r["slip_no"],
            centres.get(r["centre"], r["centre"]),
            _classification(r["classification"]),
            STATUS_LABELS[Status(r["status"])],
            names(r["departments"]),
            local_time(r["called_back_at"], calendar),
            f"回访评价 {r['rating']} 分；整改轮次 {r['rectification_rounds']}",
        ]
    for r in d.refused:
        done = f"{local_time(r['resolved_at'], calendar)} 办结" if r["resolved_at"] is not None else "未办结"
        yield [
            "不给办",
            r["slip_no"],
            centres.get(r["centre"], r["centre"]),
            _classification(r["classification"]),
            STATUS_LABELS[Status(r["status"])],
            names(r["departments"]),
            local_time(r["received_at"], calendar),
            done,
        ]
    for r in d.orders:
        yield [
            "整改",
            str(r["order_id"])[:8],
            "",
            FINDING_LABELS[FindingKind(r["finding_kind"])],
            ORDER_STATUS_LABELS[OrderStatus(r["status"])],
            names([r["unit"]]),
            local_time(r["issued_at"], calendar),
            f"第 {r['round']} 轮，期限 {local_time(r['due_at'], calendar)}；逾期轮次 {r['late_rounds']}",
        ]


@router.get(
    "/liaison/digest",
    response_model=LiaisonDigestOut,
    responses=export_responses("纪检联络摘要：JSON，或 CSV / XLSX（同一内容，一行一项）"),
)
def liaison_digest(
    *,
    _role: Annotated[Role, Depends(require(Action.read_liaison_inbox))],
    who: Caller,
    _caught_up: CaughtUp,
    views: ReadViews,
    guard: Guard,
    complaints: Complaints,
    reference: ReferenceDep,
    period: Annotated[Literal["week", "month"], Query(description="week 周报（周一至周日）或 month 月报")] = "week",
    on: Annotated[Day | None, Query(description="期内任一日；缺省为最近一个已结束的周期")] = None,
    centre: Annotated[Line | None, Query(max_length=32, description="服务中心代码；缺省为全区")] = None,
    format: Literal["json", "csv", "xlsx"] = "json",
) -> Any:
    """纪检联络摘要（周报、月报）：本期逾期的时限、差评、不给办事项和整改单的状态，不含个人信息。"""
    kind = DigestPeriod(period)
    calendar, now = complaints.calendar, complaints.clock.now()
    day: date = on or digest_view.last_complete(kind, calendar.local_day(now))
    scope = centre_filter(who, centre)
    d = run_query(guard, lambda: digest_view.liaison_digest(views, kind, day, now, calendar.zone, centre=scope))
    if format != "json":
        name = f"liaison-digest-{kind.value}-{d.start.isoformat()}"
        return download(format, name, "纪检联络摘要", DIGEST_HEADINGS, digest_cells(d, reference, calendar))
    return {
        "period": kind.value,
        "title": title(d),
        "start": d.start,
        "end": d.end,
        "centre": d.centre,
        "counts": d.counts(),
        "overdue": plain(d.overdue),
        "bad_ratings": plain(d.bad_ratings),
        "refused": plain(d.refused),
        "orders": plain(d.orders),
    }
