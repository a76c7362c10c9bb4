"""One holder per duty: a PostgreSQL session advisory lock, handed on when its holder goes."""

from __future__ import annotations

import pytest
import structlog
from structlog.testing import capture_logs

from application.persistence import parse_database_url
from projections.db import ViewDB
from yousu import background
from yousu.background import Duty
from yousu.wiring import duty

pytestmark = pytest.mark.postgres


def test_one_holder_at_a_time_and_the_next_takes_over_when_it_goes(pg_url: str) -> None:
    views = ViewDB(parse_database_url(pg_url))
    first, second = duty("sweep", views), duty("sweep", views)
    other = duty("anchor", views)
    try:
        assert first.held()
        assert first.held()  # still ours on the next tick
        assert not second.held()
        assert other.held()  # another duty is another lock
        first.close()  # the holder goes (a killed process's session ends the same way)
        assert second.held()
        assert not first.held()
    finally:
        for d in (first, second, other):
            d.close()
        views.close()


@pytest.mark.usefixtures("structlog_defaults")
def test_each_try_for_a_duty_held_elsewhere_is_a_debug_line(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A follower says it tried and found the duty held: a drill counts these rather than sleeping."""
    views = ViewDB(parse_database_url(pg_url))
    first, second = duty("sweep", views), duty("sweep", views)
    try:
        with capture_logs() as logs:
            # a logger bound before (cached on first use by the service's logging set-up) would bypass the capture
            monkeypatch.setattr(background, "log", structlog.get_logger("yousu.background"))
            assert first.held()
            assert not second.held()
            assert not second.held()
            first.close()
            assert second.held()
        busy = [e for e in logs if e["event"] == "duty_busy"]
        assert [(e["duty"], e["log_level"]) for e in busy] == [("sweep", "debug"), ("sweep", "debug")]
        assert [e["event"] for e in logs if e["event"].startswith("duty_")] == [
            "duty_acquired",
            "duty_busy",
            "duty_busy",
            "duty_released",
            "duty_acquired",
        ]
    finally:
        for d in (first, second):
            d.close()
        views.close()


def test_embedded_store_has_no_competition() -> None:
    assert Duty("sweep", None).held()
