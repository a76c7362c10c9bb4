"""指导案例: draft from resolved complaints (personal information stripped), revise, publish, search, print."""

from __future__ import annotations

import html
import threading
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse
from pydantic import Field

from api.auth import Principal
from api.deps import Caller, ContainerDep, ExpectedVersion, Guard, Views, require, run_query
from api.permissions import Action
from api.problems import ApiProblem
from api.schemas import Line, Strict, Text
from api.text_presenters import may_read_case_drafts, may_see_case_sources
from application.cases import CaseDraft, CasesService
from domain.cases import GuidanceCase
from domain.values import Role
from projections import cases as cases_view
from projections.db import ViewDB

router = APIRouter(prefix="/v1/cases", tags=["cases"])

Reader = Annotated[Role, Depends(require(Action.read_cases))]
Drafter = Annotated[Role, Depends(require(Action.draft_case))]
Publisher = Annotated[Role, Depends(require(Action.publish_case))]


class CaseTextIn(Strict):
    """标题 required; 问题详情, 处理办法, 步骤, 法律依据 default to the source complaints' own."""

    title: Annotated[Text, Field(min_length=1, max_length=200)]
    details: Annotated[Text, Field(max_length=20_000)] = ""
    handling: Annotated[Text, Field(max_length=20_000)] = ""
    steps: Annotated[list[Annotated[Text, Field(max_length=2_000)]], Field(max_length=50, default_factory=list)]
    conclusion: Annotated[Text, Field(max_length=20_000)] = ""
    legal_basis: Annotated[Text, Field(max_length=20_000)] = ""


class CaseIn(CaseTextIn):
    """The resolved complaints the case is drawn from, and its text."""

    complaint_ids: Annotated[list[UUID], Field(min_length=1, max_length=20)]


_created: set[int] = set()
_created_lock = threading.Lock()


def cases_db(views: Views, guard: Guard) -> ViewDB:
    """The views' database with the cases table in place (created once per process)."""
    with _created_lock:
        if id(views) not in _created:
            guard.call(lambda: cases_view.create(views))
            _created.add(id(views))
    return views


CasesDB = Annotated[ViewDB, Depends(cases_db)]


def service(container: ContainerDep) -> CasesService:
    """Case commands on the complaints' store."""
    return CasesService(container.complaints)


Service = Annotated[CasesService, Depends(service)]


def _draft(body: CaseTextIn) -> CaseDraft:
    return CaseDraft(body.title, body.details, body.handling, body.steps, body.conclusion, body.legal_basis)


def case_out(case: GuidanceCase, who: Principal) -> dict[str, Any]:
    """The case as the caller may see it: sources for liaisons only; drafts for drafters and publishers."""
    if not case.published and not may_read_case_drafts(who):
        raise ApiProblem(404, "case_not_found", "未找到该指导案例")
    t = case.text
    out: dict[str, Any] = {
        "id": str(case.id),
        "version": case.version,
        "status": "published" if case.published else "draft",
        "status_label": "已发布" if case.published else "草稿",
        "title": t.title,
        "details": t.details,
        "handling": t.handling,
        "steps": list(t.steps),
        "conclusion": t.conclusion,
        "legal_basis": t.legal_basis,
        "updated_at": case.updated_at.isoformat(),
    }
    if may_read_case_drafts(who):
        out["replacements"] = case.replacements  # what was stripped, masked: for the drafter to check
    if may_see_case_sources(who):
        out["sources"] = [
            {"complaint_id": str(cid), "slip_no": slip}
            for cid, slip in zip(case.source_ids, case.source_slips, strict=True)
        ]
    return out


def _saved(case: GuidanceCase, db: ViewDB, guard: Guard, who: Principal) -> dict[str, Any]:
    guard.call(lambda: cases_view.index_case(db, case))
    return case_out(case, who)


@router.post("", status_code=201)
def draft(body: CaseIn, role: Drafter, who: Caller, cases: Service, db: CasesDB, guard: Guard) -> Any:
    """起草 from resolved complaints: names, phones, ID numbers, e-mails, addresses, enterprises replaced."""
    case = guard.call(lambda: cases.draft(body.complaint_ids, _draft(body), actor_id=who.sub, actor_role=role.value))
    return _saved(case, db, guard, who)


@router.get("")
def search(
    *,
    _role: Reader,
    db: CasesDB,
    guard: Guard,
    q: Annotated[Line, Query(max_length=200, description="检索词（空：全部，最新在前）")] = "",
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> dict[str, Any]:
    """Published cases, best match first."""
    return {"items": run_query(guard, lambda: cases_view.search(db, q, limit=limit))}


@router.get("/{case_id}")
def read(case_id: UUID, _role: Reader, who: Caller, cases: Service, guard: Guard) -> dict[str, Any]:
    """One case (published, or a draft for those who draft or publish)."""
    return case_out(guard.call(lambda: cases.get(case_id)), who)


@router.get("/{case_id}/print", response_class=HTMLResponse)
def printable(case_id: UUID, _role: Reader, who: Caller, cases: Service, guard: Guard) -> HTMLResponse:
    """The case as a printable HTML page (every value escaped)."""
    c = case_out(guard.call(lambda: cases.get(case_id)), who)
    e = html.escape
    steps = "".join(f"<li>{e(s)}</li>" for s in c["steps"])
    sections = [
        ("问题详情", f"<p>{e(c['details'])}</p>"),
        ("处理办法", f"<p>{e(c['handling'])}</p>"),
        ("办理步骤", f"<ol>{steps}</ol>"),
        ("结论意见", f"<p>{e(c['conclusion'])}</p>"),
        ("法律依据", f"<p>{e(c['legal_basis'])}</p>"),
    ]
    body = "".join(f"<h2>{title}</h2>{content}" for title, content in sections)
    page = (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{e(c['title'])}</title><style>body{{font-family:serif;max-width:42em;margin:2em auto;"
        "line-height:1.7}p{white-space:pre-wrap}@media print{body{margin:0}}</style></head>"
        f"<body><h1>指导案例：{e(c['title'])}</h1><p>状态：{e(c['status_label'])}　更新：{e(c['updated_at'][:10])}</p>"
        f"{body}</body></html>"
    )
    return HTMLResponse(page)


@router.post("/{case_id}/revise")
def revise(
    case_id: UUID,
    body: CaseTextIn,
    role: Drafter,
    who: Caller,
    cases: Service,
    db: CasesDB,
    guard: Guard,
    expected: ExpectedVersion,
) -> Any:
    """修订 the draft (stripped again)."""
    case = guard.call(
        lambda: cases.revise(case_id, _draft(body), actor_id=who.sub, actor_role=role.value, expected=expected)
    )
    return _saved(case, db, guard, who)


@router.post("/{case_id}/publish")
def publish(
    case_id: UUID, role: Publisher, who: Caller, cases: Service, db: CasesDB, guard: Guard, expected: ExpectedVersion
) -> Any:
    """发布 (duty leader)."""
    case = guard.call(lambda: cases.publish(case_id, actor_id=who.sub, actor_role=role.value, expected=expected))
    return _saved(case, db, guard, who)
