"""Webhook notices: retried with backoff until delivered, every attempt logged, business hours honoured."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest

from application.clock import SettableClock
from domain.calendar import WorkingCalendar
from policies.delivery import Deliverer, Webhook, next_business_instant, parse_webhooks
from tests.conftest import CST
from tests.integration.test_sweeper import dispatched_cannot_do, sweeper_of
from tests.support import client_for


class FlakyReceiver(BaseHTTPRequestHandler):
    """Answers 500 to the first ``fail`` posts, then 204; keeps what it received."""

    fail = 2
    received: list[dict[str, Any]] = []  # noqa: RUF012 — shared by the test's server

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        FlakyReceiver.received.append({"body": body, "key": self.headers["Idempotency-Key"]})
        if FlakyReceiver.fail > 0:
            FlakyReceiver.fail -= 1
            self.send_response(500)
        else:
            self.send_response(204)
        self.end_headers()

    def log_message(self, *_: Any) -> None:
        pass


def test_notice_is_retried_until_delivered_and_logged(pg_url: str) -> None:
    server = HTTPServer(("127.0.0.1", 0), FlakyReceiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/hook"
    clock = SettableClock(datetime(2025, 9, 26, 10, 0, tzinfo=CST))
    try:
        with client_for(pg_url, clock) as client:
            cid = dispatched_cannot_do(client)
            clock.set(datetime(2025, 9, 28, 17, 31, tzinfo=CST))
            sweeper_of(client).sweep()
            container = client.app.state.container  # type: ignore[attr-defined]
            container.catch_up()
            deliverer = Deliverer(
                container.views, container.complaints.calendar, [Webhook(url, frozenset({"supervisor"}))]
            )
            now = clock.now()
            assert deliverer.run_once(now) == 1  # first attempt: 500
            assert deliverer.run_once(now) == 0  # backing off
            assert deliverer.run_once(now + timedelta(seconds=5)) == 1  # second: 500
            assert deliverer.run_once(now + timedelta(seconds=10)) == 0
            assert deliverer.run_once(now + timedelta(seconds=16)) == 1  # third: delivered
            assert deliverer.run_once(now + timedelta(days=1)) == 0  # nothing left
            log = deliverer.log_rows()
            assert [(r["attempt"], r["http_status"]) for r in log] == [(1, 500), (2, 500), (3, 204)]
            bodies = [r["body"] for r in FlakyReceiver.received]
            assert {b["complaint_id"] for b in bodies} == {cid}
            assert {b["level"] for b in bodies} == {1}
            assert len({r["key"] for r in FlakyReceiver.received}) == 1  # same idempotency key on retries
            deliverer.close()
    finally:
        server.shutdown()


def test_business_hours(calendar: WorkingCalendar) -> None:
    # Saturday night before the National Day holiday → the next working day's opening (Thursday 10-09)
    assert next_business_instant(datetime(2025, 10, 1, 20, 0, tzinfo=CST), calendar) == datetime(
        2025, 10, 9, 9, 0, tzinfo=calendar.zone
    )
    inside = datetime(2025, 9, 28, 10, 0, tzinfo=CST)  # the 调休 Sunday is a working day
    assert next_business_instant(inside, calendar) == inside
    early = datetime(2025, 9, 29, 7, 0, tzinfo=CST)
    assert next_business_instant(early, calendar) == datetime(2025, 9, 29, 9, 0, tzinfo=calendar.zone)


def test_parse_webhooks() -> None:
    hooks = parse_webhooks('[{"url": "https://x.invalid/h", "recipients": ["liaison"], "business_hours": true}]')
    assert hooks == [Webhook("https://x.invalid/h", frozenset({"liaison"}), True)]
    assert parse_webhooks(None) == []
    with pytest.raises(ValueError, match="JSON list"):
        parse_webhooks('{"url": "x"}')
    with pytest.raises(ValueError, match="http"):
        parse_webhooks('[{"url": "ftp://x"}]')
