"""值班表: import a month (CSV or XLSX upload, all rows or none) and show a centre's month."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool

from api.deps import Caller, Complaints, Guard, ReferenceDep, require
from api.permissions import Action
from api.problems import ApiProblem, problem_response
from api.schemas_answers import RosterImported, RosterOut
from api.scope import centre_filter
from application.roster_files import month_of_rows, read_roster
from domain import errors
from domain.centres import DEFAULT_CENTRE
from domain.roster import DutyDay, check_month, month_of
from domain.values import Role

router = APIRouter(prefix="/v1/roster", tags=["roster"])

MAX_UPLOAD = 5 * 1024 * 1024  # bytes; a month of every centre is a few tens of kilobytes
UPLOAD_TYPES = {
    "text/csv": {"schema": {"type": "string", "format": "binary"}},
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
        "schema": {"type": "string", "format": "binary"}
    },
}
MonthQuery = Annotated[str | None, Query(max_length=7, description="YYYY-MM；默认：文件第一行的月份 / 本月")]


def _person(p: Any) -> dict[str, str]:
    return {"sub": p.sub, "name": p.name}


def duty_day_out(d: DutyDay) -> dict[str, Any]:
    """One duty day as JSON."""
    return {
        "day": d.day.isoformat(),
        "officers": [_person(p) for p in d.officers],
        "leader": _person(d.leader),
        "officer_substitutes": [_person(p) for p in d.officer_substitutes],
        "leader_substitutes": [_person(p) for p in d.leader_substitutes],
    }


@router.post(
    "/import",
    response_model=RosterImported,
    response_model_exclude_unset=True,  # dry_run and preview only in a preview's answer
    openapi_extra={"requestBody": {"required": True, "content": UPLOAD_TYPES}},
    responses={422: problem_response("文件或某一行有误（errors[].row 指明行号），整份文件未导入")},
)
async def import_roster(
    request: Request,
    role: Annotated[Role, Depends(require(Action.import_roster))],
    who: Caller,
    complaints: Complaints,
    guard: Guard,
    reference: ReferenceDep,
    month: MonthQuery = None,
    dry_run: Annotated[bool, Query(description="只检查并预览，不导入")] = False,
) -> dict[str, Any]:
    """导入值班表: the request body is the file itself (CSV, UTF-8 or GBK, or XLSX); one month, every row or none.

    A file with bad rows is refused (422) naming every bad row in ``errors[]``. ``dry_run=true`` checks the
    file the same way and answers the days it would import (``preview``) without importing anything.

    Headings: 日期, 中心, 值班人员, 值班人员工号, 带班领导, 带班领导工号 and, optionally, 值班替班, 值班替班工号,
    带班替班, 带班替班工号. A month imported again replaces that centre's month whole.
    """
    data = await request.body()
    if len(data) > MAX_UPLOAD:
        raise ApiProblem(413, "file_too_large", f"值班表文件过大（最多 {MAX_UPLOAD // 1024 // 1024} MB）", field="file")
    if month is not None:
        check_month(month)

    def work() -> dict[str, Any]:
        rows, problems = read_roster(data, {code: c.name for code, c in reference.centres.items()})
        wanted = month or (month_of_rows(rows) if rows else "")
        try:  # the rows that could be read are checked too: every bad row of the file is named at once
            plan = complaints.check_roster(rows, month=wanted) if rows else {}
        except errors.RosterRowInvalid as exc:
            problems = [*problems, exc, *exc.others]
        if problems:
            raise errors.RosterRowInvalid.of_rows(sorted(problems, key=lambda p: p.row))
        if dry_run:
            counts = {centre: len(days) for centre, days in plan.items()}
            preview = [{"centre": centre, **duty_day_out(d)} for centre, days in plan.items() for d in days]
            return {
                "month": wanted,
                "centres": counts,
                "days": sum(counts.values()),
                "dry_run": True,
                "preview": preview,
            }
        imported = complaints.import_roster(rows, month=wanted, actor=who.actor(role))
        return {"month": wanted, "centres": imported, "days": sum(imported.values())}

    return await run_in_threadpool(lambda: guard.call(work))


@router.get("", response_model=RosterOut)
def show_roster(
    _role: Annotated[Role, Depends(require(Action.read_roster))],
    who: Caller,
    complaints: Complaints,
    guard: Guard,
    centre: Annotated[str | None, Query(max_length=32)] = None,
    month: MonthQuery = None,
) -> dict[str, Any]:
    """A centre's roster for a month (centre staff: always their own centre; default: the district hall, this month)."""
    code = centre_filter(who, centre) or DEFAULT_CENTRE
    wanted = month or month_of(complaints.calendar.local_day(complaints.clock.now()))
    check_month(wanted)
    roster = guard.call(lambda: complaints.roster(code, wanted))
    if roster is None:
        raise ApiProblem(404, "roster_not_found", f"{code} 尚未导入 {wanted} 的值班表")
    return {
        "centre": code,
        "month": wanted,
        "imported_by": {"id": roster.imported_by.id, "name": roster.imported_by.name},
        "imported_at": roster.imported_at.isoformat(),
        "days": [duty_day_out(d) for d in sorted(roster.days.values(), key=lambda d: d.day)],
    }
