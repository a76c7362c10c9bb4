"""The composition root: settings → application, store guard, HTTP app."""

from __future__ import annotations

import os
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import psycopg
from fastapi import FastAPI

from api.app import create_app
from api.auth import TokenVerifier
from api.container import ApiLimits, Container
from api.guard import StoreGuard
from application.audit import AuditService
from application.cipher import CipherKeyError, generate_key, parse_keys
from application.clock import Clock, SystemClock
from application.complaints import ComplaintsApp
from application.persistence import Database
from application.reference import load_reference
from policies.delivery import Deliverer, parse_webhooks
from policies.sweeper import Sweeper
from projections import queries
from projections.db import ViewDB
from projections.inbox import InboxView
from projections.main import all_views, run_forever
from projections.runner import ProjectionRunner
from projections.view import View
from yousu.background import Periodic
from yousu.settings import Settings

LOCAL_SECRET_FILE = Path("var/auth-secret")
LOCAL_CIPHER_KEY_FILE = Path("var/cipher-key")


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
    return _local_file(LOCAL_CIPHER_KEY_FILE, generate_key, create=create)


def store_env(settings: Settings, *, create_key: bool = False) -> dict[str, str]:
    """The eventsourcing environment: persistence plus, when a key is configured, encryption."""
    env = dict(settings.database().env)
    key = cipher_key(settings, create=create_key)
    if key:
        try:
            parse_keys(key)
        except CipherKeyError as exc:
            raise StartupError(str(exc)) from exc
        env["CIPHER_TOPIC"] = "application.cipher:KeyringCipher"
        env["CIPHER_KEY"] = key
    return env


def check_store_readable(complaints: ComplaintsApp) -> None:
    """Decrypt and decode the oldest and newest stored events, so a wrong key stops start-up."""
    recorder = complaints.recorder
    newest = recorder.max_notification_id()
    if not newest:
        return
    for start in (1, newest):
        for notification in recorder.select_notifications(start, 1):
            try:
                complaints.mapper.to_domain_event(notification)
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
    return _local_file(LOCAL_SECRET_FILE, lambda: secrets.token_urlsafe(32), create=create)


def verifier(settings: Settings) -> TokenVerifier:
    """HS256 with the secret, or RS256 with the configured public key."""
    if settings.auth_public_key_file:
        return TokenVerifier(public_key=settings.auth_public_key_file.read_text(encoding="utf-8"))
    secret = auth_secret(settings, create=settings.database().kind == "sqlite")
    return TokenVerifier(secret=secret)


def build_complaints(settings: Settings, clock: Clock | None = None, *, check: bool = True) -> ComplaintsApp:
    """The complaints application on the configured store; refuses a store it cannot read."""
    complaints = ComplaintsApp(
        env=store_env(settings, create_key=True),
        clock=clock or SystemClock(),
        calendar=settings.calendar(),
        limits=settings.limits(),
    )
    if check:
        try:
            check_store_readable(complaints)
        except StartupError:
            complaints.close()
            raise
    return complaints


def store_probe(db: Database, complaints: ComplaintsApp) -> Callable[[], object]:
    """A cheap reachability check that never waits long."""
    if db.kind == "postgresql":
        env = db.env

        def probe() -> None:
            with psycopg.connect(
                dbname=env["POSTGRES_DBNAME"],
                host=env["POSTGRES_HOST"],
                port=int(env["POSTGRES_PORT"]),
                user=env["POSTGRES_USER"],
                password=env["POSTGRES_PASSWORD"] or None,
                connect_timeout=2,
            ) as conn:
                conn.execute("SELECT 1")

        return probe
    return complaints.max_notification_id


def views_for(complaints: ComplaintsApp) -> list[View]:
    """Every read model, the inbox included."""
    return [*all_views(complaints.calendar), InboxView(complaints.calendar)]


def build_runner(settings: Settings, complaints: ComplaintsApp, *, pool_size: int = 4) -> ProjectionRunner:
    """A projection runner over the configured store (tables created on first use)."""
    return ProjectionRunner(complaints, views_for(complaints), ViewDB(settings.database(), pool_size=pool_size))


def build_container(settings: Settings, clock: Clock | None = None) -> Container:
    """Everything the HTTP app needs."""
    complaints = build_complaints(settings, clock)
    db = settings.database()
    probe = store_probe(db, complaints)
    guard = StoreGuard(probe, timeout=settings.store_timeout, retry_after=settings.retry_after)
    views: ViewDB | None = None
    runner: ProjectionRunner | None = None
    if db.kind != "memory":  # in-memory stores (unit tests only) have no read models
        runner = build_runner(settings, complaints, pool_size=8)
        runner.setup()  # the views' tables exist before the first query (idempotent, locked)
        views = runner.db
    container = Container(
        complaints=complaints,
        verifier=verifier(settings),
        reference=load_reference(settings.reference_file),
        guard=guard,
        audit=AuditService(complaints),
        views=views,
        catch_up=runner.run_once if runner is not None else None,
        limits=ApiLimits(max_body_bytes=settings.max_body_bytes, backdate=timedelta(days=settings.backdate_days)),
    )
    if views is not None:
        view_db = views
        container.readiness.append(lambda: {"views_lag": queries.lag(view_db, complaints.max_notification_id())})
    return container


@dataclass
class Background:
    """Projections, deadline sweeps and anchoring running inside `yousu serve`."""

    stop: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)
    loops: list[Periodic] = field(default_factory=list)

    def close(self) -> None:
        """Stop everything and wait a little."""
        self.stop.set()
        for loop in self.loops:
            loop.close()
        for t in self.threads:
            t.join(5)


def start_background(settings: Settings, container: Container) -> Background:
    """Start the embedded default's background work (or, with YOUSU_BACKGROUND=true, anywhere)."""
    bg = Background()
    complaints = container.complaints
    assert container.views is not None  # noqa: S101 — build_container sets it
    follower = threading.Thread(
        target=run_forever,
        args=(settings.database_url, bg.stop),
        kwargs={"app": complaints, "views": views_for(complaints)},
        name="projections",
        daemon=True,
    )
    follower.start()
    bg.threads.append(follower)
    bg.loops.append(
        Periodic("sweep", settings.sweep_interval, sweep_task(settings, complaints, container.views)).start()
    )
    bg.loops.append(Periodic("anchor", settings.anchor_interval, container.audit.anchor).start())
    return bg


def sweep_task(settings: Settings, complaints: ComplaintsApp, views: ViewDB) -> Callable[[], object]:
    """One sweep, then the webhook deliveries of what it (or an earlier sweep) raised."""
    sweeper = Sweeper(complaints, views)
    hooks = parse_webhooks(settings.webhooks)
    deliverer = Deliverer(views, complaints.calendar, hooks) if hooks else None

    def run() -> object:
        result = sweeper.sweep()
        if deliverer is not None:
            caught_up = queries.wait_until(views, complaints.max_notification_id(), timeout=2.0)
            if caught_up:
                deliverer.run_once(complaints.clock.now())
        return result

    return run


def background_enabled(settings: Settings) -> bool:
    """On by default on the embedded SQLite store, off on PostgreSQL (separate processes there)."""
    if settings.background is not None:
        return settings.background
    return settings.database().kind == "sqlite"


def build_http_app(settings: Settings, clock: Clock | None = None) -> FastAPI:
    """The FastAPI app for uvicorn."""
    return create_app(build_container(settings, clock))
