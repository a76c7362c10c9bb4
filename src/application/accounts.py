"""Local staff accounts for a hall without an identity provider: argon2 hashes, sessions, audited changes.

Accounts live in small tables in the store's own database (adapters.accounts keeps them behind the
``AccountStore`` port below), not in an event-sourced aggregate: a password hash is a mutable credential,
not a case fact, and event-sourcing it would keep every old hash forever in the tamper-evident trail that
discipline inspection exports. Every *change* to an account is recorded there all the same, without the
password (domain.accounts.AccountRecord, written by application.account_admin before the change is made).

Each console session is recorded (its token id, the account, its expiry) in the same transaction that
checked the password, under a per-name lock; disabling an account, changing its roles or its password
revokes every recorded session of it at once (every request checks the revoked list). Sign-in is
throttled per address and per account in the API (api.throttle), not locked out here: a lockout would
let anyone who knows a name lock that person out.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from application.passwords import password_problem
from domain.values import Role

USERNAME_RE = re.compile(r"^[\w.@\-]{2,64}$")  # \w: Chinese names may serve as user names
NAME_MAX = 64


class AccountError(Exception):
    """An account operation was refused; ``code`` is stable, ``detail`` is Chinese."""

    def __init__(self, code: str, detail: str, *, field: str | None = None) -> None:
        self.code = code
        self.detail = detail
        self.field = field
        super().__init__(detail)


class UnknownAccount(AccountError):
    """No account has this user name."""

    def __init__(self, username: str) -> None:
        super().__init__("unknown_user", f"用户 {username} 不存在", field="username")


class LoginFailed(AccountError):
    """Unknown user, wrong password or disabled account (the three are never told apart)."""


@dataclass(frozen=True)
class Account:
    """A local staff account (never carries the hash out of this module)."""

    username: str
    name: str
    roles: tuple[Role, ...]
    department: str | None
    centre: str | None
    disabled: bool = False

    @property
    def sub(self) -> str:
        """The token subject: local accounts are prefixed so they never collide with IdP subjects."""
        return f"local:{self.username}"


@dataclass(frozen=True)
class Session:
    """A console session to record at sign-in: its token id and expiry."""

    jti: str
    expires_at: datetime


class AccountRules:
    """What an account may be: a user name, a name, roles a person may hold, a strong password.

    ``centres`` and ``departments``, when given, are the reference's codes: an account naming another is
    refused (the CLI and the API pass the district's reference; tests may leave them out).
    """

    def __init__(self, *, centres: Collection[str] | None = None, departments: Collection[str] | None = None) -> None:
        self.centres = frozenset(centres) if centres is not None else None
        self.departments = frozenset(departments) if departments is not None else None

    def check_new(
        self,
        *,
        username: str,
        name: str,
        roles: Sequence[Role],
        password: str,
        department: str | None = None,
        centre: str | None = None,
    ) -> None:
        """Refuse (AccountError naming the field) what ``add`` would refuse, before anything is recorded."""
        if not USERNAME_RE.fullmatch(username):
            raise AccountError("invalid_username", "用户名须为 2–64 位汉字、字母、数字或 _.@-", field="username")
        if not name.strip() or len(name.strip()) > NAME_MAX:
            raise AccountError("invalid_name", f"姓名不能为空，最多 {NAME_MAX} 字", field="name")
        self.check_roles(roles, department, centre)
        self.check_password(username, password)

    def check_roles(self, roles: Sequence[Role], department: str | None, centre: str | None) -> None:
        """Roles a person may hold, a department for the department role, codes the reference knows."""
        if not roles:
            raise AccountError("invalid_role", "至少需要一个角色", field="roles")
        if Role.system in roles:
            raise AccountError("invalid_role", "system 角色不能分配给人员", field="roles")
        if Role.department in roles and not department:
            raise AccountError("department_required", "窗口部门经办人须指定部门（department）", field="department")
        if department and self.departments is not None and department not in self.departments:
            raise AccountError(
                "unknown_department", f"部门代码 {department} 不在代码表（reference.toml）中", field="department"
            )
        if centre and self.centres is not None and centre not in self.centres:
            known = "、".join(sorted(self.centres))
            raise AccountError(
                "unknown_centre", f"服务中心代码 {centre} 不在代码表（reference.toml）中；可用：{known}", field="centre"
            )

    @staticmethod
    def check_password(username: str, password: str) -> None:
        """At least 10 characters, not the user name, not a common password."""
        problem = password_problem(username, password)
        if problem is not None:
            raise AccountError("weak_password", problem, field="password")


class AccountStore(Protocol):
    """The port of the local accounts and their sessions (adapters.accounts keeps them in the store's database)."""

    def setup(self) -> None:
        """Create what the store needs (idempotent)."""
        ...

    def close(self) -> None:
        """Release the store's connections."""
        ...

    def check_new(
        self,
        *,
        username: str,
        name: str,
        roles: Sequence[Role],
        password: str,
        department: str | None = None,
        centre: str | None = None,
    ) -> None:
        """Refuse (AccountError naming the field) what ``add`` would refuse."""
        ...

    def check_roles(self, roles: Sequence[Role], department: str | None, centre: str | None) -> None:
        """Refuse roles a person may not hold, or codes the reference does not know."""
        ...

    def check_password(self, username: str, password: str) -> None:
        """Refuse a weak password."""
        ...

    def add(
        self,
        *,
        username: str,
        name: str,
        roles: Sequence[Role],
        password: str,
        department: str | None = None,
        centre: str | None = None,
    ) -> Account:
        """Create an account."""
        ...

    def get(self, username: str) -> Account | None:
        """The account, or None."""
        ...

    def list_accounts(self) -> list[Account]:
        """Every account, by user name."""
        ...

    def set_disabled(self, username: str, *, disabled: bool) -> Account:
        """Disable (every session revoked) or enable an account."""
        ...

    def set_roles(self, username: str, roles: Sequence[Role], *, department: str | None, centre: str | None) -> Account:
        """New roles, department and centre; every session is revoked."""
        ...

    def set_password(self, username: str, password: str) -> None:
        """Replace the password; every session is revoked."""
        ...

    def sessions(self, username: str) -> int:
        """How many recorded sessions of ``username`` are live."""
        ...

    def revoke(self, jti: str, expires_at: datetime) -> None:
        """Sign a session out."""
        ...

    def is_revoked(self, jti: str) -> bool:
        """Whether the session with this token id was signed out."""
        ...

    def authenticate(self, username: str, password: str, session: Session | None = None) -> Account:
        """The account when the password is right and it is enabled; LoginFailed otherwise."""
        ...
