"""The ``yousu`` command line."""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import signal
import socket
import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated
from uuid import UUID

import typer
from rich.console import Console
from rich.progress import MofNCompleteColumn, Progress
from rich.table import Table

from api.app import anchor_record
from api.auth import AuthError, mint_token
from api.permissions import PERMISSIONS, Action
from application.audit import AuditService
from application.calendar_loader import CalendarFileError
from application.cipher import generate_key
from application.clock import Clock, SystemClock
from application.complaints import ComplaintsApp
from application.persistence import DatabaseURLError
from domain.audit import event_payload
from domain.calendar import WorkingCalendar
from domain.complaint import EVENT_LABELS, Complaint
from domain.errors import ComplaintError
from domain.values import Actor, Role
from policies.sweeper import Sweeper
from projections import tracking
from yousu.background import Periodic
from yousu.logsetup import configure_logging
from yousu.settings import Settings
from yousu.wiring import (
    StartupError,
    SweepTask,
    auth_secret,
    background_enabled,
    build_complaints,
    build_http_app,
    build_runner,
    clock_for,
    run_forever,
    store_line,
    verifier,
)

app = typer.Typer(help="yousu 有诉即办 — complaint handling service", no_args_is_help=True)
calendar_app = typer.Typer(help="Working-day calendar (工作日历)", no_args_is_help=True)
app.add_typer(calendar_app, name="calendar")
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


@audit_app.command("replay")
def audit_replay(
    complaint_id: Annotated[str, typer.Argument(help="complaint id")],
    reader: Annotated[str, typer.Option(help="who is reading (recorded in the access log)")] = getpass.getuser(),
) -> None:
    """Print one complaint's full history as a timeline (the read is recorded)."""
    cid = _uuid(complaint_id, "COMPLAINT_ID")
    audit = _audit(_settings())
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
    first = events[0].event
    assert isinstance(first, Complaint.Received)  # noqa: S101 — history() starts with Received
    console.print(f"[bold]{first.slip_no}[/bold]  {cid}")
    table = Table("版本", "事件", "业务时间", "记录时间", "操作人", "内容")
    for e in events:
        actor = e.event.actor
        payload = {k: v for k, v in event_payload(e.event).items() if k not in ("actor", "occurred_at", "timestamp")}
        table.add_row(
            str(e.version),
            f"{EVENT_LABELS.get(e.type, e.type)} {e.type}",
            e.event.occurred_at.isoformat(),
            e.recorded_at.isoformat(),
            f"{actor.name} ({actor.role.value})",
            json.dumps(payload, ensure_ascii=False)[:400],
        )
    console.print(table)


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
    lines = "".join(json.dumps(e, ensure_ascii=False, sort_keys=True) + "\n" for e in bundle["events"])
    _write_private(target / "events.jsonl", lines)
    _write_private(target / "chain.json", json.dumps(bundle["chains"], ensure_ascii=False, indent=1))
    if bundle["anchor"] is not None:
        _write_private(target / "anchor.json", json.dumps(bundle["anchor"], ensure_ascii=False, indent=1))
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
            result = Sweeper(complaints, runner.db).sweep()
        finally:
            runner.db.close()
            complaints.close()
        console.print(f"candidates {result.candidates}, raised {result.raised}, find {result.find_ms:.2f} ms")
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


def main() -> None:
    """Entry point of the ``yousu`` script."""
    app()
