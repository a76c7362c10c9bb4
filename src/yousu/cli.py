"""The ``yousu`` command line."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from api.auth import mint_token
from application.calendar_loader import CalendarFileError
from application.clock import Clock, SettableClock, SystemClock
from application.persistence import DatabaseURLError
from domain.calendar import WorkingCalendar
from domain.values import Role
from yousu.logsetup import configure_logging
from yousu.settings import Settings
from yousu.wiring import LOCAL_SECRET_FILE, auth_secret, build_http_app

app = typer.Typer(help="yousu 有诉即办 — complaint handling service", no_args_is_help=True)
calendar_app = typer.Typer(help="Working-day calendar (工作日历)", no_args_is_help=True)
app.add_typer(calendar_app, name="calendar")
console = Console()
TOKEN_ROLES = [r.value for r in Role if r is not Role.system]
DEMO_QUERY = "from=2025-09-26T10:00%2B08:00&working_days=1"
err = Console(stderr=True)


def _fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}")
    return typer.Exit(code)


def _load_calendar(settings: Settings) -> WorkingCalendar:
    try:
        return settings.calendar()
    except CalendarFileError as exc:
        raise _fail(f"calendar file invalid: {exc}") from exc


@calendar_app.command("due")
def calendar_due(
    from_: str = typer.Option(..., "--from", help="start instant, ISO 8601 with offset, e.g. 2025-09-26T10:00+08:00"),
    working_days: int = typer.Option(..., "--working-days", min=0, help="N working days (0 = same working day)"),
) -> None:
    """Print the due instant N working days after --from (Civil Code counting)."""
    try:
        start = datetime.fromisoformat(from_)
    except ValueError as exc:
        raise _fail(f"--from is not an ISO 8601 instant: {from_!r}") from exc
    if start.tzinfo is None:
        raise _fail("--from needs a UTC offset, e.g. 2025-09-26T10:00+08:00")
    calendar = _load_calendar(Settings())
    deadline = calendar.add_working_days(start, working_days)
    line = deadline.due_at.isoformat()
    if deadline.provisional:
        line += " provisional"
    typer.echo(line)


@calendar_app.command("years")
def calendar_years() -> None:
    """List the years with a loaded holiday schedule and where each came from."""
    calendar = _load_calendar(Settings())
    table = Table("year", "holidays", "调休 workdays", "source")
    for year in sorted(calendar.schedules):
        s = calendar.schedules[year]
        table.add_row(str(year), str(len(s.holidays)), str(len(s.workdays)), s.source)
    console.print(table)


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="interface to listen on"),
    port: int = typer.Option(8000, min=1, max=65535, help="TCP port"),
) -> None:
    """Start the HTTP API (FastAPI under uvicorn)."""
    import uvicorn  # noqa: PLC0415 — only the serving commands need it

    settings = Settings()
    configure_logging(settings.log_level)
    try:
        http_app = build_http_app(settings, _clock(settings))
    except (CalendarFileError, DatabaseURLError, ValueError) as exc:
        raise _fail(str(exc)) from exc
    uvicorn.run(http_app, host=host, port=port, log_config=None, access_log=False)


@app.command()
def run(
    host: str = typer.Option("127.0.0.1", help="interface to listen on"),
    port: int = typer.Option(8000, min=1, max=65535, help="TCP port"),
) -> None:
    """`make run`: serve on the configured store (embedded SQLite by default) and say how to use it."""
    settings = Settings()
    db = settings.database()
    secret = auth_secret(settings, create=True)
    base = f"http://{host}:{port}"
    console.print(f"[bold]yousu 有诉即办[/bold] on {db.redacted}")
    console.print(f"  API docs (OpenAPI): {base}/docs")
    console.print("  get a token:  .venv/bin/yousu token --role window_clerk --name 王小明")
    console.print(f'  then:         curl -H "Authorization: Bearer $TOKEN" "{base}/v1/calendar/due?{DEMO_QUERY}"')
    if secret and not settings.auth_secret:
        console.print(f"  (tokens are signed with the local secret in {LOCAL_SECRET_FILE})")
    serve(host=host, port=port)


@app.command()
def token(
    role: Annotated[list[str], typer.Option("--role", help="role (repeatable)")],
    name: str = typer.Option(..., "--name", help="display name of the staff member"),
    sub: str | None = typer.Option(None, "--sub", help="user id (default: derived from the name)"),
    department: str | None = typer.Option(None, "--department", help="department code, for role `department`"),
    hours: int = typer.Option(12, min=1, max=24 * 30, help="lifetime in hours"),
) -> None:
    """Mint an HS256 token for local use (signed with YOUSU_AUTH_SECRET or the local secret)."""
    settings = Settings()
    try:
        roles = [Role(r) for r in role]
    except ValueError as exc:
        raise _fail(f"unknown role; choose from: {', '.join(TOKEN_ROLES)}") from exc
    if Role.system in roles:
        raise _fail("the system role is never held by a token")
    if Role.department in roles and not department:
        raise _fail("--department is required for role department")
    secret = auth_secret(settings, create=True)
    if secret is None:
        raise _fail("set YOUSU_AUTH_SECRET")
    typer.echo(
        mint_token(
            secret=secret,
            sub=sub or "user-" + hashlib.sha256(name.encode()).hexdigest()[:12],
            name=name,
            roles=roles,
            department=department,
            now=SystemClock().now(),
            lifetime=timedelta(hours=hours),
        )
    )


def _clock(settings: Settings) -> Clock | None:
    if not settings.fixed_clock:
        return None
    start = datetime.fromisoformat(settings.fixed_clock)
    return SettableClock(start)


def main() -> None:
    """Entry point of the ``yousu`` script."""
    app()
