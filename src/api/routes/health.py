"""Liveness and readiness (no token needed)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.deps import ContainerDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "数据库不可达"}})
def readyz(container: ContainerDep) -> JSONResponse:
    """The store is reachable (and, where running, projection lag)."""
    guard = container.guard
    ok = guard.check()
    body: dict[str, Any] = {"status": "ready" if ok else "unavailable", "store": "ok" if ok else "unreachable"}
    for contribute in container.readiness if ok else ():
        try:
            body.update(guard.call(contribute))
        except Exception:  # a failing contributor (e.g. views unreachable) degrades, never hangs
            body["degraded"] = True
    headers = None if ok else {"Retry-After": str(guard.retry_after)}
    return JSONResponse(body, status_code=200 if ok else 503, headers=headers)
