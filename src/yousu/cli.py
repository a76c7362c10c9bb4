"""The ``yousu`` command line."""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import signal
import socket
import tempfile
import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

import typer
from rich.console import Console
from rich.progress import MofNCompleteColumn, Progress
from rich.table import Table
from rich.text import Text
from typer import rich_utils
from typer.core import TyperGroup, TyperOption

from api.auth import AuthError, mint_token
from api.permissions import PERMISSIONS, Action
from application.audit import AuditService
from application.calendar_loader import CalendarFileError
from application.cipher import generate_key
from application.clock import SystemClock
from application.complaints import ComplaintsApp
from application.orders import OrdersService
from application.persistence import DatabaseURLError
from application.reference import load_reference
from application.roster_files import HEADINGS, month_of_rows, parse_roster, roster_table
from domain.audit import event_payload
from domain.calendar import WorkingCalendar
from domain.centres import DEFAULT_CENTRE
from domain.complaint import EVENT_LABELS, Complaint
from domain.errors import ComplaintError
from domain.roster import check_month, month_of
from domain.slips import parse_slip_number
from domain.values import Actor, Role
from policies.merges import MergeAnswerer
from policies.orders import OrderSweeper
from policies.sweeper import Sweeper
from projections import tracking
from projections.runner import DEFAULT_PAGE_SIZE
from yousu.background import Periodic
from yousu.cli_history import import_app
from yousu.cli_hotline import deliveries_app, hotline_app
from yousu.cli_users import audit_accounts, users_app
from yousu.insights_cli import insights_app
from yousu.logsetup import configure_logging
from yousu.settings import Settings
from yousu.wiring import (
    StartupError,
    SweepTask,
    auth_secret,
    background_enabled,
    build_complaints,
    build_runner,
    clock_for,
    duty,
    run_forever,
    store_line,
    verifier,
)

# Typer's own words on every help page (the --help and completion options, the panel titles), in Chinese
FRAMEWORK_HELP = {
    "help": "显示本帮助并退出",
    "install_completion": "为当前 shell 安装命令补全",
    "show_completion": "显示当前 shell 的命令补全脚本，可复制或自行安装",
}


class ChineseGroup(TyperGroup):
    """The root command: the help option of every command below it, and the completion options, in Chinese."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        commands: list[Any] = [self]
        while commands:
            command = commands.pop()
            option = command.get_help_option(typer.Context(command))
            if option is not None:
                option.help = FRAMEWORK_HELP["help"]
            if isinstance(command, TyperGroup):
                commands.extend(command.commands.values())

    def get_params(self, ctx: Any) -> Any:
        """The completion options are added after the group is made: their help is set here."""
        params = super().get_params(ctx)
        for param in params:
            if isinstance(param, TyperOption) and param.name in FRAMEWORK_HELP:
                param.help = FRAMEWORK_HELP[param.name]
        return params


rich_utils.ARGUMENTS_PANEL_TITLE = "参数"
rich_utils.OPTIONS_PANEL_TITLE = "选项"
rich_utils.COMMANDS_PANEL_TITLE = "命令"
rich_utils.ERRORS_PANEL_TITLE = "错误"
rich_utils.REQUIRED_LONG_STRING = "[必填]"
rich_utils.ENVVAR_STRING = "[环境变量：{}]"
rich_utils.DEFAULT_STRING = "[默认：{}]"
rich_utils.DEPRECATED_STRING = "（已弃用）"
rich_utils.ABORTED_TEXT = "已中止。"
rich_utils.RICH_HELP = "用 [blue]'{command_path} {help_option}'[/] 查看帮助。"
_rich_text = rich_utils._make_rich_text


def _folding_rich_text(*, text: str, style: str = "", markup_mode: Any) -> Any:
    """Typer's help text folded at any character when a line is full: Chinese has no spaces to break at, and
    rich would otherwise cut a long help to the column's width with an ellipsis."""
    made = _rich_text(text=text, style=style, markup_mode=markup_mode)
    if isinstance(made, Text):
        made.overflow = "fold"
    return made


rich_utils._make_rich_text = _folding_rich_text

app = typer.Typer(cls=ChineseGroup, help="有诉即办（yousu）：诉求受理与办理服务", no_args_is_help=True)
calendar_app = typer.Typer(help="工作日历（working-day calendar）：计算时限，查看已载入的年份", no_args_is_help=True)
app.add_typer(calendar_app, name="calendar")
app.add_typer(insights_app, name="insights")
app.add_typer(deliveries_app, name="deliveries")
app.add_typer(hotline_app, name="hotline")
app.add_typer(import_app, name="import")
app.add_typer(users_app, name="users")
console = Console()
TOKEN_ROLES = [r.value for r in Role if r is not Role.system]
DEMO_QUERY = "from=2025-09-26T10:00%2B08:00&working_days=1"
err = Console(stderr=True, soft_wrap=True)  # messages are never cut to the terminal's width
# the checkout (src/yousu/cli.py → repository root): audit bundles must not land in it
REPO_ROOT = Path(__file__).resolve().parents[2]


def _fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[red]错误（error）：[/red]{message}")
    return typer.Exit(code)


def _load_calendar(settings: Settings) -> WorkingCalendar:
    try:
        return settings.calendar()
    except CalendarFileError as exc:
        raise _fail(f"日历文件无效（calendar file invalid）：{exc}") from exc


@calendar_app.command("due")
def calendar_due(
    from_: str = typer.Option(..., "--from", help="起始时刻（ISO 8601，带时区，如 2025-09-26T10:00+08:00）"),
    working_days: int = typer.Option(..., "--working-days", min=0, help="工作日数 N（0 = 当个工作日）"),
) -> None:
    """打印自 --from 起第 N 个工作日的到期时刻。

    按民法典计算：起算当日不计入，期限至第 N 个工作日下班时截止。
    尚未载入节假日安排的年份按周一至周五计算，并在时刻后标注 provisional（暂定）。
    """
    try:
        start = datetime.fromisoformat(from_)
    except ValueError as exc:
        raise _fail(f"--from 不是 ISO 8601 时刻（not an ISO 8601 instant）：{from_!r}") from exc
    if start.tzinfo is None:
        raise _fail("--from 须带时区偏移（UTC offset），如 2025-09-26T10:00+08:00")
    calendar = _load_calendar(_settings())
    deadline = calendar.add_working_days(start, working_days)
    line = deadline.due_at.isoformat()
    if deadline.provisional:
        line += " provisional"
    typer.echo(line)


@calendar_app.command("years")
def calendar_years() -> None:
    """列出已载入节假日安排的年份及各自的来源。"""
    calendar = _load_calendar(_settings())
    table = Table("年份", "节假日（天）", "调休上班（天）", "来源")
    for year in sorted(calendar.schedules):
        s = calendar.schedules[year]
        table.add_row(str(year), str(len(s.holidays)), str(len(s.workdays)), s.source)
    console.print(table)


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="监听地址（网络接口）"),
    port: int = typer.Option(8000, min=1, max=65535, help="TCP 端口"),
    workers: int = typer.Option(
        1, min=1, max=64, help="工作进程数（各有自己的连接池）；多于一个时须设 YOUSU_BACKGROUND=false"
    ),
) -> None:
    """启动 HTTP API（uvicorn 上的 FastAPI）；收到 SIGTERM 时全部工作进程平稳退出。"""
    settings = _settings()
    _say_store(settings)
    if workers > 1:
        _serve_workers(settings, host, port, workers)
    else:
        _serve(settings, host, port)


WORKER_HEALTHCHECK_SECONDS = 30
# After SIGTERM, requests still running get this many seconds, then are cancelled and the app shuts down
# (the PDF workers are killed first): the server is gone within 10 s whatever it was doing.
GRACEFUL_SHUTDOWN_SECONDS = 3


def _serve_workers(settings: Settings, host: str, port: int, workers: int) -> None:
    """N uvicorn workers, each building its own app from the environment (``yousu.server:app_factory``)."""
    import uvicorn  # noqa: PLC0415 — only the serving commands need it

    from api.middleware import MAX_REQUEST_HEAD_BYTES  # noqa: PLC0415 — the HTTP stack: serving commands only

    if background_enabled(settings):
        # Background work (projections, sweeps, anchoring) would run once per worker: N sweepers racing
        # to raise the same escalations, N followers on one SQLite file whose single writer already
        # serialises every command, so extra workers add lock waits, not throughput.
        raise _fail(
            f"--workers {workers} 需要 YOUSU_BACKGROUND=false（否则每个工作进程都会运行一遍后台任务）。"
            "默认的内嵌 SQLite 存储请只用一个工作进程；PostgreSQL 上请把 `yousu project` 和 `yousu sweep` "
            "作为独立进程运行。"
        )
    try:  # refuse a wrong key or an unreadable store here, once, rather than in every worker
        build_complaints(settings, clock_for(settings)).close()
    except (CalendarFileError, DatabaseURLError, StartupError, ValueError) as exc:
        raise _fail(str(exc)) from exc
    from uvicorn.supervisors.multiprocess import Multiprocess  # noqa: PLC0415 — only with --workers

    config = uvicorn.Config(
        "yousu.server:app_factory",
        factory=True,
        workers=workers,
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        # the supervisor kills a worker that does not answer its ping within this many seconds; a worker
        # still importing and opening its pools on a loaded machine took longer than uvicorn's 5 s, and
        # was killed and restarted over and over
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
        h11_max_incomplete_event_size=MAX_REQUEST_HEAD_BYTES,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
    )
    # What uvicorn.run does for workers, plus TCP_NODELAY: uvicorn binds the shared socket with proto 0,
    # so asyncio never sets TCP_NODELAY on accepted connections (it checks proto == IPPROTO_TCP), and
    # Nagle + delayed ACK added ~40 ms to every keep-alive answer (measured: 45 ms vs 2 ms per /healthz).
    # Linux copies the listener's TCP_NODELAY to each accepted socket.
    sock = config.bind_socket()
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    # The supervisor turns SIGTERM/SIGINT into SIGTERM to each worker; each drains its requests and runs
    # its lifespan shutdown (pools closed), then the parent exits 0.
    Multiprocess(config, sockets=[sock]).run()


def _serve(settings: Settings, host: str, port: int) -> None:
    import uvicorn  # noqa: PLC0415 — only the serving commands need it

    from api.middleware import MAX_REQUEST_HEAD_BYTES  # noqa: PLC0415 — the HTTP stack: serving commands only
    from yousu.server import build_http_app, settle_heap  # noqa: PLC0415 — as above

    configure_logging(settings.log_level)
    try:
        http_app = build_http_app(settings, clock_for(settings), background=background_enabled(settings))
    except (CalendarFileError, DatabaseURLError, StartupError, ValueError) as exc:
        raise _fail(str(exc)) from exc
    settle_heap(http_app)  # start-up's objects out of the collector's way (long pauses under load otherwise)
    # uvicorn turns SIGTERM/SIGINT into a graceful shutdown; the app's lifespan then stops the
    # background threads and closes the pools and HTTP clients. Afterwards uvicorn re-raises the
    # signal to the handler it found: a no-op one here, so a requested stop exits 0 (systemd: clean).
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: None)
    uvicorn.run(
        http_app,
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        h11_max_incomplete_event_size=MAX_REQUEST_HEAD_BYTES,  # an oversized query: the app's 413, not a plain 400
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
    )


def _settings() -> Settings:
    try:
        settings = Settings()
    except ValueError as exc:
        raise _fail(f"配置无效：{exc}") from exc
    configure_logging(settings.log_level)  # JSON logs on stderr: stdout stays the command's output
    return settings


def _say_store(settings: Settings) -> None:
    typer.echo(store_line(settings), err=True)


@app.command()
def run(
    host: str = typer.Option("127.0.0.1", help="监听地址（网络接口）"),
    port: int = typer.Option(8000, min=1, max=65535, help="TCP 端口"),
) -> None:
    """`make run`：在配置的存储（默认内嵌 SQLite）上提供服务，并说明如何使用。"""
    settings = _settings()
    _say_store(settings)
    db = settings.database()
    secret = auth_secret(settings, create=True)
    base = f"http://{host}:{port}"
    console.print(f"[bold]有诉即办 yousu[/bold] 主目录（YOUSU_HOME）：{settings.home}")
    console.print(f"  API 文档（OpenAPI）： {base}/docs")
    if (settings.console_dir / "index.html").is_file():
        console.print(f"  工作台：              {base}/")
        console.print("  添加账号：            .venv/bin/yousu users add --name 王小明 --role window_clerk")
    console.print("  签发令牌：            .venv/bin/yousu token --role window_clerk --name 王小明")
    console.print(
        f'  然后：                curl -H "Authorization: Bearer $TOKEN" "{base}/v1/calendar/due?{DEMO_QUERY}"'
    )
    if secret and not settings.auth_secret:
        console.print(f"  （令牌以本机密钥签名：{settings.auth_secret_file}）")
    if db.kind == "sqlite" and not settings.cipher_key:
        console.print(f"  （事件以本机密钥加密：{settings.cipher_key_file}，请与数据库一同备份）")
    _serve(settings, host, port)


@app.command()
def token(
    role: Annotated[list[str], typer.Option("--role", help=f"角色（可重复）：{', '.join(TOKEN_ROLES)}")],
    name: str = typer.Option(..., "--name", help="工作人员姓名"),
    sub: str | None = typer.Option(None, "--sub", help="用户编号（默认由姓名生成）"),
    department: str | None = typer.Option(None, "--department", help="部门代码，角色为 department 时必填"),
    centre: str | None = typer.Option(None, "--centre", help="服务中心代码（见 ops/reference.toml 的 centres 表）"),
    hours: int = typer.Option(12, min=1, help="有效期（小时，不超过 YOUSU_TOKEN_MAX_LIFETIME）"),
) -> None:
    """签发本地使用的 HS256 令牌（以 YOUSU_AUTH_SECRET 或本机密钥签名）。"""
    settings = _settings()
    if hours * 3600 > settings.token_max_lifetime:
        raise _fail(f"--hours {hours} 超过 YOUSU_TOKEN_MAX_LIFETIME（{settings.token_max_lifetime} 秒）")
    try:
        roles = [Role(r) for r in role]
    except ValueError as exc:
        raise _fail(f"未知角色；可选：{', '.join(TOKEN_ROLES)}") from exc
    if Role.system in roles:
        raise _fail("system 角色不能由令牌持有")
    if Role.department in roles and not department:
        raise _fail("角色为 department 时须给出 --department")
    if centre is not None and centre not in load_reference(settings.reference_file).centres:
        raise _fail(f"服务中心代码 {centre} 不在代码表中（见 {settings.reference_file} 的 centres 表）")
    secret = auth_secret(settings, create=True)
    if secret is None:
        raise _fail("请设置 YOUSU_AUTH_SECRET")
    typer.echo(
        mint_token(
            secret=secret,
            sub=sub or "user-" + hashlib.sha256(name.encode()).hexdigest()[:12],
            name=name,
            roles=roles,
            department=department,
            centre=centre,
            # the wall clock, not the process's (YOUSU_FIXED_CLOCK): the service checks a token against it
            now=SystemClock().now(),
            lifetime=timedelta(hours=hours),
            issuer=settings.auth_issuer,
            audience=settings.auth_audience,
        )
    )


audit_app = typer.Typer(
    help="纪检监察审计轨迹（audit trail）：核验哈希链、锚定、回放、导出离线核验包", no_args_is_help=True
)
app.add_typer(audit_app, name="audit")
audit_app.command("accounts")(audit_accounts)


def _audit(settings: Settings) -> AuditService:
    _say_store(settings)
    try:
        return AuditService(build_complaints(settings, clock_for(settings)))
    except (CalendarFileError, DatabaseURLError, StartupError, ValueError) as exc:
        raise _fail(str(exc)) from exc


def _uuid(value: str, option: str) -> UUID:
    try:
        return UUID(value)
    except ValueError as exc:
        raise _fail(f"{option} 不是诉求编号（UUID）：{value!r}") from exc


REPLAY_LABELS = {
    "slip_no": "受理单号",
    "centre": "服务中心",
    "channel": "受理渠道",
    "content": "诉求内容",
    "category": "诉求类别",
    "complainant": "诉求人",
    "received_at": "受理时间",
    "external_ref": "热线编号",
    "response_due_at": "响应时限",
    "classification": "问题分类",
    "from_classification": "原分类",
    "to_classification": "改为",
    "reason": "理由",
    "signer_role": "签字身份",
    "opinion": "意见",
    "departments": "承办部门",
    "supervisor": "督办专人",
    "instructions": "转办意见",
    "due_at": "时限",
    "participants": "参会部门",
    "conclusion": "会商结论",
    "result": "办理结果",
    "legal_basis": "法律依据",
    "feedback_due_at": "反馈时限",
    "method": "反馈方式",
    "summary": "反馈内容",
    "callback_due_at": "回访时限",
    "rating": "评价",
    "comment": "评价意见",
    "rectification_due_at": "整改时限",
    "clock": "时限",
    "level": "级别",
    "round": "轮次",
    "recipients": "通知对象",
    "previous_due_at": "原时限",
    "prev_hash": "前一哈希",
    "row_hash": "本条哈希",
}


def _readable(value: object, calendar: WorkingCalendar) -> str:
    """A payload value as staff read it: instants in the calendar's zone (Beijing), lists and objects as JSON."""
    if isinstance(value, str):
        try:
            instant = datetime.fromisoformat(value)
        except ValueError:
            return value
        if instant.tzinfo is not None and ("T" in value or " " in value):
            return instant.astimezone(calendar.zone).strftime("%Y-%m-%d %H:%M:%S")
        return value
    if value is None:
        return "—"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


@audit_app.command("replay")
def audit_replay(
    complaint: Annotated[str, typer.Argument(help="诉求编号（UUID）或受理单号")],
    reader: Annotated[str, typer.Option(help="查阅人（记入查阅记录）")] = getpass.getuser(),
) -> None:
    """打印一件诉求的完整历史：每个字段完整显示，时间为北京时间（本次查阅会被记录）。"""
    audit = _audit(_settings())
    try:
        cid = UUID(complaint)
    except ValueError:
        try:
            parse_slip_number(complaint)
        except ComplaintError as exc:
            raise _fail(f"{complaint} 既不是诉求编号，也不是受理单号：{exc.detail}") from exc
        found = audit.complaint_by_slip(complaint)
        if found is None:
            raise _fail(f"没有受理单号为 {complaint} 的诉求", 1) from None
        cid = found
    try:
        events = audit.app.history(cid)
    except ComplaintError as exc:
        raise _fail(exc.detail, 1) from exc
    audit.record_access(
        reader=Actor(id=reader, name=reader, role=Role.admin),
        complaint_id=cid,
        endpoint="yousu audit replay",
        personal_info=True,
    )
    calendar = audit.app.calendar
    first = events[0].event
    assert isinstance(first, Complaint.Received)  # noqa: S101 — history() starts with Received
    # plain lines, never cut to the terminal's width: this is what an inspector reads and keeps
    typer.echo(f"{first.slip_no}  {cid}  （时间均为北京时间）")
    for e in events:
        actor = e.event.actor
        typer.echo("")
        typer.echo(
            f"[{e.version}] {EVENT_LABELS.get(e.type, e.type)} {e.type}  "
            f"业务时间 {_readable(e.event.occurred_at.isoformat(), calendar)}  "
            f"记录时间 {_readable(e.recorded_at.isoformat(), calendar)}  "
            f"操作人 {actor.name}（{actor.role.value}{'，' + actor.department if actor.department else ''}）"
        )
        payload = {k: v for k, v in event_payload(e.event).items() if k not in ("actor", "occurred_at", "timestamp")}
        for key, value in payload.items():
            typer.echo(f"    {REPLAY_LABELS.get(key, key)}（{key}）：{_readable(value, calendar)}")


@audit_app.command("verify")
def audit_verify(
    complaint: Annotated[str | None, typer.Option("--complaint", help="只核验这件诉求（诉求编号）")] = None,
) -> None:
    """核验全部哈希链和锚点；有任何不符时退出码为 1。"""
    audit = _audit(_settings())
    report = audit.verify(_uuid(complaint, "--complaint") if complaint else None)
    if report.complaints_checked == 0:
        err.print(
            "[yellow]警告（warning）：[/yellow]该存储中没有任何诉求（no complaints），什么也没有核验。"
            "这是您要核验的存储吗？（见 `store:` 一行、YOUSU_HOME、YOUSU_DATABASE_URL）"
        )
    # the finding lines as the offline verifier words them; never cut to the terminal's width
    for f in report.findings:
        where = f"{f.complaint_id} 第 {f.version} 版（version {f.version}: {f.problem}）"
        console.print(f"[red]不符（FAIL）[/red]{where}：{f.detail}", soft_wrap=True)
    # the counts also in English: the runbooks and the drills read "checked N complaints" and "OK"
    counts = (
        f"核验诉求 {report.complaints_checked} 件、事件 {report.events_checked} 个、锚点 {report.anchors_checked} 个"
        f"（checked {report.complaints_checked} complaints, {report.events_checked} events, "
        f"{report.anchors_checked} anchors）："
    )
    console.print(
        counts + ("[green]通过（OK）[/green]" if report.ok else "[red]未通过（FAILED）[/red]"), soft_wrap=True
    )
    if not report.ok:
        raise typer.Exit(1)


@audit_app.command("anchor")
def audit_anchor() -> None:
    """立即锚定全部诉求的链头，打印锚定记录（含摘要值 digest），请在系统外保存。"""
    from api.app import anchor_record  # noqa: PLC0415 — the HTTP stack loads for this command alone

    anchored = _audit(_settings()).anchor()
    if anchored is None:
        console.print("自上次锚定以来没有变化，未新建锚点")
        return
    typer.echo(json.dumps(anchor_record(anchored), ensure_ascii=False))


@audit_app.command("export")
def audit_export(
    out: Annotated[Path, typer.Option("--out", help="新建的或空的目录，须在工作目录和代码仓库之外")],
    complaint: Annotated[list[str] | None, typer.Option("--complaint", help="诉求编号（可重复）")] = None,
    from_: Annotated[str | None, typer.Option("--from", help="受理时间不早于（ISO 8601 时刻，带时区）")] = None,
    to: Annotated[str | None, typer.Option("--to", help="受理时间不晚于（ISO 8601 时刻，带时区）")] = None,
    allow_unanchored: Annotated[
        bool, typer.Option("--allow-unanchored", help="有诉求尚无锚点覆盖时也写出核验包（仅含哈希链）")
    ] = False,
    with_personal_info: Annotated[
        bool, typer.Option("--with-personal-info", help="姓名、电话、身份证号以明文导出（须 --token）")
    ] = False,
    token: Annotated[
        str | None,
        typer.Option("--token", envvar="YOUSU_TOKEN", help="导出个人信息时用：纪检监察联络员本人的 Bearer 令牌"),
    ] = None,
) -> None:
    """写出离线核验包（events.jsonl、chain.json、anchor.json，文件权限 0600），供 ops/audit/verify_bundle.py 核验。"""
    settings = _settings()
    reader = _personal_info_reader(settings, token) if with_personal_info else None
    target = _bundle_dir(out)
    audit = _audit(settings)
    if complaint:
        ids = [_uuid(c, "--complaint") for c in complaint]
    elif from_ or to:
        ids = audit.complaint_ids(since=_instant(from_, "--from"), until=_instant(to, "--to"))
        if not ids:
            raise _fail("该时段内没有受理的诉求", 1)
    else:
        raise _fail("请用 --complaint 给出诉求编号，或用 --from/--to 给出时段")
    try:
        bundle = audit.export(ids, personal_info=reader is not None)
    except ComplaintError as exc:
        raise _fail(exc.detail, 1) from exc
    heads = (bundle["anchor"] or {}).get("heads", {})
    unanchored = [cid for cid in bundle["chains"] if cid not in heads]
    if unanchored and not allow_unanchored:
        raise _fail(
            f"尚无锚点覆盖 {', '.join(unanchored)}：请先运行 `yousu audit anchor`"
            "（或加 --allow-unanchored，导出仅含哈希链的核验包）",
            1,
        )
    if reader is not None:
        for cid in ids:
            audit.record_access(
                reader=reader, complaint_id=cid, endpoint="yousu audit export --with-personal-info", personal_info=True
            )
    target.mkdir(mode=0o700, exist_ok=True)
    target.chmod(0o700)  # an existing empty directory keeps its mode otherwise
    for name, text in AuditService.bundle_files(bundle).items():
        _write_private(target / name, text)
    kind = "个人信息为明文" if reader is not None else "个人信息为加盐承诺值"
    console.print(
        f"已将 {len(bundle['chains'])} 件诉求的 {len(bundle['events'])} 个事件写入 {target}（{kind}）", soft_wrap=True
    )
    if unanchored:
        console.print(f"[yellow]未锚定（UNANCHORED，仅含哈希链）：{', '.join(unanchored)}[/yellow]", soft_wrap=True)


def _personal_info_reader(settings: Settings, token: str | None) -> Actor:
    """The verified caller allowed both audit export and personal information, as the API checks them."""
    if not token:
        raise _fail("--with-personal-info 需要 --token（或 YOUSU_TOKEN）：纪检监察联络员的令牌，校验方式与 API 相同")
    try:
        principal = verifier(settings).verify(token)
    except (AuthError, ValueError) as exc:
        raise _fail(f"令牌被拒绝：{exc}") from exc
    allowed = PERMISSIONS[Action.read_audit] & PERMISSIONS[Action.read_personal_info]
    role = next((r for r in sorted(principal.roles, key=str) if r in allowed), None)
    if role is None:
        raise _fail("该令牌的角色不能导出个人信息（须有既可查阅审计轨迹、又可查阅个人信息的角色）")
    return principal.actor(role)


def _bundle_dir(out: Path) -> Path:
    """The bundle directory: not a symlink, new or empty, and outside the working tree and the repository."""
    if out.is_symlink():
        raise _fail(f"--out {out} 是符号链接（symbolic link），请指定真实的目录")
    target = out.resolve()
    for tree in {Path.cwd().resolve(), REPO_ROOT}:
        if target == tree or tree in target.parents:
            raise _fail(f"--out {out} 在 {tree} 之内（inside）：核验包里有个人信息，请写到别处")
    if target.exists():
        if not target.is_dir():
            raise _fail(f"--out {out} 不是目录")
        if any(target.iterdir()):
            raise _fail(f"--out {out} 不是空目录（not empty），请指定新建的或空的目录")
    elif not target.parent.is_dir():
        raise _fail(f"--out {out}：上级目录不存在")
    return target


def _write_private(path: Path, text: str) -> None:
    """Create ``path`` readable by the owner only; never follow or overwrite an existing entry."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)


def _instant(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    try:
        instant = datetime.fromisoformat(value)
    except ValueError as exc:
        raise _fail(f"{option} 不是 ISO 8601 时刻（not an ISO 8601 instant）：{value!r}") from exc
    if instant.tzinfo is None:
        raise _fail(f"{option} 须带时区偏移（UTC offset），如 2025-09-26T10:00+08:00")
    return instant


keys_app = typer.Typer(help="事件加密密钥（encryption keys）", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


@keys_app.command("generate")
def keys_generate() -> None:
    """打印一个新的随机 AES-256 密钥（base64），用作 YOUSU_CIPHER_KEY。"""
    typer.echo(generate_key())


@app.command("openapi")
def openapi_document(
    out: Annotated[Path | None, typer.Option("--out", help="写入此文件，而不是标准输出")] = None,
) -> None:
    """打印 HTTP API 的 OpenAPI 文档（工作台的类型由它生成）。"""
    from yousu.server import build_http_app, close_container  # noqa: PLC0415 — the HTTP stack: this command only

    configure_logging("ERROR")  # logs on stderr (the console is not built here: no warning); stdout is the document
    with tempfile.TemporaryDirectory() as tmp:
        # a throw-away store: the document depends on the code only, never on the configured service
        settings = Settings(
            database_url=f"sqlite:///{tmp}/openapi.db",
            auth_secret="openapi-only",  # noqa: S106 — signs nothing: the app never serves a request
            cipher_key=generate_key(),
            background=False,
            console_dir=Path(tmp),
        )
        http_app = build_http_app(settings)
        try:
            document = http_app.openapi()
        finally:
            close_container(http_app.state.container)
    text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")


project_app = typer.Typer(help="读模型（台账、时限、统计）：跟随事件存储保持更新，或重建", invoke_without_command=True)
app.add_typer(project_app, name="project")


@project_app.callback()
def project(
    ctx: typer.Context,
    page_size: Annotated[int, typer.Option("--page-size", min=1, help="每页事件数")] = DEFAULT_PAGE_SIZE,
    poll_interval: Annotated[float, typer.Option("--poll-interval", min=0.001, help="轮询间隔（秒）")] = 0.05,
) -> None:
    """跟随事件存储，使每个读模型保持最新（一直运行，直到收到 SIGTERM 或 SIGINT）。"""
    if ctx.invoked_subcommand is not None:
        return
    settings = _settings()
    configure_logging(settings.log_level)
    complaints = _complaints(settings)
    runner = build_runner(settings, complaints, page_size=page_size)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        run_forever(runner, stop, poll_interval=poll_interval)
    except KeyboardInterrupt:
        stop.set()
    finally:
        runner.db.close()
        complaints.close()


@project_app.command("rebuild")
def project_rebuild(
    view: Annotated[list[str] | None, typer.Option("--view", help="读模型名称（可重复；默认全部）")] = None,
) -> None:
    """从全部已存事件重建读模型，并显示进度。"""
    settings = _settings()
    runner = build_runner(settings, _complaints(settings))
    runner.setup()
    names = [v.name for v in runner.views]
    if view and (unknown := [v for v in view if v not in names]):
        raise _fail(f"未知的读模型 {', '.join(unknown)}；可选：{', '.join(names)}")
    with Progress(*Progress.get_default_columns(), MofNCompleteColumn(), console=console) as bar:
        task = bar.add_task("重建中", total=None)
        done = runner.rebuild(view or None, progress=lambda n, total: bar.update(task, completed=n, total=total))
    console.print(f"已从 {done} 个事件重建读模型：{', '.join(view or names)}", soft_wrap=True)


@app.command()
def status() -> None:
    """显示事件存储最新的通知编号，以及每个读模型的处理位置和滞后。"""
    settings = _settings()
    complaints = _complaints(settings)
    runner = build_runner(settings, complaints)
    newest = complaints.max_notification_id()
    table = Table("读模型", "处理位置", "滞后（条）")
    lags = tracking.lag(runner.db, newest)
    for name, position in sorted(tracking.positions(runner.db).items()):
        table.add_row(name, str(position), str(lags.get(name, newest - position)))
    console.print(f"存储 {settings.database().redacted}：最新通知编号 {newest}", soft_wrap=True)
    console.print(table)


@app.command()
def sweep(
    once: Annotated[bool, typer.Option("--once", help="只扫描一次，然后退出")] = False,
) -> None:
    """为已过时限的计时发起升级（每 YOUSU_SWEEP_INTERVAL 秒扫描一次，默认 30 秒）。"""
    settings = _settings()
    configure_logging(settings.log_level)
    complaints = _complaints(settings)
    runner = build_runner(settings, complaints)
    runner.setup()
    if once:
        try:
            result = Sweeper(complaints, runner.db, settings.escalation_rules()).sweep()
            orders_raised = OrderSweeper(OrdersService(complaints), runner.db).sweep()
            answered = MergeAnswerer(complaints, runner.db).run()
        finally:
            runner.db.close()
            complaints.close()
        console.print(
            f"逾期候选 {result.candidates} 个，新发起升级 {result.raised} 个，查找用时 {result.find_ms:.2f} 毫秒"
        )
        console.print(f"整改通知逾期升级 {orders_raised}")
        console.print(f"并单按主诉求答复 {answered}")
        return
    task = SweepTask(settings, complaints, runner.db)
    loop = Periodic("sweep", settings.sweep_interval, task, duty("sweep", runner.db))
    signal.signal(signal.SIGTERM, lambda *_: loop.stop.set())
    try:
        loop._loop()
    except KeyboardInterrupt:
        loop.stop.set()
    finally:
        task.close()
        runner.db.close()
        complaints.close()


def _complaints(settings: Settings) -> ComplaintsApp:
    _say_store(settings)
    try:
        return build_complaints(settings, clock_for(settings))
    except (CalendarFileError, DatabaseURLError, StartupError, ValueError) as exc:
        raise _fail(str(exc)) from exc


roster_app = typer.Typer(help="值班表（duty roster）：导入一个月的值班表，或查看", no_args_is_help=True)
app.add_typer(roster_app, name="roster")


@roster_app.command("import")
def roster_import(
    file: Annotated[Path, typer.Argument(help="CSV（UTF-8 或 GBK）或 XLSX 文件，表头同 README「值班表」一节")],
    month: Annotated[str | None, typer.Option("--month", help="月份 YYYY-MM（默认取第一行的月份）")] = None,
    actor: Annotated[str, typer.Option(help="导入人（随值班表记录）")] = getpass.getuser(),
) -> None:
    """导入一个月的值班表：先逐行检查，有一行不合格则全部不导入（退出码 1）。"""
    settings = _settings()
    if not file.is_file():
        raise _fail(f"找不到文件 {file}")
    reference = load_reference(settings.reference_file)
    complaints = _complaints(settings)
    try:
        rows = parse_roster(file.read_bytes(), {code: c.name for code, c in reference.centres.items()})
        wanted = month or month_of_rows(rows)
        imported = complaints.import_roster(rows, month=wanted, actor=Actor(id=actor, name=actor, role=Role.admin))
    except ComplaintError as exc:
        raise _fail(f"{exc.detail}（未导入任何行）", 1) from exc
    finally:
        complaints.close()
    for centre, days in sorted(imported.items()):
        console.print(f"{wanted} {centre}: {days} 天")


@roster_app.command("show")
def roster_show(
    centre: Annotated[str, typer.Option("--centre", help="服务中心代码")] = DEFAULT_CENTRE,
    month: Annotated[str | None, typer.Option("--month", help="月份 YYYY-MM（默认本月）")] = None,
) -> None:
    """打印某服务中心某月的值班表（尚未导入时退出码 1）。"""
    settings = _settings()
    complaints = _complaints(settings)
    try:
        wanted = month or month_of(complaints.calendar.local_day(complaints.clock.now()))
        check_month(wanted)
        roster = complaints.roster(centre, wanted)
    except ComplaintError as exc:
        raise _fail(exc.detail) from exc
    finally:
        complaints.close()
    if roster is None:
        raise _fail(f"{centre} 尚未导入 {wanted} 的值班表", 1)
    # tab-separated, never truncated to the terminal's width; the headings are the import file's
    typer.echo("\t".join(HEADINGS))
    for row in roster_table(sorted(roster.days.values(), key=lambda d: d.day), centre):
        typer.echo("\t".join(row))


def main() -> None:
    """Entry point of the ``yousu`` script."""
    app()
