"""Idempotency keys belong to the caller: another clerk's same key is another intake (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from application.clock import SettableClock
from application.complaints import ComplaintsApp, new_salt
from application.persistence import parse_database_url
from application.store import caller_key_id, legacy_key_id
from domain.calendar import WorkingCalendar
from domain.complaint import Complaint
from domain.roster import SigningMode
from domain.rules import Limits
from domain.values import Actor, Channel, Complainant, ComplainantType, Role
from tests.support import auth, client_for, receive_body

ALICE = Actor("clerk-alice", "窗口甲", Role.window_clerk)
BOB = Actor("clerk-bob", "窗口乙", Role.window_clerk)


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'yousu.db'}"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def client(url: str) -> Iterator[TestClient]:
    with client_for(url) as c:
        yield c


def test_same_key_and_body_from_another_clerk_is_a_new_complaint(client: TestClient) -> None:
    alice = {**auth(Role.window_clerk, sub="clerk-alice"), "Idempotency-Key": "intake-0001"}
    bob = {**auth(Role.window_clerk, sub="clerk-bob"), "Idempotency-Key": "intake-0001"}
    first = client.post("/v1/complaints", json=receive_body(), headers=alice)
    assert first.status_code == 201
    theirs = client.post("/v1/complaints", json=receive_body(), headers=bob)
    assert theirs.status_code == 201
    assert "Idempotent-Replayed" not in theirs.headers
    assert theirs.json()["id"] != first.json()["id"]
    assert theirs.json()["slip_no"] != first.json()["slip_no"]
    retry = client.post("/v1/complaints", json=receive_body(), headers=alice)
    assert retry.status_code == 200
    assert retry.json()["id"] == first.json()["id"]
    bob_retry = client.post("/v1/complaints", json=receive_body(), headers=bob)
    assert bob_retry.json()["id"] == theirs.json()["id"]


def test_an_intake_recorded_before_scoping_is_still_found_by_its_clerk(
    url: str, clock: SettableClock, calendar: WorkingCalendar
) -> None:
    app = ComplaintsApp(
        env=parse_database_url(url).env, clock=clock, calendar=calendar, signing_mode=SigningMode.roles_only
    )
    try:
        complainant = Complainant(ComplainantType.person, "张三", "13800001111")
        # what the earlier code stored: the id derived from the key alone
        legacy = Complaint.receive(
            slip_no="20250926-LEGACY",
            channel=Channel.window,
            content="旧版本受理",
            category="housing",
            complainant=complainant,
            actor=ALICE,
            now=clock.now(),
            calendar=calendar,
            limits=Limits(),
            complaint_id=legacy_key_id("old-key"),
            salt=new_salt,
            fingerprint="fp-1",
        )
        app.save(legacy)

        def intake(actor: Actor) -> tuple[str, bool]:
            result = app.receive(
                channel=Channel.window,
                content="旧版本受理",
                category="housing",
                complainant=complainant,
                actor=actor,
                idempotency_key="old-key",
                fingerprint="fp-1",
            )
            return str(result.id), result.created

        assert intake(ALICE) == (str(legacy.id), False)
        bob_id, created = intake(BOB)
        assert created
        assert bob_id != str(legacy.id)
    finally:
        app.close()


def test_the_same_clerk_and_key_at_another_centre_is_another_intake(client: TestClient) -> None:
    hall = {**auth(Role.window_clerk, sub="clerk-carol"), "Idempotency-Key": "intake-0002"}
    street = {**auth(Role.window_clerk, sub="clerk-carol", centre="jiefang"), "Idempotency-Key": "intake-0002"}
    first = client.post("/v1/complaints", json=receive_body(), headers=hall)
    assert first.status_code == 201
    there = client.post("/v1/complaints", json=receive_body(), headers=street)
    assert there.status_code == 201, there.text
    assert "Idempotent-Replayed" not in there.headers
    assert there.json()["id"] != first.json()["id"]
    assert there.json()["slip_no"].startswith("YS-jiefang-")
    again = client.post("/v1/complaints", json=receive_body(), headers=street)
    assert (again.status_code, again.json()["id"]) == (200, there.json()["id"])
    # and the street centre's session cannot read the hall's intake back by its id
    assert client.get(f"/v1/complaints/{first.json()['id']}", headers=street).status_code == 404


def test_an_intake_keyed_by_caller_alone_is_found_only_at_its_own_centre(
    url: str, clock: SettableClock, calendar: WorkingCalendar
) -> None:
    app = ComplaintsApp(
        env=parse_database_url(url).env,
        clock=clock,
        calendar=calendar,
        centres=["jiefang"],
        signing_mode=SigningMode.roles_only,
    )
    try:
        complainant = Complainant(ComplainantType.person, "张三", "13800001111")
        # what the code before centre-scoped keys stored: the id derived from the caller and the key
        earlier = Complaint.receive(
            slip_no="YS-jiefang-20250926-00077",
            channel=Channel.window,
            content="中心受理",
            category="housing",
            complainant=complainant,
            actor=ALICE,
            now=clock.now(),
            calendar=calendar,
            limits=Limits(),
            complaint_id=caller_key_id("key-7", ALICE.id),
            salt=new_salt,
            fingerprint="fp-7",
            centre="jiefang",
            known_centres=app.centres,
        )
        app.save(earlier)

        def intake(centre: str) -> tuple[str, bool]:
            result = app.receive(
                channel=Channel.window,
                content="中心受理",
                category="housing",
                complainant=complainant,
                actor=ALICE,
                idempotency_key="key-7",
                fingerprint="fp-7",
                centre=centre,
            )
            return str(result.id), result.created

        assert intake("jiefang") == (str(earlier.id), False)
        elsewhere, created = intake("district")
        assert created
        assert elsewhere != str(earlier.id)
    finally:
        app.close()
