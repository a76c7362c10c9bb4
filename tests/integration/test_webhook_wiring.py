"""YOUSU_WEBHOOKS through the composition root: an escalation reaches a real HTTP receiver as a POST."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from application.clock import SettableClock
from tests.conftest import CST
from tests.integration.test_sweeper import dispatched_cannot_do
from tests.support import settings_for
from yousu.server import build_http_app


@dataclass
class Received:
    """What the receiver got: one entry per POST."""

    posts: list[tuple[str, dict[str, str], dict[str, Any]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


@pytest.fixture
def receiver() -> Iterator[tuple[str, Received]]:
    """A real HTTP server on a free local port that answers every POST 204 and keeps it."""
    got = Received()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with got.lock:
                got.posts.append((self.path, dict(self.headers.items()), json.loads(body)))
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the test reads what was posted, not the access log."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, name="webhook-receiver", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hooks/yousu", got
    finally:
        server.shutdown()
        server.server_close()


def wait_for(predicate: Any, timeout: float = 20.0) -> None:
    """Poll ``predicate`` until it is true, or fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail("not within the timeout")
        time.sleep(0.05)


def sweeps_after(app: FastAPI, n: int) -> None:
    """Wait until the background sweep loop has completed ``n`` more sweeps (each raised and posted what was due)."""
    loop = next(p for p in app.state.background.loops if p.name == "sweep")
    target = loop.runs + n
    wait_for(lambda: loop.runs >= target)


def backlog(client: TestClient) -> float:
    """yousu_webhook_backlog from the scrape."""
    text = client.get("/metrics").text
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == "yousu_webhook_backlog":
                return s.value
    pytest.fail("no yousu_webhook_backlog in /metrics")


def test_escalation_is_posted_to_the_webhook_configured_in_settings(
    sqlite_url: str, receiver: tuple[str, Received], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, got = receiver
    # the environment variable as an operator writes it; Settings reads it, the composition root wires it
    monkeypatch.setenv("YOUSU_WEBHOOKS", json.dumps([{"url": url, "recipients": ["duty_leader"]}]))
    monkeypatch.setenv("YOUSU_SWEEP_INTERVAL", "0.1")
    clock = SettableClock(datetime(2025, 9, 26, 10, 0, tzinfo=CST))
    app = build_http_app(settings_for(sqlite_url), clock, background=True)
    with TestClient(app) as client:
        cid = dispatched_cannot_do(client)  # 办不了, due the 调休 Sunday 2025-09-28 17:30
        sweeps_after(app, 3)  # a few sweeps before the deadline: nothing is due, nothing is posted
        assert got.posts == []
        clock.set(datetime(2025, 9, 28, 17, 31, tzinfo=CST))
        wait_for(lambda: len(got.posts) >= 1)
        wait_for(lambda: backlog(client) == 0)  # acknowledged with a 2xx: nothing left queued
        sweeps_after(app, 3)  # later sweeps neither raise nor post it again
    assert len(got.posts) == 1
    path, headers, payload = got.posts[0]
    assert path == "/hooks/yousu"
    assert headers["Content-Type"] == "application/json"
    assert headers["Idempotency-Key"] == f"escalation-{payload['escalation_id']}"
    assert payload["complaint_id"] == cid
    assert (payload["clock"], payload["level"]) == ("resolution", 1)
    assert "duty_leader" in payload["recipients"]
    assert datetime.fromisoformat(payload["due_at"]) == datetime(2025, 9, 28, 17, 30, tzinfo=CST)
