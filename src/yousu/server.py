"""The HTTP service's composition: settings → the container, the FastAPI app, its background work.

Only the serving commands (``serve``, ``run``, ``openapi``) and uvicorn's workers (:func:`app_factory`) import
this module, and with it FastAPI, every route and the PDF renderer; the other commands (``token``, ``users``,
``audit``, ``project``…) build their store from :mod:`yousu.wiring` alone and start in a fraction of the time.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta

import structlog
from fastapi import FastAPI

from api.app import create_app
from api.console import mount_console
from api.container import ApiLimits, Container
from api.guard import StoreGuard
from api.observability import observe_batch
from api.routes.auth import router as auth_router
from api.throttle import HashPool, LoginGuard, LoginThrottle, Rate
from application import meaning
from application.account_admin import AccountAdmin
from application.audit import AuditService
from application.clock import Clock
from application.pdf_pool import PdfPool
from application.reference import load_reference
from domain.callbacks import CallbackPolicy
from projections import tracking
from projections.db import ViewDB
from projections.runner import ProjectionRunner
from projections.staffing import StaffingRules
from yousu.background import Periodic
from yousu.logsetup import configure_logging
from yousu.settings import Settings
from yousu.wiring import (
    SweepTask,
    account_store,
    background_enabled,
    build_complaints,
    build_runner,
    clock_for,
    duty,
    run_forever,
    store_probe,
    verifier,
    view_pool_size,
)

log = structlog.get_logger("yousu.server")


def login_guard(settings: Settings) -> LoginGuard:
    """Sign-in throttling and the bounded password-checking pool (api.throttle)."""
    return LoginGuard(
        throttle=LoginThrottle(
            Rate(settings.login_address_burst, settings.login_address_per_minute),
            Rate(settings.login_account_burst, settings.login_account_per_minute),
        ),
        pool=HashPool(settings.login_hash_workers, settings.login_hash_queue),
        tarpit=settings.login_tarpit_seconds,
    )


def build_container(settings: Settings, clock: Clock | None = None) -> Container:
    """Everything the HTTP app needs."""
    # the word segmenter and the meaning vectors (seconds to read) load now, before the service accepts a
    # request: loaded on first use they made the first complaint's write wait past the store's timeout (a 503)
    meaning.load()
    complaints = build_complaints(settings, clock)
    complaints.group_commit.observe = observe_batch
    db = settings.database()
    probe = store_probe(db, complaints)
    guard = StoreGuard(
        probe,
        timeout=settings.store_timeout,
        long_timeout=settings.store_long_timeout,
        retry_after=settings.retry_after,
    )
    views: ViewDB | None = None
    runner: ProjectionRunner | None = None
    if db.kind != "memory":  # in-memory stores (unit tests only) have no read models
        runner = build_runner(settings, complaints, pool_size=view_pool_size(settings))
        runner.setup()  # the views' tables exist before the first query (idempotent, locked)
        views = runner.db
    accounts = account_store(settings, complaints.clock) if db.kind != "memory" else None
    if settings.argon2_profile == "test-only":
        log.warning("argon2_test_only", detail="口令以测试用的最低强度散列，仅供测试，切勿用于生产")
    container = Container(
        complaints=complaints,
        verifier=verifier(settings),
        reference=load_reference(settings.reference_file),
        guard=guard,
        audit=AuditService(complaints),
        views=views,
        catch_up=runner.run_once if runner is not None else None,
        limits=ApiLimits(max_body_bytes=settings.max_body_bytes, backdate=timedelta(days=settings.backdate_days)),
        # in-memory stores (unit tests only) have no table for accounts
        accounts=accounts,
        account_admin=AccountAdmin(accounts, complaints) if accounts is not None else None,
        login_guard=login_guard(settings),
        session_lifetime=settings.session_lifetime(),
        cookie_secure=settings.cookie_secure,
        satisfied_ratings=settings.satisfied(),
        escalation_levels=tuple(sorted(settings.escalation_rules().levels)),
        pdf=PdfPool(workers=settings.pdf_workers, timeout=settings.pdf_timeout, font_dir=settings.fonts_dir()),
    )
    if runner is not None:
        container.readiness.append(views_readiness(runner, settings.ready_max_lag))
    read_db = settings.read_database()
    if read_db is not None and db.kind == "postgresql":
        container.read_views = ViewDB(read_db, pool_size=view_pool_size(settings))
    container.readiness.append(lambda: {"meaning": "loaded"} if meaning.is_loaded() else {"not_ready": "词向量未载入"})
    return container


def views_readiness(runner: ProjectionRunner, max_lag: int) -> Callable[[], dict[str, object]]:
    """/readyz's view facts: each view's lag, and those more than ``max_lag`` events behind (then not ready)."""
    names = [v.name for v in runner.views]  # a view never set up counts as behind by everything

    def contribute() -> dict[str, object]:
        newest = runner.app.max_notification_id()
        lag = tracking.lag(runner.db, newest, names)
        behind = tracking.lagging(runner.db, newest, max_lag, names)
        facts: dict[str, object] = {"views_lag": lag}
        if behind:
            facts["not_ready"] = f"读模型滞后超过 {max_lag} 条事件：{'、'.join(sorted(behind))}"
            facts["views_lagging"] = behind
        return facts

    return contribute


@dataclass
class Background:
    """Projections, deadline sweeps and anchoring running inside `yousu serve`."""

    stop: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)
    loops: list[Periodic] = field(default_factory=list)
    closers: list[Callable[[], object]] = field(default_factory=list)

    def close(self) -> None:
        """Stop everything, wait a little, then close what the loops held (HTTP clients, pools)."""
        self.stop.set()
        for loop in self.loops:
            loop.close()
        for t in self.threads:
            t.join(5)
        for closer in self.closers:
            closer()


def start_background(settings: Settings, container: Container) -> Background:
    """Start the embedded default's background work (or, with YOUSU_BACKGROUND=true, anywhere)."""
    bg = Background()
    complaints = container.complaints
    assert container.views is not None  # noqa: S101 — build_container sets it
    runner = build_runner(settings, complaints)
    bg.closers.append(runner.db.close)
    follower = threading.Thread(target=run_forever, args=(runner, bg.stop), name="projections", daemon=True)
    follower.start()
    bg.threads.append(follower)
    sweep = SweepTask(settings, complaints, container.views)
    bg.closers.append(sweep.close)
    bg.loops.append(Periodic("sweep", settings.sweep_interval, sweep, duty("sweep", container.views)).start())
    anchor = Periodic("anchor", settings.anchor_interval, container.audit.anchor, duty("anchor", container.views))
    bg.loops.append(anchor.start())
    return bg


def close_container(container: Container) -> None:
    """Close the container's pools and threads: the PDF workers, the store guard, the view pool, the event store."""
    container.pdf.close()
    container.guard.close()
    if container.views is not None:
        container.views.close()
    if container.read_views is not None:
        container.read_views.close()
    if container.accounts is not None:
        container.accounts.close()
    if container.login_guard is not None:
        container.login_guard.pool.close()
    container.complaints.close()


def install_console(app: FastAPI, settings: Settings) -> None:
    """Console sign-in (/v1/auth) and, when built, the console's pages at `/` — last: its fallback catches all."""
    app.include_router(auth_router)
    if (settings.console_dir / "index.html").is_file():
        mount_console(app, settings.console_dir)
    else:
        log.warning("console_not_built", console_dir=str(settings.console_dir), hint="make run builds it")


def staffing_rules(settings: Settings) -> StaffingRules:
    """Peak margin and the Erlang C assumptions of the 潮汐 plan."""
    return StaffingRules(
        service_minutes=settings.service_minutes,
        target_wait_minutes=settings.target_wait_minutes,
        service_level=settings.service_level,
        normal_windows=settings.normal_windows,
        peak_margin=settings.peak_margin,
    )


def build_http_app(settings: Settings, clock: Clock | None = None, *, background: bool = False) -> FastAPI:
    """The FastAPI app; its lifespan starts the background work (if asked) and closes everything at shutdown."""
    container = build_container(settings, clock)
    app = create_app(container)
    app.state.callback_policy = CallbackPolicy(settings.callback_max_attempts, settings.spot_check_share)
    app.state.staffing_rules = staffing_rules(settings)
    install_console(app, settings)
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(a: FastAPI) -> AsyncIterator[None]:
        bg = start_background(settings, container) if background else None
        a.state.background = bg  # what is running, for /readyz-style inspection and the shutdown tests
        try:
            async with inner(a):
                yield
        finally:
            container.pdf.close()  # first: a request still waiting on a document ends now
            if bg is not None:
                bg.close()
            close_container(container)
            log.info("shutdown_complete")

    app.router.lifespan_context = lifespan
    return app


def settle_heap(http_app: FastAPI) -> None:
    """Before serving: what start-up built (reference data, text models, the routes, the pools) is kept for the
    process's life; move it out of the cyclic collector's reach (``gc.freeze``).

    Otherwise every full collection walks those objects again: on a loaded server a full collection paused
    every thread for hundreds of milliseconds (measured: up to 1.7 s), the requests in flight waiting behind it.
    The routers' matching tables, which FastAPI otherwise builds at the first request each router gets (a
    validator per route: a few hundred milliseconds the first clerk waits), are built here first and frozen too.
    Called by the serving commands only, never for an app a test builds and drops."""
    pending: list[object] = list(http_app.router.routes)
    while pending:  # FastAPI's included routers (their tables are built lazily, and cached)
        route = pending.pop()
        for table in ("effective_candidates", "effective_low_priority_routes"):
            build = getattr(route, table, None)
            if callable(build):
                pending.extend(build())
    gc.collect()
    gc.freeze()


def app_factory() -> FastAPI:
    """One `yousu serve --workers N` worker's app: settings and logging from the environment, its own pools.

    uvicorn imports this by name in every worker process (``factory=True``), so nothing is shared
    between workers but the listening socket; the parent has checked the settings before forking.
    """
    settings = Settings()
    configure_logging(settings.log_level)
    http_app = build_http_app(settings, clock_for(settings), background=background_enabled(settings))
    settle_heap(http_app)
    return http_app
