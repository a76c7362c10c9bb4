"""``yousu deliveries …`` and ``yousu hotline schemas``: the 12345 hotline outbox from the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from policies import hotline as outbox
from projections.db import ViewDB
from projections.hotline import MESSAGE_LABELS, MESSAGES, json_schema
from yousu.logsetup import configure_logging
from yousu.settings import Settings
from yousu.wiring import clock_for, store_line, views_db

deliveries_app = typer.Typer(
    help="12345 热线工单回传：已发送的、发送失败的消息，以及重新发送",
    invoke_without_command=True,
)
hotline_app = typer.Typer(help="12345 热线接口约定（JSON Schema）", no_args_is_help=True)
console = Console()
SCHEMAS_DIR = Path("ops") / "hotline" / "schemas"
STATE_LABELS = {"delivered": "已送达", "failing": "发送失败", "queued": "待发送"}


def _views() -> tuple[Settings, ViewDB]:
    settings = Settings()
    configure_logging(settings.log_level)
    typer.echo(store_line(settings), err=True)
    return settings, views_db(settings)


@deliveries_app.callback()
def deliveries(
    ctx: typer.Context,
    failed: Annotated[bool, typer.Option("--failed", help="只看最近一次发送失败的消息")] = False,
    external_ref: Annotated[str | None, typer.Option("--external-ref", help="只看这个热线工单（热线工单编号）")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="每条消息一行 JSON，含每次发送")] = False,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="最多列出多少条消息")] = 200,
) -> None:
    """列出热线消息：状态、发送次数、最近一次的结果、下次发送时间。"""
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
    table = Table("热线工单编号", "序号", "消息类型", "状态", "发送次数", "最近结果", "下次发送")
    for row in rows:
        last: dict[str, Any] = row["attempt_log"][-1] if row["attempt_log"] else {}
        outcome = str(last.get("http_status") or last.get("error") or "")
        due = row["next_attempt_at"]
        table.add_row(
            row["external_ref"],
            str(row["seq"]),
            MESSAGE_LABELS.get(row["type"], row["type"]),
            f"{STATE_LABELS.get(row['state'], row['state'])}（{row['state']}）",
            str(row["attempts"]),
            outcome,
            due.isoformat() if due else "",
        )
    console.print(table)
    console.print(f"共 {len(rows)} 条消息")


@deliveries_app.command("replay")
def replay(external_ref: Annotated[str, typer.Argument(help="热线工单编号")]) -> None:
    """按原顺序重新发送一个热线工单的全部消息（幂等键不变）。"""
    settings, views = _views()
    try:
        count = outbox.replay(views, external_ref, clock_for(settings).now())
    finally:
        views.close()
    if count == 0:
        typer.echo(f"热线工单 {external_ref} 没有任何消息", err=True)
        raise typer.Exit(1)
    typer.echo(f"已将热线工单 {external_ref} 的 {count} 条消息重新排队发送")


@hotline_app.command("schemas")
def schemas(
    out: Annotated[Path, typer.Option("--out", help="写入 <type>.schema.json 的目录")] = SCHEMAS_DIR,
) -> None:
    """写出每种热线消息的 JSON Schema（接口约定，存于 ops/hotline/schemas）。"""
    out.mkdir(parents=True, exist_ok=True)
    for message in MESSAGES.values():
        path = out / f"{message.type}.schema.json"
        path.write_text(schema_text(message.type), encoding="utf-8")
    typer.echo(f"已在 {out} 写出 {len(MESSAGES)} 个 JSON Schema")


def schema_text(message_type: str) -> str:
    """One schema file's exact text."""
    message = next(m for m in MESSAGES.values() if m.type == message_type)
    return json.dumps(json_schema(message), ensure_ascii=False, indent=2) + "\n"
