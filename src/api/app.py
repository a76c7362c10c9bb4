"""The HTTP API (DESIGN §6): commands, one complaint's state and history, the calendar, health."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import FastAPI, Header, Query, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.auth import Principal
from api.container import Container
from api.deps import Caller, IfMatch
from api.logging import RequestLogMiddleware
from api.permissions import Action, allowed
from api.presenters import complaint_out, history_item, may_see_personal_info
from api.problems import (
    PROBLEM_JSON,
    ApiProblem,
    api_problem_handler,
    complaint_error_handler,
    http_exception_handler,
    validation_handler,
)
from api.schemas import (
    CallbackIn,
    ClassifyIn,
    CommandOut,
    ComplaintOut,
    ConsultIn,
    DispatchIn,
    DueOut,
    FeedbackIn,
    HistoryOut,
    Problem,
    ReceiveIn,
    ResolveIn,
    SignIn,
)
from api.views import add_view_routes
from application.complaints import CommandResult
from domain.complaint import Complaint
from domain.errors import ComplaintError
from domain.values import Channel, Classification, Complainant, ComplainantType, Role

IF_MATCH_RE = re.compile(r'^\s*(?:W/)?"?(\d+)"?\s*$')

PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem, "content": {PROBLEM_JSON: {}}, "description": desc}
    for status, desc in {
        401: "未认证",
        403: "无权限",
        404: "未找到",
        409: "当前状态不允许 / 并发冲突",
        412: "If-Match 版本不一致",
        422: "输入无效",
        503: "数据库暂不可用（见 Retry-After）",
    }.items()
}


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


def create_app(container: Container) -> FastAPI:  # noqa: PLR0915 — one place lists every route
    """Build the FastAPI application around a container."""
    app = FastAPI(
        title="yousu 有诉即办",
        version="1",
        description="有诉即办 complaint handling: commands, state, history. Errors are RFC 9457 problems.",
        responses=PROBLEM_RESPONSES,
    )
    app.state.container = container
    app.add_middleware(RequestLogMiddleware)
    app.add_exception_handler(ComplaintError, complaint_error_handler(container.guard.retry_after))
    app.add_exception_handler(ApiProblem, api_problem_handler)
    app.add_exception_handler(RequestValidationError, validation_handler)
    app.add_exception_handler(StarletteHTTPException, http_exception_handler)

    complaints = container.complaints
    guard = container.guard

    def acting(action: Action, who: Principal) -> Role:
        role = allowed(action, who.roles)
        if role is None:
            raise ApiProblem(403, "forbidden", "您的角色无权执行此操作")
        return role

    def expected(if_match: str | None) -> int | None:
        if if_match is None:
            return None
        m = IF_MATCH_RE.match(if_match)
        if not m:
            raise ApiProblem(422, "invalid_input", 'If-Match 须为 "<版本号>"', field="If-Match")
        return int(m.group(1))

    def answer(result: CommandResult) -> CommandOut:
        return CommandOut(
            id=result.id,
            slip_no=result.slip_no,
            status=result.status,
            version=result.version,
            notification_id=result.notification_id,
            due_at=result.due_at,
        )

    def known_department(codes: list[str]) -> None:
        unknown = [c for c in codes if c not in container.reference.departments]
        if unknown:
            raise ApiProblem(422, "unknown_department", f"未知的部门代码：{', '.join(unknown)}", field="departments")

    # ------------------------------------------------------------------ commands

    @app.post(
        "/v1/complaints",
        status_code=201,
        response_model=CommandOut,
        tags=["commands"],
        responses={200: {"model": CommandOut, "description": "重复提交：返回同一幂等键（或热线编号）已受理的诉求"}},
    )
    def receive(
        body: ReceiveIn,
        who: Caller,
        response: Response,
        idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)] = None,
    ) -> CommandOut:
        """一窗受理: record a complaint. Retries with the same Idempotency-Key return the same complaint."""
        role = acting(Action.receive, who)
        if role is Role.hotline and body.channel != "hotline":
            raise ApiProblem(422, "invalid_input", "热线接口只能提交 hotline 渠道的诉求", field="channel")
        if body.category not in container.reference.categories:
            raise ApiProblem(422, "unknown_category", f"未知的诉求类别：{body.category}", field="category")
        canonical = json.dumps(body.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
        fingerprint = hashlib.sha256(canonical.encode()).hexdigest()
        c = body.complainant
        result = guard.call(
            lambda: complaints.receive(
                channel=Channel(body.channel),
                content=body.content,
                category=body.category,
                complainant=Complainant(
                    type=ComplainantType(c.type),
                    name=c.name,
                    phone=c.phone,
                    id_number=c.id_number,
                    enterprise_name=c.enterprise_name,
                ),
                actor=who.actor(role),
                received_at=body.received_at,
                external_ref=body.external_ref,
                idempotency_key=idempotency_key,
                fingerprint=fingerprint,
            )
        )
        response.headers["Location"] = f"/v1/complaints/{result.id}"
        if not result.created:
            response.status_code = 200
            response.headers["Idempotent-Replayed"] = "true"
        return answer(result)

    def command(
        action: Action,
        complaint_id: UUID,
        who: Principal,
        if_match: str | None,
        run: Callable[[Role, int | None], CommandResult],
    ) -> CommandOut:
        role = acting(action, who)
        version = expected(if_match)
        return answer(guard.call(lambda: run(role, version)))

    @app.post("/v1/complaints/{complaint_id}/classify", response_model=CommandOut, tags=["commands"])
    def classify(complaint_id: UUID, body: ClassifyIn, who: Caller, if_match: IfMatch = None) -> CommandOut:
        """按责分类: general, or one of the three complex kinds."""
        return command(
            Action.classify,
            complaint_id,
            who,
            if_match,
            lambda role, v: complaints.classify(
                complaint_id,
                classification=Classification(body.classification),
                reason=body.reason,
                actor=who.actor(role),
                expected_version=v,
            ),
        )

    @app.post("/v1/complaints/{complaint_id}/sign", response_model=CommandOut, tags=["commands"])
    def sign(complaint_id: UUID, body: SignIn, who: Caller, if_match: IfMatch = None) -> CommandOut:
        """审核签字: as duty officer or duty leader, by the token's role."""
        signer_roles = who.roles & {Role.duty_officer, Role.duty_leader}
        if not signer_roles:
            raise ApiProblem(403, "forbidden", "只有当天值班人员或带班领导可以签字")
        if len(signer_roles) == 1:
            role = next(iter(signer_roles))
        else:  # both roles: sign for whichever signature is still missing
            current = guard.call(lambda: complaints.get(complaint_id))
            role = Role.duty_officer if current.officer_signature is None else Role.duty_leader
        version = expected(if_match)
        return answer(
            guard.call(
                lambda: complaints.sign(
                    complaint_id, opinion=body.opinion, actor=who.actor(role), expected_version=version
                )
            )
        )

    @app.post("/v1/complaints/{complaint_id}/dispatch", response_model=CommandOut, tags=["commands"])
    def dispatch(complaint_id: UUID, body: DispatchIn, who: Caller, if_match: IfMatch = None) -> CommandOut:
        """转办 to departments with a supervisor; answers the resolution deadline ``due_at``."""
        known_department(body.departments)
        return command(
            Action.dispatch,
            complaint_id,
            who,
            if_match,
            lambda role, v: complaints.dispatch(
                complaint_id,
                departments=body.departments,
                supervisor=body.supervisor,
                instructions=body.instructions,
                actor=who.actor(role),
                expected_version=v,
            ),
        )

    @app.post("/v1/complaints/{complaint_id}/consult", response_model=CommandOut, tags=["commands"])
    def consult(complaint_id: UUID, body: ConsultIn, who: Caller, if_match: IfMatch = None) -> CommandOut:
        """会商."""
        return command(
            Action.consult,
            complaint_id,
            who,
            if_match,
            lambda role, v: complaints.consult(
                complaint_id,
                participants=body.participants,
                conclusion=body.conclusion,
                actor=who.actor(role),
                expected_version=v,
            ),
        )

    @app.post("/v1/complaints/{complaint_id}/resolve", response_model=CommandOut, tags=["commands"])
    def resolve(complaint_id: UUID, body: ResolveIn, who: Caller, if_match: IfMatch = None) -> CommandOut:
        """限时办结 (`cannot_do` needs `legal_basis`)."""
        return command(
            Action.resolve,
            complaint_id,
            who,
            if_match,
            lambda role, v: complaints.resolve(
                complaint_id,
                result=body.result,
                legal_basis=body.legal_basis,
                actor=who.actor(role),
                expected_version=v,
            ),
        )

    @app.post("/v1/complaints/{complaint_id}/feedback", response_model=CommandOut, tags=["commands"])
    def feedback(complaint_id: UUID, body: FeedbackIn, who: Caller, if_match: IfMatch = None) -> CommandOut:
        """及时反馈."""
        return command(
            Action.feedback,
            complaint_id,
            who,
            if_match,
            lambda role, v: complaints.feed_back(
                complaint_id, method=body.method, summary=body.summary, actor=who.actor(role), expected_version=v
            ),
        )

    @app.post("/v1/complaints/{complaint_id}/callback", response_model=CommandOut, tags=["commands"])
    def callback(complaint_id: UUID, body: CallbackIn, who: Caller, if_match: IfMatch = None) -> CommandOut:
        """回访 with a rating 1–5; 1–2 (差评) opens a rectification round."""
        return command(
            Action.callback,
            complaint_id,
            who,
            if_match,
            lambda role, v: complaints.call_back(
                complaint_id, rating=body.rating, comment=body.comment, actor=who.actor(role), expected_version=v
            ),
        )

    # ------------------------------------------------------------------ queries

    def audited_read(
        who: Principal, complaint_id: UUID, endpoint: str, *, personal_info: bool, role: Role | None = None
    ) -> None:
        """Record the read before answering: no record, no answer."""
        reader_role = role or allowed(Action.read_personal_info, who.roles) or next(iter(who.roles))
        guard.call(
            lambda: container.audit.record_access(
                reader=who.actor(reader_role), complaint_id=complaint_id, endpoint=endpoint, personal_info=personal_info
            )
        )

    def load(complaint_id: UUID, version: int | None, as_of: datetime | None) -> Complaint:
        if version is not None and as_of is not None:
            raise ApiProblem(422, "invalid_input", "version 与 as_of 只能选其一", field="as_of")

        def run() -> Complaint:
            v = version
            if as_of is not None:
                v = complaints.version_as_of(complaint_id, as_of)
                if v is None:
                    raise ApiProblem(404, "not_yet_received", "该时刻诉求尚未受理")
            current = complaints.get(complaint_id)
            if v is not None and v > current.version:
                raise ApiProblem(404, "version_not_found", f"该诉求只有 {current.version} 个版本")
            return current if v is None or v == current.version else complaints.get(complaint_id, version=v)

        return guard.call(run)

    @app.get("/v1/complaints/{complaint_id}", response_model=ComplaintOut, tags=["queries"])
    def get_complaint(
        complaint_id: UUID,
        who: Caller,
        response: Response,
        version: Annotated[int | None, Query(ge=1)] = None,
        as_of: Annotated[AwareDatetime | None, Query()] = None,
    ) -> ComplaintOut:
        """The complaint now, or at ``version`` / ``as_of`` (recorded time)."""
        acting(Action.read_state, who)
        c = load(complaint_id, version, as_of)
        if may_see_personal_info(who, c):
            audited_read(who, complaint_id, "GET /v1/complaints/{id}", personal_info=True)
        response.headers["ETag"] = f'"{c.version}"'
        return complaint_out(c, who)

    @app.get("/v1/complaints/{complaint_id}/history", response_model=HistoryOut, tags=["queries"])
    def get_history(complaint_id: UUID, who: Caller) -> HistoryOut:
        """The audit trail: every event with actor, business time, recorded time and payload."""
        role = acting(Action.read_history, who)
        events, current = guard.call(lambda: (complaints.history(complaint_id), complaints.get(complaint_id)))
        clear = may_see_personal_info(who, current)
        audited_read(who, complaint_id, "GET /v1/complaints/{id}/history", personal_info=clear, role=role)
        return HistoryOut(id=current.id, slip_no=current.slip_no, events=[history_item(e, clear=clear) for e in events])

    @app.get("/v1/calendar/due", response_model=DueOut, tags=["queries"])
    def calendar_due(
        who: Caller,
        from_: Annotated[AwareDatetime, Query(alias="from")],
        working_days: Annotated[int, Query(ge=0, le=366)],
    ) -> DueOut:
        """The deadline N working days after ``from`` (Civil Code counting; 0 = the same working day)."""
        acting(Action.read_calendar, who)
        d = complaints.calendar.add_working_days(from_, working_days)
        return DueOut(from_=from_, working_days=working_days, due_at=d.due_at, provisional=d.provisional)

    # ------------------------------------------------------------------ audit

    @app.get("/v1/audit/verify", tags=["audit"])
    def audit_verify(who: Caller, complaint_id: UUID | None = None) -> JSONResponse:
        """Check every hash chain (or one complaint's) and every anchor; 200 when clean, 409 otherwise."""
        acting(Action.read_audit, who)
        report = guard.call(lambda: container.audit.verify(complaint_id))
        body = {
            "ok": report.ok,
            "complaints_checked": report.complaints_checked,
            "events_checked": report.events_checked,
            "anchors_checked": report.anchors_checked,
            "findings": [
                {"complaint_id": str(f.complaint_id), "version": f.version, "problem": f.problem, "detail": f.detail}
                for f in report.findings
            ],
        }
        return JSONResponse(body, status_code=200 if report.ok else 409)

    @app.get("/v1/audit/access", tags=["audit"])
    def audit_access(
        who: Caller,
        complaint_id: UUID | None = None,
        reader: Annotated[str | None, Query(max_length=200)] = None,
        since: AwareDatetime | None = None,
        until: AwareDatetime | None = None,
        limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    ) -> dict[str, Any]:
        """The access log: who read which complaint's history or personal information, when, and how."""
        acting(Action.read_audit, who)
        items = guard.call(
            lambda: container.audit.access_log(
                complaint_id=complaint_id, reader=reader, since=since, until=until, limit=limit
            )
        )
        return {"items": items}

    @app.get("/v1/audit/anchors", tags=["audit"])
    def audit_anchors(who: Caller) -> dict[str, Any]:
        """Every anchor's digest record, for keeping outside the system."""
        acting(Action.read_audit, who)
        anchors = guard.call(container.audit.anchors)
        return {"items": [anchor_record(a) for a in anchors]}

    @app.post("/v1/audit/anchors", tags=["audit"])
    def audit_anchor_now(who: Caller) -> JSONResponse:
        """Anchor the heads of all complaints now (on demand); 200 with the record, 204 if nothing changed."""
        acting(Action.anchor, who)
        anchored = guard.call(container.audit.anchor)
        if anchored is None:
            return JSONResponse(None, status_code=204)
        return JSONResponse(anchor_record(anchored), status_code=200)

    add_view_routes(app, container)

    # ------------------------------------------------------------------ health

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict[str, str]:
        """The process is up."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"], responses={503: {"description": "数据库不可达"}})
    def readyz() -> JSONResponse:
        """The store is reachable (and, where running, projection lag)."""
        ok = guard.check()
        body: dict[str, Any] = {"status": "ready" if ok else "unavailable", "store": "ok" if ok else "unreachable"}
        for contribute in container.readiness if ok else ():
            try:
                body.update(guard.call(contribute))
            except Exception:  # a failing contributor (e.g. views unreachable) degrades, never hangs
                body["degraded"] = True
        headers = None if ok else {"Retry-After": str(guard.retry_after)}
        return JSONResponse(body, status_code=200 if ok else 503, headers=headers)

    return app
