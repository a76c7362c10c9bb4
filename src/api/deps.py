"""Typed request dependencies: the container's parts, the verified caller, permissions, If-Match.

Every dependency that does not wait for the store is ``async def``: FastAPI runs a plain ``def``
dependency in a worker thread, and the hop costs more than the work (the caller's token is verified
once per process and remembered; the revocation check awaits the store's own worker).

Routes declare what they need as ``Annotated`` aliases (``who: Caller``, ``complaints: Complaints``,
``role: Annotated[Role, Depends(require(Action.classify))]``); nothing reads the container by hand.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar
from uuid import UUID

from fastapi import Depends, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api import paging
from api.auth import AuthError, Principal
from api.container import Container
from api.cookie_auth import SAFE_METHODS, check_csrf, session_cookie
from api.guard import StoreGuard
from api.permissions import Action, action_title, allowed
from api.problems import ApiProblem
from api.schemas import Line, ReceiveIn, SignIn
from api.scope import load_visible, scope_of
from application.complaints import ComplaintsApp
from application.reference import Reference
from application.store import hand_over
from domain.complaint import Complaint
from domain.values import Role
from projections import tracking
from projections.db import ViewDB
from projections.view import QueryError

T = TypeVar("T")
IF_MATCH_RE = re.compile(r'^\s*(W/)?"?(\d+)"?\s*$')

# Declares the bearer scheme in the OpenAPI schema; auto_error=False so that a missing or
# malformed header is our own 401 problem, not FastAPI's plain 403.
bearer = HTTPBearer(auto_error=False, description="JWT（HS256 或 RS256），含 sub、name、roles")


def container_of(request: Request) -> Container:
    """The container the app was built around."""
    container: Container = request.app.state.container
    return container


async def get_container(request: Request) -> Container:
    """The container the app was built around."""
    return container_of(request)


ContainerDep = Annotated[Container, Depends(get_container)]

# The parts below read the container from the request rather than through ``ContainerDep``: FastAPI solves a
# dependency's own dependencies each time it appears in a route's tree, before it looks in its per-request cache,
# so every level costs on every request (a command's tree names these parts, and the caller, several times).


async def get_complaints(request: Request) -> ComplaintsApp:
    """The complaints application (commands, state, history, calendar, clock)."""
    return container_of(request).complaints


async def get_guard(request: Request) -> StoreGuard:
    """The store guard every store call goes through."""
    return container_of(request).guard


async def get_reference(request: Request) -> Reference:
    """The district's department and category codes."""
    return container_of(request).reference


async def get_views(request: Request) -> ViewDB:
    """The read models (503 when this process has none configured)."""
    views = container_of(request).views
    if views is None:
        raise ApiProblem(503, "views_unavailable", "统计视图未配置")
    return views


Complaints = Annotated[ComplaintsApp, Depends(get_complaints)]
Guard = Annotated[StoreGuard, Depends(get_guard)]
ReferenceDep = Annotated[Reference, Depends(get_reference)]
Views = Annotated[ViewDB, Depends(get_views)]


async def principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    session: Annotated[str | None, Depends(session_cookie)],
) -> Principal:
    """The verified caller: a Bearer token, else the console's session cookie (CSRF on writes); 401/403 otherwise.

    Verified once per request (remembered in its state, see :func:`caller_of`), however often the route's
    dependencies name it."""
    known = request.scope.get("state", {}).get(CALLER)
    if isinstance(known, Principal):
        return known
    if credentials is not None:
        token, via_cookie = credentials.credentials.strip(), False
    elif request.headers.get("Authorization"):
        raise ApiProblem(401, "unauthenticated", "Authorization 须为 Bearer 令牌")
    elif session:
        token, via_cookie = session, True
    else:
        raise ApiProblem(401, "unauthenticated", "缺少 Bearer 令牌或登录会话，请先登录")
    container = container_of(request)
    try:
        who = container.verifier.verify_cached(token)
    except AuthError as exc:
        raise ApiProblem(401, "unauthenticated", str(exc)) from exc
    accounts, jti = container.accounts, who.jti
    if jti and accounts is not None and await container.guard.call_async(lambda: accounts.is_revoked(jti)):
        # signed out: the token stays refused, whether replayed as the cookie or as a Bearer token
        raise ApiProblem(401, "session_revoked", "该登录会话已退出，请重新登录")
    if via_cookie and request.method not in SAFE_METHODS:
        check_csrf(request)  # the cookie travels by itself; the header proves the console's own page sent it
    request.state.principal = who  # for the request log
    request.scope.setdefault("state", {})[CALLER] = who
    return who


Caller = Annotated[Principal, Depends(principal)]
CALLER = "yousu_caller"  # the request state's key for the verified caller


async def caller_of(request: Request) -> Principal:
    """The verified caller, for a dependency that sits beside ``Caller`` in a route (which declares the security
    schemes): remembered from the route's ``Caller`` when that was solved first, else verified here.

    FastAPI solves ``Caller``'s own dependencies (the bearer and the cookie schemes) again wherever it appears,
    before it looks in its cache; a command's permission, scope check and route each naming it tripled that."""
    known = request.scope.get("state", {}).get(CALLER)
    if isinstance(known, Principal):
        return known
    return await principal(request, await bearer(request), await session_cookie(request))


def _permitted(action: Action, who: Principal) -> Role:
    role = allowed(action, who.roles)
    if role is None:
        raise ApiProblem(403, "forbidden", f"您的角色无权执行此操作：{action_title(action)}")
    return role


def require(action: Action) -> Callable[[Principal], Awaitable[Role]]:
    """A dependency answering the role in which the caller may perform ``action``; 403 otherwise."""

    async def acting_role(who: Caller) -> Role:
        return _permitted(action, who)

    acting_role.__name__ = f"require_{action.value}"
    return acting_role


# The channel follows from who records it: the window (and its online desk) or the 12345 hotline.
CHANNEL_ROLES = {"window": Role.window_clerk, "online": Role.window_clerk, "hotline": Role.hotline}
CHANNEL_LABELS = {"window": "窗口", "online": "网上", "hotline": "热线"}


async def intake_role(
    _may_receive: Annotated[Role, Depends(require(Action.receive))], body: ReceiveIn, request: Request
) -> Role:
    """受理: the role the intake is recorded in — the one its channel requires (403 without either, before the
    body is validated; 422 for a channel the caller's roles do not take)."""
    who = await caller_of(request)  # verified by ``_may_receive``
    required = CHANNEL_ROLES[body.channel]
    if required not in who.roles:
        desk = "热线" if required is Role.hotline else "窗口"
        detail = f"{CHANNEL_LABELS[body.channel]}渠道的诉求只能由{desk}受理人员提交"
        raise ApiProblem(422, "channel_not_allowed", detail, field="channel")
    return required


SIGN_ACTIONS: dict[Role, Action] = {Role.duty_officer: Action.sign_officer, Role.duty_leader: Action.sign_leader}


async def signing_role(body: SignIn, request: Request) -> Role:
    """审核签字: the signature the caller gives — the one signer role they hold, or the one named in ``as``.

    A token holding both signer roles must name one: the role is never guessed from the complaint.
    """
    who = await caller_of(request)
    if body.as_ is not None:
        return _permitted(SIGN_ACTIONS[Role(body.as_)], who)
    held = [action for action in SIGN_ACTIONS.values() if allowed(action, who.roles) is not None]
    if len(held) > 1:
        raise ApiProblem(422, "invalid_input", "同时持有值班人员与带班领导角色时，须以 as 指明签字身份", field="as")
    if not held:
        raise ApiProblem(403, "forbidden", "只有当天值班人员或带班领导可以签字")
    return _permitted(held[0], who)


async def expected_version(if_match: Annotated[str | None, Header(alias="If-Match")] = None) -> int | None:
    """The version named by ``If-Match: "<n>"`` (None when absent; 422 when malformed)."""
    if if_match is None:
        return None
    m = IF_MATCH_RE.match(if_match)
    if not m:
        raise ApiProblem(422, "invalid_input", 'If-Match 须为 "<版本号>"', field="If-Match")
    if m.group(1):
        # RFC 9110 §13.1.1: If-Match uses the strong comparison, which a weak tag never passes — the
        # request is well-formed, its precondition is simply false: 412, as for a stale version.
        raise ApiProblem(
            412, "weak_etag", 'If-Match 须为强校验标签 "<版本号>"，弱标签 W/ 不能用于修改', field="If-Match"
        )
    return int(m.group(2))


ExpectedVersion = Annotated[int | None, Depends(expected_version)]


# Query parameters, bounded: an integer past what SQL's bigint holds, or a NUL that PostgreSQL refuses,
# is a 422 naming the parameter, never a 500 from the database. Dates and instants: api.schemas.Day/Instant.
Offset = paging.Offset  # the shared bound (api.paging)
Word = Annotated[Line | None, Query(max_length=32)]
"""A short code: status, classification, channel, clock."""
Code = Annotated[Line | None, Query(max_length=64)]
"""A reference code (department, category) or a search term."""

AFTER_TIMEOUT = 3.0  # below the store guard's deadline
After = Annotated[
    int | None, Query(ge=0, le=2**62, description="wait (≤3 s) until the views include this notification")
]


async def caught_up(container: ContainerDep, views: Views, who: Caller, after: After = None) -> None:
    """Read your own writes: wait until the views include notification ``after`` (503 if they lag).

    Notification numbers count every centre's events: a caller who does not see every centre is never told
    whether ``after`` exists yet (a later one waits for the newest), so positions reveal nothing outside
    their scope."""
    if after is None:
        return  # the usual case: nothing to wait for, and no thread to wait in
    await run_in_threadpool(_catch_up_to, container, views, after, scope_of(who).district)


def _catch_up_to(container: Container, views: ViewDB, after: int, district: bool) -> None:
    guard = container.guard
    newest = guard.call(container.complaints.max_notification_id)
    if after > newest:
        if district:
            raise ApiProblem(422, "invalid_query", f"通知编号 {after} 尚不存在", field="after")
        after = newest
    if tracking.wait_until(views, after, timeout=0.2):
        return
    if container.catch_up is not None:  # apply the missing events here (exactly once, as any runner)
        guard.call(container.catch_up, long=True)  # may apply many events: slow work, not an outage
    if not guard.call(lambda: tracking.wait_until(views, after, timeout=AFTER_TIMEOUT)):
        raise ApiProblem(503, "views_lagging", f"视图尚未追上通知 {after}，请稍后重试")


CaughtUp = Annotated[None, Depends(caught_up)]

STANDBY_AFTER_TIMEOUT = 1.0  # how long a read with ?after= waits for the standby before asking the primary


async def read_views(container: ContainerDep, views: Views, after: After = None) -> ViewDB:
    """The views for reads that may lag: the standby's copy when ``YOUSU_READ_DATABASE_URL`` is set.

    Read your own writes: with ``?after=`` the standby answers only once its view tracking (replicated
    with the rows it counts) includes that notification, waiting up to 1 s; otherwise the primary does.
    """
    standby = container.read_views
    if standby is None:
        return views
    if after is None:
        return standby
    return await run_in_threadpool(_standby_or_primary, standby, views, after)


def _standby_or_primary(standby: ViewDB, views: ViewDB, after: int) -> ViewDB:
    try:
        if tracking.wait_until(standby, after, timeout=STANDBY_AFTER_TIMEOUT):
            return standby
    except Exception:  # an unreachable standby: the primary answers
        return views
    return views


ReadViews = Annotated[ViewDB, Depends(read_views)]


def run_query(guard: StoreGuard, fn: Callable[[], T]) -> T:
    """A read-model query through the store guard; a query the views cannot answer is a 422."""
    try:
        return guard.call(fn)
    except QueryError as exc:
        raise ApiProblem(422, "invalid_query", str(exc)) from exc


async def visible(complaint_id: UUID, request: Request, complaints: Complaints, guard: Guard) -> Complaint:
    """Dependency: the complaint named in the path, within the caller's scope (404 otherwise, as if unknown).

    Awaited on the store's worker (no thread waits for it), and handed over to the request's command on
    it, which then decides on this copy instead of loading the complaint a second time."""
    who = await caller_of(request)
    complaint = await guard.call_async(lambda: load_visible(complaints, who, complaint_id))
    hand_over(complaint)
    return complaint


Visible = Annotated[Complaint, Depends(visible)]
