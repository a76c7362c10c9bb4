"""The request plumbing's own rules: a remembered token still expires; the event loop's store call keeps the
guard's deadline and breaker; a store worker answered for at its deadline says when it has ended."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
import structlog
from eventsourcing.persistence import OperationalError
from structlog.testing import capture_logs

from api import guard as guard_module
from api.auth import AuthError, TokenVerifier, mint_token
from api.guard import StoreGuard
from application import deadline
from application.errors import DeadlineExceeded, StoreUnavailable
from domain.values import Role
from tests.support import run_async

SECRET = "plumbing-secret-0123456789-abcdefghij"


def token(lifetime: timedelta) -> str:
    return mint_token(
        secret=SECRET,
        sub="u1",
        name="甲",
        roles=[Role.window_clerk],
        department=None,
        now=datetime.now(tz=UTC),
        lifetime=lifetime,
    )


def test_a_remembered_token_is_the_same_caller() -> None:
    verifier = TokenVerifier(secret=SECRET)
    t = token(timedelta(hours=1))
    assert verifier.verify_cached(t) == verifier.verify(t)
    assert verifier.verify_cached(t) is verifier.verify_cached(t)


def test_a_remembered_token_is_refused_once_it_expires() -> None:
    verifier = TokenVerifier(secret=SECRET, leeway=0)
    t = token(timedelta(seconds=1))
    assert verifier.verify_cached(t).sub == "u1"
    time.sleep(2.1)  # past exp (whole seconds) with no leeway
    with pytest.raises(AuthError, match="过期"):
        verifier.verify_cached(t)


def test_a_refused_token_is_not_remembered() -> None:
    verifier = TokenVerifier(secret=SECRET)
    forged = TokenVerifier(secret="another-secret-0123456789-abcdefghij")
    t = token(timedelta(hours=1))
    with pytest.raises(AuthError):
        forged.verify_cached(t)
    with pytest.raises(AuthError):
        forged.verify_cached(t)  # refused again, not served from memory
    assert verifier.verify_cached(t).sub == "u1"


def test_the_async_store_call_answers_within_the_deadline() -> None:
    guard = StoreGuard(lambda: None, timeout=0.3)
    try:
        assert run_async(guard.call_async(lambda: 42)) == 42
        started = time.monotonic()
        with pytest.raises(DeadlineExceeded):
            run_async(guard.call_async(lambda: time.sleep(2)))
        assert time.monotonic() - started < 1.5
    finally:
        guard.close()


def test_the_async_store_call_trips_the_breaker_on_an_unreachable_database() -> None:
    def down() -> None:
        msg = "connection refused"
        raise OperationalError(msg)

    guard = StoreGuard(down, timeout=1.0)
    try:
        with pytest.raises(StoreUnavailable):
            run_async(guard.call_async(down))
        assert not guard.available
        with pytest.raises(StoreUnavailable):  # open: fails fast
            run_async(guard.call_async(lambda: 1))
    finally:
        guard.close()


@pytest.mark.usefixtures("structlog_defaults")
def test_a_worker_answered_for_at_its_deadline_logs_when_it_has_ended(monkeypatch: pytest.MonkeyPatch) -> None:
    """The 503 leaves the worker running: a second line, with the request's id as the first one, says when it
    stopped (refused at its budget's check) or finished late, so that a drill can wait for it."""
    release = threading.Event()

    def write() -> None:  # held up, then checks its budget before COMMIT as the recorders do
        release.wait(30)
        deadline.check()

    def read() -> int:  # held up, then finishes: a late answer nobody reads
        release.wait(30)
        return 1

    async def read_on_the_event_loop() -> int:
        structlog.contextvars.bind_contextvars(request_id="late-read")
        return await guard.call_async(read)

    def ours(logs: list[dict[str, object]], event: str) -> dict[object, object]:
        """Request id → error of this test's lines (a late worker of an earlier test may end meanwhile)."""
        return {e["request_id"]: e.get("error") for e in logs if e["event"] == event and "request_id" in e}

    guard = StoreGuard(lambda: None, timeout=0.2)
    try:
        with capture_logs(processors=[structlog.contextvars.merge_contextvars]) as logs:
            # a logger bound before (cached on first use by the service's logging set-up) would bypass the capture
            monkeypatch.setattr(guard_module, "log", structlog.get_logger("yousu.store"))
            structlog.contextvars.bind_contextvars(request_id="late-write")
            try:
                with pytest.raises(DeadlineExceeded):
                    guard.call(write)
            finally:
                structlog.contextvars.unbind_contextvars("request_id")
            with pytest.raises(DeadlineExceeded):
                run_async(read_on_the_event_loop())
            assert ours(logs, "store_deadline").keys() == {"late-write", "late-read"}
            assert ours(logs, "store_late_worker_ended") == {}  # both held up still
            release.set()
            until = time.monotonic() + 30
            while len(ours(logs, "store_late_worker_ended")) < 2 and time.monotonic() < until:
                time.sleep(0.02)
        assert ours(logs, "store_late_worker_ended") == {"late-write": "DeadlineExceeded", "late-read": None}
    finally:
        guard.close()
