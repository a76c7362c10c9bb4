"""A complaint handed over by the scope check: the command decides on it without loading it again, and decides
again on the stored state when the store has moved on since (another process wrote meanwhile)."""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from application.calendar_loader import load_calendar
from application.clock import SettableClock
from application.complaints import ComplaintsApp
from application.errors import VersionMismatch
from application.persistence import parse_database_url
from application.store import hand_over
from domain.complaint import Complaint
from domain.errors import ComplaintError
from domain.roster import SigningMode
from domain.values import Actor, Channel, Classification, Complainant, ComplainantType, Role

CST = timezone(timedelta(hours=8))
CALENDAR = load_calendar(Path(__file__).resolve().parents[2] / "ops" / "calendar")
CLERK = Actor("clerk-1", "王窗口", Role.window_clerk)
START = datetime(2025, 9, 26, 10, 0, tzinfo=CST)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest) -> str:
    fixture = "sqlite_url" if request.param == "sqlite" else "pg_url"
    url: str = request.getfixturevalue(fixture)
    return url


@pytest.fixture
def apps(store_url: str) -> Iterator[tuple[ComplaintsApp, ComplaintsApp]]:
    """Two processes on one store: ``ours`` serves the request, ``theirs`` writes meanwhile."""
    env = parse_database_url(store_url).env
    ours = ComplaintsApp(
        env=dict(env), clock=SettableClock(START), calendar=CALENDAR, signing_mode=SigningMode.roles_only
    )
    theirs = ComplaintsApp(
        env=dict(env), clock=SettableClock(START), calendar=CALENDAR, signing_mode=SigningMode.roles_only
    )
    yield ours, theirs
    ours.close()
    theirs.close()


def received(app: ComplaintsApp) -> UUID:
    return app.receive(
        channel=Channel.window,
        content="楼道灯坏了",
        category="other",
        complainant=Complainant(ComplainantType.person, "群众甲", "13800000000"),
        actor=CLERK,
    ).id


def in_request(handed: Complaint, command: Any) -> Any:
    """``command`` in a request's context whose scope check handed ``handed`` over."""

    def run() -> Any:
        hand_over(handed)
        return command()

    return contextvars.copy_context().run(run)


def test_the_command_decides_on_the_handed_complaint_without_loading_it_again(
    apps: tuple[ComplaintsApp, ComplaintsApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    ours, _ = apps
    cid = received(ours)
    seen = ours.get(cid)
    loads: list[UUID] = []
    plain_get = ours.get

    def counted(complaint_id: UUID, **kw: Any) -> Complaint:
        loads.append(complaint_id)
        return plain_get(complaint_id, **kw)

    monkeypatch.setattr(ours, "get", counted)
    done = in_request(
        seen, lambda: ours.classify(cid, classification=Classification.general, reason="一般", actor=CLERK)
    )
    assert done.version == 2
    assert loads == []
    assert plain_get(cid).classification is Classification.general


def test_a_handed_complaint_the_store_has_left_is_decided_again_on_the_stored_state(
    apps: tuple[ComplaintsApp, ComplaintsApp],
) -> None:
    ours, theirs = apps
    cid = received(ours)
    seen = ours.get(cid)  # version 1: received, not classified
    theirs.classify(cid, classification=Classification.general, reason="一般", actor=CLERK)
    # 改分类 needs a classified complaint: refused on the handed copy, granted on the stored state
    done = in_request(
        seen,
        lambda: ours.reclassify(cid, classification=Classification.cannot_do, reason="实为不能办", actor=CLERK),
    )
    assert done.version == 3
    assert ours.get(cid).classification is Classification.cannot_do


def test_if_match_is_checked_against_the_stored_version_not_a_stale_handed_copy(
    apps: tuple[ComplaintsApp, ComplaintsApp],
) -> None:
    ours, theirs = apps
    cid = received(ours)
    seen = ours.get(cid)
    theirs.classify(cid, classification=Classification.general, reason="一般", actor=CLERK)
    done = in_request(
        seen,
        lambda: ours.reclassify(
            cid, classification=Classification.cannot_do, reason="实为不能办", actor=CLERK, expected_version=2
        ),
    )
    assert done.version == 3
    with pytest.raises(VersionMismatch):  # a stale If-Match is still refused, handed copy or not
        in_request(
            ours.get(cid),
            lambda: ours.reclassify(
                cid, classification=Classification.hard_to_do, reason="再改", actor=CLERK, expected_version=2
            ),
        )


def test_a_rule_refusing_on_the_stored_state_is_the_answer(apps: tuple[ComplaintsApp, ComplaintsApp]) -> None:
    ours, _ = apps
    cid = received(ours)
    with pytest.raises(ComplaintError):  # not classified: 改分类 refused, on the handed copy and on the store
        in_request(
            ours.get(cid),
            lambda: ours.reclassify(cid, classification=Classification.cannot_do, reason="实为不能办", actor=CLERK),
        )
    assert ours.get(cid).version == 1
