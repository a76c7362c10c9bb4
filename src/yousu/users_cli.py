"""`yousu users add|passwd`: local staff accounts for a hall without an identity provider."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer

from application.accounts import AccountError, AccountStore
from application.clock import SystemClock
from domain.values import Role
from yousu.console_settings import ConsoleSettings
from yousu.settings import Settings

users_app = typer.Typer(help="Local staff accounts (本地账户)", no_args_is_help=True)

ROLE_CODES = ", ".join(r.value for r in Role if r is not Role.system)


def _store() -> AccountStore:
    settings = Settings()
    cs = ConsoleSettings()
    store = AccountStore(
        settings.database(),
        SystemClock(),
        max_failures=cs.login_max_failures,
        window=timedelta(minutes=cs.login_lockout_minutes),
    )
    store.setup()
    return store


def _roles(values: list[str]) -> list[Role]:
    try:
        return [Role(v) for v in values]
    except ValueError as exc:
        typer.echo(f"unknown role; one of: {ROLE_CODES}", err=True)
        raise typer.Exit(2) from exc


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Option("--name", help="display name, e.g. 王小明")],
    role: Annotated[list[str], typer.Option("--role", help=f"role (repeatable): {ROLE_CODES}")],
    username: Annotated[str | None, typer.Option("--username", help="sign-in name (default: --name)")] = None,
    department: Annotated[str | None, typer.Option("--department", help="department code, for role department")] = None,
    centre: Annotated[str | None, typer.Option("--centre", help="service centre (便民服务中心)")] = None,
    password: Annotated[
        str, typer.Option("--password", prompt=True, hide_input=True, confirmation_prompt=True, help="asked if omitted")
    ] = "",
) -> None:
    """Create a local account (the password is asked for and stored as an argon2id hash)."""
    try:
        account = _store().add(
            username=username or name,
            name=name,
            roles=_roles(role),
            password=password,
            department=department,
            centre=centre,
        )
    except AccountError as exc:
        typer.echo(f"{exc.field or 'error'}: {exc.detail}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"created {account.username} ({', '.join(r.value for r in account.roles)})")


@users_app.command("passwd")
def users_passwd(
    username: Annotated[str, typer.Argument(help="sign-in name")],
    password: Annotated[
        str, typer.Option("--password", prompt=True, hide_input=True, confirmation_prompt=True, help="asked if omitted")
    ] = "",
) -> None:
    """Set a new password (also lifts a lockout)."""
    try:
        _store().set_password(username, password)
    except AccountError as exc:
        typer.echo(f"{exc.field or 'error'}: {exc.detail}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"password changed for {username}")
