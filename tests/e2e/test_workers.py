"""`yousu serve --workers N`: N processes behind one port, each with its own pools; SIGTERM stops them all.

A real ``yousu serve --workers 2`` on PostgreSQL takes concurrent intakes; the request log's ``pid``
shows both workers answered, the slip numbers stay distinct across the two processes (each has
its own intake lock, so only the store keeps them apart), the database sees no more connections
than the pool settings allow per worker, and one SIGTERM to the parent drains both workers (each
logs ``shutdown_complete``) and exits 0. On the embedded SQLite default, whose background threads
would run once per worker, more than one worker is refused before anything starts.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.conftest import PG_ADMIN_URL
from tests.e2e.conftest import REPO, run_server, yousu_executable
from tests.support import CIPHER_KEY, SECRET, auth, receive_body

CLIENTS = 6
PER_CLIENT = 3
ROUNDS = 10  # rounds of CLIENTS concurrent clients, until both workers have answered
POOL_SIZE = 2
POOL_MAX_OVERFLOW = 1
# per worker: the event store's pool at most size+overflow, the views' pool as many (wiring.view_pool_size)
MAX_CONNECTIONS = 2 * 2 * (POOL_SIZE + POOL_MAX_OVERFLOW)


def backends(database_url: str) -> int:
    """Client connections PostgreSQL holds open to the test's database."""
    name = database_url.rsplit("/", 1)[1]
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        row = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [name]).fetchone()
    assert row is not None
    return int(row[0])


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.postgres
def test_two_workers_answer_concurrently_and_stop_together(pg_url: str, tmp_path: Path) -> None:
    env = {"YOUSU_POOL_SIZE": str(POOL_SIZE), "YOUSU_POOL_MAX_OVERFLOW": str(POOL_MAX_OVERFLOW)}
    # a loaded test machine may outlast the default store timeout (a 503), which is not what this test is about
    env["YOUSU_STORE_TIMEOUT"] = "30"
    with run_server(pg_url, tmp_path, args=("--workers", "2"), **env) as server:
        answers: dict[str, httpx.Response] = {}

        def client(batch: list[str]) -> None:
            # one keep-alive connection per client, opened together: the kernel hands them to both workers
            with httpx.Client(base_url=server.base_url, timeout=30) as http:
                for rid in batch:
                    headers = {**auth("window_clerk"), "X-Request-ID": rid}
                    answers[rid] = http.post("/v1/complaints", json=receive_body(), headers=headers)

        pids: set[int] = set()
        with ThreadPoolExecutor(CLIENTS) as pool:
            for _ in range(ROUNDS):
                batches = [[f"workers-{uuid.uuid4().hex[:12]}" for _ in range(PER_CLIENT)] for _ in range(CLIENTS)]
                list(pool.map(client, batches))
                pids |= {server.request_log(rid)["pid"] for batch in batches for rid in batch}
                if len(pids) == 2:
                    break
        assert len(pids) == 2, f"one worker answered everything: {pids}"
        assert server.process.pid not in pids, "the parent supervises; the workers answer"
        assert {r.status_code for r in answers.values()} == {201}, [r.text for r in answers.values()]
        slips = [r.json()["slip_no"] for r in answers.values()]
        assert len(set(slips)) == len(slips), "two processes issued the same slip number"
        assert backends(pg_url) <= MAX_CONNECTIONS

        server.process.terminate()
        assert server.process.wait(timeout=30) == 0
        done = [x["pid"] for x in server.log_lines() if x.get("event") == "shutdown_complete"]
        assert sorted(done) == sorted(pids), "each worker ran its shutdown (pools closed)"
        assert not [p for p in pids if alive(p)]
    assert backends(pg_url) == 0


def test_sqlite_default_refuses_more_than_one_worker(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "YOUSU_DATABASE_URL": f"sqlite:///{tmp_path / 'yousu.db'}",
        "YOUSU_AUTH_SECRET": SECRET,
        "YOUSU_CIPHER_KEY": CIPHER_KEY,
    }
    env.pop("YOUSU_BACKGROUND", None)
    done = subprocess.run(
        [str(yousu_executable()), "serve", "--port", "1", "--workers", "2"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "YOUSU_BACKGROUND=false" in done.stderr
    assert not (tmp_path / "yousu.db").exists(), "refused before opening the store"
