"""Projection ≡ fold over events: random command histories, the runner in random small pages, on PostgreSQL and SQLite.

Each example checks every view against the reference in ``projections_reference`` and every metric
against a brute-force count, then rebuilds the views and checks the tables are identical.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings

import projections.db
from application.clock import SettableClock
from domain.complaint import Complaint
from domain.rules import ClockKind
from projections import tracking
from tests.integration.projections_reference import (
    CALENDAR,
    OPS,
    START,
    Driver,
    Op,
    assert_views_match,
    close,
    make_app,
    make_runner,
    reset_postgres,
    seeded_history,
    snapshot,
    stored_events,
)

EXAMPLES = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# A 时限更正 is certain here: the response clock is open, and the first correcting calendar closes earlier.
CORRECTED = [("receive", 0, 0, 0, 0), ("correct", 0, 0), ("project", 1, 1), ("step", 0, 1, 1), ("correct", 0, 2)]
# An overdue escalation, then 办不了 → signed → dispatched → 退单 → 改派: the ledger's 逾期 starts afresh at 改派.
# (Random histories meet this only now and then: the test failed once in a fresh clone, where Hypothesis
# had no example database, until the reference folded 改派 as the view does.)
REDISPATCHED_AFTER_ESCALATION = [
    ("receive", 0, 0, 0, 0),
    ("escalate", 0, ClockKind.response, 1, True),
    *[("step", 0, 1, 1)] * 6,
]


def check_history(url: str, ops: list[Op]) -> int:
    """Drive ``ops``, project in the pages they ask for, catch up, compare; rebuild, compare tables.

    Returns how many deadlines were corrected (DeadlineCorrected events) in the history.
    """
    clock = SettableClock(START)
    app = make_app(url, clock)
    runner = make_runner(app, url)

    def check() -> None:
        runner.run_once()
        assert_views_match(app, runner.db, CALENDAR, [clock.now()])

    try:
        Driver(app, clock).run(ops, runner, check)
        runner.page_size = 7
        runner.run_once()
        assert tracking.lag(runner.db, app.max_notification_id()) == dict.fromkeys(("ledger", "sla", "metrics"), 0)
        now = clock.now()
        nows = [START, now - timedelta(hours=20), now, now + timedelta(days=12)]
        assert_views_match(app, runner.db, CALENDAR, nows)
        incremental = snapshot(runner.db)
        # The follower's small pages wrote through column arrays; the rebuild writes through COPY
        # staging, in pages small enough that complaints straddle them (their counts move).
        staged_from = projections.db.STAGE_FROM_ROWS
        projections.db.STAGE_FROM_ROWS = 1
        runner.rebuild_page_size = 15
        try:
            runner.rebuild()
        finally:
            projections.db.STAGE_FROM_ROWS = staged_from
        assert snapshot(runner.db) == incremental
        return sum(isinstance(e, Complaint.DeadlineCorrected) for _, e in stored_events(app))
    finally:
        close(app, runner)


@pytest.fixture
def sqlite_urls(tmp_path: Path) -> Callable[[], str]:
    """A fresh SQLite file per hypothesis example."""
    counter = itertools.count()
    return lambda: f"sqlite:///{tmp_path / f'ex{next(counter)}.db'}"


@pytest.mark.postgres
def test_views_equal_reference_on_postgres(pg_url: str) -> None:
    @EXAMPLES
    @given(ops=OPS)
    @example(ops=CORRECTED)
    @example(ops=REDISPATCHED_AFTER_ESCALATION)
    def run(ops: list[Op]) -> None:
        reset_postgres(pg_url)
        check_history(pg_url, ops)

    run()


def test_deadline_corrections_are_folded(sqlite_urls: Callable[[], str]) -> None:
    assert check_history(sqlite_urls(), CORRECTED) == 2  # to 16:30, then back to 17:30


def test_views_equal_reference_on_sqlite(sqlite_urls: Callable[[], str]) -> None:
    @EXAMPLES
    @given(ops=OPS)
    @example(ops=CORRECTED)
    @example(ops=REDISPATCHED_AFTER_ESCALATION)
    def run(ops: list[Op]) -> None:
        check_history(sqlite_urls(), ops)

    run()


@pytest.mark.parametrize("seed", [1, 2, 7])
def test_long_seeded_history_on_both(pg_url: str, sqlite_urls: Callable[[], str], seed: int) -> None:
    """Long histories (30 complaints, 400 steps): rectification rounds, late and on-the-dot clocks."""
    ops = seeded_history(seed)
    reset_postgres(pg_url)
    assert check_history(pg_url, ops) > 0  # the long histories correct deadlines too
    assert check_history(sqlite_urls(), ops) > 0
