"""The audit trail for discipline inspection: chain verification, the access log, anchors."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import JSONResponse

from api.deps import ContainerDep, require
from api.permissions import Action
from api.problems import ApiProblem
from api.schemas import Instant, Line
from api.schemas_answers import AccessLog, AnchorList, AnchorRecord, VerifyReport
from application.audit import AuditService
from domain.values import Role

# the offline verifier (standard library only) and how to run it travel inside every bundle
VERIFIER = Path(__file__).resolve().parents[3] / "ops" / "audit" / "verify_bundle.py"
INSTRUCTIONS_NAME = "核验说明.txt"


def instructions(complaint_id: str, *, chain_only: bool) -> str:
    """核验说明: how to check this bundle offline, in Chinese."""
    lines = [
        f"有诉即办 审计核验包：诉求 {complaint_id}",
        "",
        "本包含：events.jsonl（事件，个人信息为加盐承诺值）、chain.json（哈希链）、anchor.json（锚定记录）、",
        "verify_bundle.py（离线核验程序，只需 Python 3 标准库）和本说明。",
        "",
        "核验步骤：",
        "1. 将本包解压到一个目录，例如 bundle/。",
        "2. 取得在系统之外保存的锚点摘要（锚定当天打印签字或另行留存的 digest），切勿使用本包内的数值。",
        "3. 运行：python3 verify_bundle.py bundle/ --digest <保存的锚点摘要>",
        "   或：python3 verify_bundle.py bundle/ --anchor <保存的锚定记录文件>",
        "",
        "结果：退出码 0 表示与留存锚点一致（核验通过）；1 表示有不符之处（逐条列出）；",
        "2 表示文件无法读取；3 表示包内自洽但未与留存锚点核对（未核验）。",
        "仅凭本包本身不能证明未被篡改：能改写事件的人也能重算全部哈希，必须与系统外留存的锚点摘要核对。",
    ]
    if chain_only:
        lines += ["", "注意：导出时尚无锚点覆盖该诉求（仅含哈希链），核验结果只能是“未核验”（退出码 3）。"]
    return "\n".join(lines) + "\n"


router = APIRouter(prefix="/v1/audit", tags=["audit"])

Auditor = Annotated[Role, Depends(require(Action.read_audit))]
Anchorer = Annotated[Role, Depends(require(Action.anchor))]


def anchor_record(a: Any) -> dict[str, Any]:
    """The exportable digest record of one anchor."""
    return {
        "number": a.number,
        "anchored_at": a.anchored_at.isoformat(),
        "position": a.position,
        "complaints": a.complaints,
        "digest": a.digest,
        "prev_digest": a.prev_digest,
    }


@router.get(
    "/verify",
    response_model=VerifyReport,
    response_model_exclude_unset=True,
    responses={409: {"model": VerifyReport, "description": "核验未通过：同一答复体，findings 列出问题"}},
)
def audit_verify(_role: Auditor, container: ContainerDep, complaint_id: UUID | None = None) -> JSONResponse:
    """Check every hash chain (or one complaint's) and every anchor; 200 when clean, 409 otherwise."""
    report = container.guard.call(lambda: container.audit.verify(complaint_id), long=True)  # a full scan
    body: dict[str, Any] = {
        "ok": report.ok,
        "complaints_checked": report.complaints_checked,
        "events_checked": report.events_checked,
        "anchors_checked": report.anchors_checked,
        "findings": [
            {"complaint_id": str(f.complaint_id), "version": f.version, "problem": f.problem, "detail": f.detail}
            for f in report.findings
        ],
    }
    if complaint_id is not None:
        # the badge on a complaint's page: the newest anchor committing to it (None: chain only so far)
        body["anchor"] = container.guard.call(lambda: container.audit.covering_anchor(complaint_id))
        # the chain head now (the newest event's row_hash) and the anchor digest to check the bundle against
        head = container.guard.call(lambda: container.audit.chain_head(complaint_id))
        body["head"], body["anchor_digest"] = head if head is not None else (None, None)
    return JSONResponse(body, status_code=200 if report.ok else 409)


@router.get(
    "/bundle",
    response_class=Response,
    responses={200: {"content": {"application/zip": {}}, "description": "离线核验包（zip）"}},
)
def audit_bundle(
    _role: Auditor,
    container: ContainerDep,
    complaint_id: UUID,
    allow_unanchored: bool = False,
) -> Response:
    """The offline bundle of one complaint as a zip (events.jsonl, chain.json, anchor.json), as `yousu audit
    export` writes it: personal information as salted commitments. The zip carries its verifier
    (verify_bundle.py, standard library only) and 核验说明.txt, how to run it."""
    bundle = container.guard.call(lambda: container.audit.export([complaint_id]), long=True)
    heads = (bundle["anchor"] or {}).get("heads", {})
    if str(complaint_id) not in heads and not allow_unanchored:
        raise ApiProblem(
            409,
            "unanchored",
            "尚无锚点覆盖该诉求：请先锚定（POST /v1/audit/anchors），或以 allow_unanchored=true 导出仅含哈希链的核验包",
        )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, text in AuditService.bundle_files(bundle).items():
            z.writestr(name, text)
        z.writestr(VERIFIER.name, VERIFIER.read_bytes())  # the offline verifier travels with what it checks
        z.writestr(INSTRUCTIONS_NAME, instructions(str(complaint_id), chain_only=str(complaint_id) not in heads))
    filename = f"yousu-audit-{complaint_id}.zip"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"}
    return Response(out.getvalue(), media_type="application/zip", headers=headers)


@router.get("/access", response_model=AccessLog)
def audit_access(
    _role: Auditor,
    container: ContainerDep,
    complaint_id: UUID | None = None,
    reader: Annotated[Line | None, Query(max_length=200)] = None,
    since: Instant | None = None,
    until: Instant | None = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> dict[str, Any]:
    """The access log: who read which complaint's history or personal information, when, and how."""
    items = container.guard.call(
        lambda: container.audit.access_log(
            complaint_id=complaint_id, reader=reader, since=since, until=until, limit=limit
        )
    )
    return {"items": items}


@router.get("/anchors", response_model=AnchorList)
def audit_anchors(_role: Auditor, container: ContainerDep) -> dict[str, Any]:
    """Every anchor's digest record, for keeping outside the system."""
    anchors = container.guard.call(container.audit.anchors)
    return {"items": [anchor_record(a) for a in anchors]}


@router.post(
    "/anchors", response_model=AnchorRecord, responses={204: {"description": "自上次锚定以来没有变化：无响应体"}}
)
def audit_anchor_now(_role: Anchorer, container: ContainerDep) -> Response:
    """Anchor the heads of all complaints now (on demand); 200 with the record, 204 (no body) if nothing changed."""
    anchored = container.guard.call(container.audit.anchor, long=True)  # reads every change since the last anchor
    if anchored is None:
        return Response(status_code=204)
    return JSONResponse(anchor_record(anchored), status_code=200)
