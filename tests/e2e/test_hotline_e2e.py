"""12345 热线一体办理 end to end: a real ``yousu serve`` and the hotline simulator as a real process.

A hotline work order goes through every step over HTTP; the simulator validates each message against the
contract, checks its order and counts repeats. Mid-way the simulator stops (messages queue up and are
tried with backoff; `yousu deliveries --failed` shows them), then the service itself restarts, then the
simulator comes back: it receives everything, in order, each message accepted once.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from policies.delivery import LEASE_MARGIN_SECONDS
from tests.conftest import create_pg_database, drop_pg_database
from tests.e2e.conftest import REPO, Server, free_port, yousu_executable
from tests.support import CIPHER_KEY, CST, auth

SIMULATOR = REPO / "ops" / "hotline" / "simulator.py"
pytestmark = pytest.mark.slow  # two service starts, an outage and a restart: about a minute per database
SECRET = "hotline-e2e-secret"
REF = "HL20250926-E2E"


@contextlib.contextmanager
def simulator(port: int, state: Path) -> Iterator[str]:
    """The simulator process on ``port``, its state kept in ``state`` across restarts."""
    proc = subprocess.Popen(
        [sys.executable, str(SIMULATOR), "--port", str(port), "--state", str(state), "--secret", SECRET],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 15
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/state", timeout=1).status_code == 200:
                    break
            if proc.poll() is not None or time.monotonic() > deadline:
                out = proc.stdout.read().decode() if proc.stdout else ""
                pytest.fail(f"simulator did not start: {out}")
            time.sleep(0.05)
        yield url
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def sim_state(url: str) -> dict[str, Any]:
    got: dict[str, Any] = httpx.get(f"{url}/state", timeout=5).json()
    return got


def wait_for(predicate: Callable[[], bool], timeout: float = 30.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {timeout}s: {what}")
        time.sleep(0.1)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "postgresql":
        url = create_pg_database("yousu_hotline_e2e")
        try:
            yield url
        finally:
            drop_pg_database(url)
    else:
        yield f"sqlite:///{tmp_path / 'yousu.db'}"


def cli(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "YOUSU_DATABASE_URL": database_url,
        "YOUSU_CIPHER_KEY": CIPHER_KEY,
        "YOUSU_LOG_LEVEL": "WARNING",
    }
    return subprocess.run(
        [str(yousu_executable()), *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=60, check=False
    )


class Desk:
    """The staff and the hotline working one work order over HTTP."""

    def __init__(self, server: Server) -> None:
        self.base = server.base_url
        self.cid = ""

    def post(self, path: str, body: dict[str, Any], role: str, **kw: str) -> dict[str, Any]:
        r = httpx.post(f"{self.base}{path}", json=body, headers=auth(role, **kw), timeout=30)
        assert r.status_code in (200, 201), r.text
        got: dict[str, Any] = r.json()
        return got

    def step(self, name: str, body: dict[str, Any], role: str, **kw: str) -> None:
        self.post(f"/v1/complaints/{self.cid}/{name}", body, role, **kw)


def hotline_backlog(server: Server) -> float:
    """yousu_hotline_backlog from the Prometheus scrape."""
    for line in httpx.get(f"{server.base_url}/metrics", timeout=10).text.splitlines():
        if line.startswith("yousu_hotline_backlog "):
            return float(line.split()[1])
    pytest.fail("no yousu_hotline_backlog in /metrics")


def types_received(url: str) -> list[str]:
    return [m["type"] for m in sim_state(url)["work_orders"].get(REF, [])]


def test_a_work_order_through_every_step_reaches_the_hotline_in_order_across_outages_and_restarts(
    database: str, tmp_path: Path, server_factory: Callable[..., Server]
) -> None:
    port = free_port()
    state = tmp_path / "hotline-sim.json"
    env = {
        "YOUSU_BACKGROUND": "true",
        "YOUSU_HOTLINE_URL": f"http://127.0.0.1:{port}/work-orders",
        "YOUSU_HOTLINE_SECRET": SECRET,
        "YOUSU_HOTLINE_BACKOFF": "0.2",
        "YOUSU_HOTLINE_BACKOFF_CAP": "1",
        "YOUSU_HOTLINE_TIMEOUT": "2",
        "YOUSU_SWEEP_INTERVAL": "0.2",
    }
    with simulator(port, state) as sim:
        first = server_factory(database, **env)
        desk = Desk(first)
        received_at = (datetime.now(tz=CST) - timedelta(minutes=30)).isoformat()
        intake = {
            "channel": "hotline",
            "external_ref": REF,
            "received_at": received_at,
            "content": "小区电梯停运三周，物业不予维修",
            "category": "housing",
            "complainant": {"type": "person", "name": "张三丰", "phone": "13812345678"},
        }
        desk.cid = desk.post("/v1/complaints", intake, "hotline")["id"]
        desk.post(
            f"/v1/hotline/work-orders/{REF}/supplement", {"message_id": "in-1", "text": "补充：维修通知照片"}, "hotline"
        )
        desk.step("classify", {"classification": "hard_to_do", "reason": "涉及多部门"}, "window_clerk")
        desk.step("sign", {"opinion": "同意"}, "duty_officer", sub="officer-1")
        desk.step("sign", {"opinion": "同意"}, "duty_leader", sub="leader-1")
        desk.step("dispatch", {"departments": ["housing"], "supervisor": "督办甲"}, "duty_leader")
        wait_for(lambda: types_received(sim)[-1:] == ["dispatched"], what="dispatched reaches the hotline")

    # the hotline is down: the next updates queue up and are tried with backoff, the work order held in order
    desk.step("consult", {"participants": ["housing"], "conclusion": "住建牵头"}, "duty_leader")
    desk.step("resolve", {"result": "电梯已修复并通过检验"}, "department", department="housing")

    def outbox() -> dict[str, dict[str, Any]]:
        """The work order's messages in the outbox, by type (the admin's listing)."""
        r = httpx.get(
            f"{first.base_url}/v1/deliveries", params={"external_ref": REF}, headers=auth("admin"), timeout=10
        )
        return {m["type"]: m for m in r.json()}

    # Both updates queued, then the head tried once more: that pass had the second queued behind it, due at once,
    # and had its chance to post it out of order.
    wait_for(lambda: {"consulted", "resolved"} <= outbox().keys(), what="both updates queued")
    tried = outbox()["consulted"]["attempts"]
    # Tried again after its backoff (at most 1 s here); or, should a pass fail before recording its attempt (the
    # database busy for a moment), once that pass's lease ends: one POST's timeout (2 s) plus the lease margin.
    wait_for(
        lambda: outbox()["consulted"]["attempts"] > tried,
        timeout=LEASE_MARGIN_SECONDS + 15,
        what="the head tried again, the second behind it",
    )
    wait_for(lambda: bool(cli(database, "deliveries", "--failed", "--json").stdout.strip()), what="a failing message")
    failing = [json.loads(line) for line in cli(database, "deliveries", "--failed", "--json").stdout.splitlines()]
    assert [(m["external_ref"], m["type"]) for m in failing] == [(REF, "consulted")]  # only the head is tried
    assert failing[0]["attempt_log"][-1]["error"] == "ConnectError"
    listed = httpx.get(
        f"{first.base_url}/v1/deliveries", params={"external_ref": REF}, headers=auth("admin"), timeout=10
    ).json()
    assert [m["state"] for m in listed][-2:] == ["failing", "queued"]
    assert hotline_backlog(first) == 2

    # the service restarts while the hotline is still down; then the hotline comes back
    first.process.terminate()
    first.process.wait(timeout=15)
    second = server_factory(database, **env)
    desk.base = second.base_url
    with simulator(port, state) as sim:
        wait_for(lambda: types_received(sim)[-1:] == ["resolved"], what="queued updates after the outage")
        desk.post(f"/v1/hotline/work-orders/{REF}/feedback", {"message_id": "in-2", "method": "phone"}, "hotline")
        desk.post(f"/v1/hotline/work-orders/{REF}/callback", {"message_id": "in-3", "rating": 5}, "hotline")
        desk.post(f"/v1/hotline/work-orders/{REF}/callback", {"message_id": "in-3", "rating": 5}, "hotline")  # a retry
        wait_for(lambda: types_received(sim)[-1:] == ["called_back"], what="the call-back receipt")
        received = sim_state(sim)
        assert [m["type"] for m in received["work_orders"][REF]] == [
            "accepted",
            "supplement_added",
            "classified",
            "dispatched",
            "consulted",
            "resolved",
            "fed_back",
            "called_back",
        ]
        assert received["refused"] == []  # every message valid, signed, in order
        seen = [m["message_id"] for m in received["work_orders"][REF]]
        assert len(seen) == len(set(seen))

        # replay: the whole work order again, same keys — the hotline applies none of it twice
        replayed = cli(database, "deliveries", "replay", REF)
        assert replayed.returncode == 0, replayed.stderr
        wait_for(lambda: sim_state(sim)["duplicates"] >= 8, what="the replay")
        assert len(sim_state(sim)["work_orders"][REF]) == 8
        wait_for(lambda: hotline_backlog(second) == 0, what="nothing left queued")
    listing = cli(database, "deliveries", "--external-ref", REF)
    assert listing.returncode == 0
    assert "delivered" in listing.stdout
    assert cli(database, "deliveries", "--failed", "--json").stdout.strip() == ""
