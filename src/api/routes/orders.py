"""限期整改通知: issue to a unit, acknowledge, report, accept or send back; the orders ledger and 整改按期完成率."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from pydantic import Field

from api.auth import Principal
from api.deps import Caller, CaughtUp, Code, Complaints, Guard, Offset, ReferenceDep, Views, Word, require, run_query
from api.permissions import Action
from api.problems import ApiProblem
from api.schemas import Day, Instant, Line, OptionalText, Strict, Text
from api.schemas_answers import OrderAnswer, OrdersPage
from api.scope import check_call, order_rows, order_units, sees_order
from application.orders import OrderNotFound, OrderResult, OrdersService
from application.reference import Reference
from domain.audit import plain
from domain.centres import DEFAULT_CENTRE
from domain.orders import FINDING_LABELS, FindingKind
from domain.values import Role
from projections import orders as orders_view
from projections.orders import OrderFilter

router = APIRouter(prefix="/v1/orders", tags=["orders"])

Issuer = Annotated[Role, Depends(require(Action.issue_order))]
UnitHandler = Annotated[Role, Depends(require(Action.handle_order))]
Reviewer = Annotated[Role, Depends(require(Action.review_order))]
OrderReader = Annotated[Role, Depends(require(Action.read_orders))]


class FindingIn(Strict):
    """整改事项: what was found."""

    kind: Literal["bad_rating_pattern", "topic", "callback_finding", "free_text"]
    text: Text


class IssueIn(Strict):
    """下发整改通知."""

    unit: Annotated[Line, Field(min_length=1, max_length=64)]
    finding: FindingIn
    working_days: Annotated[int, Field(ge=1, le=60, strict=True)] = 5
    complaint_id: UUID | None = None


class ReportIn(Strict):
    """整改报告."""

    report: Text


class AcceptIn(Strict):
    """验收."""

    comment: OptionalText = ""


class OrderReturnIn(Strict):
    """退回 with a new round's deadline."""

    reason: Text
    working_days: Annotated[int, Field(ge=1, le=60, strict=True)] = 5


def known_units(reference: Reference) -> set[str]:
    """The codes an order may name: the departments and the service centres."""
    centres = getattr(reference, "centres", None) or {DEFAULT_CENTRE: ""}
    return set(reference.departments) | set(centres)


def answer(result: OrderResult) -> dict[str, Any]:
    """Every order command's answer."""
    out: dict[str, Any] = plain(
        {
            "id": result.id,
            "unit": result.unit,
            "status": result.status,
            "round": result.round,
            "due_at": result.due_at,
            "version": result.version,
            "notification_id": result.notification_id,
        }
    )
    return out


def run(guard: Guard, command: Callable[[], OrderResult]) -> dict[str, Any]:
    """An order command through the store guard."""
    return answer(guard.call(command))


@router.post("", status_code=201, response_model=OrderAnswer)
def issue(
    body: IssueIn, role: Issuer, who: Caller, complaints: Complaints, guard: Guard, reference: ReferenceDep
) -> Any:
    """下发 to a department or centre, with a working-day deadline (counted as every deadline is).

    A centre's issuer names a department or their own centre, and a complaint of their own: another centre's
    code or complaint is answered as an unknown one."""
    units = order_units(who, known_units(reference), reference.centres)
    complaint_id = body.complaint_id
    if complaint_id is not None:
        guard.call(lambda: check_call(complaints, who, complaint_id))
    service = OrdersService(complaints)
    return run(
        guard,
        lambda: service.issue(
            unit=body.unit,
            finding_kind=FindingKind(body.finding.kind),
            finding_text=body.finding.text,
            working_days=body.working_days,
            actor=who.actor(role),
            known_units=units,
            complaint_id=body.complaint_id,
        ),
    )


def _unit(who: Principal) -> str | None:
    return who.department


def visible_order(order_id: UUID, who: Caller, complaints: Complaints, guard: Guard) -> None:
    """Dependency: the order named in the path is within the caller's scope (404 as for an unknown id)."""

    def check() -> None:
        if not sees_order(complaints, who, OrdersService(complaints).get(order_id)):
            raise OrderNotFound

    guard.call(check)


VisibleOrder = Annotated[None, Depends(visible_order)]


@router.post("/{order_id}/acknowledge", response_model=OrderAnswer)
def acknowledge(
    order_id: UUID, role: UnitHandler, _seen: VisibleOrder, who: Caller, complaints: Complaints, guard: Guard
) -> Any:
    """签收 by the unit."""
    service = OrdersService(complaints)
    return run(guard, lambda: service.acknowledge(order_id, actor=who.actor(role), unit_of_actor=_unit(who)))


@router.post("/{order_id}/report", response_model=OrderAnswer)
def report(
    order_id: UUID,
    body: ReportIn,
    role: UnitHandler,
    _seen: VisibleOrder,
    who: Caller,
    complaints: Complaints,
    guard: Guard,
) -> Any:
    """整改报告 by the unit."""
    service = OrdersService(complaints)
    return run(
        guard, lambda: service.report(order_id, report=body.report, actor=who.actor(role), unit_of_actor=_unit(who))
    )


@router.post("/{order_id}/accept", response_model=OrderAnswer)
def accept(
    order_id: UUID,
    body: AcceptIn,
    role: Reviewer,
    _seen: VisibleOrder,
    who: Caller,
    complaints: Complaints,
    guard: Guard,
) -> Any:
    """验收 by the issuer (or a liaison)."""
    service = OrdersService(complaints)
    return run(guard, lambda: service.accept(order_id, comment=body.comment, actor=who.actor(role)))


@router.post("/{order_id}/return", response_model=OrderAnswer)
def send_back(
    order_id: UUID,
    body: OrderReturnIn,
    role: Reviewer,
    _seen: VisibleOrder,
    who: Caller,
    complaints: Complaints,
    guard: Guard,
) -> Any:
    """退回: a new round with a new deadline."""
    service = OrdersService(complaints)
    return run(
        guard,
        lambda: service.send_back(order_id, reason=body.reason, working_days=body.working_days, actor=who.actor(role)),
    )


@router.get("", response_model=OrdersPage)
def ledger(  # noqa: PLR0913 — the ledger's filters
    *,
    role: OrderReader,
    who: Caller,
    _caught_up: CaughtUp,
    views: Views,
    guard: Guard,
    complaints: Complaints,
    unit: Code = None,
    status: Word = None,
    finding_kind: Word = None,
    overdue: bool | None = None,
    issued_from: Instant | None = None,
    issued_to: Instant | None = None,
    from_: Annotated[Day | None, Query(alias="from", description="整改按期完成率的起始日（默认本月第一天）")] = None,
    to: Annotated[Day | None, Query(description="整改按期完成率的截止日（默认今天）")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    """整改通知台账 (newest first) and 整改按期完成率 with numerator and denominator; a unit sees its own orders."""
    if role is Role.department:
        if unit is not None and unit != who.department:
            raise ApiProblem(403, "forbidden", "部门经办人只能查看本单位的整改通知", field="unit")
        unit = who.department
    now = complaints.clock.now()
    today = complaints.calendar.local_day(now)
    end = to or today
    start = from_ or end.replace(day=1)
    if end < start:
        raise ApiProblem(422, "invalid_query", "to 不能早于 from", field="to")
    f = OrderFilter(unit, status, finding_kind, overdue, issued_from, issued_to, within=order_rows(who))
    rows, total = run_query(guard, lambda: orders_view.orders_page(views, f, now, limit=limit, offset=offset))
    zone = complaints.calendar.zone
    rate = run_query(
        guard, lambda: orders_view.on_time_rate(views, start, end, now, zone, unit=unit, within=order_rows(who))
    )
    return {
        "items": [plain(r) for r in rows],
        "total": total,
        "finding_labels": {k.value: v for k, v in FINDING_LABELS.items()},
        "on_time_rate": {
            "label": "整改按期完成率",
            "from": start.isoformat(),
            "to": end.isoformat(),
            "rate": rate.rate,
            "numerator": rate.numerator,
            "denominator": rate.denominator,
            "pending": rate.pending,
        },
    }
