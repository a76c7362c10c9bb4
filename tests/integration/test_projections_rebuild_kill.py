"""``rebuild`` killed with SIGKILL part-way, in a real process (PostgreSQL, SQLite): the old views stay whole.

The issue this guards: a killed rebuild left the ledger at 0 rows while the metrics showed
thousands received, and readiness reported a lag of 10,521. A rebuild now fills shadow tables and
swaps them in with the tracking position in one transaction, so whatever moment the process dies at,
the live views keep every row and their position, and the next run brings them to the reference.
"""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import pytest

from application.clock import SettableClock
from projections import tracking
from projections.db import ViewDB
from projections.ledger import LEDGER
from projections.runner import SHADOW_SUFFIX
from tests.integration.projections_reference import (
    CALENDAR,
    START,
    Driver,
    assert_views_match,
    close,
    make_app,
    make_runner,
    seeded_history,
)

ROOT = Path(__file__).resolve().parents[2]
VIEWS = ["ledger", "sla", "metrics"]

# The child rebuilds every view in small pages and prints its progress, one "done total" per page.
CHILD = """
import sys
from application.clock import SettableClock
from tests.integration.projections_reference import START, make_app, make_runner
url, page = sys.argv[1], int(sys.argv[2])
app = make_app(url, SettableClock(START))
runner = make_runner(app, url)
runner.rebuild_page_size = page
runner.rebuild(progress=lambda done, total: print(done, total, flush=True))
print("finished", flush=True)
"""


def rebuild_in_child(url: str, page: int) -> subprocess.Popen[str]:
    """A real ``python`` process rebuilding the views of ``url``."""
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, url, str(page)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def kill_at(proc: subprocess.Popen[str], fraction: float) -> bool:
    """SIGKILL ``proc`` once its progress reaches ``fraction`` of the events; True if it had not finished."""
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.strip() == "finished":
            break
        done, total = (int(x) for x in line.split())
        if total and done >= fraction * total:
            proc.kill()
            break
    proc.wait(timeout=60)
    return proc.returncode == -9  # killed by the signal, not ended of its own


def count(db: ViewDB, table: str) -> int:
    """Rows in ``table``."""
    with db.transaction(write=False) as tx:
        return int(tx.query(f"SELECT COUNT(*) FROM {table}")[0][0])  # noqa: S608 — our table names


def shadow_tables(db: ViewDB) -> list[str]:
    """Tables a rebuild fills before swapping them in."""
    catalog = "SELECT tablename FROM pg_tables" if db.is_postgres else "SELECT name FROM sqlite_master"
    with db.transaction(write=False) as tx:
        return [str(name) for (name,) in tx.query(catalog) if str(name).endswith(SHADOW_SUFFIX)]


@pytest.fixture(params=[pytest.param("postgresql", marks=pytest.mark.postgres), "sqlite"])
def url(request: pytest.FixtureRequest) -> str:
    """Once on PostgreSQL, once on a SQLite file."""
    return str(request.getfixturevalue("pg_url" if request.param == "postgresql" else "sqlite_url"))


def test_rebuild_killed_part_way_leaves_the_old_views(url: str) -> None:
    rnd = random.Random(21)
    clock = SettableClock(START)
    app = make_app(url, clock)
    runner = make_runner(app, url, page_size=500)
    driver = Driver(app, clock)
    ops = [op for op in seeded_history(21, complaints=60, steps=900) if op[0] not in ("project", "check")]
    try:
        half = len(ops) // 2
        driver.run(ops[:half])
        runner.run_once()
        # During the fill, at its end (indexes and swap ahead), and once more mid-way after new events.
        killed = 0
        for i, fraction in enumerate((0.3, 0.7, 1.0, rnd.uniform(0.1, 0.9))):
            complaints = len(driver.ids)
            before = tracking.positions(runner.db)
            proc = rebuild_in_child(url, page=20)
            was_killed = kill_at(proc, fraction)
            killed += was_killed
            if was_killed and fraction < 1:
                assert shadow_tables(runner.db)  # it died mid-fill, its half-built shadows beside the views
            # The old views, whole: every complaint's ledger row, the same tracking positions.
            assert count(runner.db, LEDGER.name) == complaints
            assert tracking.positions(runner.db) == before
            assert tracking.lagging(runner.db, app.max_notification_id(), max_lag=0, views=VIEWS) == {}
            assert_views_match(app, runner.db, CALENDAR, [clock.now()])
            # Commands keep coming; the next run brings the views to the reference fold.
            driver.run(ops[half + 40 * i : half + 40 * (i + 1)])
            runner.run_once()
            assert_views_match(app, runner.db, CALENDAR, [clock.now()])
        assert killed >= 3
        # A rebuild left to finish replaces the views (and a killed one's shadows) with equal ones.
        proc = rebuild_in_child(url, page=500)
        assert not kill_at(proc, 2.0)
        assert proc.returncode == 0
        assert_views_match(app, runner.db, CALENDAR, [clock.now()])
        assert tracking.lag(runner.db, app.max_notification_id(), VIEWS) == dict.fromkeys(VIEWS, 0)
        assert shadow_tables(runner.db) == []
    finally:
        close(app, runner)
