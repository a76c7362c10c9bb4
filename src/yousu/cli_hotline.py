"""``yousu deliveries …`` and ``yousu hotline schemas``: the 12345 hotline outbox from the command line."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from application.clock import SystemClock
from policies import hotline as outbox
from projections.db import ViewDB
from projections.hotline import MESSAGES, json_schema
from yousu.logsetup import configure_logging
from yousu.settings import Settings
from yousu.wiring import store_line

deliveries_app = typer.Typer(
    help="12345 hotline work-order updates (热线工单回传): what was sent, what is failing, replay",
    invoke_without_command=True,
)
hotline_app = typer.Typer(help="12345 hotline contract (热线接口约定)", no_args_is_help=True)
console = Console()
SCHEMAS_DIR = Path("ops") / "hotline" / "schemas"


def _views() -> tuple[Settings, ViewDB]:
    settings = Settings()
    configure_logging(settings.log_level)
    typer.echo(store_line(settings), err=True)
    return settings, ViewDB(settings.database(), pool_size=1)


def _now(settings: Settings) -> datetime:
    return datetime.fromisoformat(settings.fixed_clock) if settings.fixed_clock else SystemClock().now()


@deliveries_app.callback()
def deliveries(
    ctx: typer.Context,
    failed: Annotated[bool, typer.Option("--failed", help="only messages whose last attempt failed")] = False,
    external_ref: Annotated[str | None, typer.Option("--external-ref", help="one work order (热线工单编号)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines with every attempt")] = False,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 200,
) -> None:
    """List hotline messages: state, attempts, the last error, when the next attempt is due."""
    if ctx.invoked_subcommand is not None:
        return
    _settings, views = _views()
    try:
        rows = outbox.deliveries(views, external_ref=external_ref, failed=failed, limit=limit)
    finally:
        views.close()
    if as_json:
        for row in rows:
            typer.echo(json.dumps(row, default=str, ensure_ascii=False))
        return
    table = Table("external_ref", "seq", "type", "state", "attempts", "last", "next attempt")
    for row in rows:
        last: dict[str, Any] = row["attempt_log"][-1] if row["attempt_log"] else {}
        outcome = str(last.get("http_status") or last.get("error") or "")
        due = row["next_attempt_at"]
        table.add_row(
            row["external_ref"],
            str(row["seq"]),
            row["type"],
            row["state"],
            str(row["attempts"]),
            outcome,
            due.isoformat() if due else "",
        )
    console.print(table)
    console.print(f"{len(rows)} message(s)")


@deliveries_app.command("replay")
def replay(external_ref: Annotated[str, typer.Argument(help="the work order (热线工单编号)")]) -> None:
    """Send every message of one work order again, in order, with the same idempotency keys."""
    settings, views = _views()
    try:
        count = outbox.replay(views, external_ref, _now(settings))
    finally:
        views.close()
    if count == 0:
        typer.echo(f"no messages queued for {external_ref}", err=True)
        raise typer.Exit(1)
    typer.echo(f"{count} message(s) of {external_ref} queued again")


@hotline_app.command("schemas")
def schemas(
    out: Annotated[Path, typer.Option("--out", help="directory for <type>.schema.json")] = SCHEMAS_DIR,
) -> None:
    """Write the JSON Schema of every hotline message type (the contract in ops/hotline/schemas)."""
    out.mkdir(parents=True, exist_ok=True)
    for message in MESSAGES.values():
        path = out / f"{message.type}.schema.json"
        path.write_text(schema_text(message.type), encoding="utf-8")
    typer.echo(f"{len(MESSAGES)} schemas in {out}")


def schema_text(message_type: str) -> str:
    """One schema file's exact text."""
    message = next(m for m in MESSAGES.values() if m.type == message_type)
    return json.dumps(json_schema(message), ensure_ascii=False, indent=2) + "\n"
