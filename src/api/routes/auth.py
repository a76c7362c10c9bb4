"""Console sign-in with local accounts: the session is the API's own HS256 token in an HttpOnly cookie."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from api.auth import AuthError, Principal, mint_token
from api.container import Container
from api.cookie_auth import CSRF_COOKIE, SESSION_COOKIE, session_claims
from api.deps import Caller, Complaints, ContainerDep, Guard, ReferenceDep
from api.permissions import Action, actions_for
from api.problems import ApiProblem, problem, problem_response
from api.schemas import Strict
from api.scope import roster_due, rosters_missing_today, scope_label, scope_of, signing_blocked
from api.throttle import LoginGuard, PoolFull
from application.accounts import AccountStore, LoginFailed, Session
from application.clock import SystemClock
from application.errors import StoreUnavailable

router = APIRouter(prefix="/v1/auth", tags=["auth"])
log = structlog.get_logger("yousu.login")


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
    centre: str | None = None
    scope: str = Field(description="谁能看到什么：全区 district、本中心 centre:<代码> 或本部门 department:<代码>")
    actions: list[Action] = Field(
        default_factory=list, description="此账户可执行的操作（来自权限矩阵）；控制台的菜单与按钮据此显示"
    )
    signing_blocked: str | None = Field(
        None, description="签字人今日无法签字的原因与处理办法（按值班表签字而本中心今日没有值班表）；可签字时为空"
    )
    roster_warning: str | None = Field(
        None,
        description="下一个工作日尚无值班表的服务中心及处理办法（给管理员和本中心值班人员、带班领导）；无缺漏时为空",
    )


def _me(who: Principal) -> MeOut:
    # echoes the verified claims (no permission is decided here: that is require(Action)'s) and the scope
    # they give (api.scope decides it)
    return MeOut(**session_claims(who), scope=scope_label(scope_of(who)), actions=actions_for(who))


def _accounts(container: Container) -> tuple[AccountStore, str]:
    accounts = container.accounts
    secret = container.verifier.secret
    if accounts is None or not secret or container.verifier.public_key:
        # with an identity provider (RS256) the API cannot mint tokens it would accept
        raise ApiProblem(404, "local_login_disabled", "本服务未启用本地账户登录，请使用统一身份认证")
    return accounts, secret


@router.post(
    "/login",
    response_model=MeOut,
    responses={
        429: problem_response("登录尝试过于频繁（按来源地址或账号限流，见 Retry-After）"),
        503: problem_response("登录校验繁忙（见 Retry-After）"),
    },
)
async def login(body: LoginIn, request: Request, response: Response, container: ContainerDep) -> Any:
    """Sign in with a local account (session and CSRF cookies). Throttled per address and account (429); the
    password is checked in a bounded pool of its own (503 when full), so a flood never holds up the API."""
    accounts, secret = _accounts(container)
    guard = container.login_guard
    address = request.client.host if request.client else "unknown"
    refused = guard.throttle.admit(address, body.username) if guard is not None else None
    if guard is not None and refused is not None:
        return await _refusal(guard, request, 429, "login_throttled", refused.retry_after)
    lifetime, verifier = container.session_lifetime, container.verifier
    # PyJWT judges iat/exp by the wall clock, not by the service's (in drills, fixed) clock
    now = SystemClock().now()
    session = Session(jti=secrets.token_urlsafe(16), expires_at=now + lifetime)  # the jti is what signing out revokes

    def check() -> Any:
        # in the hashing pool's own low-priority thread, not the store guard's workers: argon2 must not
        # take their CPU; the accounts' own connections time out in seconds (StoreUnavailable: 503)
        if not container.guard.available:
            raise StoreUnavailable
        return accounts.authenticate(body.username, body.password, session)

    try:
        account = await _checked(guard, check)
    except PoolFull:
        assert guard is not None  # noqa: S101 — only a pool raises it
        log.warning("login_pool_full")
        return await _refusal(guard, request, 503, "login_busy", guard.busy_retry_after)
    except LoginFailed as exc:
        raise ApiProblem(401, exc.code, exc.detail) from exc
    if guard is not None:
        guard.throttle.succeeded(address, body.username)
    # the verifier's own issuer and audience, and a lifetime within its cap: the session is an ordinary token
    token = mint_token(
        secret=secret,
        **session_claims(account),
        now=now,
        lifetime=lifetime,
        issuer=verifier.issuer,
        audience=verifier.audience,
        jti=session.jti,
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


REFUSALS = {"login_throttled": "登录尝试过于频繁，请 {n} 秒后再试", "login_busy": "登录校验繁忙，请 {n} 秒后再试"}


async def _refusal(guard: LoginGuard, request: Request, status: int, code: str, retry_after: int) -> Any:
    """A throttled or busy sign-in: held back (the tarpit), then answered with Retry-After."""
    await guard.hold(retry_after)
    detail = REFUSALS[code].format(n=retry_after)
    return problem(status, code, detail, request=request, headers={"Retry-After": str(retry_after)})


async def _checked(guard: LoginGuard | None, check: Any) -> Any:
    """The password check: in the guard's bounded pool, or (no guard: tests of the bare app) in a thread."""
    if guard is not None:
        return await guard.pool.run(check)
    return await run_in_threadpool(check)


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
def me(who: Caller, complaints: Complaints, guard: Guard, reference: ReferenceDep) -> MeOut:
    """The signed-in caller (session cookie or Bearer token); for a signer, why signing is blocked today."""
    out = _me(who)
    blocked, missing, due = guard.call(
        lambda: (signing_blocked(complaints, who), rosters_missing_today(complaints, who), roster_due(complaints, who))
    )

    def named(centre: str) -> str:
        return reference.centres[centre].name if centre in reference.centres else centre

    if blocked is not None:
        centre, day = blocked
        out.signing_blocked = (
            f"{named(centre)}今日（{day.isoformat()}）没有值班表，当天值班人员和带班领导无法签字、主持会商。"
            "请联系管理员在“值班表导入”页面导入本月值班表。"
        )
    elif missing:  # the administrator: every centre where nobody can sign today
        out.signing_blocked = (
            f"{'、'.join(named(c) for c, _ in missing)}今日（{missing[0][1].isoformat()}）没有值班表，"
            "这些中心的当天值班人员和带班领导无法签字、主持会商。请在“值班表导入”页面导入本月值班表。"
        )
    if due is not None:
        centres, day = due
        # who may import rosters imports it; anyone else asks them
        may_import = Action.import_roster in out.actions
        whom = "请在“值班表导入”页面导入" if may_import else "请联系管理员在“值班表导入”页面导入"
        where = "、".join(named(c) for c in centres)
        out.roster_warning = f"{where}下一个工作日（{day.isoformat()}）尚无值班表，届时将无法签字。{whom}。"
    return out
