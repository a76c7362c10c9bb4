"""`yousu insights …`: 未诉先办 reports from the command line (the same views as /v1/insights): repeats and
high-frequency topics, the search index, and demand forecasts by day, week or month."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Annotated, Literal

import typer
from eventsourcing.utils import get_topic
from rich.console import Console
from rich.table import Table

from application.cases import CasesService
from application.knowledge import KnowledgeService, aggregate_ids
from application.reference import load_reference
from domain.cases import GuidanceCase
from domain.knowledge import KnowledgeEntry
from projections import cases as cases_view
from projections import knowledge as knowledge_view
from projections import repeats as repeats_view
from projections import topics as topics_view
from projections.view import QueryError
from yousu.logsetup import configure_logging
from yousu.settings import Settings
from yousu.wiring import build_complaints, build_runner, clock_for, store_line

insights_app = typer.Typer(help="未诉先办：高频事项、检索索引、诉求量预测", no_args_is_help=True)
console = Console()


def _day(value: str | None, name: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{name} 须为 YYYY-MM-DD", param_hint=f"--{name}") from None


@insights_app.command("topics")
def topics(
    from_: Annotated[
        str | None, typer.Option("--from", help="起始日期 YYYY-MM-DD（默认：连同截止日期共 30 天）")
    ] = None,
    to: Annotated[str | None, typer.Option("--to", help="截止日期 YYYY-MM-DD（默认为北京时间今天）")] = None,
    centre: Annotated[str | None, typer.Option(help="服务中心代码")] = None,
    category: Annotated[str | None, typer.Option(help="诉求类别代码")] = None,
    min_count: Annotated[int, typer.Option(min=1, help="至少几件才列为高频事项")] = 2,
    limit: Annotated[int, typer.Option(min=1, max=200, help="最多列出几项")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
) -> None:
    """高频事项：本期诉求在类别内按内容归并，按件数和增长排列。"""
    settings = Settings()
    typer.echo(store_line(settings), err=True)
    complaints = build_complaints(settings, clock_for(settings))
    runner = build_runner(settings, complaints)
    try:
        runner.setup()
        runner.run_once()  # the views as of now, even when no `yousu project` is running
        cal = complaints.calendar
        last = _day(to, "to") or cal.local_day(complaints.clock.now())
        first = _day(from_, "from") or last - timedelta(days=29)
        if last < first:
            raise typer.BadParameter("--to 不能早于 --from", param_hint="--to")
        prev_first = first - timedelta(days=(last - first).days + 1)
        start, end = repeats_view.day_bounds(first, last, cal)
        prev_start, _ = repeats_view.day_bounds(prev_first, prev_first, cal)
        items = topics_view.topic_items(runner.db, prev_start, end, centre=centre, category=category)
        found = topics_view.rank_topics(items, start, prev_start, cal.zone, min_count=min_count, limit=limit)
    finally:
        runner.db.close()
        complaints.close()
    if as_json:
        typer.echo(json.dumps([t.as_dict() for t in found], ensure_ascii=False, indent=2))
        return
    names = load_reference(settings.reference_file).categories
    table = Table("高频事项", "类别", "本期", "上期", "增长", "部门", "样例")
    for t in found:
        growth = "—" if t.growth is None else f"{t.growth:+.0%}"
        table.add_row(
            "、".join(t.label),
            names.get(t.category, t.category),
            str(t.count),
            str(t.previous),
            growth,
            ",".join(t.departments),
            " ".join(t.members[:3]),
        )
    console.print(f"{first.isoformat()} — {last.isoformat()}（上期 {prev_first.isoformat()} 起）")
    console.print(table)


@insights_app.command("reindex")
def reindex() -> None:
    """从事件存储重写知识库和指导案例的检索表。"""
    settings = Settings()
    typer.echo(store_line(settings), err=True)
    complaints = build_complaints(settings, clock_for(settings))
    runner = build_runner(settings, complaints)
    try:
        knowledge_view.create(runner.db)
        cases_view.create(runner.db)
        entries = KnowledgeService(complaints)
        cases = CasesService(complaints)
        n = knowledge_view.reindex(
            runner.db, (entries.get(i) for i in aggregate_ids(complaints, [get_topic(KnowledgeEntry.Drafted)]))
        )
        m = 0
        for case_id in aggregate_ids(complaints, [get_topic(GuidanceCase.Drafted)]):
            cases_view.index_case(runner.db, cases.get(case_id))
            m += 1
    finally:
        runner.db.close()
        complaints.close()
    console.print(f"知识条目 {n} 条，指导案例 {m} 件已重建索引")


@insights_app.command("forecast")
def forecast_command(
    series: Annotated[
        str,
        typer.Option(
            help="预测哪个序列：all | centre:<代码> | category:<代码> | department:<代码> | "
            "centre:<代码>,category:<代码>；部门以外的都可再加 ,channel:window|hotline|online"
        ),
    ] = "all",
    granularity: Annotated[
        Literal["day", "week", "month"], typer.Option(help="粒度：day（日）| week（周）| month（月）")
    ] = "day",
    horizon_weeks: Annotated[int, typer.Option(min=1, max=26, help="预测未来几周（日、周粒度）")] = 12,
    horizon_months: Annotated[int, typer.Option(min=1, max=12, help="预测未来几个月（月粒度）")] = 3,
    backtest: Annotated[bool, typer.Option(help="同时做滚动起点回测（与季节性朴素法对比）")] = True,
) -> None:
    """按日、周或月预测诉求量（JSON 输出到标准输出），依据 `yousu project` 维护的需求读模型。"""
    from api.routes.forecast import forecast_answer, read_history  # noqa: PLC0415 — the routes load for this command only

    settings = Settings()
    configure_logging(settings.log_level)
    typer.echo(store_line(settings), err=True)
    complaints = build_complaints(settings, clock_for(settings))
    runner = build_runner(settings, complaints)
    try:
        runner.setup()
        runner.run_once()  # the demand view up to the newest event
        history = read_history(runner.db, complaints, series, granularity)
        horizon = horizon_months if granularity == "month" else horizon_weeks
        body = forecast_answer(
            history, complaints, granularity, horizon, backtest=backtest, margin=settings.peak_margin
        )
    except QueryError as exc:
        typer.echo(f"错误（error）：{exc}", err=True)
        raise typer.Exit(1) from exc
    finally:
        runner.db.close()
        complaints.close()
    typer.echo(json.dumps(body, ensure_ascii=False, indent=1))
