"""`yousu users …`: local staff accounts (本地账户) — add, list, disable/enable, roles, passwd.

Passwords are never options (they would stay in the shell's history and in `ps`): asked twice without
echo, or read from standard input with ``--password-stdin``. Every change is recorded in the audit
trail under ``--actor`` (default: the shell user), as the API records it under the administrator.
"""

from __future__ import annotations

import getpass
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, TypeVar

import psycopg
import typer
from rich.console import Console

from application.account_admin import AccountAdmin
from application.accounts import AccountError
from application.calendar_loader import CalendarFileError
from application.persistence import DatabaseURLError
from domain.values import Actor, Role
from yousu.settings import Settings
from yousu.wiring import StartupError, account_store, build_complaints, clock_for, store_line

T = TypeVar("T")
users_app = typer.Typer(help="本地账号（local accounts）：工作人员登录工作台用", no_args_is_help=True)
err = Console(stderr=True, soft_wrap=True)  # messages are never cut to the terminal's width
STAFF_ROLES = [r.value for r in Role if r is not Role.system]
SHELL_USER = getpass.getuser()

PasswordStdin = Annotated[bool, typer.Option("--password-stdin", help="从标准输入读取密码（一行），不再询问")]
ActorOption = Annotated[str, typer.Option("--actor", help="操作人（记入审计轨迹）")]
# the fields of an account change as `yousu audit accounts` shows them
DETAIL_LABELS = {"name": "姓名", "roles": "角色", "department": "部门", "centre": "服务中心", "row_hash": "本条哈希"}


def _fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[red]错误（error）：[/red]{message}")
    return typer.Exit(code)


@contextmanager
def _admin() -> Iterator[AccountAdmin]:
    try:
        settings = Settings()
    except ValueError as exc:
        raise _fail(f"配置无效：{exc}") from exc
    typer.echo(store_line(settings), err=True)
    clock = clock_for(settings)  # one clock: the audit trail's record and the account's row carry the same time
    try:
        complaints = build_complaints(settings, clock)
    except (CalendarFileError, DatabaseURLError, StartupError, ValueError) as exc:
        raise _fail(str(exc)) from exc
    try:
        try:
            store = account_store(settings, clock)
        except (DatabaseURLError, OSError, psycopg.Error) as exc:
            raise _fail(f"无法打开 {settings.database().redacted} 上的账号表：{exc}") from exc
        try:
            yield AccountAdmin(store, complaints)
        finally:
            store.close()
    finally:
        complaints.close()


def _run(fn: Callable[[], T]) -> T:
    try:
        return fn()
    except AccountError as exc:
        raise _fail(f"{exc.detail}（{exc.field or exc.code}）") from exc


def _roles(values: list[str]) -> list[Role]:
    try:
        roles = [Role(v) for v in values]
    except ValueError as exc:
        raise _fail(f"未知角色；可选：{', '.join(STAFF_ROLES)}") from exc
    return roles


def _password(from_stdin: bool) -> str:
    """The new password: one line of standard input, or asked twice without echo."""
    if from_stdin:
        line = sys.stdin.readline()
        password = line.removesuffix("\n").removesuffix("\r")
        if not password:
            raise _fail("--password-stdin：标准输入中没有密码")
        return password
    first = typer.prompt("新密码", hide_input=True)
    again = typer.prompt("再输入一次新密码", hide_input=True)
    if first != again:
        raise _fail("两次输入的密码不一致")
    return str(first)


def _actor(name: str) -> Actor:
    return Actor(id=name, name=name, role=Role.admin)


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Option("--name", help="姓名，如 王小明")],
    role: Annotated[list[str], typer.Option("--role", help=f"角色（可重复）：{', '.join(STAFF_ROLES)}")],
    username: Annotated[str | None, typer.Option("--username", help="用户名（默认同 --name）")] = None,
    department: Annotated[
        str | None, typer.Option("--department", help="部门代码（ops/reference.toml），角色为 department 时必填")
    ] = None,
    centre: Annotated[
        str | None, typer.Option("--centre", help="服务中心代码（ops/reference.toml 的 centres 表），如 jiefang")
    ] = None,
    password_stdin: PasswordStdin = False,
    actor: ActorOption = SHELL_USER,
) -> None:
    """新建本地账号（密码询问两次，或用 --password-stdin 读取）。"""
    roles = _roles(role)
    password = _password(password_stdin)
    with _admin() as admin:
        account = _run(
            lambda: admin.add(
                username=username or name,
                name=name,
                roles=roles,
                password=password,
                department=department,
                centre=centre,
                actor=_actor(actor),
            )
        )
    typer.echo(f"已新建账号 {account.username}（{', '.join(r.value for r in account.roles)}）")


@users_app.command("list")
def users_list() -> None:
    """列出账号：用户名、姓名、角色、部门、服务中心、状态（以制表符分隔，首行为英文列名）。"""
    with _admin() as admin:
        accounts = _run(admin.store.list_accounts)
    typer.echo("\t".join(["username", "name", "roles", "department", "centre", "state"]))
    for a in accounts:
        state = "停用 disabled" if a.disabled else "启用 enabled"
        roles = ",".join(r.value for r in a.roles)
        typer.echo("\t".join([a.username, a.name, roles, a.department or "-", a.centre or "-", state]))


@users_app.command("disable")
def users_disable(username: Annotated[str, typer.Argument(help="用户名")], actor: ActorOption = SHELL_USER) -> None:
    """停用账号：不能再登录，其全部登录会话立即失效。"""
    with _admin() as admin:
        _run(lambda: admin.set_disabled(username, disabled=True, actor=_actor(actor)))
    typer.echo(f"已停用账号 {username}（其全部登录会话已失效）")


@users_app.command("enable")
def users_enable(username: Annotated[str, typer.Argument(help="用户名")], actor: ActorOption = SHELL_USER) -> None:
    """重新启用已停用的账号。"""
    with _admin() as admin:
        _run(lambda: admin.set_disabled(username, disabled=False, actor=_actor(actor)))
    typer.echo(f"已启用账号 {username}")


@users_app.command("roles")
def users_roles(
    username: Annotated[str, typer.Argument(help="用户名")],
    role: Annotated[list[str], typer.Option("--role", help="新的角色（可重复），取代原有角色")],
    department: Annotated[str | None, typer.Option("--department", help="部门代码")] = None,
    centre: Annotated[str | None, typer.Option("--centre", help="服务中心代码")] = None,
    actor: ActorOption = SHELL_USER,
) -> None:
    """变更账号的角色、部门和服务中心；其全部登录会话立即失效。"""
    roles = _roles(role)
    with _admin() as admin:
        account = _run(
            lambda: admin.set_roles(username, roles, department=department, centre=centre, actor=_actor(actor))
        )
    roles_text = ", ".join(r.value for r in account.roles)
    typer.echo(f"已变更账号 {account.username} 的角色：{roles_text}（其全部登录会话已失效）")


@users_app.command("passwd")
def users_passwd(
    username: Annotated[str, typer.Argument(help="用户名")],
    password_stdin: PasswordStdin = False,
    actor: ActorOption = SHELL_USER,
) -> None:
    """设置新密码；该账号的全部登录会话立即失效。"""
    password = _password(password_stdin)
    with _admin() as admin:
        _run(lambda: admin.set_password(username, password, actor=_actor(actor), reset=False))
    typer.echo(f"已修改账号 {username} 的密码（其全部登录会话已失效）")


def audit_accounts(
    username: Annotated[str | None, typer.Option("--username", help="只看这个账号（用户名）")] = None,
) -> None:
    """回放账号变更：谁在何时新建、停用、变更角色或重置了谁的账号。

    按时间先后列出；有变更记录的哈希链不成立时退出码为 1。
    """
    # registered as `yousu audit accounts`
    with _admin() as admin:
        events = _run(lambda: admin.history(username))
        zone = admin.app.calendar.zone
    if not events:
        typer.echo("没有账号变更记录（no account changes recorded）")
        return
    broken = 0
    for e in events:
        check = "链校验通过" if e.chain_ok else "链校验失败（被修改、删除或调换）"
        broken += 0 if e.chain_ok else 1
        when = e.occurred_at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")
        typer.echo(
            f"[{e.position}] {e.username} v{e.version} {e.label} {e.type}  北京时间 {when}  "
            f"操作人 {e.actor.name}（{e.actor.role.value}）  {check}"
        )
        for key, value in e.details.items():
            if key != "username":
                shown = "、".join(map(str, value)) if isinstance(value, list) else value
                typer.echo(f"    {DETAIL_LABELS.get(key, key)}（{key}）：{shown if shown is not None else '—'}")
    if broken:
        raise _fail(f"{broken} 条账号变更记录的哈希链不成立", 1)
