"""12345 热线一体办理 over HTTP: inbound reports (idempotent on the hotline's message id), refusals, history,
audit, metrics, and the messages the outbox would send (each valid against the contract, personal
information only where the contract names it)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator, FormatChecker

from application.clock import SettableClock
from application.complaints import ComplaintsApp
from domain.values import Role
from projections.hotline import render
from tests.readers import messages_of
from tests.support import CST, auth, client_for, hotline_body

SCHEMAS = Path(__file__).resolve().parents[2] / "ops" / "hotline" / "schemas"
NOW = datetime(2025, 9, 26, 10, 0, tzinfo=CST)
ID_NUMBER = "11010519491231002X"
NAME, PHONE = "张三丰", "13812345678"


@pytest.fixture
def client(sqlite_url: str) -> Iterator[TestClient]:
    with client_for(sqlite_url, SettableClock(NOW)) as c:
        yield c


def app_of(client: TestClient) -> ComplaintsApp:
    return client.app.state.container.complaints  # type: ignore[attr-defined,no-any-return]


def intake(client: TestClient, ref: str) -> str:
    body = hotline_body(
        ref,
        received_at=(NOW - timedelta(hours=1)).isoformat(),
        complainant={"type": "person", "name": NAME, "phone": PHONE, "id_number": ID_NUMBER},
        content=f"小区电梯停运三周，物业不处理。本人{NAME}，电话{PHONE}",
    )
    r = client.post("/v1/complaints", json=body, headers=auth(Role.hotline))
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def post(client: TestClient, ref: str, action: str, body: dict[str, Any]) -> Any:
    return client.post(f"/v1/hotline/work-orders/{ref}/{action}", json=body, headers=auth(Role.hotline))


def resolved_general(client: TestClient, cid: str) -> None:
    clerk = auth(Role.window_clerk)
    r = client.post(
        f"/v1/complaints/{cid}/classify",
        json={"classification": "general", "reason": f"群众留下的另一号码 13900001111，{NAME}本人"},
        headers=clerk,
    )
    assert r.status_code == 200, r.text
    r = client.post(f"/v1/complaints/{cid}/resolve", json={"result": f"已修复，回电{PHONE}告知"}, headers=clerk)
    assert r.status_code == 200, r.text


def test_feedback_and_call_back_by_the_hotline_are_recorded_once_per_message(client: TestClient) -> None:
    cid = intake(client, "HL-A")
    resolved_general(client, cid)

    first = post(client, "HL-A", "feedback", {"message_id": "fb-1", "method": "phone", "summary": "热线已告知结果"})
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "fed_back"
    again = post(client, "HL-A", "feedback", {"message_id": "fb-1", "method": "phone", "summary": "热线已告知结果"})
    assert again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["version"] == first.json()["version"]

    rated = post(client, "HL-A", "callback", {"message_id": "cb-1", "rating": 5, "comment": "很满意"})
    assert rated.status_code == 200
    assert rated.json()["status"] == "closed"
    assert (
        post(client, "HL-A", "callback", {"message_id": "cb-1", "rating": 5}).headers["Idempotent-Replayed"] == "true"
    )

    events = app_of(client).history(UUID(cid))
    types = [e.type for e in events]
    assert types.count("FedBack") == 1
    assert types.count("CalledBack") == 1
    assert [e.event.actor.role for e in events if e.type in ("FedBack", "CalledBack")] == [Role.hotline, Role.hotline]


def test_withdrawing_or_supplementing_a_closed_complaint_is_refused_in_chinese(client: TestClient) -> None:
    cid = intake(client, "HL-B")
    resolved_general(client, cid)
    assert post(client, "HL-B", "feedback", {"message_id": "f", "method": "phone"}).status_code == 200
    assert post(client, "HL-B", "callback", {"message_id": "c", "rating": 4}).status_code == 200

    r = post(client, "HL-B", "withdraw", {"message_id": "w", "reason": "群众撤诉"})
    assert r.status_code == 409
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "already_closed"
    assert r.json()["detail"] == "该诉求已回访办结，不能撤诉"

    r = post(client, "HL-B", "supplement", {"message_id": "s", "text": "补充照片"})
    assert r.status_code == 409
    assert r.json()["code"] == "already_closed"
    assert "不能再补充" in r.json()["detail"]


def test_feedback_before_resolution_is_refused(client: TestClient) -> None:
    intake(client, "HL-C")
    r = post(client, "HL-C", "feedback", {"message_id": "f", "method": "phone"})
    assert r.status_code == 409
    assert r.json()["code"] == "not_resolved"
    r = post(client, "HL-C", "callback", {"message_id": "c", "rating": 3})
    assert r.status_code == 409
    assert r.json()["code"] == "not_fed_back"


def test_a_supplement_then_a_withdrawal_closes_the_complaint_as_withdrawn(client: TestClient) -> None:
    cid = intake(client, "HL-D")
    r = post(client, "HL-D", "supplement", {"message_id": "s-1", "text": "补充：物业维修通知照片三张"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "received"
    assert (
        post(client, "HL-D", "supplement", {"message_id": "s-1", "text": "x"}).headers["Idempotent-Replayed"] == "true"
    )

    r = post(client, "HL-D", "withdraw", {"message_id": "w-1", "reason": "已与物业协商解决"})
    assert r.status_code == 200
    assert r.json()["status"] == "withdrawn"
    replay = post(client, "HL-D", "withdraw", {"message_id": "w-1", "reason": "已与物业协商解决"})
    assert (replay.status_code, replay.headers["Idempotent-Replayed"]) == (200, "true")

    r = post(client, "HL-D", "withdraw", {"message_id": "w-2", "reason": "再次撤诉"})
    assert (r.status_code, r.json()["code"]) == (409, "already_withdrawn")
    assert r.json()["detail"] == "群众已撤诉，该诉求已关闭"
    r = post(client, "HL-D", "supplement", {"message_id": "s-1", "text": "补充"})  # replay of a recorded message
    assert r.status_code == 200
    r = post(client, "HL-D", "supplement", {"message_id": "w-1", "text": "补充"})
    assert (r.status_code, r.json()["code"]) == (409, "message_id_reused")
    r = client.post(
        f"/v1/complaints/{cid}/classify", json={"classification": "general"}, headers=auth(Role.window_clerk)
    )
    assert (r.status_code, r.json()["code"]) == (409, "already_withdrawn")

    history = client.get(f"/v1/complaints/{cid}/history", headers=auth(Role.duty_leader)).json()
    labels = [(x["type"], x["label"]) for x in history["events"]]
    assert ("SupplementAdded", "补充诉求/材料") in labels
    assert ("Withdrawn", "撤诉") in labels
    verify = client.get("/v1/audit/verify", headers=auth(Role.liaison))
    assert verify.status_code == 200
    assert verify.json()["ok"] is True

    state = client.get(f"/v1/complaints/{cid}", headers=auth(Role.duty_leader)).json()
    assert state["status"] == "withdrawn"
    app_of(client).clock.set(NOW + timedelta(days=60))  # type: ignore[attr-defined]
    sla = client.get("/v1/sla/overdue", headers=auth(Role.duty_leader))
    assert sla.status_code == 200
    assert cid not in json.dumps(sla.json())  # 撤诉 stops every clock: nothing of it is ever overdue


def test_metrics_count_withdrawals_apart_and_keep_them_out_of_the_due_clocks(client: TestClient) -> None:
    withdrawn = intake(client, "HL-E")
    assert post(client, "HL-E", "withdraw", {"message_id": "w", "reason": "撤诉"}).status_code == 200
    intake(client, "HL-F")  # still open
    app_of(client).clock.set(NOW + timedelta(days=30))  # type: ignore[attr-defined]
    client.app.state.container.catch_up()  # type: ignore[attr-defined]
    r = client.get("/v1/metrics", params={"from": "2025-09-01", "to": "2025-09-30"}, headers=auth(Role.analyst))
    assert r.status_code == 200, r.text
    [group] = r.json()["groups"]
    assert group["counts"]["received"] == 2
    assert group["counts"]["withdrawn"] == 1
    # the open one's response clock is due and unmet; the withdrawn one's never falls due
    assert group["rates"]["response"]["denominator"] == 1
    assert withdrawn


def test_unknown_work_order_is_404(client: TestClient) -> None:
    r = post(client, "HL-NONE", "withdraw", {"message_id": "w", "reason": "撤诉"})
    assert r.status_code == 404
    assert r.json()["code"] == "work_order_not_found"
    assert "HL-NONE" in r.json()["detail"]


def test_a_window_complaint_is_not_a_work_order(client: TestClient) -> None:
    r = post(client, "", "withdraw", {"message_id": "w", "reason": "撤诉"})
    assert r.status_code in (404, 405, 422)


def test_message_bodies_are_checked(client: TestClient) -> None:
    intake(client, "HL-G")
    assert post(client, "HL-G", "withdraw", {"reason": "撤诉"}).status_code == 422  # no message id
    assert post(client, "HL-G", "withdraw", {"message_id": "w", "reason": ""}).status_code == 422
    assert post(client, "HL-G", "callback", {"message_id": "c", "rating": 6}).status_code == 422
    assert post(client, "HL-G", "supplement", {"message_id": "s", "text": "x", "extra": 1}).status_code == 422


# ------------------------------------------------------------------------------ what the outbox would send


def validators() -> dict[str, Draft202012Validator]:
    out = {}
    for path in SCHEMAS.glob("*.schema.json"):
        schema = json.loads(path.read_text(encoding="utf-8"))
        out[path.name.removesuffix(".schema.json")] = Draft202012Validator(schema, format_checker=FormatChecker())
    return out


def sent_messages(client: TestClient, ref: str) -> list[dict[str, Any]]:
    """Every message of a work order, rendered from its stored event as the outbox posts it."""
    container = client.app.state.container  # type: ignore[attr-defined]
    container.catch_up()
    out = []
    for row in messages_of(container.views, ref):
        complaint_id = UUID(row["complaint_id"])
        [event] = list(container.complaints.events.get(complaint_id, gt=row["seq"] - 1, lte=row["seq"]))
        names = [NAME]
        message = render(event, external_ref=ref, previous_seq=row["previous_seq"], names=names)
        assert message is not None
        out.append(message)
    return out


def test_every_step_of_a_work_order_becomes_a_valid_message_in_order(client: TestClient) -> None:
    cid = intake(client, "HL-H")
    assert post(client, "HL-H", "supplement", {"message_id": "s", "text": f"补充：邻居{NAME}可作证"}).status_code == 200
    resolved_general(client, cid)
    assert (
        post(client, "HL-H", "feedback", {"message_id": "f", "method": "phone", "summary": "已告知"}).status_code == 200
    )
    assert post(client, "HL-H", "callback", {"message_id": "c", "rating": 2, "comment": "还是不好"}).status_code == 200

    messages = sent_messages(client, "HL-H")
    assert [m["type"] for m in messages] == [
        "accepted",
        "supplement_added",
        "classified",
        "resolved",
        "fed_back",
        "called_back",
    ]
    check = validators()
    for m in messages:
        errors = [e.message for e in check[m["type"]].iter_errors(m)]
        assert errors == [], (m["type"], errors)
    seqs = [m["seq"] for m in messages]
    assert seqs == sorted(seqs)
    assert [m["previous_seq"] for m in messages] == [0, *seqs[:-1]]
    assert len({m["message_id"] for m in messages}) == len(messages)
    assert messages[-1]["data"]["by_hotline"] is True
    assert messages[-1]["data"]["rectification_due_at"] is not None  # 差评 opens a rectification round


def test_personal_information_goes_only_in_the_fields_the_contract_names(client: TestClient) -> None:
    cid = intake(client, "HL-I")
    resolved_general(client, cid)
    messages = sent_messages(client, "HL-I")
    text = json.dumps(messages, ensure_ascii=False)
    assert ID_NUMBER not in text
    assert NAME not in text
    assert "13900001111" not in text  # typed into the classification reason: masked there
    assert "139****1111" in text
    [resolved] = [m for m in messages if m["type"] == "resolved"]
    assert PHONE in resolved["data"]["result"]  # the answer to the person, a field the contract names personal
    schema = json.loads((SCHEMAS / "resolved.schema.json").read_text(encoding="utf-8"))
    assert schema["properties"]["data"]["properties"]["result"]["x-personal-info"] is True
    assert "x-personal-info" not in schema["properties"]["data"]["properties"]["legal_basis"]


def test_window_complaints_send_nothing(client: TestClient) -> None:
    r = client.post(
        "/v1/complaints",
        json={
            "channel": "window",
            "content": "窗口诉求",
            "category": "market_regulation",
            "complainant": {"type": "person", "name": "李四", "phone": "13900000000"},
        },
        headers=auth(Role.window_clerk),
    )
    assert r.status_code == 201
    container = client.app.state.container  # type: ignore[attr-defined]
    container.catch_up()
    with container.views.transaction(write=False) as tx:
        assert tx.query("SELECT COUNT(*) FROM yousu_hotline_messages")[0][0] == 0


def test_deliveries_are_listed_empty_before_any_outbox_ran(client: TestClient) -> None:
    r = client.get("/v1/deliveries", params={"external_ref": "HL-A"}, headers=auth(Role.admin))
    assert r.status_code == 200
    assert r.json() == []
