"""Bodies and answers of 账号管理 (api.routes.accounts)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field

from api.schemas import Line, Strict
from application.accounts import Account
from application.passwords import MAX_PASSWORD
from domain.values import Role

StaffRole = Annotated[Role, Field(description="角色（system 不能分配给人员）")]


class AccountOut(BaseModel):
    """A local account (never its password or hash)."""

    username: str
    sub: str  # the id its sessions carry (local:<username>)
    name: str
    roles: list[str]
    department: str | None = None
    centre: str | None = None
    disabled: bool


class PersonOut(BaseModel):
    """One account of the centre, for a picker: its user id (``sub``), name and roles (no phone, no password)."""

    sub: str
    name: str
    roles: list[str]


def person_out(a: Account) -> PersonOut:
    """An account as a picker lists it."""
    return PersonOut(sub=a.sub, name=a.name, roles=[r.value for r in a.roles])


class AccountsOut(BaseModel):
    """Every local account, by user name."""

    items: list[AccountOut]


class AccountIn(Strict):
    """新建账号: 用户名、姓名、角色、部门（department 角色必填）、服务中心、初始密码."""

    username: Annotated[Line, Field(min_length=2, max_length=64)]
    name: Annotated[Line, Field(min_length=1, max_length=64)]
    roles: Annotated[list[StaffRole], Field(min_length=1, max_length=len(Role))]
    department: Annotated[Line | None, Field(max_length=64)] = None
    centre: Annotated[Line | None, Field(max_length=64)] = None
    password: Annotated[str, Field(min_length=1, max_length=MAX_PASSWORD)]

    def wanted(self) -> list[Role]:
        """The roles asked for."""
        return list(self.roles)


class RolesIn(Strict):
    """变更角色: the new roles, department and centre (what is left out is cleared)."""

    roles: Annotated[list[StaffRole], Field(min_length=1, max_length=len(Role))]
    department: Annotated[Line | None, Field(max_length=64)] = None
    centre: Annotated[Line | None, Field(max_length=64)] = None

    def wanted(self) -> list[Role]:
        """The roles asked for."""
        return list(self.roles)


class PasswordIn(Strict):
    """重置密码: the new password (at least 10 characters, not the user name, not a common one)."""

    password: Annotated[str, Field(min_length=1, max_length=MAX_PASSWORD)]


class PasswordResetOut(BaseModel):
    """The account whose password was reset; every session of it has ended."""

    username: str
    sessions_ended: bool = True


class AccountEventOut(BaseModel):
    """One recorded account change: who, when, what (never a password)."""

    position: int
    username: str
    version: int
    type: str
    label: str
    actor_id: str
    actor_name: str
    actor_role: str
    occurred_at: datetime
    details: dict[str, Any]
    chain_ok: bool


class AccountEventsOut(BaseModel):
    """Account changes, oldest first."""

    items: list[AccountEventOut]


def account_out(a: Account) -> AccountOut:
    """The account as the API shows it."""
    return AccountOut(
        username=a.username,
        sub=a.sub,
        name=a.name,
        roles=[r.value for r in a.roles],
        department=a.department,
        centre=a.centre,
        disabled=a.disabled,
    )
