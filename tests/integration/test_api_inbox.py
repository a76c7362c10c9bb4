"""Escalation inboxes over HTTP: who may read which, and supervisors matched by their token's ``sub`` only."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest
from fastapi.testclient import TestClient

from application.clock import SettableClock
from domain.values import Role
from policies.sweeper import Sweeper
from tests.conftest import CST
from tests.support import auth, client_for, receive_body

CLERK, OFFICER, LEADER = auth(Role.window_clerk), auth(Role.duty_officer), auth(Role.duty_leader)
SUPERVISOR_ID = "sup-0007"  # the supervisor's user id: what 转办 names and what their token carries as `sub`


def dispatched(client: TestClient, supervisor: str) -> str:
    cid: str = client.post("/v1/complaints", json=receive_body(), headers=CLERK).json()["id"]
    client.post(f"/v1/complaints/{cid}/classify", json={"classification": "cannot_do"}, headers=CLERK)
    client.post(f"/v1/complaints/{cid}/sign", json={}, headers=OFFICER)
    client.post(f"/v1/complaints/{cid}/sign", json={}, headers=LEADER)
    r = client.post(
        f"/v1/complaints/{cid}/dispatch",
        json={"departments": ["housing"], "supervisor": supervisor},
        headers=LEADER,
    )
    assert r.status_code == 200, r.text
    return cid


@pytest.fixture(scope="module")
def escalated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, str, str]]:
    """Two complaints past their resolution deadline (level 1: supervisor and duty leader), different supervisors."""
    db = tmp_path_factory.mktemp("inbox") / "yousu.db"
    clock = SettableClock(datetime(2025, 9, 26, 10, 0, tzinfo=CST))
    with client_for(f"sqlite:///{db}", clock) as client:
        mine = dispatched(client, SUPERVISOR_ID)
        other = dispatched(client, "sup-0008")
        container = client.app.state.container  # type: ignore[attr-defined]
        container.catch_up()
        clock.set(datetime(2025, 9, 28, 17, 31, tzinfo=CST))  # past the 调休 Sunday's close of business
        Sweeper(container.complaints, container.views).sweep()
        container.catch_up()
        yield client, mine, other


def inbox_ids(client: TestClient, url: str, headers: dict[str, str]) -> set[str]:
    r = client.get(url, headers=headers)
    assert r.status_code == 200, r.text
    return {i["complaint_id"] for i in r.json()["items"]}


def test_supervisor_sees_the_complaints_whose_supervisor_is_their_sub(escalated: tuple[TestClient, str, str]) -> None:
    client, mine, _other = escalated
    headers = auth(Role.supervisor, sub=SUPERVISOR_ID, name="李督办")
    assert inbox_ids(client, "/v1/inbox", headers) == {mine}
    item = client.get("/v1/inbox", headers=headers).json()["items"][0]
    assert (item["clock"], item["level"], item["supervisor"]) == ("resolution", 1, SUPERVISOR_ID)
    assert {"supervisor", "duty_leader"} <= set(item["recipients"])


def test_supervisor_is_never_matched_by_display_name(escalated: tuple[TestClient, str, str]) -> None:
    client, _, _ = escalated
    # a token whose display name equals the supervisor's id, but whose sub is someone else's
    impostor = auth(Role.supervisor, sub="sup-9999", name=SUPERVISOR_ID)
    assert inbox_ids(client, "/v1/inbox", impostor) == set()


def test_duty_leader_sees_every_level_one_notice(escalated: tuple[TestClient, str, str]) -> None:
    client, mine, other = escalated
    assert inbox_ids(client, "/v1/inbox", LEADER) == {mine, other}


def test_liaison_inbox_holds_only_notices_copied_to_the_liaison(escalated: tuple[TestClient, str, str]) -> None:
    client, _, _ = escalated
    assert inbox_ids(client, "/v1/liaison/inbox", auth(Role.liaison)) == set()  # level 1 is not copied to 纪检


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("/v1/inbox", {Role.duty_leader, Role.supervisor}),
        ("/v1/liaison/inbox", {Role.liaison, Role.admin}),
    ],
)
def test_inbox_permissions(escalated: tuple[TestClient, str, str], url: str, allowed: set[Role]) -> None:
    client, _, _ = escalated
    for role in Role:
        if role is Role.system:
            continue
        r = client.get(url, headers=auth(role))
        assert r.status_code == (200 if role in allowed else 403), (role, r.text)
        if r.status_code == 403:
            assert r.json()["code"] == "forbidden"
            assert "收件箱" in r.json()["detail"]  # the refusal names what was refused
