"""Wires the staff console into the HTTP app: local accounts, /v1/auth, and the built pages at `/`."""

from __future__ import annotations

from datetime import timedelta

import structlog
from fastapi import FastAPI

from api.console import mount_console
from api.container import Container
from api.routes.auth import router as auth_router
from application.accounts import AccountStore
from yousu.console_settings import ConsoleSettings
from yousu.settings import Settings

log = structlog.get_logger("yousu.console")


def account_store(settings: Settings, container: Container, console: ConsoleSettings | None = None) -> AccountStore:
    """The local account store on the service's database."""
    cs = console or ConsoleSettings()
    return AccountStore(
        settings.database(),
        container.complaints.clock,
        max_failures=cs.login_max_failures,
        window=timedelta(minutes=cs.login_lockout_minutes),
    )


def install_console(app: FastAPI, settings: Settings, container: Container) -> None:
    """Add sign-in routes and (when built) the console; call after every other route is registered."""
    cs = ConsoleSettings()
    if settings.database().kind != "memory":
        accounts = account_store(settings, container, cs)
        accounts.setup()
        app.state.accounts = accounts
    app.state.cookie_secure = cs.cookie_secure
    app.state.session_lifetime = timedelta(hours=cs.session_hours)
    app.include_router(auth_router)
    if (cs.console_dir / "index.html").is_file():
        mount_console(app, cs.console_dir)
    else:
        log.warning("console_not_built", console_dir=str(cs.console_dir))
