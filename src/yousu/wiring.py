"""The one composition root: settings → application, views, policies, clock.

Every process (``serve``, ``project``, ``sweep``, the audit commands) is built here, so each goes
through the same settings, home directory and cipher-key path. The HTTP app and its background work are
put together from these in :mod:`yousu.server`, which only the serving commands import.
"""

from __future__ import annotations

import os
import secrets
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import psycopg
import structlog
from argon2 import PasswordHasher, profiles

from adapters.accounts import SqlAccountStore
from api.auth import TokenVerifier
from application.accounts import AccountStore
from application.cipher import CipherKeyError, generate_key, parse_keys
from application.clock import Clock, StartedClock, SystemClock
from application.complaints import ComplaintsApp
from application.orders import OrdersService
from application.persistence import Database, libpq_params
from application.reference import load_reference
from application.store import Store
from application.text import derive_person_key
from domain.calendar import WorkingCalendar
from policies.delivery import Deliverer, parse_webhooks
from policies.hotline import HotlineOutbox
from policies.merges import MergeAnswerer
from policies.orders import OrderSweeper
from policies.sweeper import Sweeper
from projections import tracking
from projections.callbacks import CallbacksView
from projections.db import ViewDB
from projections.demand import DemandView
from projections.hotline import HotlineView
from projections.inbox import InboxView
from projections.insights import insight_views
from projections.ledger import LedgerView
from projections.metrics import MetricsView
from projections.orders import OrdersView
from projections.repeats import REPEAT_WINDOW_DAYS
from projections.runner import DEFAULT_PAGE_SIZE, ProjectionRunner
from projections.sla import SlaView
from projections.view import View
from yousu.background import Duty
from yousu.settings import Settings

log = structlog.get_logger("yousu.wiring")


def all_views(
    calendar: WorkingCalendar, *, person_key: bytes | None = None, repeat_window_days: int = REPEAT_WINDOW_DAYS
) -> list[View]:
    """Every read model, the inbox included, in the order they are applied within a page."""
    views: list[View] = [
        LedgerView(calendar, name_key=person_key),
        SlaView(calendar),
        MetricsView(calendar),
        InboxView(calendar),
        OrdersView(calendar),
        CallbacksView(calendar),
        DemandView(calendar),
        HotlineView(calendar),
    ]
    return [*views, *insight_views(calendar, person_key=person_key, window_days=repeat_window_days)]


class StartupError(RuntimeError):
    """The service must not start (wrong or missing key, unreadable store); the message says why."""


def _local_file(path: Path, make: Callable[[], str], *, create: bool) -> str | None:
    if path.is_file():
        return path.read_text(encoding="utf-8").strip()
    if not create:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(make())
    return path.read_text(encoding="utf-8").strip()


def cipher_key(settings: Settings, *, create: bool = False) -> str | None:
    """YOUSU_CIPHER_KEY, or on the embedded default a local key kept in var/ (made on first start)."""
    if settings.cipher_key:
        return settings.cipher_key
    if settings.database().kind != "sqlite":
        return None
    return _local_file(settings.cipher_key_file, generate_key, create=create)


def store_env(settings: Settings, *, create_key: bool = False) -> dict[str, str]:
    """The eventsourcing environment: persistence plus, when a key is configured, encryption."""
    db = settings.database()
    env = dict(db.env)
    if db.kind == "postgresql":
        env["POSTGRES_POOL_SIZE"] = str(settings.pool_size)
        env["POSTGRES_MAX_OVERFLOW"] = str(settings.pool_max_overflow)
    key = cipher_key(settings, create=create_key)
    if not key and db.kind == "postgresql":
        if not settings.allow_plaintext:
            msg = (
                "YOUSU_CIPHER_KEY is not set: events on PostgreSQL would be stored in clear. "
                "Set YOUSU_CIPHER_KEY (generate one with `yousu keys generate`), "
                "or YOUSU_ALLOW_PLAINTEXT=true to accept an unencrypted store."
            )
            raise StartupError(msg)
        log.warning("plaintext_store", store=db.redacted, detail="YOUSU_ALLOW_PLAINTEXT=true: events are not encrypted")
    if key:
        try:
            parse_keys(key)
        except CipherKeyError as exc:
            raise StartupError(str(exc)) from exc
        env["CIPHER_TOPIC"] = "application.cipher:KeyringCipher"
        env["CIPHER_KEY"] = key
    return env


def check_store_readable(store: Store) -> None:
    """Decrypt and decode the oldest and newest stored events, so a wrong key stops start-up."""
    recorder = store.recorder
    newest = recorder.max_notification_id()
    if not newest:
        return
    for start in (1, newest):
        for notification in recorder.select_notifications(start, 1):
            try:
                store.mapper.to_domain_event(notification)
            except CipherKeyError as exc:
                msg = f"cannot read stored events: {exc}. Check YOUSU_CIPHER_KEY (all keys still in use)."
                raise StartupError(msg) from exc
            except Exception as exc:
                msg = (
                    "cannot read stored events: they are encrypted but no key is configured, "
                    f"or the store is damaged ({type(exc).__name__}). Set YOUSU_CIPHER_KEY."
                )
                raise StartupError(msg) from exc


def auth_secret(settings: Settings, *, create: bool = False) -> str | None:
    """YOUSU_AUTH_SECRET, or on the embedded default a local secret kept in var/ (made on first start)."""
    if settings.auth_secret:
        return settings.auth_secret
    return _local_file(settings.auth_secret_file, lambda: secrets.token_urlsafe(32), create=create)


def verifier(settings: Settings) -> TokenVerifier:
    """HS256 with the secret, or RS256 with the configured public key."""
    if settings.auth_public_key_file:
        key, secret = settings.auth_public_key_file.read_text(encoding="utf-8"), None
    else:
        key, secret = None, auth_secret(settings, create=settings.database().kind == "sqlite")
    return TokenVerifier(
        secret=secret,
        public_key=key,
        issuer=settings.auth_issuer,
        audience=settings.auth_audience,
        leeway=settings.auth_leeway,
        max_lifetime=settings.token_max_lifetime,
    )


def build_complaints(settings: Settings, clock: Clock | None = None, *, check: bool = True) -> ComplaintsApp:
    """The complaints application on the configured store; refuses a store it cannot read.

    ``clock``: the process's one clock (``clock_for``), made here when the caller has none yet."""
    reference = load_reference(settings.reference_file)
    complaints = ComplaintsApp(
        env=store_env(settings, create_key=True),
        clock=clock if clock is not None else clock_for(settings),
        calendar=settings.calendar(),
        limits=settings.limits(),
        centres=reference.centres,
        signed_by=reference.signing(),
        signing_mode=settings.signing_mode,
        commit_window=settings.commit_window_ms / 1000,
        commit_batch=settings.commit_batch,
    )
    if check:
        try:
            check_store_readable(complaints)
        except StartupError:
            complaints.close()
            raise
    return complaints


def store_probe(db: Database, store: Store) -> Callable[[], object]:
    """A cheap reachability check that never waits long."""
    if db.kind == "postgresql":
        env = db.env

        def probe() -> None:
            with psycopg.connect(**libpq_params(env), connect_timeout=2) as conn:
                conn.execute("SELECT 1")

        return probe
    return store.max_notification_id


def store_line(settings: Settings) -> str:
    """Which store a command opens (password hidden), for the first line of its output."""
    return f"store: {settings.database().redacted}"


def views_for(store: Store, settings: Settings | None = None) -> list[View]:
    """Every read model, the inbox included; the repeat view keyed by YOUSU_PERSON_KEY or the cipher key."""
    secret = (settings.person_key if settings else None) or store.env.get("CIPHER_KEY")
    window = settings.repeat_window_days if settings else REPEAT_WINDOW_DAYS
    key = derive_person_key(secret) if secret else None
    return all_views(store.calendar, person_key=key, repeat_window_days=window)


def build_runner(
    settings: Settings, store: Store, *, pool_size: int = 4, page_size: int = DEFAULT_PAGE_SIZE
) -> ProjectionRunner:
    """A projection runner over the configured store (tables created on first use)."""
    db = views_db(settings, pool_size=pool_size)
    return ProjectionRunner(store, views_for(store, settings), db, page_size=page_size)


def views_db(settings: Settings, *, pool_size: int = 1) -> ViewDB:
    """The read models' database (the runner's, the HTTP app's, a command's that only reads them)."""
    return ViewDB(settings.database(), pool_size=pool_size)


def run_forever(runner: ProjectionRunner, stop: threading.Event, *, poll_interval: float = 0.05) -> None:
    """Set the views up (retrying while the database is down), then follow new events until ``stop``."""
    while not stop.is_set():
        try:
            runner.setup()
            break
        except Exception as exc:  # the database may not be up yet: keep trying
            log.warning("projections_setup_failed", error=type(exc).__name__)
            stop.wait(1.0)
    runner.follow(stop, poll_interval=poll_interval)


def password_hasher(settings: Settings) -> PasswordHasher:
    """argon2 at the standard cost; argon2-cffi's cheapest profile only when ``argon2_profile`` says test-only."""
    if settings.argon2_profile == "test-only":
        return PasswordHasher.from_parameters(profiles.CHEAPEST)
    return PasswordHasher()


def account_store(settings: Settings, clock: Clock) -> AccountStore:
    """The local staff accounts (console sign-in) on the service's database, tables created if missing;
    centres and departments are checked against the district's reference."""
    reference = load_reference(settings.reference_file)
    store = SqlAccountStore(
        settings.database(),
        clock,
        hasher=password_hasher(settings),
        centres=reference.centres.keys(),
        departments=reference.departments.keys(),
    )
    store.setup()
    return store


def view_pool_size(settings: Settings) -> int:
    """Connections the HTTP app's view pool may hold: as many as the event store's pool at its fullest."""
    return settings.pool_size + settings.pool_max_overflow


def duty(name: str, views: ViewDB) -> Duty:
    """The duty ``name`` among all nodes on this store (a PostgreSQL advisory lock; on SQLite always ours)."""
    return Duty(name, views.conninfo() if views.is_postgres else None)


class SweepTask:
    """One sweep, then the webhook deliveries of what it (or an earlier sweep) raised."""

    def __init__(self, settings: Settings, complaints: ComplaintsApp, views: ViewDB) -> None:
        self.complaints = complaints
        self.views = views
        self.sweeper = Sweeper(complaints, views, settings.escalation_rules())
        self.order_sweeper = OrderSweeper(OrdersService(complaints), views)
        self.merges = MergeAnswerer(complaints, views)
        hooks = parse_webhooks(settings.webhooks)
        self.deliverer = Deliverer(views, complaints.calendar, hooks) if hooks else None
        self.hotline = hotline_outbox(settings, complaints, views)

    def __call__(self) -> object:
        """Sweep once and deliver pending notices and hotline work-order updates.

        Each step runs whatever became of the ones before it: a sweep that fails (a complaint it cannot load,
        a connection lost mid-way) must not hold back the notices and hotline updates already queued. Each
        failure is logged with its step; the first is raised at the end, for the loop to count."""
        failures: list[Exception] = []
        result = self._step("deadlines", self.sweeper.sweep, failures)
        self._step("orders", self.order_sweeper.sweep, failures)
        self._step("merges", self.merges.run, failures)
        if self.deliverer is not None or self.hotline is not None:
            self._step("deliveries", self._deliver, failures)
        if failures:
            raise failures[0]
        return result

    def _deliver(self) -> None:
        caught_up = tracking.wait_until(self.views, self.complaints.max_notification_id(), timeout=2.0)
        now = self.complaints.clock.now()
        if caught_up and self.deliverer is not None:
            self.deliverer.run_once(now)
        if self.hotline is not None:  # the hotline view's rows are whole pages: no need to wait for the rest
            self.hotline.run_once(now)

    @staticmethod
    def _step(name: str, step: Callable[[], object], failures: list[Exception]) -> object:
        try:
            return step()
        except Exception as exc:
            log.exception("sweep_step_failed", step=name)
            failures.append(exc)
            return None

    def close(self) -> None:
        """Close the webhook and hotline HTTP clients."""
        if self.deliverer is not None:
            self.deliverer.close()
        if self.hotline is not None:
            self.hotline.close()


def hotline_outbox(settings: Settings, complaints: ComplaintsApp, views: ViewDB) -> HotlineOutbox | None:
    """The 12345 hotline outbox when YOUSU_HOTLINE_URL is set."""
    if not settings.hotline_url:
        return None
    return HotlineOutbox(
        views,
        complaints,
        settings.hotline_url,
        secret=settings.hotline_secret,
        timeout=settings.hotline_timeout,
        base=settings.hotline_backoff,
        cap=settings.hotline_backoff_cap,
    )


def background_enabled(settings: Settings) -> bool:
    """On by default on the embedded SQLite store, off on PostgreSQL (separate processes there)."""
    if settings.background is not None:
        return settings.background
    return settings.database().kind == "sqlite"


def clock_for(settings: Settings) -> Clock:
    """The one clock of a process, built once by each command and handed to everything it makes.

    With ``YOUSU_FIXED_CLOCK`` (drills, tests) it starts at that instant and runs on with real time, so
    retries, deadlines and session expiry still happen under it; otherwise it is the system clock.
    """
    if not settings.fixed_clock:
        return SystemClock()
    return StartedClock(datetime.fromisoformat(settings.fixed_clock))
