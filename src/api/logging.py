"""One structlog JSON line per request: request id, actor, complaint id, status, duration. No PII."""

from __future__ import annotations

import time
import uuid
from typing import Any

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = structlog.get_logger("yousu.http")


class RequestLogMiddleware:
    """Pure ASGI middleware so it sees the path parameters and the principal after routing."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        incoming = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if 0 < len(incoming) <= 64 and incoming.isascii() else uuid.uuid4().hex
        start = time.perf_counter()
        status = 500
        structlog.contextvars.bind_contextvars(request_id=request_id)
        scope.setdefault("state", {})["request_id"] = request_id  # for answers made outside the app (500, 413)

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            principal = (scope.get("state") or {}).get("principal")
            route = scope.get("route")
            fields: dict[str, Any] = {
                "method": scope.get("method"),
                "path": getattr(route, "path", "unmatched"),
                "status": status,
                "duration_ms": round((time.perf_counter() - start) * 1000, 2),
            }
            complaint_id = (scope.get("path_params") or {}).get("complaint_id")
            if complaint_id is not None:
                fields["complaint_id"] = str(complaint_id)
            if (scope.get("state") or {}).get("aborted"):
                fields["aborted"] = True  # the response broke off after its headers
            if principal is not None:
                fields["actor"] = principal.sub
                fields["roles"] = sorted(r.value for r in principal.roles)
            log.info("request", **fields)
            structlog.contextvars.unbind_contextvars("request_id")
