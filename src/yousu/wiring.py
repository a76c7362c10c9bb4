"""The composition root: settings → application, store guard, HTTP app."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path

import psycopg
from fastapi import FastAPI

from api.app import create_app
from api.auth import TokenVerifier
from api.container import Container
from api.guard import StoreGuard
from application.audit import AuditService
from application.clock import Clock, SystemClock
from application.complaints import ComplaintsApp
from application.persistence import Database
from application.reference import load_reference
from yousu.settings import Settings

LOCAL_SECRET_FILE = Path("var/auth-secret")


def auth_secret(settings: Settings, *, create: bool = False) -> str | None:
    """YOUSU_AUTH_SECRET, or on the embedded default a local secret kept in var/ (made on first start)."""
    if settings.auth_secret:
        return settings.auth_secret
    if LOCAL_SECRET_FILE.is_file():
        return LOCAL_SECRET_FILE.read_text(encoding="utf-8").strip()
    if create:
        LOCAL_SECRET_FILE.parent.mkdir(parents=True, exist_ok=True)
        LOCAL_SECRET_FILE.write_text(secrets.token_urlsafe(32), encoding="utf-8")
        LOCAL_SECRET_FILE.chmod(0o600)
        return LOCAL_SECRET_FILE.read_text(encoding="utf-8").strip()
    return None


def verifier(settings: Settings) -> TokenVerifier:
    """HS256 with the secret, or RS256 with the configured public key."""
    if settings.auth_public_key_file:
        return TokenVerifier(public_key=settings.auth_public_key_file.read_text(encoding="utf-8"))
    secret = auth_secret(settings, create=settings.database().kind == "sqlite")
    return TokenVerifier(secret=secret)


def build_complaints(settings: Settings, clock: Clock | None = None) -> ComplaintsApp:
    """The complaints application on the configured store."""
    db = settings.database()
    return ComplaintsApp(
        env=db.env, clock=clock or SystemClock(), calendar=settings.calendar(), limits=settings.limits()
    )


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


def build_container(settings: Settings, clock: Clock | None = None) -> Container:
    """Everything the HTTP app needs."""
    complaints = build_complaints(settings, clock)
    db = settings.database()
    probe = store_probe(db, complaints)
    guard = StoreGuard(probe, timeout=settings.store_timeout, retry_after=settings.retry_after)
    return Container(
        complaints=complaints,
        verifier=verifier(settings),
        reference=load_reference(settings.reference_file),
        guard=guard,
        audit=AuditService(complaints),
    )


def build_http_app(settings: Settings, clock: Clock | None = None) -> FastAPI:
    """The FastAPI app for uvicorn."""
    return create_app(build_container(settings, clock))
