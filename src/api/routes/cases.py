"""指导案例: draft from resolved complaints (personal information stripped), revise, publish, search, print."""

from __future__ import annotations

import html
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import Field

from api.auth import Principal
from api.deps import Caller, Complaints, ContainerDep, ExpectedVersion, Guard, require, run_query
from api.permissions import Action
from api.problems import PROBLEM_JSON, ApiProblem, problem
from api.schemas import Line, Problem, Strict, Text
from api.schemas_answers import CaseHits, CaseOut
from api.scope import check_visible, sees_case
from api.text_presenters import may_read_case_drafts, may_see_case_sources
from api.write_through import SearchTable, Writer
from application import documents
from application.cases import CaseDraft, CaseNotFound, CasesService
from application.pdf_pool import PdfBusy, PdfTimeout, PdfUnavailable
from application.redaction import without_slips
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
    """The resolved complaints the case is drawn from (or, for a matter that did not come through yousu, none and
    its source named), and its text."""

    complaint_ids: Annotated[
        list[UUID], Field(max_length=20, default_factory=list, description="取材的已办结诉求；不经本系统的事项为空")
    ]
    source: Annotated[
        Line,
        Field(
            max_length=200,
            description="案例来源，不经本系统的事项必填（如：12345热线工单、其他政务服务诉求响应机制、好差评申诉复核）",
        ),
    ] = ""


CasesDB = Annotated[ViewDB, Depends(SearchTable(cases_view.create))]


def service(container: ContainerDep) -> CasesService:
    """Case commands on the complaints' store."""
    return CasesService(container.complaints)


Service = Annotated[CasesService, Depends(service)]


def visible_case(case_id: UUID, who: Caller, cases: Service, guard: Guard) -> GuidanceCase:
    """Dependency: the case named in the path, if the caller's scope includes it (404 as if unknown)."""

    def load() -> GuidanceCase:
        case = cases.get(case_id)
        if not sees_case(cases.app, who, case):
            raise CaseNotFound
        return case

    return guard.call(load)


VisibleCase = Annotated[GuidanceCase, Depends(visible_case)]


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
        "steps": [without_slips(s) for s in t.steps],  # older drafts' steps named the source's slip
        "conclusion": t.conclusion,
        "legal_basis": t.legal_basis,
        "updated_at": case.updated_at.isoformat(),
        "source": case.source_note,
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


@router.post("", status_code=201, response_model=CaseOut, response_model_exclude_unset=True)
def draft(body: CaseIn, role: Drafter, who: Caller, complaints: Complaints, guard: Guard, run: Commands) -> Any:
    """起草 from resolved complaints: names, phones, ID numbers, e-mails, addresses, enterprises replaced.
    A complaint outside the drafter's scope is answered as an unknown one."""
    guard.call(lambda: check_visible(complaints, who, body.complaint_ids))
    return run(role, lambda cases, by: cases.draft(body.complaint_ids, _draft(body), source_note=body.source, **by))


@router.get("", response_model=CaseHits)
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


@router.get("/{case_id}", response_model=CaseOut, response_model_exclude_unset=True)
def read(case_id: UUID, _role: Reader, who: Caller, case: VisibleCase) -> dict[str, Any]:
    """One case (published, or a draft for those who draft or publish)."""
    return case_out(case, who)


def _sections(c: dict[str, Any]) -> list[documents.Section]:
    return [
        documents.Section("问题详情", [c["details"]]),
        documents.Section("处理办法", [c["handling"]]),
        documents.Section("办理步骤", c["steps"], numbered=True),
        documents.Section("结论意见", [c["conclusion"]]),
        documents.Section("法律依据", [c["legal_basis"]]),
    ]


@router.get("/{case_id}/print", response_class=HTMLResponse)
def printable(case_id: UUID, _role: Reader, who: Caller, case: VisibleCase) -> HTMLResponse:
    """The case as a printable HTML page (every value escaped)."""
    c = case_out(case, who)
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


PDF_REFUSALS: dict[type[Exception], tuple[str, str]] = {
    PdfBusy: ("pdf_busy", "PDF 生成繁忙：其他文档正在生成，请稍后重试"),
    PdfTimeout: ("pdf_timeout", "PDF 生成超时，已停止；请稍后重试，或改用打印页"),
    PdfUnavailable: ("pdf_unavailable", "PDF 暂时无法生成（服务正在停止或生成进程异常），请稍后重试"),
}


@router.get(
    "/{case_id}/pdf",
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {}}, "description": "A4 PDF，内嵌所用汉字的字体子集"},
        422: {
            "model": Problem,
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
            "description": "输入无效；或文档超出 PDF 限制（总字数、不同字符数、生僻字数）：可改用打印页",
        },
        503: {
            "model": Problem,
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
            "description": "数据库暂不可用；或 PDF 生成繁忙、超时、暂不可用（见 Retry-After）",
        },
    },
)
def pdf(
    case_id: UUID, request: Request, _role: Reader, who: Caller, case: VisibleCase, container: ContainerDep
) -> Response:
    """The published case as a PDF (Noto Sans CJK SC embedded, only the glyphs it uses); drafts are not exported.

    Rendered in a worker process under a time limit; a document over the size limits is refused (422)."""
    c = case_out(case, who)  # a draft is not found by those who may not read drafts
    if not case.published:
        raise ApiProblem(409, "case_not_published", "指导案例尚未发布：发布后才能导出 PDF")
    subtitle = f"状态：{c['status_label']}　更新：{c['updated_at'][:10]}"
    try:
        body = container.pdf.render(documents.Document(f"指导案例：{c['title']}", subtitle, _sections(c)))
    except documents.DocumentTooLarge as exc:
        raise ApiProblem(422, "pdf_too_large", exc.detail) from None
    except (PdfBusy, PdfTimeout, PdfUnavailable) as exc:
        code, detail = PDF_REFUSALS[type(exc)]
        retry = str(container.guard.retry_after)
        return problem(503, code, detail, request=request, headers={"Retry-After": retry})
    disposition = f'attachment; filename="case-{case_id}.pdf"'
    return Response(body, media_type="application/pdf", headers={"Content-Disposition": disposition})


@router.post("/{case_id}/revise", response_model=CaseOut, response_model_exclude_unset=True)
def revise(
    case_id: UUID, body: CaseTextIn, role: Drafter, _seen: VisibleCase, run: Commands, expected: ExpectedVersion
) -> Any:
    """修订 the draft (stripped again)."""
    return run(role, lambda cases, by: cases.revise(case_id, _draft(body), **by, expected=expected))


@router.post("/{case_id}/publish", response_model=CaseOut, response_model_exclude_unset=True)
def publish(case_id: UUID, role: Publisher, _seen: VisibleCase, run: Commands, expected: ExpectedVersion) -> Any:
    """发布 (duty leader)."""
    return run(role, lambda cases, by: cases.publish(case_id, **by, expected=expected))
