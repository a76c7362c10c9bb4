"""账号管理: local staff accounts run by the administrator, and their audit trail for discipline inspection.

Every change goes through application.account_admin: checked (a refused change records and changes
nothing), recorded in the event store without any password, then made. Disabling an account, changing
its roles or resetting its password ends every session of it at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends, Path, Query

from api.account_schemas import (
    AccountEventOut,
    AccountEventsOut,
    AccountIn,
    AccountOut,
    AccountsOut,
    PasswordIn,
    PasswordResetOut,
    RolesIn,
    account_out,
)
from api.container import Container
from api.deps import Caller, ContainerDep, require
from api.permissions import Action
from api.problems import ApiProblem
from api.schemas import Line
from application.account_admin import AccountAdmin, AccountEvent
from application.accounts import AccountError, UnknownAccount
from domain.values import Role

T = TypeVar("T")
router = APIRouter(tags=["accounts"])

Admin = Annotated[Role, Depends(require(Action.manage_accounts))]
AccountAuditor = Annotated[Role, Depends(require(Action.read_account_audit))]
Username = Annotated[str, Path(min_length=2, max_length=64, description="用户名")]


def _admin(container: Container) -> AccountAdmin:
    if container.account_admin is None:
        raise ApiProblem(404, "local_accounts_disabled", "本服务未启用本地账户")
    return container.account_admin


def _call(container: Container, fn: Callable[[], T]) -> T:
    try:
        return container.guard.call(fn)
    except UnknownAccount as exc:
        raise ApiProblem(404, exc.code, exc.detail, field=exc.field) from exc
    except AccountError as exc:
        status = 409 if exc.code in ("username_taken", "account_conflict") else 422
        raise ApiProblem(status, exc.code, exc.detail, field=exc.field) from exc


@router.get("/v1/accounts", response_model=AccountsOut)
def list_accounts(_role: Admin, container: ContainerDep) -> AccountsOut:
    """Every local account (admin only)."""
    admin = _admin(container)
    return AccountsOut(items=[account_out(a) for a in _call(container, admin.store.list_accounts)])


@router.post("/v1/accounts", response_model=AccountOut, status_code=201)
def add_account(body: AccountIn, role: Admin, who: Caller, container: ContainerDep) -> AccountOut:
    """Create a local account; the centre and department must be in the reference (422 otherwise)."""
    admin = _admin(container)
    account = _call(
        container,
        lambda: admin.add(
            username=body.username,
            name=body.name,
            roles=body.wanted(),
            password=body.password,
            department=body.department,
            centre=body.centre,
            actor=who.actor(role),
        ),
    )
    return account_out(account)


@router.post("/v1/accounts/{username}/disable", response_model=AccountOut)
def disable_account(username: Username, role: Admin, who: Caller, container: ContainerDep) -> AccountOut:
    """Disable an account: it can no longer sign in, and every session of it ends at once."""
    admin = _admin(container)
    return account_out(_call(container, lambda: admin.set_disabled(username, disabled=True, actor=who.actor(role))))


@router.post("/v1/accounts/{username}/enable", response_model=AccountOut)
def enable_account(username: Username, role: Admin, who: Caller, container: ContainerDep) -> AccountOut:
    """Enable a disabled account again (its old sessions stay ended)."""
    admin = _admin(container)
    return account_out(_call(container, lambda: admin.set_disabled(username, disabled=False, actor=who.actor(role))))


@router.post("/v1/accounts/{username}/roles", response_model=AccountOut)
def change_roles(username: Username, body: RolesIn, role: Admin, who: Caller, container: ContainerDep) -> AccountOut:
    """New roles, department and centre; every session of the account ends (it carried the old ones)."""
    admin = _admin(container)
    account = _call(
        container,
        lambda: admin.set_roles(
            username, body.wanted(), department=body.department, centre=body.centre, actor=who.actor(role)
        ),
    )
    return account_out(account)


@router.post("/v1/accounts/{username}/reset-password", response_model=PasswordResetOut)
def reset_password(
    username: Username, body: PasswordIn, role: Admin, who: Caller, container: ContainerDep
) -> PasswordResetOut:
    """Set a new password; every session of the account ends at once."""
    admin = _admin(container)
    _call(container, lambda: admin.set_password(username, body.password, actor=who.actor(role), reset=True))
    return PasswordResetOut(username=username)


@router.get("/v1/audit/accounts", response_model=AccountEventsOut)
def account_audit(
    _role: AccountAuditor,
    container: ContainerDep,
    username: Annotated[Line | None, Query(min_length=2, max_length=64)] = None,
) -> AccountEventsOut:
    """Every account change (or one account's) as recorded, oldest first, each event's hash link checked."""
    admin = _admin(container)
    events: list[AccountEvent] = container.guard.call(lambda: admin.history(username), long=True)
    return AccountEventsOut(
        items=[
            AccountEventOut(
                position=e.position,
                username=e.username,
                version=e.version,
                type=e.type,
                label=e.label,
                actor_id=e.actor.id,
                actor_name=e.actor.name,
                actor_role=e.actor.role.value,
                occurred_at=e.occurred_at,
                details=e.details,
                chain_ok=e.chain_ok,
            )
            for e in events
        ]
    )
