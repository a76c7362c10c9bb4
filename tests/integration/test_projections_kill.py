"""Projection processes killed with SIGKILL at random moments while commands keep arriving, then restarted.

Two runners run at once throughout (on PostgreSQL they race for the same views). At the end the views
must equal the reference and every metric its brute-force count: nothing lost, nothing counted twice.
"""

from __future__ import annotations

import os
import random
import subprocess
import threading
import time
from pathlib import Path

import pytest

from application.clock import SettableClock
from application.complaints import ComplaintsApp
from domain.roster import SigningMode
from projections.db import ViewDB
from projections.tracking import positions, wait_until
from tests.e2e.conftest import yousu_executable
from tests.integration.projections_reference import (
    CALENDAR,
    START,
    Driver,
    assert_views_match,
    seeded_history,
)
from tests.support import CIPHER_KEY, settings_for
from yousu.wiring import store_env

ROOT = Path(__file__).resolve().parents[2]


class RunnerProcesses:
    """``yousu project`` subprocesses that can be killed and restarted."""

    def __init__(self, url: str, logs: Path, count: int) -> None:
        self.url = url
        self.logs = logs
        self.started = 0
        self.kills = 0
        self.procs = [self._start() for _ in range(count)]

    def _start(self) -> subprocess.Popen[bytes]:
        self.started += 1
        log = (self.logs / f"runner-{self.started}.log").open("wb")
        cmd = [str(yousu_executable()), "project", "--page-size", "13", "--poll-interval", "0.02"]
        env = {**os.environ, "YOUSU_DATABASE_URL": self.url, "YOUSU_CIPHER_KEY": CIPHER_KEY}
        return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)

    def kill_one(self, rnd: random.Random) -> None:
        """SIGKILL one runner and start a fresh one in its place."""
        i = rnd.randrange(len(self.procs))
        self.procs[i].kill()
        self.procs[i].wait()
        self.kills += 1
        self.procs[i] = self._start()

    def stop(self) -> None:
        """SIGTERM every runner and wait for it."""
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def wait_caught_up(db: ViewDB, newest: int, timeout: float = 60.0) -> None:
    """Until every view's tracking reached ``newest``."""
    assert wait_until(db, newest, timeout=timeout, views=["ledger", "sla", "metrics"]), positions(db)


def kill_while_writing(url: str, logs: Path, seed: int) -> None:
    """Commands from one thread, random SIGKILLs from another, two runners alive throughout."""
    rnd = random.Random(seed)
    clock = SettableClock(START)
    # written through the same settings and cipher path as the `yousu project` processes read it
    app = ComplaintsApp(
        env=store_env(settings_for(url)), clock=clock, calendar=CALENDAR, signing_mode=SigningMode.roles_only
    )
    runners = RunnerProcesses(url, logs, count=2)
    done = threading.Event()

    def killer() -> None:
        while not done.wait(rnd.uniform(0.05, 0.35)):
            runners.kill_one(rnd)

    thread = threading.Thread(target=killer, daemon=True)
    db = ViewDB.from_url(url)
    try:
        time.sleep(0.5)  # let the first runners set the views up
        thread.start()
        ops = [op for op in seeded_history(seed, complaints=80, steps=1500) if op[0] not in ("project", "check")]
        driver = Driver(app, clock)
        began = time.monotonic()
        for i in range(0, len(ops), 20):
            driver.run(ops[i : i + 20])
            if runners.kills >= 8 and time.monotonic() - began > 2:
                break
        done.set()
        thread.join()
        assert runners.kills >= 5
        wait_caught_up(db, app.max_notification_id())
        runners.stop()
        assert_views_match(app, db, CALENDAR, [START, clock.now()])
    finally:
        done.set()
        runners.stop()
        db.close()
        app.close()


@pytest.mark.postgres
@pytest.mark.parametrize("seed", [7])
def test_sigkill_two_runners_postgres(pg_url: str, tmp_path: Path, seed: int) -> None:
    kill_while_writing(pg_url, tmp_path, seed)


@pytest.mark.parametrize("seed", [8])
def test_sigkill_two_runners_sqlite(sqlite_url: str, tmp_path: Path, seed: int) -> None:
    kill_while_writing(sqlite_url, tmp_path, seed)
