"""The HTTP API (docs/design.md §6): builds the app — middleware, error handlers, the routers, the docs."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.container import Container
from api.docs import add_docs
from api.middleware import RequestMiddleware
from api.observability import check_multiprocess_dir
from api.observability import router as metrics_router
from api.problems import (
    PROBLEM_JSON,
    ApiProblem,
    api_problem_handler,
    complaint_error_handler,
    http_exception_handler,
    validation_handler,
)
from api.routes import ROUTERS
from api.routes import callbacks as callbacks_routes
from api.routes import forecast as forecast_routes
from api.routes import orders as orders_routes
from api.routes.audit import anchor_record
from api.schemas import Problem
from api.scope import declare_scopes
from domain.errors import ComplaintError

__all__ = ["anchor_record", "create_app"]  # anchor_record: the CLI's `yousu audit anchor` prints it

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    # the model registers the Problem schema; errors are sent as problem+json, whose schema names it too
    status: {"model": Problem, "content": {PROBLEM_JSON: {"schema": PROBLEM_REF}}, "description": desc}
    for status, desc in {
        401: "未认证",
        403: "无权限",
        404: "未找到",
        409: "当前状态不允许 / 并发冲突",
        412: "If-Match 版本不一致",
        413: "请求体过大",
        422: "输入无效",
        500: "服务器内部错误（含请求编号 request_id）",
        503: "数据库暂不可用（见 Retry-After）",
    }.items()
}


def create_app(container: Container) -> FastAPI:
    """Build the FastAPI application around a container."""
    check_multiprocess_dir()
    app = FastAPI(
        title="yousu 有诉即办",
        version="1",
        description="有诉即办 complaint handling: commands, state, history, views. Errors are RFC 9457 problems.",
        responses=PROBLEM_RESPONSES,
        docs_url=None,  # served by add_docs from local assets
        redoc_url=None,
    )
    app.state.container = container
    # one layer: request id → body limit → error boundary → routing, auth, parsing; then the log line and metrics
    app.add_middleware(RequestMiddleware, max_bytes=container.limits.max_body_bytes)
    app.add_exception_handler(ComplaintError, complaint_error_handler(container.guard.retry_after))
    app.add_exception_handler(ApiProblem, api_problem_handler)
    app.add_exception_handler(RequestValidationError, validation_handler)
    app.add_exception_handler(StarletteHTTPException, http_exception_handler)
    for router in ROUTERS:
        app.include_router(router)
    app.include_router(metrics_router)  # /metrics, no token (see api.observability)
    app.include_router(orders_routes.router)
    app.include_router(callbacks_routes.router)
    app.include_router(forecast_routes.router)
    declare_scopes(app)  # each route's x-scope (谁能看到什么)
    add_docs(app)
    return app
