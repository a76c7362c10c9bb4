"""The store guard on a real database: a request's work does not run on after its answer."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from uuid import UUID

import pytest

from api.guard import StoreGuard
from application import deadline
from application.complaints import ComplaintsApp
from application.errors import ComplaintNotFound, DeadlineExceeded, OutcomeUnknown, StoreUnavailable
from application.persistence import parse_database_url
from application.store import intake_id
from domain.roster import SigningMode
from domain.values import Actor, Channel, Complainant, ComplainantType, Role

CLERK = Actor("c1", "窗口甲", Role.window_clerk)
PERSON = Complainant(ComplainantType.person, "赵六", "13700001111")
SHORT = 0.5


@pytest.fixture(params=["postgresql", "sqlite"])
def app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ComplaintsApp]:
    url = request.getfixturevalue("pg_url") if request.param == "postgresql" else f"sqlite:///{tmp_path / 'y.db'}"
    a = ComplaintsApp(env=parse_database_url(url).env, signing_mode=SigningMode.roles_only)
    yield a
    a.close()


def reachable() -> None:
    """A probe that answers: the database is up."""


def unreachable() -> None:
    """A probe that fails: the database is down."""
    msg = "connection refused"
    raise ConnectionError(msg)


def wait_for(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    """Poll ``condition`` until it holds or ``timeout`` passes (the assertion after it says what was expected)."""
    deadline_at = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline_at:
        time.sleep(0.02)


def receive(app: ComplaintsApp, key: str) -> UUID:
    return app.receive(
        channel=Channel.window, content="诉求", category="housing", complainant=PERSON, actor=CLERK, idempotency_key=key
    ).id


def key_id(key: str) -> UUID:
    found = intake_id(channel=Channel.window, external_ref=None, idempotency_key=key, caller=CLERK.id)
    assert found is not None
    return found


def test_a_write_abandoned_by_its_503_never_commits(app: ComplaintsApp) -> None:
    """The worker reaches the store after the answer was sent: it rolls back, now and later."""
    guard = StoreGuard(reachable, timeout=SHORT)
    started = time.monotonic()

    tried = threading.Event()

    def late_intake() -> UUID:
        try:
            time.sleep(SHORT * 2)  # the request is answered meanwhile
            return receive(app, "late")
        finally:
            tried.set()

    with pytest.raises(StoreUnavailable) as refused:
        guard.call(late_intake)
    assert refused.value.code == "store_unavailable"
    assert time.monotonic() - started < SHORT * 2
    assert tried.wait(30), "the worker has woken up and tried its write"
    with pytest.raises(ComplaintNotFound):
        app.get(key_id("late"))
    assert guard.available, "a slow call against a reachable database does not open the breaker"
    assert guard.call(lambda: receive(app, "next")) == key_id("next")
    guard.close()


def test_a_commit_begun_before_the_answer_is_reported_as_unknown() -> None:
    guard = StoreGuard(reachable, timeout=SHORT)

    def commits_slowly() -> None:
        budget = deadline.current()
        assert budget is not None
        budget.begin_commit()  # COMMIT sent; its answer is lost in the network
        time.sleep(SHORT * 2)

    with pytest.raises(OutcomeUnknown) as unknown:
        guard.call(commits_slowly)
    assert unknown.value.code == "outcome_unknown"
    assert "Idempotency-Key" in unknown.value.detail
    guard.close()


def test_a_budget_abandoned_first_refuses_its_commit() -> None:
    budget = deadline.Budget(10)
    assert budget.abandon() is False
    with pytest.raises(DeadlineExceeded):
        budget.begin_commit()


def test_only_an_unreachable_database_opens_the_breaker() -> None:
    slow, probed = threading.Event(), threading.Event()
    up = StoreGuard(probed.set, timeout=SHORT, long_timeout=SHORT * 4)  # reachable, and says so
    with pytest.raises(StoreUnavailable):
        up.call(lambda: slow.wait(SHORT * 2))  # short call, timed out, probe answers
    assert probed.wait(30), "the probe runs in the background"
    assert up.available
    assert up.call(lambda: slow.wait(SHORT * 2), long=True) is False  # the long deadline covers it
    with pytest.raises(StoreUnavailable):
        up.call(lambda: slow.wait(SHORT * 5), long=True)  # too slow even for the long deadline
    assert up.available
    up.close()

    down = StoreGuard(unreachable, timeout=SHORT)
    with pytest.raises(StoreUnavailable):
        down.call(lambda: slow.wait(SHORT * 2))
    wait_for(lambda: not down.available)  # the probe runs in the background
    assert not down.available, "a timeout the probe confirms opens the breaker"
    down.close()
