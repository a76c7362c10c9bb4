"""SIGKILL of ``yousu serve`` while group commits are loaded: nothing acknowledged is lost.

Many clients send intakes and audited reads (a window clerk reading personal information) to a
real server; once batches carry several commands each (its own ``/metrics`` says so), the process
is killed with SIGKILL mid-load. After a restart on the same database every intake answered
2xx is there with the slip number it was answered with, the slip numbers are unique, and every
read answered 200 has its access record: an audited read is durable before it is answered.
"""

from __future__ import annotations

import os
import re
import signal
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import create_pg_database, drop_pg_database
from tests.e2e.conftest import run_server
from tests.support import auth, receive_body

WRITERS = 24
READERS = 8
MIN_ACKED = 60  # intakes answered before the kill may come
LOAD_SECONDS = 60.0  # the longest the load may take to reach MIN_ACKED with batches of several


def batch_figures(base_url: str) -> tuple[float, float]:
    """(commands committed in batches, batches) from the server's own metrics."""
    text = httpx.get(f"{base_url}/metrics", timeout=5).text
    total = re.search(r"^yousu_group_commit_batch_size_sum ([0-9.e+]+)$", text, re.MULTILINE)
    count = re.search(r"^yousu_group_commit_batch_size_count ([0-9.e+]+)$", text, re.MULTILINE)
    assert total is not None, "no group commit metrics"
    assert count is not None, "no group commit metrics"
    return float(total.group(1)), float(count.group(1))


@pytest.fixture(params=["postgresql", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    if request.param == "postgresql":
        url = create_pg_database("yousu_kill")
        yield url
        drop_pg_database(url)
    else:
        yield f"sqlite:///{tmp_path / 'yousu.db'}"


def test_sigkill_during_loaded_batches_loses_no_acknowledged_command(store: str, tmp_path: Path) -> None:
    acked: dict[str, str] = {}  # complaint id → slip number answered
    reads: Counter[str] = Counter()  # complaint id → reads answered 200
    lock = threading.Lock()
    stop = threading.Event()
    clerk = auth("window_clerk")
    with run_server(store, tmp_path, YOUSU_STORE_TIMEOUT="20") as server:
        with httpx.Client(base_url=server.base_url, timeout=10) as http:
            targets = [http.post("/v1/complaints", json=receive_body(), headers=clerk).json()["id"] for _ in range(4)]

        def write() -> None:
            with httpx.Client(base_url=server.base_url, timeout=30) as http:
                while not stop.is_set():
                    try:
                        r = http.post("/v1/complaints", json=receive_body(), headers=clerk)
                    except httpx.HTTPError:
                        return  # the server is gone
                    if r.is_success:
                        with lock:
                            acked[r.json()["id"]] = r.json()["slip_no"]

        def read(i: int) -> None:
            target = targets[i % len(targets)]
            with httpx.Client(base_url=server.base_url, timeout=30) as http:
                while not stop.is_set():
                    try:
                        r = http.get(f"/v1/complaints/{target}", headers=clerk)
                    except httpx.HTTPError:
                        return
                    if r.status_code == 200:
                        assert r.json()["complainant"]["phone"] == "13812345678"  # personal information, so audited
                        with lock:
                            reads[target] += 1

        with ThreadPoolExecutor(WRITERS + READERS) as pool:
            futures = [pool.submit(write) for _ in range(WRITERS)]
            futures += [pool.submit(read, i) for i in range(READERS)]
            until = time.monotonic() + LOAD_SECONDS
            while time.monotonic() < until:
                time.sleep(0.2)
                total, batches = batch_figures(server.base_url)
                if len(acked) >= MIN_ACKED and total > batches:  # some batches carried several commands
                    break
            assert len(acked) >= MIN_ACKED, f"only {len(acked)} intakes acknowledged under load"
            assert total > batches, "every batch carried one command: no group commit under load"
            os.kill(server.process.pid, signal.SIGKILL)  # mid-load: commits under way, answers in flight
            server.process.wait(10)
            stop.set()
            for f in futures:
                f.result(60)
        before_kill = dict(acked)
        answered_reads = dict(reads)

    with run_server(store, tmp_path) as again, httpx.Client(base_url=again.base_url, timeout=30) as http:
        auditor = auth("liaison")

        def check(cid: str) -> tuple[str, int, str | None]:
            r = http.get(f"/v1/complaints/{cid}", headers=auth("duty_officer"))
            return cid, r.status_code, r.json().get("slip_no") if r.status_code == 200 else None

        with ThreadPoolExecutor(8) as pool:
            found = list(pool.map(check, before_kill))
        lost = [cid for cid, status, slip in found if status != 200 or slip != before_kill[cid]]
        assert not lost, f"{len(lost)} of {len(before_kill)} acknowledged intakes lost or changed: {lost[:5]}"
        slips = list(before_kill.values())
        assert len(set(slips)) == len(slips), "a slip number was answered twice"
        newer = http.post("/v1/complaints", json=receive_body(), headers=clerk).json()["slip_no"]
        assert newer not in slips
        for target, answered in answered_reads.items():
            items = http.get("/v1/audit/access", params={"complaint_id": target}, headers=auditor).json()["items"]
            recorded = [x for x in items if x["reader"]["role"] == "window_clerk" and x["personal_info"]]
            assert len(recorded) >= answered, f"{answered} reads answered, {len(recorded)} recorded for {target}"
