"""满意度回访中心 over HTTP on a real SQLite file: the queue, assignment, attempts with the retry schedule,
无法联系 after the configured failures (counted apart), the complaint's 回访 from an answered call, 抽查."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any
from uuid import UUID

from fastapi.testclient import TestClient

from application.clock import SettableClock
from domain.callbacks import agent_id, spot_checked
from domain.values import Role
from tests.conftest import CST
from tests.support import auth, client_for, receive_body, settings_for
from yousu.wiring import build_runner

CLERK, LEADER = auth(Role.window_clerk), auth(Role.duty_leader)
AGENT = auth(Role.callback_agent, sub="agent-1")
OTHER_AGENT = auth(Role.callback_agent, sub="agent-2")
FRIDAY = datetime(2025, 9, 26, 10, 0, tzinfo=CST)


def fed_back(client: TestClient) -> str:
    """A general complaint resolved on the spot and fed back: its call-back is now due."""
    cid: str = client.post("/v1/complaints", json=receive_body(), headers=CLERK).json()["id"]
    for verb, body in (
        ("classify", {"classification": "general"}),
        ("resolve", {"result": "当场办结"}),
        ("feedback", {"method": "phone"}),
    ):
        r = client.post(f"/v1/complaints/{cid}/{verb}", json=body, headers=CLERK)
        assert r.status_code == 200, r.text
    return cid


def queue(client: TestClient, headers: dict[str, str] = AGENT, **params: Any) -> dict[str, Any]:
    client.app.state.container.catch_up()  # type: ignore[attr-defined]
    r = client.get("/v1/callbacks/queue", params=params, headers=headers)
    assert r.status_code == 200, r.text
    out: dict[str, Any] = r.json()
    return out


def attempt(client: TestClient, cid: str, headers: dict[str, str] = AGENT, **body: Any) -> Any:
    return client.post(f"/v1/callbacks/{cid}/attempts", json=body, headers=headers)


def test_failed_attempts_follow_the_retry_schedule_then_unreachable(sqlite_url: str) -> None:
    clock = SettableClock(FRIDAY)
    with client_for(sqlite_url, clock) as client:
        cid = fed_back(client)
        items = queue(client)["items"]
        assert [i["complaint_id"] for i in items] == [cid]
        assert items[0]["complainant_masked"] == "张** 138****5678"  # masked: the number is read from the complaint
        assert "13812345678" not in str(items)
        assert client.post("/v1/callbacks/agents", headers=AGENT).json()["enrolled"] is True
        r = client.post(f"/v1/callbacks/{cid}/assign", json={"agent": "agent-1"}, headers=LEADER)
        assert r.status_code == 200, r.text
        assert r.json()["assignee"] == "agent-1"
        r = attempt(client, cid, outcome="no_answer")
        assert r.status_code == 200, r.text
        assert r.json()["next_try_at"] == "2025-09-26T12:00:00+08:00"  # two hours later
        r = attempt(client, cid, OTHER_AGENT, outcome="no_answer")
        assert r.status_code == 403
        assert r.json()["code"] == "not_assignee"
        assert queue(client, ready="true")["total"] == 0  # not callable before its next try
        clock.set(datetime(2025, 9, 26, 12, 0, tzinfo=CST))
        assert queue(client, ready="true")["total"] == 1
        r = attempt(client, cid, outcome="wrong_number")
        # after the second failure: opening of the next working day — Sunday 28 Sep is a 调休 working day
        assert r.json()["next_try_at"] == "2025-09-28T09:00:00+08:00"
        r = attempt(client, cid, outcome="no_answer")  # before the set time: refused, nothing recorded
        assert r.status_code == 409
        assert r.json()["code"] == "callback_retry_too_early"
        assert "2025-09-28 09:00" in r.json()["detail"]
        clock.set(datetime(2025, 9, 28, 8, 59, tzinfo=CST))
        assert attempt(client, cid, outcome="no_answer").status_code == 409
        clock.set(datetime(2025, 9, 28, 9, 0, tzinfo=CST))
        r = attempt(client, cid, outcome="no_answer")
        assert r.json()["state"] == "unreachable"
        assert r.json()["state_label"] == "无法联系"
        assert r.json()["complaint_status"] == "fed_back"  # never recorded as a call-back, let alone satisfied
        assert queue(client)["total"] == 0
        summary = client.get("/v1/callbacks/summary", headers=LEADER).json()
        assert summary["counts"]["due"] == {"unreachable": 1}
        r = attempt(client, cid, outcome="answered", rating=5)
        assert r.status_code == 409
        assert r.json()["code"] == "callback_task_finished"
        state = client.get(f"/v1/complaints/{cid}", headers=CLERK).json()
        assert state["status"] == "fed_back"
        assert state["rating"] is None


def test_configured_attempts_and_answered_calls_record_the_complaints_callback(sqlite_url: str) -> None:
    with client_for(sqlite_url, SettableClock(FRIDAY), callback_max_attempts=1) as client:
        unreachable, satisfied, unhappy, refused = (fed_back(client) for _ in range(4))
        assert attempt(client, unreachable, outcome="no_answer").json()["state"] == "unreachable"
        r = attempt(client, satisfied, outcome="answered")
        assert r.status_code == 422
        assert r.json()["errors"][0]["field"] == "rating"
        r = attempt(client, satisfied, CLERK, outcome="answered", rating=5, comment="满意")
        assert r.json()["complaint_status"] == "closed"
        r = attempt(client, unhappy, outcome="answered", rating=2, finding="窗口要求重复提交材料")
        assert r.json()["complaint_status"] == "rectifying"  # 差评 opens a rectification round
        assert attempt(client, refused, outcome="refused").json()["state"] == "refused"
        state = client.get(f"/v1/complaints/{satisfied}", headers=CLERK).json()
        assert (state["status"], state["rating"]) == ("closed", 5)
        assert queue(client)["total"] == 0
        counts = client.get("/v1/callbacks/summary", headers=LEADER).json()["counts"]["due"]
        # every state: the satisfied and the unhappy call were answered, though their complaints moved on
        assert counts == {"unreachable": 1, "refused": 1, "answered": 2}
        # the finding becomes a rectification order for the department concerned
        r = client.post(
            "/v1/orders",
            json={
                "unit": "housing",
                "finding": {"kind": "callback_finding", "text": "窗口要求重复提交材料"},
                "complaint_id": unhappy,
            },
            headers=LEADER,
        )
        assert r.status_code == 201, r.text
        received_only = client.post("/v1/complaints", json=receive_body(), headers=CLERK).json()["id"]
        r = attempt(client, received_only, outcome="no_answer")
        assert r.status_code == 409
        assert r.json()["code"] == "callback_not_due"


def test_spot_checks_of_closed_complaints_by_share(sqlite_url: str) -> None:
    with client_for(sqlite_url, SettableClock(FRIDAY), spot_check_share=1.0) as client:
        cid = fed_back(client)
        attempt(client, cid, CLERK, outcome="answered", rating=4)
        items = queue(client, kind="spot_check")["items"]
        assert [i["complaint_id"] for i in items] == [cid]
        r = attempt(client, cid, outcome="answered", rating=3, finding="叫号屏不显示窗口号")
        assert r.json()["kind"] == "spot_check"
        body = {"kind": "spot_check", "unit": "district", "working_days": 2}  # to the centre itself
        order = client.post(f"/v1/callbacks/{cid}/order", json=body, headers=LEADER)
        assert order.status_code == 201, order.text
        assert order.json()["unit"] == "district"
        assert (
            client.post(f"/v1/callbacks/{cid}/order", json={**body, "kind": "due"}, headers=LEADER).status_code == 409
        )
        assert r.json()["complaint_status"] == "closed"
        state = client.get(f"/v1/complaints/{cid}", headers=CLERK).json()
        assert (state["rating"], state["version"]) == (4, 5)  # the spot check neither re-rates nor changes it
        assert queue(client, kind="spot_check")["total"] == 0
        assert client.get("/v1/callbacks/summary", headers=LEADER).json()["counts"]["spot_check"] == {"answered": 1}
    with client_for(sqlite_url, SettableClock(FRIDAY), spot_check_share=0.0) as client:
        assert queue(client, kind="spot_check")["total"] == 0


def test_a_spot_check_share_between_none_and_all_draws_exactly_the_hashed_share(sqlite_url: str) -> None:
    with client_for(sqlite_url, SettableClock(FRIDAY), spot_check_share=0.5) as client:
        closed = []
        for _ in range(8):
            cid = fed_back(client)
            attempt(client, cid, CLERK, outcome="answered", rating=5)
            closed.append(cid)
        # the rule: a closed complaint is drawn when the first 8 hex digits of SHA-256(id) mod 10,000 < 5,000
        drawn = [c for c in closed if int(hashlib.sha256(c.encode()).hexdigest()[:8], 16) % 10_000 < 5_000]
        assert 0 < len(drawn) < 8  # both kinds among the eight (the ids are random; P(all one side) = 1/128)
        assert sorted(i["complaint_id"] for i in queue(client, kind="spot_check", limit=50)["items"]) == sorted(drawn)
        left_out = next(c for c in closed if c not in drawn)
        r = attempt(client, left_out, outcome="answered", rating=4)
        assert r.status_code == 409
        assert r.json()["code"] == "callback_not_due"
        client.app.state.container.catch_up()  # type: ignore[attr-defined]
        summary = client.get("/v1/callbacks/summary", headers=LEADER).json()
        assert summary["spot_check_share"] == 0.5
        assert summary["counts"]["spot_check"] == {"open": len(drawn)}


def register(client: TestClient, **overrides: Any) -> str:
    """A 主动回访 contact registered by the window clerk; its call's id."""
    body: dict[str, Any] = {
        "person": {"name": "李四", "phone": "13700001111"},
        "service": "营业执照办理",
        "category": "market_regulation",
    }
    body.update(overrides)
    r = client.post("/v1/callbacks/proactive", json=body, headers=CLERK)
    assert r.status_code == 201, r.text
    assert (r.json()["kind"], r.json()["state"], r.json()["complaint_status"]) == ("proactive", "open", None)
    out: str = r.json()["complaint_id"]
    return out


def test_assign_only_to_call_back_agents_on_record(sqlite_url: str) -> None:
    with client_for(sqlite_url, SettableClock(FRIDAY)) as client:
        cid = fed_back(client)
        r = client.post(f"/v1/callbacks/{cid}/assign", json={"agent": "agent-1"}, headers=LEADER)
        assert r.status_code == 422  # agent-1 has not enrolled yet
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["code"] == "not_callback_agent"
        assert r.json()["errors"] == [
            {
                "field": "agent",
                "label": "回访员",
                "detail": "被分派人不是回访员：只能分派给已登记的回访员（callback_agent 角色）",
            }
        ]
        assert client.post("/v1/callbacks/agents", headers=CLERK).status_code == 403  # only an agent enrols
        r = client.post("/v1/callbacks/agents", headers=AGENT)
        assert r.json() == {"agent": "agent-1", "name": "测试员", "enrolled": True}
        assert client.post("/v1/callbacks/agents", headers=AGENT).json()["enrolled"] is False  # once
        r = client.post(f"/v1/callbacks/{cid}/assign", json={"agent": "agent-1"}, headers=LEADER)
        assert r.status_code == 200, r.text
        # local accounts: the role on the account is the record
        accounts = client.app.state.container.accounts  # type: ignore[attr-defined]
        accounts.add(username="huifang", name="回访丁", roles=[Role.callback_agent], password="secret-pass-1")
        accounts.add(username="chuangkou", name="窗口戊", roles=[Role.window_clerk], password="secret-pass-2")
        r = client.post(f"/v1/callbacks/{cid}/assign", json={"agent": "local:huifang"}, headers=LEADER)
        assert r.status_code == 200, r.text
        r = client.post(f"/v1/callbacks/{cid}/assign", json={"agent": "local:chuangkou"}, headers=LEADER)
        assert r.status_code == 422
        assert r.json()["code"] == "not_callback_agent"
        app = client.app.state.container.complaints  # type: ignore[attr-defined]
        assert [type(e).__name__ for e in app.events.get(agent_id("agent-1"))] == ["Enrolled"]


def test_proactive_call_backs_and_findings_become_orders(sqlite_url: str) -> None:
    with client_for(sqlite_url, SettableClock(FRIDAY)) as client:
        pid = register(client)
        bad = {"person": {"phone": "请给我回电话"}, "service": "社保"}
        r = client.post("/v1/callbacks/proactive", json=bad, headers=CLERK)
        assert r.status_code == 422
        assert r.json()["errors"][0]["field"] == "person.phone"
        assert "电话" in r.json()["errors"][0]["detail"]
        r = client.post("/v1/callbacks/proactive", json={**bad, "person": {"phone": "13700001111"}}, headers=AGENT)
        assert r.status_code == 403  # the clerk who served them registers, not the call centre
        items = queue(client, kind="proactive")["items"]
        assert [(i["complaint_id"], i["complainant_masked"], i["category"]) for i in items] == [
            (pid, "李* 137****1111", "market_regulation")
        ]
        assert "13700001111" not in str(items)
        assert queue(client)["total"] == 0  # not a due call-back of any complaint
        # the agent reads the number (logged); a hotline reader of the queue sees it masked
        r = client.get(f"/v1/callbacks/proactive/{pid}", headers=AGENT)
        assert r.status_code == 200, r.text
        assert r.json()["person"] == {"name": "李四", "phone": "13700001111", "masked": False}
        assert r.json()["service"] == "营业执照办理"
        masked = client.get(f"/v1/callbacks/proactive/{pid}", headers=auth(Role.hotline)).json()["person"]
        assert masked == {"name": "李*", "phone": "137****1111", "masked": True}
        log = client.get(f"/v1/audit/access?complaint_id={pid}", headers=auth(Role.liaison)).json()["items"]
        assert [(e["reader"]["id"], e["endpoint"], e["personal_info"]) for e in log] == [
            ("agent-1", "GET /v1/callbacks/proactive/{id}", True)
        ]
        r = client.post(f"/v1/callbacks/{pid}/order", json={"kind": "proactive", "unit": "housing"}, headers=LEADER)
        assert r.status_code == 409  # nothing found yet
        assert r.json()["code"] == "callback_no_finding"
        client.post("/v1/callbacks/agents", headers=AGENT)
        assert client.post(f"/v1/callbacks/{pid}/assign", json={"agent": "agent-1"}, headers=LEADER).status_code == 200
        r = attempt(client, pid, outcome="answered", rating=3, finding="窗口指引不清，来回跑了三趟")
        assert (r.json()["state"], r.json()["kind"]) == ("answered", "proactive")
        client.app.state.container.catch_up()  # type: ignore[attr-defined]
        summary = client.get("/v1/callbacks/summary", headers=LEADER).json()["counts"]
        assert summary["proactive"] == {"answered": 1}
        # made, it leaves the calls to make; the leader finds it among the calls that found a problem
        assert queue(client, kind="proactive")["items"] == []
        found = queue(client, kind="proactive", findings="true")["items"]
        assert [(i["complaint_id"], i["task_state"], i["finding"]) for i in found] == [
            (pid, "answered", "窗口指引不清，来回跑了三趟")
        ]
        body = {"kind": "proactive", "unit": "housing", "working_days": 3}
        assert client.post(f"/v1/callbacks/{pid}/order", json=body, headers=AGENT).status_code == 403
        r = client.post(f"/v1/callbacks/{pid}/order", json=body, headers=LEADER)
        assert r.status_code == 201, r.text
        order_id = r.json()["id"]
        assert (r.json()["callback_task_id"], r.json()["unit"], r.json()["status"]) == (
            pid,
            "housing",
            "issued",
        )
        assert client.get(f"/v1/callbacks/proactive/{pid}", headers=AGENT).json()["order_id"] == order_id
        r = client.post(f"/v1/callbacks/{pid}/order", json=body, headers=LEADER)
        assert r.status_code == 409
        assert r.json()["code"] == "callback_finding_referred"
        client.app.state.container.catch_up()  # type: ignore[attr-defined]
        ledger = client.get("/v1/orders", headers=LEADER).json()["items"]
        assert [
            (o["id"], o["finding_kind"], o["finding_text"], o["callback_task_id"], o["complaint_id"]) for o in ledger
        ] == [(order_id, "callback_finding", "窗口指引不清，来回跑了三趟", pid, None)]


def test_a_closing_call_backs_finding_becomes_an_order_for_the_complaint(sqlite_url: str) -> None:
    with client_for(sqlite_url, SettableClock(FRIDAY)) as client:
        unhappy = fed_back(client)
        r = attempt(client, unhappy, outcome="answered", rating=2, finding="窗口要求重复提交材料")
        assert r.json()["complaint_status"] == "rectifying"
        body = {"unit": "housing", "text": "住建窗口要求重复提交材料，限期整改"}
        r = client.post(f"/v1/callbacks/{unhappy}/order", json=body, headers=auth(Role.liaison))
        assert r.status_code == 201, r.text
        app = client.app.state.container.complaints  # type: ignore[attr-defined]
        issued = next(iter(app.events.get(UUID(r.json()["id"]))))
        assert (issued.complaint_id, issued.finding_kind, issued.finding_text) == (
            unhappy,
            "callback_finding",
            "住建窗口要求重复提交材料，限期整改",
        )
        assert issued.callback_task_id == r.json()["callback_task_id"]
        task_events = [type(e).__name__ for e in app.events.get(UUID(issued.callback_task_id))]
        assert task_events == ["Opened", "Attempted", "Referred"]
        r = client.post(f"/v1/callbacks/{unhappy}/order", json={**body, "kind": "spot_check"}, headers=LEADER)
        assert r.status_code == 409
        assert r.json()["code"] == "callback_not_due"


def test_spot_check_share_is_deterministic_and_close_to_the_share() -> None:
    ids = [UUID(int=i * 7919 + 13) for i in range(20_000)]
    drawn = sum(spot_checked(i, 0.05) for i in ids)
    assert abs(drawn / len(ids) - 0.05) < 0.01
    assert [spot_checked(i, 0.05) for i in ids[:200]] == [spot_checked(i, 0.05) for i in ids[:200]]


def test_callbacks_and_demand_views_rebuild_to_the_same_rows(pg_url: str) -> None:
    """Incremental folding (page by page, tasks beside complaints) and a rebuild from the events agree."""
    with client_for(pg_url, SettableClock(FRIDAY), spot_check_share=1.0) as client:
        a, b, c = (fed_back(client) for _ in range(3))
        client.post("/v1/callbacks/agents", headers=AGENT)
        assert client.post(f"/v1/callbacks/{a}/assign", json={"agent": "agent-1"}, headers=LEADER).status_code == 200
        p = register(client)
        attempt(client, p, outcome="answered", rating=4)
        attempt(client, a, outcome="no_answer")
        attempt(client, b, CLERK, outcome="answered", rating=5)
        attempt(client, b, outcome="answered", rating=4)  # its spot check
        attempt(client, c, CLERK, outcome="answered", rating=1)
        container = client.app.state.container  # type: ignore[attr-defined]
        container.catch_up()

        def tables() -> list[list[tuple[object, ...]]]:
            with container.views.transaction(write=False) as tx:
                return [
                    sorted(tx.query(f"SELECT * FROM {name}"), key=str)  # noqa: S608 — fixed names
                    for name in ("yousu_callbacks", "yousu_callback_tasks", "yousu_demand_hourly")
                ]

        before = tables()
        assert len(before[0]) == 4
        runner = build_runner(settings_for(pg_url), container.complaints)
        try:
            runner.rebuild(["callbacks", "demand"])
        finally:
            runner.db.close()
        assert tables() == before
