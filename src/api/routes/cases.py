"""指导案例: draft from resolved complaints (personal information stripped), revise, publish, search, print."""

from __future__ import annotations

import html
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse, Response
from pydantic import Field

from api.auth import Principal
from api.deps import Caller, ContainerDep, ExpectedVersion, Guard, require, run_query
from api.permissions import Action
from api.problems import ApiProblem
from api.schemas import Line, Strict, Text
from api.text_presenters import may_read_case_drafts, may_see_case_sources
from api.write_through import SearchTable, Writer
from application import documents
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


CasesDB = Annotated[ViewDB, Depends(SearchTable(cases_view.create))]


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


def commands(cases: Service, db: CasesDB, guard: Guard, who: Caller) -> Writer[CasesService, GuidanceCase]:
    """Case commands, each written through to the search table and answered as the caller may see the case."""
    return Writer(cases, db, guard, who, cases_view.index_case, case_out)


Commands = Annotated[Writer[CasesService, GuidanceCase], Depends(commands)]


@router.post("", status_code=201)
def draft(body: CaseIn, role: Drafter, run: Commands) -> Any:
    """起草 from resolved complaints: names, phones, ID numbers, e-mails, addresses, enterprises replaced."""
    return run(role, lambda cases, by: cases.draft(body.complaint_ids, _draft(body), **by))


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


def _sections(c: dict[str, Any]) -> list[documents.Section]:
    return [
        documents.Section("问题详情", [c["details"]]),
        documents.Section("处理办法", [c["handling"]]),
        documents.Section("办理步骤", c["steps"], numbered=True),
        documents.Section("结论意见", [c["conclusion"]]),
        documents.Section("法律依据", [c["legal_basis"]]),
    ]


@router.get("/{case_id}/print", response_class=HTMLResponse)
def printable(case_id: UUID, _role: Reader, who: Caller, cases: Service, guard: Guard) -> HTMLResponse:
    """The case as a printable HTML page (every value escaped)."""
    c = case_out(guard.call(lambda: cases.get(case_id)), who)
    e = html.escape
    body = "".join(
        f"<h2>{s.heading}</h2>"
        + (
            "<ol>" + "".join(f"<li>{e(p)}</li>" for p in s.paragraphs) + "</ol>"
            if s.numbered
            else f"<p>{e(s.paragraphs[0])}</p>"
        )
        for s in _sections(c)
    )
    page = (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{e(c['title'])}</title><style>body{{font-family:serif;max-width:42em;margin:2em auto;"
        "line-height:1.7}p{white-space:pre-wrap}@media print{body{margin:0}}</style></head>"
        f"<body><h1>指导案例：{e(c['title'])}</h1><p>状态：{e(c['status_label'])}　更新：{e(c['updated_at'][:10])}</p>"
        f"{body}</body></html>"
    )
    return HTMLResponse(page)


@router.get(
    "/{case_id}/pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "A4 PDF，内嵌所用汉字的字体子集"}},
)
def pdf(case_id: UUID, _role: Reader, who: Caller, cases: Service, guard: Guard) -> Response:
    """The published case as a PDF (Noto Sans CJK SC embedded, only the glyphs it uses); drafts are not exported."""
    case = guard.call(lambda: cases.get(case_id))
    c = case_out(case, who)  # a draft is not found by those who may not read drafts
    if not case.published:
        raise ApiProblem(409, "case_not_published", "指导案例尚未发布：发布后才能导出 PDF")
    subtitle = f"状态：{c['status_label']}　更新：{c['updated_at'][:10]}"
    body = documents.pdf(f"指导案例：{c['title']}", subtitle, _sections(c))
    disposition = f'attachment; filename="case-{case_id}.pdf"'
    return Response(body, media_type="application/pdf", headers={"Content-Disposition": disposition})


@router.post("/{case_id}/revise")
def revise(case_id: UUID, body: CaseTextIn, role: Drafter, run: Commands, expected: ExpectedVersion) -> Any:
    """修订 the draft (stripped again)."""
    return run(role, lambda cases, by: cases.revise(case_id, _draft(body), **by, expected=expected))


@router.post("/{case_id}/publish")
def publish(case_id: UUID, role: Publisher, run: Commands, expected: ExpectedVersion) -> Any:
    """发布 (duty leader)."""
    return run(role, lambda cases, by: cases.publish(case_id, **by, expected=expected))
