"""Processes starting at once on an empty PostgreSQL database all create the store and views without error."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import create_pg_database, drop_pg_database
from tests.support import CIPHER_KEY, SECRET

ROOT = Path(__file__).resolve().parents[2]
PROCESSES = 3
ROUNDS = 10
# what `serve` does before listening (store tables, view tables) and what the delivery policy adds,
# started together: each process waits for the same instant after its imports
STARTUP = """
import sys, time
from yousu.settings import Settings
from yousu.server import build_container
from policies.delivery import Deliverer
start = float(sys.argv[1])
time.sleep(max(0.0, start - time.time()))
container = build_container(Settings())
assert container.views is not None
Deliverer(container.views, container.complaints.calendar, []).client.close()
print("ready")
"""

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


def test_three_processes_create_the_store_at_once_ten_times() -> None:
    failures: list[str] = []
    for round_no in range(ROUNDS):
        url = create_pg_database("yousu_race")
        try:
            env = {
                **os.environ,
                "YOUSU_DATABASE_URL": url,
                "YOUSU_CIPHER_KEY": CIPHER_KEY,
                "YOUSU_AUTH_SECRET": SECRET,
            }
            start = time.time() + 2.5  # after every interpreter has imported the project
            procs = [
                subprocess.Popen(
                    [sys.executable, "-c", STARTUP, str(start)],
                    env=env,
                    cwd=ROOT,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
                for _ in range(PROCESSES)
            ]
            for p in procs:
                out, errors = p.communicate(timeout=60)
                if p.returncode != 0 or "ready" not in out:
                    # the whole traceback's end: which step of the start-up gave up, and on what
                    tail = "\n".join(errors.strip().splitlines()[-30:])
                    failures.append(f"round {round_no}: exit {p.returncode}:\n{tail}")
        finally:
            drop_pg_database(url)
    assert not failures, failures
