"""限期整改通知 over HTTP on real stores: issue → acknowledge → report → accept / return, refusals as
problem+json in Chinese, overdue escalation by the sweeper, the orders ledger and 整改按期完成率."""

from __future__ import annotations

import json
import threading
from datetime import datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

from fastapi.testclient import TestClient

from application.clock import SettableClock
from application.orders import OrdersService
from domain.values import Role
from policies.delivery import Deliverer, Webhook
from policies.orders import OrderSweeper
from tests.conftest import CST
from tests.support import auth, client_for, settings_for
from yousu.wiring import build_runner

LEADER = auth(Role.duty_leader, sub="leader-1")
OTHER_LEADER = auth(Role.duty_leader, sub="leader-2")
LIAISON = auth(Role.liaison)
HOUSING = auth(Role.department, department="housing")
TAX = auth(Role.department, department="tax")
ANALYST = auth(Role.analyst)
FRIDAY = datetime(2025, 9, 26, 10, 0, tzinfo=CST)


def issue(client: TestClient, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "unit": "housing",
        "finding": {"kind": "bad_rating_pattern", "text": "住建窗口差评集中：材料反复退回"},
        "working_days": 5,
    }
    body.update(overrides)
    r = client.post("/v1/orders", json=body, headers=LEADER)
    assert r.status_code == 201, r.text
    out: dict[str, Any] = r.json()
    return out


def post(client: TestClient, oid: str, verb: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
    return client.post(f"/v1/orders/{oid}/{verb}", json=body, headers=headers)


def assert_problem(r: Any, status: int, code: str) -> None:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["code"] == code
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["detail"]), body["detail"]


def test_order_lifecycle_with_a_returned_round(sqlite_url: str) -> None:
    clock = SettableClock(FRIDAY)
    with client_for(sqlite_url, clock) as client:
        order = issue(client)
        oid = order["id"]
        # Fri 26 Sep + 5 working days across National Day: due Fri 10 Oct at close of business
        assert order["due_at"] == "2025-10-10T17:30:00+08:00"
        assert order["status"] == "issued"
        # another unit's order is outside the tax office's scope: not found, exactly as an unknown order
        assert_problem(post(client, oid, "acknowledge", {}, TAX), 404, "order_not_found")
        assert_problem(post(client, oid, "report", {"report": "已整改"}, HOUSING), 409, "order_not_acknowledged")
        assert post(client, oid, "acknowledge", {}, HOUSING).json()["status"] == "acknowledged"
        assert_problem(post(client, oid, "acknowledge", {}, HOUSING), 409, "order_already_acknowledged")
        assert post(client, oid, "report", {"report": "已统一材料清单"}, HOUSING).json()["status"] == "reported"
        assert_problem(post(client, oid, "accept", {}, OTHER_LEADER), 403, "not_order_issuer")
        r = post(client, oid, "return", {"reason": "未附制度文件", "working_days": 2}, LEADER)
        assert r.status_code == 200, r.text
        assert r.json()["round"] == 2
        assert r.json()["due_at"] == "2025-09-29T17:30:00+08:00"  # Fri + 2 working days: 调休 Sunday 28, Monday 29
        post(client, oid, "acknowledge", {}, HOUSING)
        post(client, oid, "report", {"report": "已印发制度文件"}, HOUSING)
        r = post(client, oid, "accept", {"comment": "同意"}, LIAISON)  # a liaison may accept too
        assert r.json()["status"] == "accepted"
        assert_problem(post(client, oid, "report", {"report": "x"}, HOUSING), 409, "order_closed")


def test_refusals_name_the_field_in_chinese(sqlite_url: str) -> None:
    with client_for(sqlite_url, SettableClock(FRIDAY)) as client:
        r = client.post(
            "/v1/orders", json={"unit": "nowhere", "finding": {"kind": "topic", "text": "x"}}, headers=LEADER
        )
        assert_problem(r, 422, "invalid_input")
        assert r.json()["errors"][0]["field"] == "unit"
        r = client.post(
            "/v1/orders", json={"unit": "housing", "finding": {"kind": "gossip", "text": "x"}}, headers=LEADER
        )
        assert_problem(r, 422, "invalid_input")
        r = client.post(
            "/v1/orders",
            json={"unit": "housing", "finding": {"kind": "topic", "text": "x"}, "working_days": 0},
            headers=LEADER,
        )
        assert_problem(r, 422, "invalid_input")
        assert_problem(
            client.post("/v1/orders/00000000-0000-0000-0000-000000000001/acknowledge", json={}, headers=HOUSING),
            404,
            "order_not_found",
        )
        assert_problem(client.post("/v1/orders", json={}, headers=HOUSING), 403, "forbidden")


def test_overdue_orders_escalate_and_the_rate_counts_them(sqlite_url: str) -> None:
    clock = SettableClock(FRIDAY)
    with client_for(sqlite_url, clock) as client:
        late = issue(client, working_days=1)["id"]  # due 28 Sep (调休 Sunday) 17:30
        on_time = issue(client, unit="tax", working_days=1)["id"]
        pending = issue(client, unit="tax", working_days=10)["id"]
        post(client, on_time, "acknowledge", {}, TAX)
        post(client, on_time, "report", {"report": "已整改"}, TAX)
        post(client, on_time, "accept", {}, LEADER)
        container = client.app.state.container  # type: ignore[attr-defined]
        orders_sweeper = OrderSweeper(OrdersService(container.complaints), container.views)

        def sweep() -> int:
            container.catch_up()  # `serve` follows the store in the background; here the views catch up by hand
            return orders_sweeper.sweep()

        clock.set(datetime(2025, 9, 28, 17, 0, tzinfo=CST))
        assert sweep() == 0
        clock.set(datetime(2025, 9, 28, 17, 31, tzinfo=CST))
        assert sweep() == 1  # level 1 to the unit's leader
        assert sweep() == 0  # once
        clock.set(datetime(2025, 9, 29, 17, 31, tzinfo=CST))  # one working day later: 抄送纪检
        assert sweep() == 1
        container.catch_up()
        ledger = client.get("/v1/orders?overdue=true", headers=ANALYST).json()
        assert [i["id"] for i in ledger["items"]] == [late]
        assert ledger["items"][0]["escalation_level"] == 2
        assert ledger["items"][0]["status_label"] == "已下发"
        rate = client.get("/v1/orders?from=2025-09-01&to=2025-09-30", headers=ANALYST).json()["on_time_rate"]
        # decided: the accepted on-time order and the overdue one; the 10-day order is still pending
        assert (rate["numerator"], rate["denominator"], rate["pending"]) == (1, 2, 1)
        assert rate["label"] == "整改按期完成率"
        tax_only = client.get("/v1/orders", headers=TAX).json()
        assert {i["id"] for i in tax_only["items"]} == {on_time, pending}
        assert_problem(client.get("/v1/orders?unit=housing", headers=TAX), 403, "forbidden")
        assert client.get("/v1/orders?status=accepted", headers=ANALYST).json()["total"] == 1
        assert_problem(client.get("/v1/orders?status=lost", headers=ANALYST), 422, "invalid_query")


class Receiver(BaseHTTPRequestHandler):
    """Answers 204 and keeps what it received."""

    received: list[dict[str, Any]] = []  # noqa: RUF012 — shared by the test's server

    def do_POST(self) -> None:
        Receiver.received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *_: Any) -> None:
        pass


def test_order_escalations_reach_the_inboxes_and_webhooks_like_complaints(sqlite_url: str) -> None:
    server = HTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/hook"
    clock = SettableClock(FRIDAY)
    try:
        with client_for(sqlite_url, clock) as client:
            oid = issue(client, working_days=1)["id"]  # to housing, due Sunday 28 Sep (调休) 17:30
            container = client.app.state.container  # type: ignore[attr-defined]
            sweeper = OrderSweeper(OrdersService(container.complaints), container.views)
            leader_in_centre = auth(Role.duty_leader, sub="leader-9", centre="district")
            deliverer = Deliverer(
                container.views,
                container.complaints.calendar,
                [
                    Webhook(url + "/leader", frozenset({"duty_leader"})),
                    Webhook(url + "/liaison", frozenset({"liaison"})),
                ],
            )

            def inbox(path: str, headers: dict[str, str]) -> list[dict[str, Any]]:
                container.catch_up()
                r = client.get(path, headers=headers)
                assert r.status_code == 200, r.text
                items: list[dict[str, Any]] = r.json()["items"]
                return items

            clock.set(datetime(2025, 9, 28, 17, 31, tzinfo=CST))
            container.catch_up()
            assert sweeper.sweep() == 1
            level1 = inbox("/v1/inbox", leader_in_centre)
            assert [(i["order_id"], i["unit"], i["clock"], i["level"], i["round"]) for i in level1] == [
                (oid, "housing", "order", 1, 1)
            ]
            assert level1[0]["complaint_id"] is None
            assert level1[0]["recipients"] == ["unit_leader"]
            assert level1[0]["reason"] == "整改通知第1轮已逾期，尚未报送整改报告"
            assert inbox("/v1/liaison/inbox", LIAISON) == []  # level 1 is not copied to 纪检
            assert deliverer.run_once(clock.now()) == 1
            assert [(r["order_id"], r["unit"], r["level"], r["recipients"]) for r in Receiver.received] == [
                (oid, "housing", 1, ["duty_leader", "unit_leader"])
            ]
            assert "complaint_id" not in Receiver.received[0]

            clock.set(datetime(2025, 9, 29, 17, 31, tzinfo=CST))  # one working day later: 抄送纪检
            container.catch_up()
            assert sweeper.sweep() == 1
            copied = inbox("/v1/liaison/inbox", LIAISON)
            assert [(i["order_id"], i["level"], i["recipients"]) for i in copied] == [
                (oid, 2, ["liaison", "unit_leader"])
            ]
            assert [i["level"] for i in inbox("/v1/inbox", leader_in_centre)] == [2, 1]
            Receiver.received.clear()
            assert deliverer.run_once(clock.now()) == 2  # the level-2 notice to both hooks
            assert sorted((r["order_id"], r["level"]) for r in Receiver.received) == [(oid, 2), (oid, 2)]
    finally:
        server.shutdown()


def test_orders_view_rebuilds_to_the_same_rows(pg_url: str) -> None:
    clock = SettableClock(FRIDAY)
    with client_for(pg_url, clock) as client:
        oid = issue(client)["id"]
        post(client, oid, "acknowledge", {}, HOUSING)
        late = issue(client, working_days=1)["id"]
        container = client.app.state.container  # type: ignore[attr-defined]
        clock.set(datetime(2025, 9, 29, 17, 31, tzinfo=CST))  # past both levels of the one-day order
        container.catch_up()
        assert OrderSweeper(OrdersService(container.complaints), container.views).sweep() == 2
        container.catch_up()
        before = client.get("/v1/orders", headers=ANALYST).json()["items"]
        inbox_before = client.get("/v1/liaison/inbox", headers=LIAISON).json()["items"]
        assert [(i["order_id"], i["unit"], i["level"]) for i in inbox_before] == [(late, "housing", 2)]

        runner = build_runner(settings_for(pg_url), container.complaints)
        try:
            runner.rebuild(["orders", "inbox"])
        finally:
            runner.db.close()
        after = client.get("/v1/orders", headers=ANALYST).json()["items"]
        assert before == after
        assert {i["id"]: i["status"] for i in after}[oid] == "acknowledged"
        assert client.get("/v1/liaison/inbox", headers=LIAISON).json()["items"] == inbox_before
