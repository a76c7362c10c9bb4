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
from typing import Annotated
from uuid import UUID

import psycopg
import typer
from rich.console import Console
from rich.progress import MofNCompleteColumn, Progress
from rich.table import Table

from api.app import anchor_record
from api.auth import AuthError, mint_token
from api.permissions import PERMISSIONS, Action
from application.accounts import AccountError, AccountStore
from application.audit import AuditService
from application.calendar_loader import CalendarFileError
from application.cipher import generate_key
from application.clock import Clock, SystemClock
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
from yousu.background import Periodic
from yousu.cli_hotline import deliveries_app, hotline_app
from yousu.insights_cli import insights_app
from yousu.logsetup import configure_logging
from yousu.settings import Settings
from yousu.wiring import (
    StartupError,
    SweepTask,
    account_store,
    auth_secret,
    background_enabled,
    build_complaints,
    build_http_app,
    build_runner,
    clock_for,
    close_container,
    run_forever,
    store_line,
    verifier,
)

app = typer.Typer(help="yousu 有诉即办 — complaint handling service", no_args_is_help=True)
calendar_app = typer.Typer(help="Working-day calendar (工作日历)", no_args_is_help=True)
app.add_typer(calendar_app, name="calendar")
app.add_typer(insights_app, name="insights")
app.add_typer(deliveries_app, name="deliveries")
app.add_typer(hotline_app, name="hotline")
console = Console()
TOKEN_ROLES = [r.value for r in Role if r is not Role.system]
DEMO_QUERY = "from=2025-09-26T10:00%2B08:00&working_days=1"
err = Console(stderr=True)
# the checkout (src/yousu/cli.py → repository root): audit bundles must not land in it
REPO_ROOT = Path(__file__).resolve().parents[2]


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
    calendar = _load_calendar(_settings())
    deadline = calendar.add_working_days(start, working_days)
    line = deadline.due_at.isoformat()
    if deadline.provisional:
        line += " provisional"
    typer.echo(line)


@calendar_app.command("years")
def calendar_years() -> None:
    """List the years with a loaded holiday schedule and where each came from."""
    calendar = _load_calendar(_settings())
    table = Table("year", "holidays", "调休 workdays", "source")
    for year in sorted(calendar.schedules):
        s = calendar.schedules[year]
        table.add_row(str(year), str(len(s.holidays)), str(len(s.workdays)), s.source)
    console.print(table)


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="interface to listen on"),
    port: int = typer.Option(8000, min=1, max=65535, help="TCP port"),
    workers: int = typer.Option(
        1, min=1, max=64, help="worker processes (each with its own pools); >1 needs YOUSU_BACKGROUND off"
    ),
) -> None:
    """Start the HTTP API (FastAPI under uvicorn); SIGTERM stops it (all workers) cleanly."""
    settings = _settings()
    _say_store(settings)
    if workers > 1:
        _serve_workers(settings, host, port, workers)
    else:
        _serve(settings, host, port)


WORKER_HEALTHCHECK_SECONDS = 30


def _serve_workers(settings: Settings, host: str, port: int, workers: int) -> None:
    """N uvicorn workers, each building its own app from the environment (``yousu.wiring:app_factory``)."""
    import uvicorn  # noqa: PLC0415 — only the serving commands need it

    if background_enabled(settings):
        # Background work (projections, sweeps, anchoring) would run once per worker: N sweepers racing
        # to raise the same escalations, N followers on one SQLite file whose single writer already
        # serialises every command, so extra workers add lock waits, not throughput.
        raise _fail(
            f"--workers {workers} needs YOUSU_BACKGROUND=false (background work would run in every worker). "
            "On the embedded SQLite default serve with one worker; on PostgreSQL run `yousu project` and "
            "`yousu sweep` as their own processes."
        )
    try:  # refuse a wrong key or an unreadable store here, once, rather than in every worker
        build_complaints(settings, clock_for(settings)).close()
    except (CalendarFileError, DatabaseURLError, StartupError, ValueError) as exc:
        raise _fail(str(exc)) from exc
    from uvicorn.supervisors.multiprocess import Multiprocess  # noqa: PLC0415 — only with --workers

    config = uvicorn.Config(
        "yousu.wiring:app_factory",
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

    configure_logging(settings.log_level)
    try:
        http_app = build_http_app(settings, _clock(settings), background=background_enabled(settings))
    except (CalendarFileError, DatabaseURLError, StartupError, ValueError) as exc:
        raise _fail(str(exc)) from exc
    # uvicorn turns SIGTERM/SIGINT into a graceful shutdown; the app's lifespan then stops the
    # background threads and closes the pools and HTTP clients. Afterwards uvicorn re-raises the
    # signal to the handler it found: a no-op one here, so a requested stop exits 0 (systemd: clean).
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: None)
    uvicorn.run(http_app, host=host, port=port, log_config=None, access_log=False)


def _settings() -> Settings:
    try:
        settings = Settings()
    except ValueError as exc:
        raise _fail(f"invalid settings: {exc}") from exc
    configure_logging(settings.log_level)  # JSON logs on stderr: stdout stays the command's output
    return settings


def _say_store(settings: Settings) -> None:
    typer.echo(store_line(settings), err=True)


@app.command()
def run(
    host: str = typer.Option("127.0.0.1", help="interface to listen on"),
    port: int = typer.Option(8000, min=1, max=65535, help="TCP port"),
) -> None:
    """`make run`: serve on the configured store (embedded SQLite by default) and say how to use it."""
    settings = _settings()
    _say_store(settings)
    db = settings.database()
    secret = auth_secret(settings, create=True)
    base = f"http://{host}:{port}"
    console.print(f"[bold]yousu 有诉即办[/bold] home {settings.home}")
    console.print(f"  API docs (OpenAPI): {base}/docs")
    if (settings.console_dir / "index.html").is_file():
        console.print(f"  staff console:      {base}/")
        console.print("  add a user:   .venv/bin/yousu users add --name 王小明 --role window_clerk")
    console.print("  get a token:  .venv/bin/yousu token --role window_clerk --name 王小明")
    console.print(f'  then:         curl -H "Authorization: Bearer $TOKEN" "{base}/v1/calendar/due?{DEMO_QUERY}"')
    if secret and not settings.auth_secret:
        console.print(f"  (tokens are signed with the local secret in {settings.auth_secret_file})")
    if db.kind == "sqlite" and not settings.cipher_key:
        console.print(f"  (events are encrypted with the local key in {settings.cipher_key_file}: back it up)")
    _serve(settings, host, port)


@app.command()
def token(
    role: Annotated[list[str], typer.Option("--role", help="role (repeatable)")],
    name: str = typer.Option(..., "--name", help="display name of the staff member"),
    sub: str | None = typer.Option(None, "--sub", help="user id (default: derived from the name)"),
    department: str | None = typer.Option(None, "--department", help="department code, for role `department`"),
    centre: str | None = typer.Option(None, "--centre", help="service centre code (ops/reference.toml [centres])"),
    hours: int = typer.Option(12, min=1, help="lifetime in hours (at most YOUSU_TOKEN_MAX_LIFETIME)"),
) -> None:
    """Mint an HS256 token for local use (signed with YOUSU_AUTH_SECRET or the local secret)."""
    settings = _settings()
    if hours * 3600 > settings.token_max_lifetime:
        raise _fail(f"--hours {hours} exceeds YOUSU_TOKEN_MAX_LIFETIME ({settings.token_max_lifetime} s)")
    try:
        roles = [Role(r) for r in role]
    except ValueError as exc:
        raise _fail(f"unknown role; choose from: {', '.join(TOKEN_ROLES)}") from exc
    if Role.system in roles:
        raise _fail("the system role is never held by a token")
    if Role.department in roles and not department:
        raise _fail("--department is required for role department")
    if centre is not None and centre not in load_reference(settings.reference_file).centres:
        raise _fail(f"unknown centre {centre!r}; see [centres] in {settings.reference_file}")
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
            centre=centre,
            now=SystemClock().now(),
            lifetime=timedelta(hours=hours),
            issuer=settings.auth_issuer,
            audience=settings.auth_audience,
        )
    )


def _clock(settings: Settings) -> Clock | None:
    return clock_for(settings)


audit_app = typer.Typer(help="Audit trail for discipline inspection (纪检审计)", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


def _audit(settings: Settings) -> AuditService:
    _say_store(settings)
    try:
        return AuditService(build_complaints(settings))
    except (CalendarFileError, DatabaseURLError, StartupError, ValueError) as exc:
        raise _fail(str(exc)) from exc


def _uuid(value: str, option: str) -> UUID:
    try:
        return UUID(value)
    except ValueError as exc:
        raise _fail(f"{option} is not a complaint id (UUID): {value!r}") from exc


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
    complaint: Annotated[str, typer.Argument(help="complaint id (UUID) or slip number (受理单号)")],
    reader: Annotated[str, typer.Option(help="who is reading (recorded in the access log)")] = getpass.getuser(),
) -> None:
    """Print one complaint's full history, every field in full, times in Beijing time (the read is recorded)."""
    audit = _audit(_settings())
    try:
        cid = UUID(complaint)
    except ValueError:
        try:
            parse_slip_number(complaint)
        except ComplaintError as exc:
            raise _fail(f"COMPLAINT is neither a complaint id nor a slip number: {exc.detail}") from exc
        found = audit.complaint_by_slip(complaint)
        if found is None:
            raise _fail(f"no complaint has slip number {complaint}", 1) from None
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
    complaint: Annotated[str | None, typer.Option("--complaint", help="only this complaint")] = None,
) -> None:
    """Check every hash chain and anchor; exit 1 when anything fails."""
    audit = _audit(_settings())
    report = audit.verify(_uuid(complaint, "--complaint") if complaint else None)
    if report.complaints_checked == 0:
        err.print(
            "[yellow]warning:[/yellow] the store holds no complaints: nothing was verified. "
            "Is this the store you meant (see the `store:` line, YOUSU_HOME, YOUSU_DATABASE_URL)?"
        )
    for f in report.findings:
        console.print(f"[red]FAIL[/red] {f.complaint_id} version {f.version}: {f.problem} — {f.detail}")
    console.print(
        f"checked {report.complaints_checked} complaints, {report.events_checked} events, "
        f"{report.anchors_checked} anchors: " + ("[green]OK[/green]" if report.ok else "[red]FAILED[/red]")
    )
    if not report.ok:
        raise typer.Exit(1)


@audit_app.command("anchor")
def audit_anchor() -> None:
    """Anchor the heads of all complaints now; prints the digest record to keep outside the system."""
    anchored = _audit(_settings()).anchor()
    if anchored is None:
        console.print("nothing changed since the last anchor")
        return
    typer.echo(json.dumps(anchor_record(anchored), ensure_ascii=False))


@audit_app.command("export")
def audit_export(
    out: Annotated[Path, typer.Option("--out", help="new or empty directory outside the working tree")],
    complaint: Annotated[list[str] | None, typer.Option("--complaint", help="complaint id (repeatable)")] = None,
    from_: Annotated[str | None, typer.Option("--from", help="received at or after (ISO instant)")] = None,
    to: Annotated[str | None, typer.Option("--to", help="received at or before (ISO instant)")] = None,
    allow_unanchored: Annotated[
        bool, typer.Option("--allow-unanchored", help="write the bundle even if no anchor covers a complaint")
    ] = False,
    with_personal_info: Annotated[
        bool, typer.Option("--with-personal-info", help="names, phones, ID numbers in clear (needs --token)")
    ] = False,
    token: Annotated[
        str | None, typer.Option("--token", envvar="YOUSU_TOKEN", help="your bearer token (liaison) for personal info")
    ] = None,
) -> None:
    """Write a bundle (events.jsonl, chain.json, anchor.json) for ops/audit/verify_bundle.py, mode 0600."""
    settings = _settings()
    reader = _personal_info_reader(settings, token) if with_personal_info else None
    target = _bundle_dir(out)
    audit = _audit(settings)
    if complaint:
        ids = [_uuid(c, "--complaint") for c in complaint]
    elif from_ or to:
        ids = audit.complaint_ids(since=_instant(from_, "--from"), until=_instant(to, "--to"))
        if not ids:
            raise _fail("no complaint was received in that period", 1)
    else:
        raise _fail("give --complaint ID or a period with --from/--to")
    try:
        bundle = audit.export(ids, personal_info=reader is not None)
    except ComplaintError as exc:
        raise _fail(exc.detail, 1) from exc
    heads = (bundle["anchor"] or {}).get("heads", {})
    unanchored = [cid for cid in bundle["chains"] if cid not in heads]
    if unanchored and not allow_unanchored:
        raise _fail(
            f"no anchor covers {', '.join(unanchored)}: run `yousu audit anchor` first "
            "(or pass --allow-unanchored for a chain-only bundle)",
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
    kind = "with personal information in clear" if reader is not None else "personal information as commitments"
    console.print(f"wrote {len(bundle['events'])} events of {len(bundle['chains'])} complaints to {target} ({kind})")
    if unanchored:
        console.print(f"[yellow]UNANCHORED (chain only): {', '.join(unanchored)}[/yellow]")


def _personal_info_reader(settings: Settings, token: str | None) -> Actor:
    """The verified caller allowed both audit export and personal information, as the API checks them."""
    if not token:
        raise _fail("--with-personal-info needs --token (or YOUSU_TOKEN): a liaison's token, verified like the API's")
    try:
        principal = verifier(settings).verify(token)
    except (AuthError, ValueError) as exc:
        raise _fail(f"token refused: {exc}") from exc
    allowed = PERMISSIONS[Action.read_audit] & PERMISSIONS[Action.read_personal_info]
    role = next((r for r in sorted(principal.roles, key=str) if r in allowed), None)
    if role is None:
        raise _fail("this token's roles may not export personal information (needs a role allowed both)")
    return principal.actor(role)


def _bundle_dir(out: Path) -> Path:
    """The bundle directory: not a symlink, new or empty, and outside the working tree and the repository."""
    if out.is_symlink():
        raise _fail(f"--out {out} is a symbolic link; name a real directory")
    target = out.resolve()
    for tree in {Path.cwd().resolve(), REPO_ROOT}:
        if target == tree or tree in target.parents:
            raise _fail(f"--out {out} is inside {tree}: audit bundles hold personal data; write them elsewhere")
    if target.exists():
        if not target.is_dir():
            raise _fail(f"--out {out} is not a directory")
        if any(target.iterdir()):
            raise _fail(f"--out {out} is not empty; name a new or empty directory")
    elif not target.parent.is_dir():
        raise _fail(f"--out {out}: its parent directory does not exist")
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
        raise _fail(f"{option} is not an ISO 8601 instant: {value!r}") from exc
    if instant.tzinfo is None:
        raise _fail(f"{option} needs a UTC offset")
    return instant


keys_app = typer.Typer(help="Encryption keys for stored events (加密密钥)", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


@keys_app.command("generate")
def keys_generate() -> None:
    """Print a new random AES-256 key (base64) for YOUSU_CIPHER_KEY."""
    typer.echo(generate_key())


@app.command("openapi")
def openapi_document(
    out: Annotated[Path | None, typer.Option("--out", help="write here instead of stdout")] = None,
) -> None:
    """Print the HTTP API's OpenAPI document (the console's types are generated from it)."""
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


users_app = typer.Typer(help="Local staff accounts for console sign-in (本地账户)", no_args_is_help=True)
app.add_typer(users_app, name="users")


def _accounts() -> AccountStore:
    settings = _settings()
    try:
        return account_store(settings, SystemClock())
    except (DatabaseURLError, OSError, psycopg.Error) as exc:
        raise _fail(f"cannot open the accounts on {settings.database().redacted}: {exc}") from exc


def _account_roles(values: list[str]) -> list[Role]:
    try:
        return [Role(v) for v in values]
    except ValueError as exc:
        raise _fail(f"unknown role; one of: {', '.join(TOKEN_ROLES)}") from exc


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Option("--name", help="display name, e.g. 王小明")],
    role: Annotated[list[str], typer.Option("--role", help=f"role (repeatable): {', '.join(TOKEN_ROLES)}")],
    username: Annotated[str | None, typer.Option("--username", help="sign-in name (default: --name)")] = None,
    department: Annotated[str | None, typer.Option("--department", help="department code, for role department")] = None,
    centre: Annotated[str | None, typer.Option("--centre", help="service centre (便民服务中心)")] = None,
    password: Annotated[
        str, typer.Option("--password", prompt=True, hide_input=True, confirmation_prompt=True, help="asked if omitted")
    ] = "",
) -> None:
    """Create a local account (the password is asked for and stored as an argon2id hash)."""
    roles = _account_roles(role)
    try:
        account = _accounts().add(
            username=username or name,
            name=name,
            roles=roles,
            password=password,
            department=department,
            centre=centre,
        )
    except AccountError as exc:
        raise _fail(f"{exc.field or 'error'}: {exc.detail}") from exc
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
        _accounts().set_password(username, password)
    except AccountError as exc:
        raise _fail(f"{exc.field or 'error'}: {exc.detail}") from exc
    typer.echo(f"password changed for {username}")


project_app = typer.Typer(help="Read models (台账、时限、统计): run the projections", invoke_without_command=True)
app.add_typer(project_app, name="project")


@project_app.callback()
def project(
    ctx: typer.Context,
    page_size: Annotated[int, typer.Option("--page-size", min=1, help="events per page")] = 2_000,
    poll_interval: Annotated[float, typer.Option("--poll-interval", min=0.001, help="seconds between polls")] = 0.05,
) -> None:
    """Follow the store and keep every view up to date (runs until SIGTERM/SIGINT)."""
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
    view: Annotated[list[str] | None, typer.Option("--view", help="view name (repeatable); default all")] = None,
) -> None:
    """Rebuild views from all stored events, with a progress bar."""
    settings = _settings()
    runner = build_runner(settings, _complaints(settings))
    runner.setup()
    names = [v.name for v in runner.views]
    if view and (unknown := [v for v in view if v not in names]):
        raise _fail(f"unknown view {', '.join(unknown)}; views: {', '.join(names)}")
    with Progress(*Progress.get_default_columns(), MofNCompleteColumn(), console=console) as bar:
        task = bar.add_task("rebuilding", total=None)
        done = runner.rebuild(view or None, progress=lambda n, total: bar.update(task, completed=n, total=total))
    console.print(f"rebuilt {', '.join(view or names)} from {done} events")


@app.command()
def status() -> None:
    """The store's newest notification and each view's lag."""
    settings = _settings()
    complaints = _complaints(settings)
    runner = build_runner(settings, complaints)
    newest = complaints.max_notification_id()
    table = Table("view", "position", "lag")
    lags = tracking.lag(runner.db, newest)
    for name, position in sorted(tracking.positions(runner.db).items()):
        table.add_row(name, str(position), str(lags.get(name, newest - position)))
    console.print(f"store {settings.database().redacted}: newest notification {newest}")
    console.print(table)


@app.command()
def sweep(
    once: Annotated[bool, typer.Option("--once", help="one sweep, then exit")] = False,
) -> None:
    """Raise escalations for clocks past their deadline (every YOUSU_SWEEP_INTERVAL seconds, default 30)."""
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
        console.print(f"candidates {result.candidates}, raised {result.raised}, find {result.find_ms:.2f} ms")
        console.print(f"整改通知逾期升级 {orders_raised}")
        console.print(f"并单按主诉求答复 {answered}")
        return
    task = SweepTask(settings, complaints, runner.db)
    loop = Periodic("sweep", settings.sweep_interval, task)
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
        return build_complaints(settings, _clock(settings))
    except (CalendarFileError, DatabaseURLError, StartupError, ValueError) as exc:
        raise _fail(str(exc)) from exc


roster_app = typer.Typer(help="Duty roster (值班表): import a month, show it", no_args_is_help=True)
app.add_typer(roster_app, name="roster")


@roster_app.command("import")
def roster_import(
    file: Annotated[Path, typer.Argument(help="CSV (UTF-8 or GBK) or XLSX with the headings of README 值班表")],
    month: Annotated[str | None, typer.Option("--month", help="YYYY-MM (default: that of the first row)")] = None,
    actor: Annotated[str, typer.Option(help="who imports (recorded with the roster)")] = getpass.getuser(),
) -> None:
    """Import a month's roster: every row is checked first; one bad row and nothing is imported (exit 1)."""
    settings = _settings()
    if not file.is_file():
        raise _fail(f"{file}: no such file")
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
    centre: Annotated[str, typer.Option("--centre", help="centre code")] = DEFAULT_CENTRE,
    month: Annotated[str | None, typer.Option("--month", help="YYYY-MM (default: this month)")] = None,
) -> None:
    """Print a centre's roster for a month (exit 1 when none was imported)."""
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
