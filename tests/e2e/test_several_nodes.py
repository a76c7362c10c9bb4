"""Several nodes, one of each duty: two of every process on one PostgreSQL, each kind SIGKILLed under load.

Two ``yousu serve`` nodes take hotline intakes (each becomes a message for the 12345 hotline) and
classify them; two ``yousu project`` runners share the views (each page applied by the runner that
locked the view's tracking row, ``FOR UPDATE SKIP LOCKED``); two ``yousu sweep`` processes compete
for the ``sweep`` duty (a PostgreSQL session advisory lock, ``yousu.background.Duty``), whose holder
sweeps and delivers the hotline outbox. Mid-load one serve node, one runner and the sweep duty's
holder are SIGKILLed. Proven: the other sweeper takes the duty within 10 s; every acknowledged
intake is there and none is recorded twice; the views equal a fold of the events; the audit chain
verifies; the hotline simulator received every work order's messages, in order, each accepted once
and none refused.
"""

from __future__ import annotations

import contextlib
import json
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import create_pg_database, drop_pg_database
from tests.e2e.conftest import REPO, free_port
from tests.e2e.fleet import (
    Load,
    Proc,
    assert_audit_verifies,
    assert_views_are_a_fold_of_the_events,
    node_env,
    processes,
    retry_all,
    serve,
    spawn,
    views_caught_up,
    wait_for,
)
from tests.support import CST

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
SIMULATOR = REPO / "ops" / "hotline" / "simulator.py"
HANDOVER_SECONDS = 10.0


@contextlib.contextmanager
def simulator(port: int, state: Path) -> Iterator[str]:
    """The 12345 hotline simulator as a process."""
    proc = subprocess.Popen(
        [sys.executable, str(SIMULATOR), "--port", str(port), "--state", str(state)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: httpx.get(f"{url}/state", timeout=1).status_code == 200, 30, "simulator up")
        yield url
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def hotline_intake(body: dict[str, Any]) -> dict[str, Any]:
    """A hotline work order with its own reference, received a little while ago."""
    return {
        **body,
        "channel": "hotline",
        "external_ref": f"HL-{uuid.uuid4().hex[:12]}",
        "received_at": (datetime.now(tz=CST) - timedelta(minutes=5)).isoformat(),
    }


def duty_lines(proc: Proc, event: str) -> int:
    """How many ``event`` lines about the sweep duty the process has logged."""
    found = 0
    for line in proc.stderr().splitlines():
        with contextlib.suppress(ValueError):
            entry = json.loads(line)
            found += entry.get("event") == event and entry.get("duty") == "sweep"
    return found


def acquisitions(proc: Proc) -> int:
    """How many times the process took the sweep duty (its ``duty_acquired`` log lines)."""
    return duty_lines(proc, "duty_acquired")


def refusals(proc: Proc) -> int:
    """How many times the process tried for the sweep duty and found it held (its ``duty_busy`` debug lines)."""
    return duty_lines(proc, "duty_busy")


def test_each_kind_of_process_killed_under_load_every_duty_done_once(tmp_path: Path) -> None:
    url = create_pg_database("yousu_nodes")
    port = free_port()
    settings = {
        "YOUSU_BACKGROUND": "false",
        "YOUSU_STORE_TIMEOUT": "15",
        "YOUSU_SWEEP_INTERVAL": "0.5",
        "YOUSU_HOTLINE_URL": f"http://127.0.0.1:{port}/work-orders",
        "YOUSU_HOTLINE_BACKOFF": "0.2",
        "YOUSU_HOTLINE_BACKOFF_CAP": "1",
        "YOUSU_HOTLINE_TIMEOUT": "2",
        # small pools: six processes share the suite's PostgreSQL and its 100 connections with the other worker's
        # tests (at the default sizes this fleet alone held 53). The drills on a cluster of their own keep the
        # default pools.
        "YOUSU_POOL_SIZE": "2",
        "YOUSU_POOL_MAX_OVERFLOW": "4",
    }
    env = node_env(url, **settings)
    try:
        with simulator(port, tmp_path / "hotline.json") as sim, processes() as started:
            nodes = [serve(started, f"serve-{n}", env, tmp_path) for n in (1, 2)]
            runners = [spawn(started, f"project-{n}", ["project"], env, tmp_path) for n in (1, 2)]
            sweep_env = {**env, "YOUSU_LOG_LEVEL": "DEBUG"}  # each refused try for the duty is a debug line
            sweepers = [spawn(started, f"sweep-{n}", ["sweep"], sweep_env, tmp_path) for n in (1, 2)]
            serve_procs = [p for p in started if p.name.startswith("serve-")]
            wait_for(lambda: sum(acquisitions(s) for s in sweepers) >= 1, 120, "a sweeper holds the duty")
            # the other one tries for it every sweep interval: a few of its tries found it held, none took it
            wait_for(lambda: sum(refusals(s) for s in sweepers) >= 5, 60, "the other sweeper tried for the duty")
            assert sorted(acquisitions(s) for s in sweepers) == [0, 1], "the duty is held once"
            leader, follower = sorted(sweepers, key=lambda s: -acquisitions(s))

            load = Load(nodes, role="hotline", vary=hotline_intake).start()
            try:
                try:
                    wait_for(lambda: len(load.acknowledged()) >= 20, 120, "20 intakes acknowledged")
                except AssertionError as exc:
                    statuses = Counter(a.status for a in load.attempts)
                    raise AssertionError(f"{exc}: {statuses}\n{serve_procs[0].stderr()[-3000:]}") from exc
                serve_procs[0].process.kill()  # a serve node dies: the clients' requests to it fail
                load.urls = [nodes[1]]
                runners[0].process.kill()  # a runner dies mid-page, maybe: its transaction rolls back
                killed = time.monotonic()
                leader.process.kill()  # the sweep duty's holder dies
                wait_for(lambda: acquisitions(follower) >= 1, HANDOVER_SECONDS, "the sweep duty handed on")
                handover = time.monotonic() - killed
                sys.stdout.write(f"\nsweep duty handed on {handover:.1f} s after its holder was killed\n")
                before = len(load.acknowledged())
                wait_for(lambda: len(load.acknowledged()) >= before + 20, 120, "load continues on the other node")
            finally:
                load.close()
            assert handover < HANDOVER_SECONDS

            acknowledged = load.acknowledged()
            ids = retry_all(nodes[1], load.attempts)  # every acknowledged intake there, none recorded twice
            assert len(set(ids.values())) == len(ids)
            refs = {a.body["external_ref"] for a in load.attempts}

            # every work order's messages reach the hotline, in order, each accepted once
            def delivered() -> bool:
                state = httpx.get(f"{sim}/state", timeout=5).json()
                return set(state["work_orders"]) >= refs and views_caught_up(url)

            wait_for(delivered, 120, "every work order reached the hotline")
            state = httpx.get(f"{sim}/state", timeout=5).json()
            assert state["refused"] == []
            for ref in refs:
                messages = state["work_orders"][ref]
                assert messages[0]["type"] == "accepted"
                assert len({m["message_id"] for m in messages}) == len(messages)
            sys.stdout.write(
                f"several nodes: {len(load.attempts)} intakes tried, {len(acknowledged)} acknowledged, 0 lost; "
                f"hotline: {sum(len(m) for m in state['work_orders'].values())} messages accepted once, "
                f"{state['duplicates']} repeated posts answered as duplicates\n"
            )
            for p in started:
                if p.process.poll() is None:
                    p.process.terminate()
                    p.process.wait(timeout=15)
        assert_views_are_a_fold_of_the_events(url)
        assert_audit_verifies(url)
    finally:
        drop_pg_database(url)
