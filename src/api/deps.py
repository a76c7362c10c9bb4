"""Typed request dependencies: the verified caller, the If-Match header."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from api.auth import AuthError, Principal
from api.container import Container
from api.problems import ApiProblem


def principal(request: Request, authorization: Annotated[str | None, Header()] = None) -> Principal:
    """The verified caller (401 otherwise)."""
    container: Container = request.app.state.container
    if not authorization or not authorization.lower().startswith("bearer "):
        raise ApiProblem(401, "unauthenticated", "缺少 Bearer 令牌")
    try:
        who = container.verifier.verify(authorization[7:].strip())
    except AuthError as exc:
        raise ApiProblem(401, "unauthenticated", str(exc)) from exc
    request.state.principal = who
    return who


Caller = Annotated[Principal, Depends(principal)]
IfMatch = Annotated[str | None, Header(alias="If-Match")]
