"""The ``yousu`` command line."""

from __future__ import annotations

from datetime import datetime

import typer
from rich.console import Console
from rich.table import Table

from application.calendar_loader import CalendarFileError
from domain.calendar import WorkingCalendar
from yousu.settings import Settings

app = typer.Typer(help="yousu 有诉即办 — complaint handling service", no_args_is_help=True)
calendar_app = typer.Typer(help="Working-day calendar (工作日历)", no_args_is_help=True)
app.add_typer(calendar_app, name="calendar")
console = Console()
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


def main() -> None:
    """Entry point of the ``yousu`` script."""
    app()
