"""`yousu import history FILE`: a hall's past 台账 or daily counts into the demand history (never the
complaint store), all or nothing, idempotent, with a report of the refused rows."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from application.reference import load_reference
from projections import history
from yousu.logsetup import configure_logging
from yousu.settings import Settings
from yousu.wiring import build_complaints, build_runner, clock_for, store_line

import_app = typer.Typer(help="导入历史数据：本系统启用之前的诉求量", no_args_is_help=True)
console = Console(highlight=False)
MAX_SHOWN = 200  # refusals printed; the rest are counted


@import_app.command("history")
def import_history(
    file: Annotated[
        Path,
        typer.Argument(
            help="CSV（UTF-8 或 GBK）或 XLSX 文件：表头同台账导出的往期工作台账，"
            "或每日件数（日期, 服务中心, 受理渠道, 诉求类别, 件数）"
        ),
    ],
) -> None:
    """导入服务大厅往期的诉求量，用于需求统计、预测和潮汐排班。

    先逐行检查，有一行不能导入则全部不导入（退出码 1，逐条列出行号和原因）。
    同一文件再导入一次不作任何改动。
    """
    settings = Settings()
    configure_logging(settings.log_level)
    if not file.is_file():
        typer.echo(f"错误（error）：找不到文件 {file}", err=True)
        raise typer.Exit(2)
    data = file.read_bytes()
    reference = load_reference(settings.reference_file)
    centres = {code: c.name for code, c in reference.centres.items()}
    try:
        cells = history.read_cells(data)
        with Progress(
            TextColumn("检查"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=console
        ) as bar:
            task = bar.add_task("rows", total=max(0, len(cells) - 1))
            parsed = history.parse(
                cells, centres, reference.categories, progress=lambda n: bar.update(task, completed=n)
            )
    except history.HistoryFileError as exc:
        typer.echo(f"错误（error）：{exc}（未导入任何行）", err=True)
        raise typer.Exit(1) from exc
    typer.echo(store_line(settings), err=True)
    complaints = build_complaints(settings, clock_for(settings))
    runner = build_runner(settings, complaints)
    try:
        runner.setup()
        runner.run_once()  # the demand view up to the newest event: which days this system counts itself
        now = complaints.clock.now()
        today = complaints.calendar.local_day(now)
        result = history.store(runner.db, parsed, hashlib.sha256(data).hexdigest(), today, now)
    finally:
        runner.db.close()
        complaints.close()
    kind = "工作台账" if result.kind == history.LEDGER else "每日件数"
    if result.rejected:
        typer.echo(f"{file.name}（{kind}）：{len(result.rejected)} 行不能导入，未导入任何行：", err=True)
        for line, reason in result.rejected[:MAX_SHOWN]:
            typer.echo(f"  第 {line} 行：{reason}", err=True)
        if len(result.rejected) > MAX_SHOWN:
            typer.echo(f"  ……另有 {len(result.rejected) - MAX_SHOWN} 行", err=True)
        raise typer.Exit(1)
    if result.repeated_file:
        console.print(f"{file.name}（{kind}）此前已导入，未作改动")
        return
    console.print(f"{file.name}（{kind}）：{result.rows} 行，新导入 {result.added} 行，已导入过 {result.already} 行")
