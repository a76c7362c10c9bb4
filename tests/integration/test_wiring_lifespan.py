"""The app's lifespan closes what the composition root opened: pools, threads, HTTP clients."""

from __future__ import annotations

import threading

from fastapi.testclient import TestClient

from api.container import Container
from tests.support import auth, settings_for
from yousu.server import Background, build_http_app
from yousu.wiring import SweepTask

BACKGROUND_THREADS = {"projections", "sweep", "anchor"}


def _alive() -> set[str]:
    return {t.name for t in threading.enumerate() if t.is_alive()}


def test_lifespan_end_closes_pools_and_stops_background_threads(pg_url: str) -> None:
    before = _alive()
    webhooks = '[{"url": "http://127.0.0.1:9/hook", "recipients": ["liaison"]}]'
    app = build_http_app(settings_for(pg_url, webhooks=webhooks, sweep_interval=0.05), background=True)
    container: Container = app.state.container
    with TestClient(app) as client:
        assert client.get("/v1/ledger", headers=auth("supervisor")).status_code == 200
        assert _alive() - before >= BACKGROUND_THREADS  # lifespan start launched them
        assert not container.views._pool.closed  # type: ignore[union-attr] — PostgreSQL view pool
    # after the lifespan: every pool closed, every background thread gone
    assert container.views is not None
    assert container.views._pool is not None
    assert container.views._pool.closed
    assert container.complaints.recorder.datastore.pool.closed  # type: ignore[attr-defined] — PostgreSQL recorder
    assert container.guard._pool._shutdown
    assert not (BACKGROUND_THREADS & (_alive() - before))
    bg: Background = app.state.background
    sweep = next(loop.task for loop in bg.loops if loop.name == "sweep")
    assert isinstance(sweep, SweepTask)
    assert sweep.deliverer is not None
    assert sweep.deliverer.client.is_closed  # the webhook HTTP client


def test_without_background_the_lifespan_still_closes_the_store(sqlite_url: str) -> None:
    app = build_http_app(settings_for(sqlite_url))
    container: Container = app.state.container
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
    assert container.guard._pool._shutdown
