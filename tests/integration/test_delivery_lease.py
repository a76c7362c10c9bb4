"""Webhook posts happen outside any transaction: leased rows, a slow receiver, another writer on the same SQLite file."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from application.clock import SettableClock
from policies.delivery import Deliverer, Webhook
from tests.conftest import CST
from tests.integration.test_sweeper import dispatched_cannot_do, sweeper_of
from tests.support import client_for

SLOW_SECONDS = 3.0


class SlowReceiver(BaseHTTPRequestHandler):
    """Signals that a post arrived, then takes SLOW_SECONDS to answer 204."""

    arrived = threading.Event()
    posts = 0

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        SlowReceiver.posts += 1
        SlowReceiver.arrived.set()
        time.sleep(SLOW_SECONDS)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *_: Any) -> None:
        pass


@dataclass
class Setup:
    deliverer: Deliverer
    now: datetime
    path: str


@pytest.fixture
def escalated(sqlite_url: str) -> Iterator[tuple[Setup, Any]]:
    """One escalation queued for a slow webhook, on a SQLite file."""
    SlowReceiver.arrived.clear()
    SlowReceiver.posts = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), SlowReceiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/hook"
    clock = SettableClock(datetime(2025, 9, 26, 10, 0, tzinfo=CST))
    try:
        with client_for(sqlite_url, clock) as client:
            dispatched_cannot_do(client)
            clock.set(datetime(2025, 9, 28, 17, 31, tzinfo=CST))
            sweeper_of(client).sweep()
            container = client.app.state.container  # type: ignore[attr-defined]
            container.catch_up()
            hooks = [Webhook(url, frozenset({"supervisor"}))]
            deliverer = Deliverer(container.views, container.complaints.calendar, hooks, timeout=10.0)
            deliverer.enqueue(clock.now())
            yield Setup(deliverer, clock.now(), sqlite_url.removeprefix("sqlite:///")), container
            deliverer.close()
    finally:
        server.shutdown()


def test_another_writer_commits_while_a_slow_delivery_is_in_flight(escalated: tuple[Setup, Any]) -> None:
    setup, _ = escalated
    worker = threading.Thread(target=setup.deliverer.deliver, args=(setup.now,))
    worker.start()
    try:
        assert SlowReceiver.arrived.wait(10), "the webhook was never called"
        other = sqlite3.connect(setup.path, timeout=SLOW_SECONDS * 2, isolation_level=None)
        started = time.monotonic()
        other.execute("BEGIN IMMEDIATE")
        other.execute("CREATE TABLE IF NOT EXISTS other_writer (n INTEGER)")
        other.execute("INSERT INTO other_writer VALUES (1)")
        other.execute("COMMIT")
        waited = time.monotonic() - started
        other.close()
        assert waited < 0.5, f"another writer waited {waited:.2f} s for the delivery's transaction"
    finally:
        worker.join()
    log = setup.deliverer.log_rows()
    assert [(r["attempt"], r["http_status"]) for r in log] == [(1, 204)]


def test_rows_of_a_crashed_lessee_are_retried_after_the_lease(escalated: tuple[Setup, Any]) -> None:
    setup, container = escalated
    crashed = Deliverer(container.views, container.complaints.calendar, setup.deliverer.webhooks, timeout=10.0)
    taken = crashed.lease(setup.now)  # and then the process dies: nothing posted, nothing recorded
    crashed.close()
    assert len(taken) == 1
    assert setup.deliverer.deliver(setup.now) == 0  # still leased
    assert setup.deliverer.deliver(setup.now + timedelta(seconds=30)) == 0
    expiry = setup.now + timedelta(seconds=10.0 + 30.0 + 1)  # one post's timeout plus the margin
    assert setup.deliverer.deliver(expiry) == 1
    assert SlowReceiver.posts == 1
    assert [(r["attempt"], r["http_status"]) for r in setup.deliverer.log_rows()] == [(1, 204)]
