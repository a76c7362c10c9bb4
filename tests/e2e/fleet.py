"""Several yousu processes at once, and a load that remembers exactly what was acknowledged.

Shared by the failover drill and the several-nodes test: ``yousu project`` / ``yousu sweep`` as
real processes, and clients that post intakes with an ``Idempotency-Key`` (and classify what was
received, with ``If-Match``) through any of several ``yousu serve`` nodes, recording every answer.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg

from application.calendar_loader import load_calendar
from tests.e2e.conftest import REPO, free_port, yousu_executable
from tests.support import CIPHER_KEY, SECRET, auth, receive_body
from yousu.wiring import all_views


def node_env(database_url: str, **extra: str) -> dict[str, str]:
    """The environment of a yousu process on ``database_url`` (the caller's YOUSU_* settings dropped)."""
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("YOUSU_")},
        "YOUSU_DATABASE_URL": database_url,
        "YOUSU_AUTH_SECRET": SECRET,
        "YOUSU_CIPHER_KEY": CIPHER_KEY,
        "YOUSU_SIGNING_MODE": "roles_only",
        "YOUSU_CALENDAR_DIR": str(REPO / "ops" / "calendar"),
        "YOUSU_REFERENCE_FILE": str(REPO / "ops" / "reference.toml"),
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


@dataclass
class Proc:
    """A running ``yousu <command>`` process and its stderr file."""

    name: str
    process: subprocess.Popen[bytes]
    log: Path

    def stderr(self) -> str:
        """What it wrote to stderr so far."""
        return self.log.read_text(encoding="utf-8", errors="replace")


@contextlib.contextmanager
def processes() -> Iterator[list[Proc]]:
    """A list to ``spawn`` into; every process still running is stopped afterwards."""
    started: list[Proc] = []
    try:
        yield started
    finally:
        for p in started:
            if p.process.poll() is None:
                p.process.terminate()
        for p in started:
            try:
                p.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.process.kill()
                p.process.wait(timeout=10)


def spawn(started: list[Proc], name: str, args: Sequence[str], env: dict[str, str], workdir: Path) -> Proc:
    """Start ``yousu *args`` with its stderr in ``workdir``."""
    log = workdir / f"{name}.stderr"
    with log.open("wb") as err:
        process = subprocess.Popen(
            [str(yousu_executable()), *args], cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=err
        )
    proc = Proc(name, process, log)
    started.append(proc)
    return proc


def yousu(args: Sequence[str], env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run ``yousu *args`` to the end."""
    return subprocess.run(
        [str(yousu_executable()), *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@dataclass
class Attempt:
    """One intake: its key and body, and the last answer (status 0: no answer at all)."""

    key: str
    body: dict[str, Any]
    status: int = 0
    complaint_id: str | None = None
    version: int | None = None
    at: float = 0.0
    classified: int = 0  # the classify command's status (0: not tried or no answer)
    role: str = "window_clerk"


@dataclass
class Load:
    """Client threads posting intakes (and classifying them) round-robin through ``urls``."""

    urls: list[str]
    clients: int = 4
    body: dict[str, Any] = field(default_factory=receive_body)
    role: str = "window_clerk"  # who posts the intakes (the hotline posts its work orders)
    vary: Callable[[dict[str, Any]], dict[str, Any]] | None = None  # makes each intake's body distinct
    attempts: list[Attempt] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> Load:
        """Start the clients."""
        for n in range(self.clients):
            t = threading.Thread(target=self._client, args=(n,), name=f"load-{n}", daemon=True)
            t.start()
            self.threads.append(t)
        return self

    def _client(self, n: int) -> None:
        clerk = auth("window_clerk")
        intake = auth(self.role)
        turn = n
        with httpx.Client(timeout=15) as http:
            while not self.stop.is_set():
                base = self.urls[turn % len(self.urls)]
                turn += 1
                body = {**self.body, "content": f"{self.body['content']} {uuid.uuid4().hex[:8]}"}
                a = Attempt(key=str(uuid.uuid4()), body=self.vary(body) if self.vary else body, role=self.role)
                with self.lock:
                    self.attempts.append(a)
                try:
                    r = http.post(f"{base}/v1/complaints", json=a.body, headers={**intake, "Idempotency-Key": a.key})
                except httpx.HTTPError:
                    time.sleep(0.1)
                    continue
                a.status, a.at = r.status_code, time.monotonic()
                if r.status_code not in (200, 201):
                    time.sleep(0.1)
                    continue
                a.complaint_id, a.version = r.json()["id"], r.json()["version"]
                with contextlib.suppress(httpx.HTTPError):
                    c = http.post(
                        f"{base}/v1/complaints/{a.complaint_id}/classify",
                        json={"classification": "general"},
                        headers={**clerk, "If-Match": f'"{a.version}"'},
                    )
                    a.classified = c.status_code

    def close(self) -> None:
        """Stop the clients and wait for them."""
        self.stop.set()
        for t in self.threads:
            t.join(30)

    def acknowledged(self) -> list[Attempt]:
        """The intakes answered 201."""
        return [a for a in self.attempts if a.status == 201]


def wait_for(check: Any, timeout: float, what: str, interval: float = 0.2) -> float:
    """Poll ``check()`` until truthy; returns the seconds it took, fails after ``timeout``."""
    began = time.monotonic()
    while True:
        with contextlib.suppress(Exception):
            if check():
                return time.monotonic() - began
        if time.monotonic() - began > timeout:
            msg = f"not within {timeout}s: {what}"
            raise AssertionError(msg)
        time.sleep(interval)


def retry_all(url: str, attempts: list[Attempt]) -> dict[str, str]:
    """Post every intake again with its key and body: each key → its one complaint id."""
    ids: dict[str, str] = {}
    with httpx.Client(base_url=url, timeout=30) as http:
        for a in attempts:
            r = http.post("/v1/complaints", json=a.body, headers={**auth(a.role), "Idempotency-Key": a.key})
            assert r.status_code in (200, 201), r.text
            if a.status == 201:
                assert r.status_code == 200, f"an acknowledged intake was recorded again: {a.key}"
                assert r.json()["id"] == a.complaint_id
            ids[a.key] = r.json()["id"]
    return ids


def serve(started: list[Proc], name: str, env: dict[str, str], workdir: Path, timeout: float = 120) -> str:
    """Start ``yousu serve`` on a free port and wait until it answers ``/healthz``; returns its base URL.

    The wait is long: on a loaded test machine the interpreter alone takes seconds to start.
    """
    port = free_port()
    proc = spawn(started, name, ["serve", "--host", "127.0.0.1", "--port", str(port)], env, workdir)
    base = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        assert proc.process.poll() is None, f"{name} exited:\n{proc.stderr()}"
        return httpx.get(f"{base}/healthz", timeout=1).status_code == 200

    try:
        wait_for(healthy, timeout, f"{name} healthy")
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{proc.stderr()[-3000:]}") from exc
    return base


def view_contents(url: str) -> dict[str, list[str]]:
    """Every view table's rows, order-independent."""
    names = [t.name for v in all_views(load_calendar(REPO / "ops" / "calendar")) for t in v.tables]
    with psycopg.connect(url) as conn:
        return {name: sorted(repr(row) for row in conn.execute(f"SELECT * FROM {name}")) for name in names}  # noqa: S608 — the views' own table names


def views_caught_up(url: str) -> bool:
    """Every view's tracking position has reached the store's newest event."""
    with psycopg.connect(url) as conn:
        newest = conn.execute("SELECT coalesce(max(notification_id), 0) FROM complaints_events").fetchone()
        least = conn.execute("SELECT coalesce(min(position), 0) FROM yousu_tracking").fetchone()
    return newest is not None and least is not None and int(least[0]) >= int(newest[0])


def assert_views_are_a_fold_of_the_events(url: str) -> None:
    """The views as the runners kept them equal a fresh ``yousu project rebuild`` (runners stopped first)."""
    followed = view_contents(url)
    rebuilt = yousu(["project", "rebuild"], node_env(url))
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert view_contents(url) == followed


def assert_audit_verifies(url: str) -> None:
    """``yousu audit verify`` passes."""
    verified = yousu(["audit", "verify"], node_env(url))
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "OK" in verified.stdout
