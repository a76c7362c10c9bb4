"""Processes starting at once on an empty PostgreSQL database all create the store and views without error."""

from __future__ import annotations

import json
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
# What `serve` does before listening (store tables, view tables) and what the delivery policy adds. Each
# process imports the project once, then runs one start-up per round on that round's new empty database,
# every process at the same instant (sent on stdin once all of them finished the round before); it answers
# one line per round, "@race " and JSON: "ready", or each exception of the chain that made it give up (class
# and message) and the end of its traceback (its log lines share stdout and are passed over).
STARTUP = """
import json, sys, time, traceback
from yousu.settings import Settings
from yousu.server import build_container, close_container
from policies.delivery import Deliverer
import application.meaning
application.meaning.load = lambda: None  # the word vectors (2 s of CPU a process) take no part in the race
print("@race", json.dumps("imported"), flush=True)
for line in sys.stdin:
    url, start = line.split()
    time.sleep(max(0.0, float(start) - time.time()))
    try:
        container = build_container(Settings(database_url=url))
        assert container.views is not None
        Deliverer(container.views, container.complaints.calendar, []).client.close()
        close_container(container)
        answer = "ready"
    except BaseException as exc:
        # each exception of the chain by its class and message (the cause is the line that says what gave up),
        # then the end of the traceback
        chain, e = [], exc
        while e is not None and len(chain) < 5:
            chain.append(f"{type(e).__module__}.{type(e).__qualname__}: {e}")
            e = e.__cause__ or e.__context__
        tail = traceback.format_exc().strip().splitlines()[-30:]
        answer = "\\n".join(["chain: " + " <- ".join(chain), *tail])
    print("@race", json.dumps(answer), flush=True)
"""

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


def answer(p: subprocess.Popen[str]) -> str:
    """The process's next answer, passing over its log lines; a note when it ended without one."""
    assert p.stdout is not None
    while line := p.stdout.readline():
        if line.startswith("@race "):
            found: str = json.loads(line.removeprefix("@race "))
            return found
    return "(no answer: the process ended)"


def test_three_processes_create_the_store_at_once_ten_times() -> None:
    # one pooled connection each (the race is in creating the tables, not in the pools): three processes at
    # the default sizes held 24 connections a round, and beside another module's drill PostgreSQL's 100 ran out
    env = {
        **os.environ,
        "YOUSU_CIPHER_KEY": CIPHER_KEY,
        "YOUSU_AUTH_SECRET": SECRET,
        "YOUSU_POOL_SIZE": "1",
        "YOUSU_POOL_MAX_OVERFLOW": "1",
    }
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", STARTUP],
            env=env,
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(PROCESSES)
    ]
    failures: list[str] = []
    try:
        for p in procs:  # every interpreter has imported the project before the first round
            assert answer(p) == "imported", p.communicate(timeout=30)[1][-3000:]
        for round_no in range(ROUNDS):
            url = create_pg_database("yousu_race")
            try:
                start = time.time() + 0.5  # each process has read its line and waits for the same instant
                for p in procs:
                    assert p.stdin is not None
                    p.stdin.write(f"{url} {start}\n")
                    p.stdin.flush()
                for p in procs:
                    said = answer(p)
                    if said != "ready":
                        failures.append(f"round {round_no}:\n{said}")
            finally:
                drop_pg_database(url)
    finally:
        for p in procs:
            assert p.stdin is not None
            p.stdin.close()
        for p in procs:
            p.wait(timeout=30)
    assert not failures, failures
