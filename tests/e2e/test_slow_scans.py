"""Slow work is not an outage: a long ``audit verify`` does not make the store guard refuse other requests.

The store guard's short deadline and its circuit breaker are for an unreachable database. Before
the fix a verify slower than ``YOUSU_STORE_TIMEOUT`` timed out, opened the breaker, and every
other request answered 503 until the probe closed it again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import httpx
import pytest

from tests.e2e.conftest import Server
from tests.support import auth, receive_many, settings_for
from yousu.wiring import build_complaints

pytestmark = pytest.mark.postgres

STORE_TIMEOUT = 1.0  # seconds: the short deadline, far below what the verify below needs
COMPLAINTS = 4_000


def seed(pg_url: str, n: int) -> str:
    """``n`` complaints straight into the store, received by 16 threads at once (so they share group commits,
    as a busy hall's do); the id of the last."""
    complaints = build_complaints(settings_for(pg_url), check=False)
    try:
        return receive_many(complaints, n, "慢查")[-1]
    finally:
        complaints.close()


def test_a_slow_verify_does_not_refuse_other_requests(server_factory: Callable[..., Server], pg_url: str) -> None:
    cid = seed(pg_url, COMPLAINTS)
    server = server_factory(pg_url, YOUSU_STORE_TIMEOUT=str(STORE_TIMEOUT), YOUSU_STORE_LONG_TIMEOUT="120")
    verify: dict[str, object] = {}

    def run_verify() -> None:
        started = time.monotonic()
        r = httpx.get(f"{server.base_url}/v1/audit/verify", headers=auth("liaison"), timeout=120)
        verify.update(status=r.status_code, seconds=time.monotonic() - started, body=r.json())

    reads: list[int] = []
    t = threading.Thread(target=run_verify)
    t.start()
    with httpx.Client(base_url=server.base_url, timeout=30) as http:
        while t.is_alive():
            reads.append(http.get(f"/v1/complaints/{cid}", headers=auth("liaison")).status_code)
            time.sleep(0.05)
    t.join()
    assert verify["status"] == 200, {k: v for k, v in verify.items() if k != "body"}
    body = verify["body"]
    assert isinstance(body, dict)
    assert body["complaints_checked"] == COMPLAINTS
    seconds = verify["seconds"]
    assert isinstance(seconds, float)
    assert seconds > STORE_TIMEOUT, f"verify took {seconds:.2f}s: too fast to show anything"
    assert reads, "reads ran while verify did"
    assert set(reads) == {200}, reads
    assert "store_unavailable" not in server.stderr()  # the breaker never opened
