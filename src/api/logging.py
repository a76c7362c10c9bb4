"""One structlog JSON line per request: request id, actor, complaint id, status, duration. No PII."""

from __future__ import annotations

from typing import Any

import structlog
from starlette.types import Scope

log = structlog.get_logger("yousu.http")


def log_request(scope: Scope, status: int, seconds: float) -> None:
    """The access log line of an answered (or dropped) request, written by :class:`api.middleware.RequestMiddleware`
    after routing, so it names the route template, the complaint and the principal."""
    state = scope.get("state") or {}
    route = scope.get("route")
    fields: dict[str, Any] = {
        "method": scope.get("method"),
        "path": getattr(route, "path", "unmatched"),
        "status": status,
        "duration_ms": round(seconds * 1000, 2),
    }
    complaint_id = (scope.get("path_params") or {}).get("complaint_id")
    if complaint_id is not None:
        fields["complaint_id"] = str(complaint_id)
    if state.get("aborted"):
        fields["aborted"] = True  # the response broke off after its headers
    principal = state.get("principal")
    if principal is not None:
        fields["actor"] = principal.sub
        fields["roles"] = sorted(r.value for r in principal.roles)
    log.info("request", **fields)
