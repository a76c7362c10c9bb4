"""Refused transitions → 409 with their code; invalid input → 422 naming the field; safe retries."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from domain.values import Role
from tests.support import CST, auth, client_for, hotline_body, receive_body

CLERK = auth(Role.window_clerk)
OFFICER = auth(Role.duty_officer)
LEADER = auth(Role.duty_leader)
HOUSING = auth(Role.department, department="housing")
MARKET = auth(Role.department, department="market")


@pytest.fixture(params=["sqlite", "postgres"])
def client(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[TestClient]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'yousu.db'}"
        with client_for(url) as c:
            yield c
    else:
        url = request.getfixturevalue("pg_url")
        with client_for(url) as c:
            yield c


def post(client: TestClient, cid: str, verb: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
    return client.post(f"/v1/complaints/{cid}/{verb}", json=body, headers=headers)


def new(client: TestClient, classification: str | None = None) -> str:
    r = client.post("/v1/complaints", json=receive_body(), headers=CLERK)
    assert r.status_code == 201, r.text
    cid: str = r.json()["id"]
    if classification:
        assert post(client, cid, "classify", {"classification": classification}, CLERK).status_code == 200
    return cid


def to_dispatched(client: TestClient, classification: str, departments: list[str]) -> str:
    cid = new(client, classification)
    assert post(client, cid, "sign", {}, OFFICER).status_code == 200
    assert post(client, cid, "sign", {}, LEADER).status_code == 200
    r = post(client, cid, "dispatch", {"departments": departments, "supervisor": "督办甲"}, LEADER)
    assert r.status_code == 200, r.text
    return cid


def assert_problem(r: Any, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = r.json()
    assert body["code"] == code
    assert body["status"] == status
    assert body["detail"]
    return body


def test_refused_transitions_are_409_with_codes(client: TestClient) -> None:
    cid = new(client)
    assert_problem(post(client, cid, "sign", {}, OFFICER), 409, "not_classified")
    assert_problem(post(client, cid, "resolve", {"result": "x"}, CLERK), 409, "not_classified")
    assert post(client, cid, "classify", {"classification": "cannot_do"}, CLERK).status_code == 200
    assert_problem(post(client, cid, "classify", {"classification": "general"}, CLERK), 409, "already_classified")
    body = assert_problem(
        post(client, cid, "dispatch", {"departments": ["housing"], "supervisor": "甲"}, LEADER),
        409,
        "officer_signature_missing",
    )
    assert "值班人员" in body["detail"]
    assert_problem(post(client, cid, "sign", {}, LEADER), 409, "officer_signature_missing")
    assert post(client, cid, "sign", {}, OFFICER).status_code == 200
    assert_problem(post(client, cid, "sign", {}, OFFICER), 409, "already_signed")
    body = assert_problem(
        post(client, cid, "dispatch", {"departments": ["housing"], "supervisor": "甲"}, LEADER),
        409,
        "leader_signature_missing",
    )
    assert "带班领导" in body["detail"]
    # not yet dispatched to housing: for its handler the complaint does not exist yet (issue 12)
    assert_problem(
        post(client, cid, "resolve", {"result": "x", "legal_basis": "y"}, HOUSING), 404, "complaint_not_found"
    )
    assert post(client, cid, "sign", {}, LEADER).status_code == 200
    assert_problem(post(client, cid, "consult", {"conclusion": "x"}, LEADER), 409, "not_dispatched")
    assert post(client, cid, "dispatch", {"departments": ["housing"], "supervisor": "甲"}, LEADER).status_code == 200
    assert_problem(
        post(client, cid, "dispatch", {"departments": ["housing"], "supervisor": "甲"}, LEADER),
        409,
        "already_dispatched",
    )
    assert_problem(post(client, cid, "feedback", {"method": "phone"}, CLERK), 409, "not_resolved")
    assert_problem(post(client, cid, "resolve", {"result": "无法办理"}, HOUSING), 409, "legal_basis_required")
    assert (
        post(client, cid, "resolve", {"result": "无法办理", "legal_basis": "《条例》第5条"}, HOUSING).status_code == 200
    )
    assert_problem(
        post(client, cid, "resolve", {"result": "again", "legal_basis": "x"}, HOUSING), 409, "already_resolved"
    )
    assert_problem(post(client, cid, "callback", {"rating": 5}, CLERK), 409, "not_fed_back")
    assert post(client, cid, "feedback", {"method": "phone"}, CLERK).status_code == 200
    assert post(client, cid, "callback", {"rating": 5}, CLERK).status_code == 200
    assert_problem(post(client, cid, "callback", {"rating": 5}, CLERK), 409, "already_closed")


def test_general_needs_no_signature_or_dispatch(client: TestClient) -> None:
    cid = new(client, "general")
    assert_problem(post(client, cid, "sign", {}, OFFICER), 409, "signature_not_needed")
    assert_problem(
        post(client, cid, "dispatch", {"departments": ["housing"], "supervisor": "甲"}, LEADER),
        409,
        "dispatch_not_needed",
    )
    r = post(client, cid, "resolve", {"result": "当场解答"}, CLERK)
    assert r.status_code == 200
    assert r.json()["status"] == "resolved"


def test_consultation_required(client: TestClient) -> None:
    cid = to_dispatched(client, "refused_to_do", ["housing", "market"])
    assert_problem(post(client, cid, "resolve", {"result": "已办"}, HOUSING), 409, "consultation_required")
    # 会商 with several departments must include every dispatched department
    assert_problem(
        post(client, cid, "consult", {"conclusion": "由住建牵头", "participants": ["market"]}, MARKET),
        409,
        "consult_participants_missing",
    )
    body = {"conclusion": "由住建牵头", "participants": ["housing", "market"]}
    assert post(client, cid, "consult", body, MARKET).status_code == 200
    assert post(client, cid, "resolve", {"result": "已办"}, HOUSING).status_code == 200
    hard = to_dispatched(client, "hard_to_do", ["housing"])
    assert_problem(post(client, hard, "resolve", {"result": "已办"}, HOUSING), 409, "consultation_required")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"classification": "easy"}, "classification"),
        ({}, "classification"),
        ({"classification": "general", "extra": 1}, "extra"),
    ],
)
def test_invalid_classify_is_422(client: TestClient, body: dict[str, Any], field: str) -> None:
    cid = new(client)
    problem = assert_problem(post(client, cid, "classify", body, CLERK), 422, "invalid_input")
    assert field in {e["field"] for e in problem["errors"]}
    assert client.get(f"/v1/complaints/{cid}", headers=CLERK).json()["version"] == 1  # nothing recorded


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"channel": "fax"}, "channel", "invalid_input"),
        ({"content": "   "}, "content", "invalid_input"),
        ({"category": "unknown_cat"}, "category", "unknown_category"),
        ({"complainant": {"name": "王五", "phone": "not a phone"}}, "complainant.phone", "invalid_input"),
        (
            {"complainant": {"name": "王五", "phone": "13800000000", "id_number": "110101199003071234"}},
            "complainant.id_number",
            "invalid_input",
        ),
        (
            {"complainant": {"type": "enterprise", "name": "王五", "phone": "13800000000"}},
            "complainant",
            "invalid_input",
        ),
        ({"channel": "hotline"}, "external_ref", "invalid_input"),
        ({"received_at": "2025-09-26T09:00:00"}, "received_at", "invalid_input"),
    ],
)
def test_invalid_receive_is_422(client: TestClient, overrides: dict[str, Any], field: str, code: str) -> None:
    r = client.post("/v1/complaints", json=receive_body(**overrides), headers=CLERK)
    problem = assert_problem(r, 422, code)
    assert any(e["field"].startswith(field) for e in problem["errors"])


@pytest.mark.parametrize(
    ("overrides", "missing"),
    [
        ({}, {"external_ref", "received_at"}),
        ({"external_ref": "12345-9"}, {"received_at"}),
        ({"received_at": "2025-09-26T09:00:00+08:00"}, {"external_ref"}),
    ],
)
def test_hotline_rule_names_the_missing_fields(
    client: TestClient, overrides: dict[str, Any], missing: set[str]
) -> None:
    """A cross-field rule (hotline needs its number and original receipt time) names the fields, not the body."""
    r = client.post("/v1/complaints", json=receive_body(channel="hotline", **overrides), headers=auth(Role.hotline))
    problem = assert_problem(r, 422, "invalid_input")
    assert {e["field"] for e in problem["errors"]} == missing
    assert all("热线诉求须提供" in e["detail"] for e in problem["errors"])


def test_invalid_rating_and_departments(client: TestClient) -> None:
    cid = to_dispatched(client, "cannot_do", ["housing"])
    assert_problem(post(client, cid, "callback", {"rating": 6}, CLERK), 422, "invalid_input")
    assert_problem(post(client, cid, "callback", {"rating": "5"}, CLERK), 422, "invalid_input")
    other = new(client, "cannot_do")
    post(client, other, "sign", {}, OFFICER)
    post(client, other, "sign", {}, LEADER)
    p = assert_problem(
        post(client, other, "dispatch", {"departments": ["nowhere"], "supervisor": "甲"}, LEADER),
        422,
        "unknown_department",
    )
    assert p["errors"][0]["field"] == "departments"
    assert_problem(
        post(client, other, "dispatch", {"departments": [], "supervisor": "甲"}, LEADER), 422, "invalid_input"
    )


def test_unknown_complaint_is_404_and_bad_id_422(client: TestClient) -> None:
    assert_problem(
        client.get("/v1/complaints/00000000-0000-0000-0000-000000000000", headers=CLERK), 404, "complaint_not_found"
    )
    assert_problem(client.get("/v1/complaints/not-a-uuid", headers=CLERK), 422, "invalid_input")
    assert_problem(
        post(client, "00000000-0000-0000-0000-000000000000", "classify", {"classification": "general"}, CLERK),
        404,
        "complaint_not_found",
    )


def test_idempotency_key(client: TestClient) -> None:
    headers = {**CLERK, "Idempotency-Key": "key-123"}
    first = client.post("/v1/complaints", json=receive_body(), headers=headers)
    again = client.post("/v1/complaints", json=receive_body(), headers=headers)
    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["slip_no"] == first.json()["slip_no"]
    other = client.post("/v1/complaints", json=receive_body(content="另一件事"), headers=headers)
    assert_problem(other, 409, "intake_conflict")


def test_hotline_external_ref_unique_per_channel(client: TestClient) -> None:
    hotline = auth(Role.hotline)
    taken = (datetime.now(tz=CST) - timedelta(hours=2)).replace(microsecond=0)
    first = client.post(
        "/v1/complaints", json=hotline_body("12345-0001", received_at=taken.isoformat()), headers=hotline
    )
    again = client.post(
        "/v1/complaints", json=hotline_body("12345-0001", received_at=taken.isoformat()), headers=hotline
    )
    assert first.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert_problem(
        client.post(
            "/v1/complaints",
            json=hotline_body("12345-0001", content="不同", received_at=taken.isoformat()),
            headers=hotline,
        ),
        409,
        "intake_conflict",
    )
    # the hotline's original received_at is the business receipt time
    state = client.get(first.headers["Location"], headers=CLERK).json()
    assert datetime.fromisoformat(state["received_at"]) == taken
    assert_problem(client.post("/v1/complaints", json=receive_body(), headers=hotline), 422, "channel_not_allowed")


def test_if_match(client: TestClient) -> None:
    cid = new(client)
    stale = post(client, cid, "classify", {"classification": "general"}, {**CLERK, "If-Match": '"7"'})
    assert_problem(stale, 412, "version_mismatch")
    etag = client.get(f"/v1/complaints/{cid}", headers=CLERK).headers["ETag"]
    ok = post(client, cid, "classify", {"classification": "general"}, {**CLERK, "If-Match": etag})
    assert ok.status_code == 200
    assert ok.json()["version"] == 2
    assert_problem(
        post(client, cid, "resolve", {"result": "x"}, {**CLERK, "If-Match": "garbage"}), 422, "invalid_input"
    )


def test_concurrent_commands_one_wins(client: TestClient) -> None:
    """Two writers on one complaint: one succeeds, the other 409, nothing lost."""
    for _ in range(5):
        cid = new(client, "general")
        results: list[int] = []
        barrier = threading.Barrier(2)

        def resolve(
            result: str, cid: str = cid, barrier: threading.Barrier = barrier, results: list[int] = results
        ) -> None:
            barrier.wait()
            results.append(post(client, cid, "resolve", {"result": result}, CLERK).status_code)

        threads = [threading.Thread(target=resolve, args=(f"办理结果{i}",)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(results) == [200, 409]
        state = client.get(f"/v1/complaints/{cid}", headers=CLERK).json()
        assert state["version"] == 3
        assert state["status"] == "resolved"


def test_state_at_version_and_as_of(client: TestClient) -> None:
    cid = new(client, "general")
    post(client, cid, "resolve", {"result": "当场解答"}, CLERK)
    v1 = client.get(f"/v1/complaints/{cid}?version=1", headers=CLERK).json()
    assert v1["status"] == "received"
    assert v1["version"] == 1
    history = client.get(f"/v1/complaints/{cid}/history", headers=auth(Role.liaison)).json()
    assert [e["type"] for e in history["events"]] == ["Received", "Classified", "Resolved"]
    assert [e["label"] for e in history["events"]] == ["受理", "分类", "办结"]
    second_recorded = history["events"][1]["recorded_at"]
    as_of = client.get(f"/v1/complaints/{cid}", params={"as_of": second_recorded}, headers=CLERK).json()
    assert as_of["version"] == 2
    assert_problem(client.get(f"/v1/complaints/{cid}?version=9", headers=CLERK), 404, "version_not_found")
    assert_problem(
        client.get(f"/v1/complaints/{cid}", params={"as_of": "2000-01-01T00:00:00+08:00"}, headers=CLERK),
        404,
        "not_yet_received",
    )


def test_personal_information_masked_for_analyst(client: TestClient) -> None:
    cid = new(client)
    clear = client.get(f"/v1/complaints/{cid}", headers=CLERK).json()["complainant"]
    masked = client.get(f"/v1/complaints/{cid}", headers=auth(Role.analyst)).json()["complainant"]
    assert clear["name"] == "张三丰"
    assert clear["phone"] == "13812345678"
    assert masked == {**masked, "name": "张**", "phone": "138****5678", "masked": True}
