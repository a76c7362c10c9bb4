"""Errors as application/problem+json (RFC 9457), mapped from error classes once."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.field_names import field_label
from application.errors import (
    ComplaintNotFound,
    ConcurrentChange,
    IntakeConflict,
    StoreUnavailable,
    VersionMismatch,
)
from domain import errors

PROBLEM_JSON = "application/problem+json"


def problem_response(description: str) -> dict[str, Any]:
    """An OpenAPI response sent as problem+json (the ``Problem`` schema, registered by the app's error responses)."""
    return {"content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}, "description": description}


STATUS_BY_ERROR: list[tuple[type[errors.ComplaintError], int]] = [
    (errors.InvalidInput, 422),
    (errors.UnknownCentre, 422),
    (errors.RosterRowInvalid, 422),  # a bad row of an import file: the body names the row
    (errors.NotResponsibleDepartment, 403),
    (errors.ResolverRoleInvalid, 403),
    (errors.SignerRoleInvalid, 403),
    (errors.NotSigningCentre, 403),
    (errors.EscalationByPerson, 403),
    (ComplaintNotFound, 404),
    (VersionMismatch, 412),
    (IntakeConflict, 409),
    (ConcurrentChange, 409),
    (StoreUnavailable, 503),
    (errors.ComplaintError, 409),
]

TITLES = {
    401: "未认证",
    403: "无权限",
    404: "未找到",
    409: "当前状态不允许",
    412: "版本不一致",
    413: "请求体过大",
    422: "输入无效",
    500: "服务器内部错误",
    503: "服务暂不可用",
}


class ApiProblem(Exception):
    """A problem raised directly by the API layer (auth, reference codes, query parameters)."""

    def __init__(self, status: int, code: str, detail: str, *, field: str | None = None) -> None:
        self.status = status
        self.code = code
        self.detail = detail
        self.field = field
        super().__init__(detail)


def problem(
    status: int,
    code: str,
    detail: str,
    *,
    request: Request | None = None,
    errors_: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """Build a problem response."""
    body: dict[str, Any] = {
        "type": f"https://yousu.invalid/problems/{code}",
        "title": TITLES.get(status, "错误"),
        "status": status,
        "detail": detail,
        "code": code,
    }
    if request is not None:
        body["instance"] = request.url.path
        request.state.problem_code = code  # for the command metrics (api.observability)
    if errors_:
        body["errors"] = [{**e, "label": e.get("label") or field_label(str(e.get("field", "")))} for e in errors_]
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def status_for(exc: errors.ComplaintError) -> int:
    """The HTTP status of a refused command."""
    for cls, status in STATUS_BY_ERROR:
        if isinstance(exc, cls):
            return status
    return 409


def complaint_error_handler(retry_after: int) -> Any:
    """Map domain/application errors; 503 carries Retry-After."""

    async def handler(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, errors.ComplaintError)  # noqa: S101 — registered for this class only
        status = status_for(exc)
        errs: list[dict[str, Any]] | None = (
            [{"field": exc.field, "detail": exc.detail}] if isinstance(exc, errors.InvalidInput) else None
        )
        if isinstance(exc, errors.RosterRowInvalid):
            errs = [{"field": "file", "row": e.row, "detail": e.detail} for e in (exc, *exc.others)]
        headers = {"Retry-After": str(retry_after)} if status == 503 else None
        return problem(status, exc.code, exc.detail, request=request, errors_=errs, headers=headers)

    return handler


async def api_problem_handler(request: Request, exc: Exception) -> JSONResponse:
    """Problems raised by the API layer itself."""
    assert isinstance(exc, ApiProblem)  # noqa: S101 — registered for this class only
    errs = [{"field": exc.field, "detail": exc.detail}] if exc.field else None
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    return problem(exc.status, exc.code, exc.detail, request=request, errors_=errs, headers=headers)


def _named(field: str) -> str:
    """诉求人电话（complainant.phone）; a field with no Chinese name as it is."""
    label = field_label(field)
    return field if label == field else f"{label}（{field}）"


async def validation_handler(request: Request, exc: Exception) -> JSONResponse:
    """Invalid input names each field, in Chinese, without echoing the submitted values."""
    assert isinstance(exc, RequestValidationError)  # noqa: S101 — registered for this class only
    errs: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for e in exc.errors():
        loc = [str(p) for p in e.get("loc", ()) if p not in ("body", "query", "path", "header")]
        entry = (".".join(loc) or "body", _zh(e))
        if entry not in seen:  # a body checked against two shapes reports each missing field twice: say it once
            seen.add(entry)
            errs.append({"field": entry[0], "detail": entry[1]})
    # each field by its Chinese name, its identifier beside it for whoever reads the answer as a program's
    fields = "、".join(dict.fromkeys(_named(x["field"]) for x in errs))
    return problem(422, "invalid_input", f"以下字段无效：{fields}", request=request, errors_=errs)


def _zh(error: dict[str, Any]) -> str:
    kind = str(error.get("type", ""))
    msg = str(error.get("msg", ""))
    table = {
        "missing": "必填",
        "extra_forbidden": "不允许的字段",
        "string_too_long": "过长",
        "too_long": "条目过多",
        "too_short": "不能为空",
        "literal_error": "取值不在允许范围内",
        "int_type": "须为整数",
        "int_parsing": "须为整数",
        "greater_than_equal": "取值过小",
        "less_than_equal": "取值过大",
        "timezone_aware": "须带时区偏移",
        "datetime_from_date_parsing": "时间格式不正确",
        "datetime_parsing": "时间格式不正确",
        "json_invalid": "JSON 格式不正确",
        "uuid_parsing": "编号格式不正确",
        "model_attributes_type": "须为对象",
        "dict_type": "须为对象",
        "list_type": "须为列表",
        "string_type": "须为字符串",
    }
    if kind == "value_error":
        return msg.removeprefix("Value error, ")
    if kind in ("too_long", "string_too_long") and isinstance(error.get("input"), str):
        # a text's length (checked after its own validators, pydantic reports it as too many "items")
        limit = (error.get("ctx") or {}).get("max_length")
        return f"内容过长（至多 {limit} 字）" if limit is not None else "内容过长"
    if kind == "too_long":
        limit = (error.get("ctx") or {}).get("max_length")
        return f"条目过多（至多 {limit} 项）" if limit is not None else "条目过多"
    return table.get(kind, "无效")


async def http_exception_handler(request: Request, exc: Exception) -> JSONResponse:
    """404 for unknown paths, 405 etc., also as problem+json."""
    assert isinstance(exc, StarletteHTTPException)  # noqa: S101 — registered for this class only
    if exc.status_code == 400:  # FastAPI: a body it cannot even decode (not UTF-8) — invalid input, like bad JSON
        detail = "请求体无法解析：须为 UTF-8 编码的 JSON"
        return problem(422, "invalid_input", detail, request=request, errors_=[{"field": "body", "detail": detail}])
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    detail = {404: "资源不存在", 405: "不支持该请求方法"}.get(exc.status_code, str(exc.detail))
    return problem(exc.status_code, code, detail, request=request)
