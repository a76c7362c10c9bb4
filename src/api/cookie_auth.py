"""Who is calling: a Bearer token (district IdP, `yousu token`) or the console's session cookie.

The console keeps its token in an HttpOnly, SameSite=Strict cookie so page scripts never hold it.
Cookie-authenticated writes also need the double-submit CSRF token: the non-HttpOnly ``yousu_csrf``
cookie echoed in ``X-CSRF-Token``. Bearer requests are not ambient credentials and need no CSRF token.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Header, Request

from api.auth import AuthError, Principal, TokenVerifier
from api.problems import ApiProblem

SESSION_COOKIE = "yousu_session"
CSRF_COOKIE = "yousu_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def authenticate(request: Request, authorization: str | None, verifier: TokenVerifier) -> Principal:
    """The verified caller from the Authorization header, else from the session cookie (with CSRF on writes)."""
    if authorization:
        if not authorization.lower().startswith("bearer "):
            raise ApiProblem(401, "unauthenticated", "Authorization 须为 Bearer 令牌")
        token, via = authorization[7:].strip(), "bearer"
    else:
        cookie = request.cookies.get(SESSION_COOKIE)
        if not cookie:
            raise ApiProblem(401, "unauthenticated", "缺少 Bearer 令牌或登录会话，请先登录")
        token, via = cookie, "cookie"
    try:
        who = verifier.verify(token)
    except AuthError as exc:
        raise ApiProblem(401, "unauthenticated", str(exc)) from exc
    if via == "cookie" and request.method not in SAFE_METHODS:
        check_csrf(request)
    request.state.auth_via = via
    return who


def check_csrf(request: Request) -> None:
    """The CSRF header equals the CSRF cookie (403 otherwise)."""
    sent = request.headers.get(CSRF_HEADER, "")
    expected = request.cookies.get(CSRF_COOKIE, "")
    if not sent or not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise ApiProblem(403, "csrf_failed", "缺少或错误的 CSRF 令牌，请刷新页面后重试", field=CSRF_HEADER)


def principal(request: Request, authorization: Annotated[str | None, Header()] = None) -> Principal:
    """Drop-in replacement for ``api.deps.principal`` that also accepts the console's session cookie."""
    who = authenticate(request, authorization, request.app.state.container.verifier)
    request.state.principal = who
    return who
