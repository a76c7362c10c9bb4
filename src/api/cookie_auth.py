"""The console's session: the API's own token in an HttpOnly cookie, and the double-submit CSRF check.

The console keeps its token in an HttpOnly, SameSite=Strict cookie so page scripts never hold it.
Cookie-authenticated writes also need the CSRF token: the non-HttpOnly ``yousu_csrf`` cookie echoed in
``X-CSRF-Token``. Bearer requests carry no ambient credential and need no CSRF token.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from typing import Any, Protocol

from fastapi import Request
from fastapi.security import APIKeyCookie

from api.problems import ApiProblem
from domain.values import Role

SESSION_COOKIE = "yousu_session"
CSRF_COOKIE = "yousu_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# Declares the cookie scheme in the OpenAPI schema; auto_error=False: a missing cookie is our own 401 problem.
session_cookie = APIKeyCookie(
    name=SESSION_COOKIE,
    auto_error=False,
    description="控制台登录会话（POST /v1/auth/login 设置）；写操作须带 X-CSRF-Token（等于 yousu_csrf Cookie）",
)


def check_csrf(request: Request) -> None:
    """The CSRF header equals the CSRF cookie (403 otherwise)."""
    sent = request.headers.get(CSRF_HEADER, "")
    expected = request.cookies.get(CSRF_COOKIE, "")
    if not sent or not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise ApiProblem(403, "csrf_failed", "缺少或错误的 CSRF 令牌，请刷新页面后重试", field=CSRF_HEADER)


class Staff(Protocol):
    """A local account or a verified caller: who a console session is about."""

    @property
    def sub(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def roles(self) -> Iterable[Role]: ...
    @property
    def department(self) -> str | None: ...
    @property
    def centre(self) -> str | None: ...


def session_claims(staff: Staff) -> dict[str, Any]:
    """The identity a session token carries (and /v1/auth/me echoes): id, name, roles (sorted), department,
    centre. The session is the account: its centre and department bound the session's scope as a token's do."""
    return {
        "sub": staff.sub,
        "name": staff.name,
        "roles": sorted(staff.roles, key=lambda r: r.value),
        "department": staff.department,
        "centre": staff.centre,
    }
