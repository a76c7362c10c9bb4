"""The database goes away under load: 503 with Retry-After within seconds, nothing acknowledged is lost.

A TCP proxy written here sits between a real ``yousu serve`` process and PostgreSQL. Client
threads keep sending intakes (each with its own Idempotency-Key) while the test cuts the proxy
— every live connection is closed and new ones are held open without an answer — and restores
it a few seconds later. Then: no 500, every answer 2xx or a prompt 503 with Retry-After,
``/readyz`` 503 while cut and 200 after, new commands succeed without a restart, every
acknowledged complaint is in the store (read directly, not through the proxy), and retrying
each refused intake with its key yields exactly one complaint per key.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from application.complaints import ComplaintsApp
from application.store import intake_id
from domain.complaint import Complaint
from domain.roster import SigningMode
from domain.values import Channel
from tests.e2e.conftest import Server
from tests.support import auth, receive_body, receive_many, settings_for
from yousu.wiring import build_complaints, build_runner, store_env

pytestmark = pytest.mark.postgres

CLIENTS = 4
OUTAGE_SECONDS = 4.0
MAX_503_SECONDS = 10.0  # "within a few seconds": never a hang
RECOVERY_SECONDS = 30.0
LATE_WORKER_SECONDS = 60.0  # the longest the workers a 503 left running may take to end once the database is back
CLERK_SUB = "window_clerk-1"  # the sub of auth("window_clerk"): idempotency keys are scoped to it


class TcpProxy:
    """Forwards 127.0.0.1:<port> to a target.

    ``cut()`` closes every live connection (both sides, so the server's backends abort and release
    their locks) and then either blackholes new connections (accepted, never answered: a client
    waits for its own timeouts) or refuses them (closed at once).
    """

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port: int = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._live: set[socket.socket] = set()
        self._held: set[socket.socket] = set()  # accepted while cut: never answered
        self._cut = False
        self._blackhole = True
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._accept_loop, name="proxy-accept", daemon=True)
        self._thread.start()

    def cut(self, *, blackhole: bool = True) -> None:
        """Close every live connection; hold new ones without an answer (blackhole) or close them at once."""
        with self._lock:
            self._cut = True
            self._blackhole = blackhole
            live, self._live = self._live, set()
        for s in live:
            _close(s)

    def restore(self) -> None:
        """Forward new connections again; the ones held during the cut are closed."""
        with self._lock:
            self._cut = False
            held, self._held = self._held, set()
        for s in held:
            _close(s)

    def close(self) -> None:
        self._stopped.set()
        self.cut()
        self.restore()
        self._thread.join(timeout=5)
        self._listener.close()

    def _accept_loop(self) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                if self._cut and self._blackhole:
                    self._held.add(client)
                    continue
                if self._cut:
                    _close(client)
                    continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                _close(client)
                continue
            upstream.settimeout(None)
            with self._lock:
                if self._cut:  # cut while connecting
                    _close(client)
                    _close(upstream)
                    continue
                self._live.update((client, upstream))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            with self._lock:
                self._live.discard(src)
                self._live.discard(dst)
            _close(src)
            _close(dst)


def _close(s: socket.socket) -> None:
    with contextlib.suppress(OSError):
        s.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        s.close()


@dataclass
class Outcome:
    """One intake attempt as a client saw it."""

    key: str
    body: dict[str, Any]
    status: int | None  # None: no answer at all (transport error or client timeout)
    seconds: float
    started: float
    headers: dict[str, str]
    json: dict[str, Any] | None
    error: str | None = None


def send_intake(http: httpx.Client, key: str, body: dict[str, Any]) -> Outcome:
    started = time.monotonic()
    try:
        r = http.post("/v1/complaints", json=body, headers={**auth("window_clerk"), "Idempotency-Key": key})
    except httpx.HTTPError as exc:
        return Outcome(key, body, None, time.monotonic() - started, started, {}, None, repr(exc))
    try:
        payload = r.json()
    except ValueError:
        payload = None
    return Outcome(key, body, r.status_code, time.monotonic() - started, started, dict(r.headers), payload)


def received_ids(pg_url: str) -> list[UUID]:
    """The id of every recorded intake, read straight from PostgreSQL."""
    app = ComplaintsApp(env=store_env(settings_for(pg_url)), signing_mode=SigningMode.roles_only)
    try:
        return [
            n.originator_id
            for n in app.recorder.select_notifications(start=1, limit=100_000)
            if n.topic.endswith(Complaint.Received.__qualname__)
        ]
    finally:
        app.close()


@pytest.fixture
def proxied(server_factory: Callable[..., Server], pg_url: str) -> Iterator[tuple[Server, TcpProxy]]:
    parts = urlsplit(pg_url)
    proxy = TcpProxy((parts.hostname or "127.0.0.1", parts.port or 5432))
    via_proxy = parts._replace(netloc=f"{parts.username}@127.0.0.1:{proxy.port}").geturl()
    try:
        yield server_factory(via_proxy, YOUSU_STORE_TIMEOUT="4", YOUSU_RETRY_AFTER="2"), proxy
    finally:
        proxy.close()


def metric(text: str, name: str, **labels: str) -> float:
    """One sample of a /metrics scrape (0 when absent)."""
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and s.labels == labels:
                return s.value
    return 0.0


def readyz(base_url: str) -> httpx.Response:
    return httpx.get(f"{base_url}/readyz", timeout=MAX_503_SECONDS + 5)


def wait_ready(base_url: str, timeout: float) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        with contextlib.suppress(httpx.HTTPError):
            if readyz(base_url).status_code == 200:
                return time.monotonic() - start
        time.sleep(0.25)
    pytest.fail(f"/readyz not 200 within {timeout}s after the database came back")


def late_workers_running(server: Server) -> int:
    """Store calls answered at their deadline whose worker has not ended yet (by the server's own log lines)."""
    events = [x.get("event") for x in server.log_lines()]
    return events.count("store_deadline") - events.count("store_late_worker_ended")


def wait_late_workers_ended(server: Server, timeout: float) -> None:
    """Until every worker a deadline answered for has ended: rolled back at its budget's check, failed, or done."""
    start = time.monotonic()
    while (running := late_workers_running(server)) > 0:
        if time.monotonic() - start > timeout:
            pytest.fail(f"{running} store workers abandoned by a 503 still running after {timeout}s")
        time.sleep(0.25)


def test_cutting_postgres_under_load(proxied: tuple[Server, TcpProxy], pg_url: str) -> None:
    server, proxy = proxied
    outcomes: list[Outcome] = []
    lock = threading.Lock()
    stop = threading.Event()

    def client(n: int) -> None:
        with httpx.Client(base_url=server.base_url, timeout=60.0) as http:
            i = 0
            while not stop.is_set():
                i += 1
                key = f"outage-{n}-{i}-{uuid.uuid4().hex[:8]}"
                body = receive_body(content=f"断网演练 客户端{n} 第{i}件")
                outcome = send_intake(http, key, body)
                with lock:
                    outcomes.append(outcome)
                if outcome.status == 503:
                    time.sleep(0.1)  # a polite client backs off a little (Retry-After is for humans here)

    threads = [threading.Thread(target=client, args=(n,), name=f"client-{n}") for n in range(CLIENTS)]
    for t in threads:
        t.start()
    try:
        time.sleep(2.0)  # steady state
        cut_at = time.monotonic()
        proxy.cut()
        time.sleep(1.0)
        r = readyz(server.base_url)
        assert r.status_code == 503, r.text
        assert r.json()["store"] == "unreachable"
        assert int(r.headers["retry-after"]) >= 1
        scrape = httpx.get(f"{server.base_url}/metrics", timeout=MAX_503_SECONDS + 5)
        assert scrape.status_code == 200  # the scrape says the store is down; it does not fail
        assert metric(scrape.text, "yousu_store_up") == 0
        time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - cut_at)))
        proxy.restore()
        restored_at = time.monotonic()
        recovered_in = wait_ready(server.base_url, RECOVERY_SECONDS)
        time.sleep(2.0)  # the clients keep going on the recovered service
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=90)
    assert not any(t.is_alive() for t in threads), "a client hung"

    # --- what the clients saw
    statuses = [o.status for o in outcomes]
    assert None not in statuses, [o.error for o in outcomes if o.status is None][:5]
    assert 500 not in statuses
    assert set(statuses) <= {200, 201, 503}, sorted(set(map(str, statuses)))
    refused = [o for o in outcomes if o.status == 503]
    acked = [o for o in outcomes if o.status in (200, 201)]
    counted = httpx.get(f"{server.base_url}/metrics", timeout=10).text
    # a refused intake is counted under its problem code: store_unavailable, or outcome_unknown when the
    # connection went during COMMIT
    counted_refusals = sum(
        metric(counted, "yousu_commands_total", kind="receive", outcome="unavailable", code=code)
        for code in ("store_unavailable", "outcome_unknown")
    )
    assert counted_refusals == len(refused)
    assert metric(counted, "yousu_store_up") == 1
    assert refused, "the cut should have refused some intakes"
    assert [o for o in acked if o.started < cut_at], "intakes succeeded before the cut"
    for o in refused:
        assert o.seconds < MAX_503_SECONDS, f"503 after {o.seconds:.1f}s"
        assert int(o.headers["retry-after"]) >= 1
        assert o.headers["content-type"].startswith("application/problem+json")
        assert o.json is not None
        assert o.json["code"] in {"store_unavailable", "outcome_unknown"}, o.json
    after = [o for o in acked if o.started > restored_at + recovered_in]
    assert after, "the service recovered by itself: intakes succeed after the database is back"
    for n in range(CLIENTS):  # every client's last attempt, after recovery, succeeded
        last = [o for o in outcomes if o.key.startswith(f"outage-{n}-")][-1]
        assert last.status in (200, 201), last

    # every acknowledged intake answered the complaint its key names
    for o in acked:
        assert o.json is not None
        assert UUID(o.json["id"]) == intake_id(
            channel=Channel.window, external_ref=None, idempotency_key=o.key, caller=CLERK_SUB
        )

    # --- a 503 is final: work it abandoned never commits later (before the fix it did, up to ~22 s after the
    # answer). Once every worker a deadline left running has ended — each had its chance to commit — read the
    # store directly (not through the proxy).
    wait_late_workers_ended(server, LATE_WORKER_SECONDS)
    stored = received_ids(pg_url)
    assert len(stored) == len(set(stored)), "no request stored twice"
    key_id = {
        o.key: intake_id(channel=Channel.window, external_ref=None, idempotency_key=o.key, caller=CLERK_SUB)
        for o in outcomes
    }
    definite = [o for o in refused if o.json is not None and o.json["code"] == "store_unavailable"]
    ambiguous = [o for o in refused if o.json is not None and o.json["code"] == "outcome_unknown"]
    assert [o.key for o in definite if key_id[o.key] in stored] == [], "answered 503 (not stored), stored anyway"
    assert all(stored.count(key_id[o.key]) <= 1 for o in ambiguous)

    # --- a client retries each refused intake with its key: now accepted, once
    with httpx.Client(base_url=server.base_url, timeout=30.0) as http:
        retried = [send_intake(http, o.key, o.body) for o in refused]
    assert [r.status for r in retried if r.status not in (200, 201)] == []
    for o, r in zip(refused, retried, strict=True):
        assert r.json is not None
        assert UUID(r.json["id"]) == key_id[o.key]
        # an ambiguous intake that did commit answers 200 (the same complaint), one that did not 201
        assert r.status == (200 if key_id[o.key] in stored else 201), (o.json, r.status)

    # --- the store itself, read directly (not through the proxy)
    app = ComplaintsApp(env=store_env(settings_for(pg_url)), signing_mode=SigningMode.roles_only)
    try:
        for o in acked + retried:
            assert o.json is not None
            complaint = app.get(UUID(o.json["id"]))
            assert complaint.slip_no == o.json["slip_no"]
            assert complaint.content == o.body["content"]
        received = [
            n.originator_id
            for n in app.recorder.select_notifications(start=1, limit=100_000)
            if n.topic.endswith(Complaint.Received.__qualname__)
        ]
    finally:
        app.close()
    keys = {o.key for o in outcomes}
    assert len(received) == len(set(received)), "no complaint recorded twice"
    assert set(received) == {
        intake_id(channel=Channel.window, external_ref=None, idempotency_key=k, caller=CLERK_SUB) for k in keys
    }
    slips = [o.json["slip_no"] for o in acked + retried if o.json is not None]
    by_id = {o.json["id"]: o.json["slip_no"] for o in acked + retried if o.json is not None}
    assert len(set(by_id.values())) == len(by_id), "slip numbers are unique"
    assert slips


def test_quiet_service_when_postgres_refuses_connections(proxied: tuple[Server, TcpProxy]) -> None:
    """No load: the first command and read after the cut answer 503 promptly; recovery needs no restart."""
    server, proxy = proxied
    with httpx.Client(base_url=server.base_url, timeout=60.0) as http:
        before = send_intake(http, f"quiet-{uuid.uuid4()}", receive_body())
        assert before.status == 201
        assert before.json is not None
        proxy.cut(blackhole=False)
        during = send_intake(http, f"quiet-{uuid.uuid4()}", receive_body())
        assert during.status == 503, during
        assert during.seconds < MAX_503_SECONDS
        assert int(during.headers["retry-after"]) == 2  # YOUSU_RETRY_AFTER
        r = http.get(f"/v1/complaints/{before.json['id']}", headers=auth("liaison"))
        assert r.status_code == 503
        assert r.json()["code"] == "store_unavailable"
        assert int(r.headers["retry-after"]) == 2
        ready = readyz(server.base_url)
        assert ready.status_code == 503
        assert ready.headers["retry-after"] == "2"
        proxy.restore()
        wait_ready(server.base_url, RECOVERY_SECONDS)
        after = send_intake(http, f"quiet-{uuid.uuid4()}", receive_body())
        assert after.status == 201, after
        assert after.json is not None
        for cid in (before.json["id"], after.json["id"]):
            r = http.get(f"/v1/complaints/{cid}", headers=auth("liaison"))
            assert r.status_code == 200
            assert r.json()["status"] == "received"


# one read of each kind: a view (JSON and the CSV download's pre-check), metrics, the inbox, the audit
# trail, one complaint's history (the event store)
READS = [
    "/v1/ledger",
    "/v1/ledger?format=csv",
    "/v1/metrics",
    "/v1/inbox",
    "/v1/audit/verify",
    "/v1/complaints/{id}/history",
]


def test_every_read_answers_503_while_postgres_is_cut(proxied: tuple[Server, TcpProxy]) -> None:
    """Each read path meets the outage itself (the breaker is closed again before each): views, audit, state.

    Before the fix the views' own connections raised psycopg's OperationalError ("consuming input failed")
    or the pool's PoolTimeout past the store guard: 500.
    """
    server, proxy = proxied
    with httpx.Client(base_url=server.base_url, timeout=60.0) as http:
        made = send_intake(http, f"reads-{uuid.uuid4()}", receive_body())
        assert made.status == 201
        assert made.json is not None
        for path in READS:
            url = path.format(id=made.json["id"])
            headers = auth("duty_leader") if url == "/v1/inbox" else auth("liaison")
            # up again: the views' pool may still hold connections the last cut broke (each fails once, 503)
            for _ in range(40):
                if (up := http.get(url, headers=headers)).status_code != 503:
                    break
                time.sleep(0.5)
            assert up.status_code in {200, 409}, (url, up.text)
            proxy.cut(blackhole=False)
            r = http.get(url, headers=headers)
            assert r.status_code == 503, (url, r.status_code, r.text)
            assert r.headers["content-type"].startswith("application/problem+json"), url
            assert r.json()["code"] in {"store_unavailable", "views_unavailable"}, url
            assert int(r.headers["retry-after"]) == 2, url
            proxy.restore()
            wait_ready(server.base_url, RECOVERY_SECONDS)
    assert "Traceback" not in server.stderr()


EXPORT_ROWS = 2_100  # more than two of the export's 1 000-row pages: later pages are read mid-stream


def seed_ledger(pg_url: str, rows: int) -> None:
    """``rows`` complaints straight into the store (not through the proxy), projected into the ledger."""
    settings = settings_for(pg_url)
    complaints = build_complaints(settings, check=False)
    receive_many(complaints, rows, "导出")
    runner = build_runner(settings, complaints)
    runner.setup()
    runner.run_once()
    runner.db.close()
    complaints.close()


def read_chunked(s: socket.socket, cut: Callable[[], None]) -> tuple[bytes, bool]:
    """A chunked response's body, calling ``cut`` after the first chunk; and whether it ended cleanly."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += s.recv(4096)
    head, _, rest = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), head
    assert b"transfer-encoding: chunked" in head.lower(), head
    body, buf, called = b"", rest, False
    while True:
        while b"\r\n" not in buf:
            more = s.recv(4096)
            if not more:
                return body, False  # closed mid-stream: no terminating chunk
            buf += more
        size_line, _, buf = buf.partition(b"\r\n")
        size = int(size_line, 16)
        while len(buf) < size + 2:
            more = s.recv(4096)
            if not more:
                return body, False
            buf += more
        if size == 0:
            return body, True
        body, buf = body + buf[:size], buf[size + 2 :]
        if not called:
            called = True
            cut()
            time.sleep(0.5)  # the server is now blocked writing page 1: the next page meets the cut


def test_csv_download_cut_mid_stream_is_detectably_incomplete(proxied: tuple[Server, TcpProxy], pg_url: str) -> None:
    server, proxy = proxied
    seed_ledger(pg_url, EXPORT_ROWS)
    url = urlsplit(server.base_url)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # the server can only run a little ahead of us
    s.settimeout(30)
    s.connect((url.hostname or "127.0.0.1", url.port or 80))
    token = auth("liaison")["Authorization"]
    s.sendall(f"GET /v1/ledger?format=csv HTTP/1.1\r\nHost: yousu\r\nAuthorization: {token}\r\n\r\n".encode())
    body, clean = read_chunked(s, lambda: proxy.cut(blackhole=False))
    s.close()
    proxy.restore()
    rows = body.decode("utf-8-sig", errors="replace").count("\n") - 1
    assert not clean, f"the download ended as if complete with {rows} of {EXPORT_ROWS} rows"
    assert rows < EXPORT_ROWS
    [line] = [x for x in server.log_lines() if x.get("event") == "request" and x.get("aborted")]
    assert line["path"] == "/v1/ledger"
    assert "导出测试" not in server.stderr()  # no personal data in what was logged about the failure
