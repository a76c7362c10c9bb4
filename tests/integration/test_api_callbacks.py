"""满意度回访中心 over HTTP on a real SQLite file: the queue, assignment, attempts with the retry schedule,
无法联系 after the configured failures (counted apart), the complaint's 回访 from an answered call, 抽查."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from fastapi.testclient import TestClient

from application.clock import SettableClock
from domain.callbacks import spot_checked
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
        assert counts == {"unreachable": 1, "refused": 1}
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
        r = attempt(client, cid, outcome="answered", rating=3)
        assert r.json()["kind"] == "spot_check"
        assert r.json()["complaint_status"] == "closed"
        state = client.get(f"/v1/complaints/{cid}", headers=CLERK).json()
        assert (state["rating"], state["version"]) == (4, 5)  # the spot check neither re-rates nor changes it
        assert queue(client, kind="spot_check")["total"] == 0
        assert client.get("/v1/callbacks/summary", headers=LEADER).json()["counts"]["spot_check"] == {"answered": 1}
    with client_for(sqlite_url, SettableClock(FRIDAY), spot_check_share=0.0) as client:
        assert queue(client, kind="spot_check")["total"] == 0


def test_spot_check_share_is_deterministic_and_close_to_the_share() -> None:
    ids = [UUID(int=i * 7919 + 13) for i in range(20_000)]
    drawn = sum(spot_checked(i, 0.05) for i in ids)
    assert abs(drawn / len(ids) - 0.05) < 0.01
    assert [spot_checked(i, 0.05) for i in ids[:200]] == [spot_checked(i, 0.05) for i in ids[:200]]


def test_callbacks_and_demand_views_rebuild_to_the_same_rows(pg_url: str) -> None:
    """Incremental folding (page by page, tasks beside complaints) and a rebuild from the events agree."""
    with client_for(pg_url, SettableClock(FRIDAY), spot_check_share=1.0) as client:
        a, b, c = (fed_back(client) for _ in range(3))
        client.post(f"/v1/callbacks/{a}/assign", json={"agent": "agent-1"}, headers=LEADER)
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
        assert len(before[0]) == 3
        runner = build_runner(settings_for(pg_url), container.complaints)
        try:
            runner.rebuild(["callbacks", "demand"])
        finally:
            runner.db.close()
        assert tables() == before
