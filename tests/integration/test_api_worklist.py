"""The window clerk's and a department's own lists, and finding a complaint by slip number (issue 10 point 7)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from fastapi.testclient import TestClient

from application.clock import SettableClock
from domain.values import Role
from tests.support import auth, client_for, receive_body

CLERK_A = auth(Role.window_clerk, sub="clerk-a")
CLERK_B = auth(Role.window_clerk, sub="clerk-b")
OFFICER = auth(Role.duty_officer)
LEADER = auth(Role.duty_leader)
CST = timezone(timedelta(hours=8))
HOUSING = auth(Role.department, department="housing")
TAX = auth(Role.department, department="tax")


def post(client: TestClient, cid: str, verb: str, body: dict[str, Any], headers: dict[str, str]) -> int:
    r = client.post(f"/v1/complaints/{cid}/{verb}", json=body, headers=headers)
    assert r.status_code == 200, (verb, r.text)
    return int(r.json()["notification_id"])


def dispatched(client: TestClient, kind: str, departments: list[str], clerk: dict[str, str]) -> str:
    cid: str = client.post("/v1/complaints", json=receive_body(), headers=clerk).json()["id"]
    post(client, cid, "classify", {"classification": kind}, clerk)
    post(client, cid, "sign", {}, OFFICER)
    post(client, cid, "sign", {}, LEADER)
    post(client, cid, "dispatch", {"departments": departments, "supervisor": "s1"}, LEADER)
    return cid


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, dict[str, Any]]]:
    db = tmp_path_factory.mktemp("worklist") / "yousu.db"
    with client_for(f"sqlite:///{db}") as client:
        hard = dispatched(client, "hard_to_do", ["housing"], CLERK_A)  # 5 working days
        cannot = dispatched(client, "cannot_do", ["housing", "tax"], CLERK_B)  # 1 working day: due first
        general: str = client.post("/v1/complaints", json=receive_body(), headers=CLERK_A).json()["id"]
        post(client, general, "classify", {"classification": "general"}, CLERK_A)
        last = post(client, general, "resolve", {"result": "当场解答"}, CLERK_A)  # feedback now due
        yield client, {"hard": hard, "cannot": cannot, "general": general, "after": last}


def test_a_department_lists_what_was_dispatched_to_it_by_deadline(world: tuple[TestClient, dict[str, Any]]) -> None:
    client, ids = world
    housing = client.get(f"/v1/worklist?after={ids['after']}", headers=HOUSING).json()
    assert [r["id"] for r in housing["dispatched"]] == [ids["cannot"], ids["hard"]]  # nearest deadline first
    tax = client.get(f"/v1/worklist?after={ids['after']}", headers=TAX).json()
    assert [r["id"] for r in tax["dispatched"]] == [ids["cannot"]]
    assert "13812345678" not in str(housing)  # masked as in every view


def test_a_clerk_lists_their_own_intake_and_the_feedback_queue(world: tuple[TestClient, dict[str, Any]]) -> None:
    client, ids = world
    mine = client.get(f"/v1/worklist?after={ids['after']}", headers=CLERK_A).json()
    assert {r["id"] for r in mine["intake"]} == {ids["hard"], ids["general"]}
    assert [(q["complaint_id"], q["clock"]) for q in mine["queue"]] == [(ids["general"], "feedback")]
    other = client.get(f"/v1/worklist?after={ids['after']}", headers=CLERK_B).json()
    assert [r["id"] for r in other["intake"]] == [ids["cannot"]]


@pytest.mark.parametrize("role", [Role.analyst, Role.hotline, Role.liaison])
def test_others_have_no_worklist(world: tuple[TestClient, dict[str, Any]], role: Role) -> None:
    client, _ = world
    assert client.get("/v1/worklist", headers=auth(role)).status_code == 403


def test_by_slip_follows_the_same_visibility(world: tuple[TestClient, dict[str, Any]]) -> None:
    client, ids = world
    slip = client.get(f"/v1/complaints/{ids['hard']}", headers=CLERK_A).json()["slip_no"]
    r = client.get(f"/v1/complaints/by-slip/{slip}?after={ids['after']}", headers=CLERK_A)
    assert r.status_code == 200, r.text
    assert r.json()["id"] == ids["hard"]
    assert client.get(f"/v1/complaints/by-slip/{slip}", headers=HOUSING).status_code == 200
    for headers in (TAX, auth(Role.window_clerk, centre="jiefang")):
        r = client.get(f"/v1/complaints/by-slip/{slip}", headers=headers)
        assert (r.status_code, r.json()["code"]) == (404, "complaint_not_found")
    assert client.get("/v1/complaints/by-slip/YS2025092600077", headers=CLERK_A).status_code == 404  # old form
    bad = client.get("/v1/complaints/by-slip/not-a-slip", headers=CLERK_A)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "slip_no"


def test_a_departments_countdown_is_in_working_hours(tmp_path: Any) -> None:
    """办不了 dispatched Friday 26 September 2025 10:00 (Beijing) is due Sunday the 28th 17:30: one working day
    (Civil Code counting), and that Sunday is a 调休 working day before National Day. 7.5 working hours left
    on Friday (10:00–17:30) plus 8.5 on the Sunday (09:00–17:30); Saturday counts nothing. On Tuesday 10:00
    it is 9.5 working hours overdue (Monday 09:00–17:30 and Tuesday 09:00–10:00)."""
    clock = SettableClock(datetime(2025, 9, 26, 10, 0, tzinfo=CST))
    with client_for(f"sqlite:///{tmp_path / 'hours.db'}", clock) as client:
        cid: str = client.post("/v1/complaints", json=receive_body(), headers=CLERK_A).json()["id"]
        post(client, cid, "classify", {"classification": "cannot_do"}, CLERK_A)
        post(client, cid, "sign", {}, OFFICER)
        post(client, cid, "sign", {}, LEADER)
        after = post(client, cid, "dispatch", {"departments": ["housing"], "supervisor": "s1"}, LEADER)
        rows = client.get(f"/v1/worklist?after={after}", headers=HOUSING).json()["dispatched"]
        assert [(r["id"], r["working_hours_left"]) for r in rows] == [(cid, 16.0)]
        assert rows[0]["due_at"].startswith("2025-09-28T09:30")  # 17:30 in Beijing, stored in UTC
        clock.set(datetime(2025, 9, 27, 12, 0, tzinfo=CST))  # Saturday: no working hour passes
        assert client.get("/v1/worklist", headers=HOUSING).json()["dispatched"][0]["working_hours_left"] == 8.5
        clock.set(datetime(2025, 9, 30, 10, 0, tzinfo=CST))
        assert client.get("/v1/worklist", headers=HOUSING).json()["dispatched"][0]["working_hours_left"] == -9.5
