"""Console sign-in with local accounts: the session is the API's own HS256 token in an HttpOnly cookie."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from api.auth import AuthError, Principal, mint_token
from api.container import Container
from api.cookie_auth import CSRF_COOKIE, SESSION_COOKIE, session_claims
from api.deps import Caller, ContainerDep
from api.problems import ApiProblem, problem
from api.schemas import Strict
from application.accounts import AccountLocked, AccountStore, LoginFailed
from application.clock import SystemClock

router = APIRouter(prefix="/v1/auth", tags=["auth"])


class LoginIn(Strict):
    """用户名与密码."""

    username: Annotated[str, Field(min_length=1, max_length=64)]
    password: Annotated[str, Field(min_length=1, max_length=256)]


class MeOut(BaseModel):
    """The signed-in staff member."""

    sub: str
    name: str
    roles: list[str]
    department: str | None = None


def _me(who: Principal) -> MeOut:
    # echoes the verified claims (no permission is decided here: that is require(Action)'s)
    return MeOut(**session_claims(who))


def _accounts(container: Container) -> tuple[AccountStore, str]:
    accounts = container.accounts
    secret = container.verifier.secret
    if accounts is None or not secret or container.verifier.public_key:
        # with an identity provider (RS256) the API cannot mint tokens it would accept
        raise ApiProblem(404, "local_login_disabled", "本服务未启用本地账户登录，请使用统一身份认证")
    return accounts, secret


@router.post("/login", response_model=MeOut, responses={429: {"description": "账户已锁定（见 Retry-After）"}})
def login(body: LoginIn, request: Request, response: Response, container: ContainerDep) -> Any:
    """Sign in with a local account; sets the HttpOnly session cookie and the CSRF cookie."""
    accounts, secret = _accounts(container)
    try:
        account = container.guard.call(lambda: accounts.authenticate(body.username, body.password))
    except AccountLocked as exc:
        return problem(429, exc.code, exc.detail, request=request, headers={"Retry-After": str(exc.retry_after)})
    except LoginFailed as exc:
        raise ApiProblem(401, exc.code, exc.detail) from exc
    lifetime, verifier = container.session_lifetime, container.verifier
    # the verifier's own issuer and audience, and a lifetime within its cap: the session is an ordinary token
    token = mint_token(
        secret=secret,
        **session_claims(account),
        # PyJWT judges iat/exp by the wall clock, not by the service's (in drills, fixed) clock
        now=SystemClock().now(),
        lifetime=lifetime,
        issuer=verifier.issuer,
        audience=verifier.audience,
        jti=secrets.token_urlsafe(16),  # what signing out revokes
    )
    secure = container.cookie_secure
    max_age = int(lifetime.total_seconds())
    response.set_cookie(
        SESSION_COOKIE, token, max_age=max_age, httponly=True, samesite="strict", secure=secure, path="/"
    )
    response.set_cookie(
        CSRF_COOKIE,
        secrets.token_urlsafe(32),
        max_age=max_age,
        httponly=False,
        samesite="strict",
        secure=secure,
        path="/",
    )
    response.headers["Cache-Control"] = "no-store"
    who = verifier.verify(token)
    request.state.principal = who  # the request log names the actor (its id, never the name)
    return _me(who)


def _presented_token(request: Request) -> str | None:
    """The Bearer token, else the session cookie's, as presented (not yet verified)."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.cookies.get(SESSION_COOKIE) or None


@router.post("/logout", status_code=204)
def logout(container: ContainerDep, request: Request) -> Response:
    """End the session: its token is revoked on the server (refused afterwards, as cookie or Bearer) and
    both cookies are cleared. A missing, expired or foreign token only clears the cookies.

    It needs no authentication (signing out twice, or with an expired session, is not an error), so the
    token is read from the request itself rather than through the security schemes, and the operation
    declares none."""
    token = _presented_token(request)
    if token and container.accounts is not None:
        try:
            who = container.verifier.verify(token)
        except AuthError:
            who = None  # nothing valid to revoke: the cookies are cleared all the same
        if who is not None and who.jti and who.expires is not None:
            accounts = container.accounts
            expires_at = datetime.fromtimestamp(who.expires, tz=UTC)
            jti = who.jti
            container.guard.call(lambda: accounts.revoke(jti, expires_at))
    secure = container.cookie_secure
    out = Response(status_code=204)
    out.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict", secure=secure)
    out.delete_cookie(CSRF_COOKIE, path="/", samesite="strict", secure=secure)
    return out


@router.get("/me", response_model=MeOut)
def me(who: Caller) -> MeOut:
    """The signed-in caller (session cookie or Bearer token)."""
    return _me(who)
