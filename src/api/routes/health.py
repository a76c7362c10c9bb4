"""Liveness and readiness (no token needed)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.deps import ContainerDep
from api.schemas_answers import Readiness

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "数据库不可达，或读模型滞后过多（not ready）"}},
)
def readyz(container: ContainerDep) -> JSONResponse:
    """The store is reachable and no contributor (e.g. projection lag) says ``not_ready``."""
    guard = container.guard
    ok = guard.check()
    body: dict[str, Any] = {"status": "ready" if ok else "unavailable", "store": "ok" if ok else "unreachable"}
    reasons: list[str] = []
    for contribute in container.readiness if ok else ():
        try:
            facts = dict(guard.call(contribute))
        except Exception:  # a failing contributor (e.g. views unreachable) degrades, never hangs
            body["degraded"] = True
            continue
        reason = facts.pop("not_ready", None)  # a contributor's veto: why this process should get no traffic
        if reason:
            reasons.append(str(reason))
        body.update(facts)
    if reasons:
        body["status"] = "not ready"
        body["detail"] = "；".join(reasons)
    ready = ok and not reasons
    headers = None if ready else {"Retry-After": str(guard.retry_after)}
    return JSONResponse(body, status_code=200 if ready else 503, headers=headers)
