"""改分类 over HTTP (issue 12 point 5): the command, its refusals, history, ledger and metrics."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from domain.values import Role
from tests.support import auth, client_for, receive_body

CLERK = auth(Role.window_clerk)
LEADER = auth(Role.duty_leader)
ANALYST = auth(Role.analyst)
BODY = {"classification": "hard_to_do", "reason": "涉及多个部门，当场无法解决"}


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with client_for(f"sqlite:///{tmp_path / 'reclassify.db'}") as c:
        yield c


def general(client: TestClient) -> str:
    cid: str = client.post("/v1/complaints", json=receive_body(), headers=CLERK).json()["id"]
    r = client.post(
        f"/v1/complaints/{cid}/classify", json={"classification": "general", "reason": "咨询"}, headers=CLERK
    )
    assert r.status_code == 200, r.text
    return cid


def post(client: TestClient, cid: str, body: dict[str, Any], headers: dict[str, str] = CLERK) -> Any:
    return client.post(f"/v1/complaints/{cid}/reclassify", json=body, headers=headers)


def test_reclassify_shows_in_state_history_ledger_and_metrics(client: TestClient) -> None:
    cid = general(client)
    r = post(client, cid, BODY)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "classified"
    state = client.get(f"/v1/complaints/{cid}", headers=CLERK).json()
    assert (state["classification"], state["reclassified_from"]) == ("hard_to_do", "general")
    assert state["reclassification_reason"] == BODY["reason"]
    assert state["due_at"] is None  # the complex kind's deadline is fixed at dispatch
    history = client.get(f"/v1/complaints/{cid}/history", headers=LEADER).json()["events"]
    last = history[-1]
    assert (last["type"], last["label"]) == ("Reclassified", "改分类")
    assert last["payload"]["from_classification"] == "general"
    assert last["payload"]["to_classification"] == "hard_to_do"
    after = r.json()["notification_id"]
    [row] = client.get(f"/v1/ledger?after={after}", headers=ANALYST).json()["items"]
    assert (row["classification"], row["reclassified_from"]) == ("hard_to_do", "general")
    # counted under its final kind, and counted as reclassified
    metrics = client.get(f"/v1/metrics?group_by=classification&after={after}", headers=ANALYST).json()
    groups = {g["group"]: g["counts"] for g in metrics["groups"]}
    assert set(groups) == {"hard_to_do"}
    assert groups["hard_to_do"]["reclassified"] == 1
    # and then it follows the complex path: two signatures before dispatch
    assert client.post(f"/v1/complaints/{cid}/sign", json={}, headers=auth(Role.duty_officer)).status_code == 200


@pytest.mark.parametrize(
    ("setup", "body", "headers", "status", "code"),
    [
        ("twice", BODY, CLERK, 409, "already_reclassified"),
        ("complex", BODY, CLERK, 409, "reclassify_not_general"),
        ("resolved", BODY, CLERK, 409, "reclassify_after_resolved"),
        ("received", BODY, CLERK, 409, "not_classified"),
        ("general", {"classification": "general", "reason": "x"}, CLERK, 422, "invalid_input"),
        ("general", {"classification": "hard_to_do", "reason": ""}, CLERK, 422, "invalid_input"),
        ("general", BODY, auth(Role.duty_officer), 403, "forbidden"),
        ("general", BODY, auth(Role.window_clerk, centre="jiefang"), 404, "complaint_not_found"),
        ("general", BODY, LEADER, 200, None),
    ],
)
def test_refusals(
    client: TestClient, setup: str, body: dict[str, Any], headers: dict[str, str], status: int, code: str | None
) -> None:
    if setup == "received":
        cid = client.post("/v1/complaints", json=receive_body(), headers=CLERK).json()["id"]
    elif setup == "complex":
        cid = client.post("/v1/complaints", json=receive_body(), headers=CLERK).json()["id"]
        client.post(f"/v1/complaints/{cid}/classify", json={"classification": "cannot_do"}, headers=CLERK)
    else:
        cid = general(client)
    if setup == "twice":
        assert post(client, cid, BODY).status_code == 200
    if setup == "resolved":
        assert (
            client.post(f"/v1/complaints/{cid}/resolve", json={"result": "当场答复"}, headers=CLERK).status_code == 200
        )
    r = post(client, cid, body, headers)
    assert r.status_code == status, r.text
    if code is not None:
        assert r.json()["code"] == code
        assert r.headers["content-type"].startswith("application/problem+json")
