"""并单, 退单/改派, 延期, 中止 over HTTP on real PostgreSQL: each command, each refusal, history and audit.

The clock is injected: Friday 26 September 2025 10:00 Beijing time, before the National Day holiday
(Sunday 28 September a 调休 working day; 1–8 October off; Saturday 11 October a 调休 working day).
Deadlines below are written from the rules by hand.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from application.clock import SettableClock
from domain.values import Role
from policies.merges import MergeAnswerer
from policies.sweeper import Sweeper
from tests.conftest import CST
from tests.support import auth, client_for, receive_body, settings_for
from yousu.wiring import SweepTask

CLERK = auth(Role.window_clerk)
OFFICER = auth(Role.duty_officer)
LEADER = auth(Role.duty_leader)
MARKET = auth(Role.department, department="market")
HOUSING = auth(Role.department, department="housing")
LIAISON = auth(Role.liaison)
ANALYST = auth(Role.analyst)


def at(day: int, month: int = 9, hh: int = 10, mm: int = 0) -> datetime:
    return datetime(2025, month, day, hh, mm, tzinfo=CST)


@pytest.fixture
def world(pg_url: str) -> Iterator[tuple[TestClient, SettableClock]]:
    clock = SettableClock(at(26))
    with client_for(pg_url, clock) as client:
        yield client, clock


def post(client: TestClient, cid: str, verb: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
    return client.post(f"/v1/complaints/{cid}/{verb}", json=body, headers=headers)


def ok(r: Any) -> dict[str, Any]:
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def refused(r: Any, code: str, status: int = 409) -> str:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["code"] == code
    detail: str = body["detail"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in detail), detail  # a Chinese detail for staff
    return detail


def new(client: TestClient, **overrides: Any) -> str:
    r = client.post("/v1/complaints", json=receive_body(**overrides), headers=CLERK)
    assert r.status_code == 201, r.text
    cid: str = r.json()["id"]
    return cid


def dispatched(client: TestClient, kind: str = "refused_to_do", departments: tuple[str, ...] = ("market",)) -> str:
    cid = new(client)
    ok(post(client, cid, "classify", {"classification": kind}, CLERK))
    ok(post(client, cid, "sign", {}, OFFICER))
    ok(post(client, cid, "sign", {}, LEADER))
    ok(post(client, cid, "dispatch", {"departments": list(departments), "supervisor": "sup-1"}, LEADER))
    return cid


def state(client: TestClient, cid: str) -> dict[str, Any]:
    return ok(client.get(f"/v1/complaints/{cid}", headers=LIAISON))


def history(client: TestClient, cid: str) -> list[tuple[str, str]]:
    events = ok(client.get(f"/v1/complaints/{cid}/history", headers=LIAISON))["events"]
    return [(e["type"], e["label"]) for e in events]


def audit_ok(client: TestClient, cid: str) -> None:
    r = client.get(f"/v1/audit/verify?complaint_id={cid}", headers=LIAISON)
    assert r.status_code == 200, r.text
    assert r.json()["ok"] is True


def catch_up(client: TestClient) -> Any:
    container = client.app.state.container  # type: ignore[attr-defined]
    container.catch_up()
    return container


# ---------------------------------------------------------------------------------------- 并单


def test_merge_unmerge_and_the_masters_result_answers_the_duplicate(
    world: tuple[TestClient, SettableClock],
) -> None:
    client, clock = world
    master = new(client)
    clock.set(at(26, hh=10, mm=30))
    duplicate = new(client)

    refused(post(client, duplicate, "merge", {"master_id": duplicate, "reason": "同一事项"}, LEADER), "merge_into_self")
    refused(post(client, master, "merge", {"master_id": duplicate, "reason": "同一事项"}, LEADER), "merge_target_later")
    assert post(client, duplicate, "merge", {"master_id": master, "reason": "同一事项"}, CLERK).status_code == 403
    r = post(client, duplicate, "merge", {"master_id": master, "reason": " "}, LEADER)
    assert r.status_code == 422
    r = post(
        client, duplicate, "merge", {"master_id": "5f0c1b7e-0000-4000-8000-000000000000", "reason": "同一事项"}, LEADER
    )
    assert r.status_code == 404

    merged = ok(post(client, duplicate, "merge", {"master_id": master, "reason": "同一诉求人同一事项"}, LEADER))
    assert merged["status"] == "merged"
    s = state(client, duplicate)
    assert (s["merged_into"], s["status_label"]) == (master, "已并单")
    refused(post(client, duplicate, "merge", {"master_id": master, "reason": "再并"}, LEADER), "already_merged")
    third = new(client)
    refused(post(client, third, "merge", {"master_id": duplicate, "reason": "同一事项"}, LEADER), "merge_target_merged")
    refused(post(client, duplicate, "classify", {"classification": "general"}, CLERK), "already_merged")

    ok(post(client, duplicate, "unmerge", {"reason": "经核实并非同一事项"}, LEADER))
    assert state(client, duplicate)["status"] == "received"
    refused(post(client, duplicate, "unmerge", {"reason": "再取消"}, LEADER), "not_merged")
    ok(post(client, duplicate, "merge", {"master_id": master, "reason": "同一诉求人同一事项"}, LEADER))

    # the master is resolved; the merge policy answers the duplicate with its result
    ok(post(client, master, "classify", {"classification": "general"}, CLERK))
    ok(post(client, master, "resolve", {"result": "已协调物业当日整改"}, CLERK))
    container = catch_up(client)
    assert MergeAnswerer(container.complaints, container.views).run() == 1
    s = state(client, duplicate)
    assert (s["status"], s["result"]) == ("resolved", "已协调物业当日整改")
    catch_up(client)
    assert MergeAnswerer(container.complaints, container.views).run() == 0  # once
    refused(post(client, duplicate, "unmerge", {"reason": "取消"}, LEADER), "merged_already_answered")
    refused(post(client, third, "merge", {"master_id": master, "reason": "同一事项"}, LEADER), "merge_target_closed")

    # feedback and call-back still happen for the duplicate's person
    ok(post(client, duplicate, "feedback", {"method": "phone", "summary": "告知主诉求办理结果"}, CLERK))
    ok(post(client, duplicate, "callback", {"rating": 5}, CLERK))
    assert history(client, duplicate) == [
        ("Received", "受理"),
        ("Merged", "并单"),
        ("Unmerged", "取消并单"),
        ("Merged", "并单"),
        ("AnsweredByMaster", "按主诉求答复"),
        ("FedBack", "反馈"),
        ("CalledBack", "回访"),
    ]
    audit_ok(client, duplicate)


# ---------------------------------------------------------------------------------------- 退单 / 改派


def test_return_then_redispatch_or_insist(world: tuple[TestClient, SettableClock]) -> None:
    client, clock = world
    cid = dispatched(client)  # 不给办 to market on Friday 10:00: due Monday 29 September 17:30
    assert post(client, cid, "return", {"reason": "不属本部门"}, HOUSING).status_code == 404  # not dispatched to it
    assert post(client, cid, "return", {"reason": "不属本部门"}, LEADER).status_code == 403
    refused(post(client, cid, "redispatch", {"departments": ["housing"]}, LEADER), "no_return_pending")
    refused(post(client, cid, "insist", {"opinion": "须办理"}, LEADER), "no_return_pending")

    clock.set(at(28, hh=17, mm=30))  # the last instant of the window: close of the next working day (调休 Sunday)
    ok(post(client, cid, "return", {"reason": "不属于市场监管职责"}, MARKET))
    assert state(client, cid)["pending_return"] == "market"
    refused(post(client, cid, "return", {"reason": "再退"}, MARKET), "return_pending")
    refused(post(client, cid, "resolve", {"result": "已办"}, MARKET), "return_pending")
    r = post(client, cid, "redispatch", {"departments": ["nowhere"]}, LEADER)
    assert r.status_code == 422
    assert r.json()["code"] == "unknown_department"

    clock.set(at(29, hh=9))
    out = ok(post(client, cid, "redispatch", {"departments": ["housing"], "instructions": "由住建办理"}, LEADER))
    # the deadline restarts: 2 working days from Monday 29 → Tuesday 30, then Thursday 9 October 17:30
    assert out["due_at"] == "2025-10-09T17:30:00+08:00"
    s = state(client, cid)
    assert (s["departments"], s["pending_return"], s["returns"]) == (["housing"], None, 1)
    assert post(client, cid, "resolve", {"result": "已办"}, MARKET).status_code == 404  # no longer with market

    ok(post(client, cid, "return", {"reason": "亦不属住建职责"}, HOUSING))
    ok(post(client, cid, "insist", {"opinion": "属住建职责，须办理"}, LEADER))
    refused(post(client, cid, "return", {"reason": "再退"}, HOUSING), "return_insisted_before")
    ok(post(client, cid, "resolve", {"result": "已办结"}, HOUSING))
    assert [t for t, _ in history(client, cid)][-5:] == [
        "Returned",
        "Redispatched",
        "Returned",
        "ReturnInsisted",
        "Resolved",
    ]
    audit_ok(client, cid)


def test_a_return_after_the_window_is_409(world: tuple[TestClient, SettableClock]) -> None:
    client, clock = world
    cid = dispatched(client)
    clock.set(at(28, hh=17, mm=31))
    detail = refused(post(client, cid, "return", {"reason": "不属本部门"}, MARKET), "return_window_passed")
    assert "2025-09-28 17:30" in detail


# ---------------------------------------------------------------------------------------- 延期


def test_extension_asked_approved_refused_and_limited(world: tuple[TestClient, SettableClock]) -> None:
    client, clock = world
    cid = dispatched(client)
    refused(post(client, cid, "extension/approve", {}, LEADER), "no_extension_pending")
    assert post(client, cid, "extension", {"days": 0, "reason": "需核查"}, MARKET).status_code == 422
    ok(post(client, cid, "extension", {"days": 2, "reason": "需现场核查"}, MARKET))
    assert state(client, cid)["pending_extension_days"] == 2
    refused(post(client, cid, "extension", {"days": 1, "reason": "再申请"}, MARKET), "extension_pending")
    assert post(client, cid, "extension/approve", {}, MARKET).status_code == 403
    out = ok(post(client, cid, "extension/approve", {"opinion": "同意"}, LEADER))
    # Monday 29 September 17:30 + 2 working days: Tuesday 30, then Thursday 9 October
    assert out["due_at"] == "2025-10-09T17:30:00+08:00"
    refused(post(client, cid, "extension", {"days": 1, "reason": "再申请"}, MARKET), "extension_limit_reached")

    other = dispatched(client)
    ok(post(client, other, "extension", {"days": 1, "reason": "需现场核查"}, MARKET))
    refused(post(client, other, "extension/refuse", {"reason": " "}, LEADER), "invalid_input", 422)
    ok(post(client, other, "extension/refuse", {"reason": "时限内可以办结"}, LEADER))
    assert state(client, other)["due_at"] == "2025-09-29T17:30:00+08:00"
    refused(post(client, other, "extension/refuse", {"reason": "再拒"}, LEADER), "no_extension_pending")
    clock.set(at(29, hh=17, mm=31))
    refused(post(client, other, "extension", {"days": 1, "reason": "逾期后申请"}, MARKET), "extension_after_deadline")
    assert [t for t, _ in history(client, cid)][-2:] == ["ExtensionRequested", "ExtensionApproved"]
    audit_ok(client, cid)
    audit_ok(client, other)


# ---------------------------------------------------------------------------------------- 中止


def test_pause_and_resume_move_the_deadline_and_the_sla_view_follows(world: tuple[TestClient, SettableClock]) -> None:
    client, clock = world
    cid = dispatched(client)  # due Monday 29 September 17:30
    refused(post(client, cid, "resume", {}, CLERK), "clock_not_paused")
    assert post(client, cid, "pause", {"reason": "等待补充材料"}, CLERK).status_code == 403
    assert post(client, cid, "pause", {}, MARKET).status_code == 422  # a reason is required
    clock.set(at(26, hh=16, mm=30))
    ok(post(client, cid, "pause", {"reason": "等待群众补充营业执照原件"}, MARKET))
    s = state(client, cid)
    assert (s["paused_at"], s["pause_due_at"]) == ("2025-09-26T16:30:00+08:00", "2025-10-16T17:30:00+08:00")
    refused(post(client, cid, "pause", {"reason": "再中止"}, MARKET), "clock_already_paused")
    refused(post(client, cid, "resolve", {"result": "已办"}, MARKET), "clock_paused")

    # past the original deadline while paused: not overdue, no escalation
    clock.set(at(30, hh=9))
    container = catch_up(client)
    Sweeper(container.complaints, container.views).sweep()
    overdue = ok(client.get("/v1/sla/overdue", headers=ANALYST))
    assert cid not in {row["complaint_id"] for row in overdue["items"]}
    assert state(client, cid)["escalations"] == []

    clock.set(at(9, 10, hh=10))
    assert post(client, cid, "resume", {"note": "材料已补齐"}, MARKET).status_code == 403
    out = ok(post(client, cid, "resume", {"note": "材料已补齐"}, CLERK))
    # paused 27.5 working hours (Fri 16:30–17:30, Sun 28, Mon 29, Tue 30, Thu 9 Oct 09:00–10:00):
    # Monday 17:30 + 27.5 h = Tue 30, Thu 9, Fri 10 (8.5 h each) + Saturday 11 October (调休) 09:00 + 2 h
    assert out["due_at"] == "2025-10-11T11:00:00+08:00"
    catch_up(client)
    ledger = ok(client.get("/v1/ledger", headers=ANALYST))["items"]
    row = next(r for r in ledger if r["id"] == cid)
    assert (datetime.fromisoformat(row["due_at"]), row["paused"]) == (at(11, 10, hh=11), False)
    ok(post(client, cid, "resolve", {"result": "已办结"}, MARKET))
    assert [t for t, _ in history(client, cid)][-3:] == ["ClockPaused", "ClockResumed", "Resolved"]
    audit_ok(client, cid)


def test_a_pause_longer_than_the_limit_escalates_like_a_missed_deadline(
    world: tuple[TestClient, SettableClock],
) -> None:
    client, clock = world
    cid = dispatched(client)
    ok(post(client, cid, "pause", {"reason": "等待补充材料"}, MARKET))  # Friday 10:00; limit Thursday 16 October 17:30
    container = catch_up(client)
    sweeper = Sweeper(container.complaints, container.views)
    clock.set(at(16, 10, hh=17, mm=30))
    sweeper.sweep()
    assert state(client, cid)["escalations"] == []
    clock.set(at(16, 10, hh=17, mm=31))
    sweeper.sweep()
    assert state(client, cid)["escalations"] == [{"clock": "pause", "level": 1, "round": 1}]
    catch_up(client)
    overdue = ok(client.get("/v1/sla/overdue", headers=ANALYST))["items"]
    assert [(r["complaint_id"], r["clock"]) for r in overdue if r["complaint_id"] == cid] == [(cid, "pause")]
    leader_inbox = ok(client.get("/v1/inbox", headers=LEADER))["items"]
    assert any(i["complaint_id"] == cid and i["clock"] == "pause" and i["level"] == 1 for i in leader_inbox)


# ---------------------------------------------------------------------------------------- the duty leader's worklist


def test_the_duty_leader_sees_the_returns_and_extensions_to_decide(world: tuple[TestClient, SettableClock]) -> None:
    client, _ = world
    returned = dispatched(client)
    asked = dispatched(client)
    quiet = dispatched(client)
    ok(post(client, returned, "return", {"reason": "不属本部门"}, MARKET))
    last = ok(post(client, asked, "extension", {"days": 1, "reason": "需核查"}, MARKET))["notification_id"]
    body = ok(client.get(f"/v1/worklist?after={last}", headers=LEADER))
    pending = {r["id"]: r["pending"] for r in body["decisions"]}
    assert pending == {returned: "return", asked: "extension"}
    assert quiet not in pending
    assert "13812345678" not in str(body)  # masked as in every view
    last = ok(post(client, returned, "insist", {"opinion": "须办理"}, LEADER))["notification_id"]
    body = ok(client.get(f"/v1/worklist?after={last}", headers=LEADER))
    assert [r["id"] for r in body["decisions"]] == [asked]


# ---------------------------------------------------------------------------------------- metrics


def test_metrics_count_merges_once_returns_per_department_and_on_time_against_moved_deadlines(
    world: tuple[TestClient, SettableClock],
) -> None:
    """Six complaints received on Friday 26 September; every expected count is written from the rules.

    A general, resolved on the spot at 10:30 (due 17:30); B merged into A, answered with A's result;
    C 不给办 to market, returned, re-dispatched to housing at 11:00 (due Monday 29 17:30), resolved Monday 12:00;
    D 不给办 to market, extended by 1 day (due Tuesday 30 17:30), resolved Tuesday 12:00;
    E 不给办 to market, paused Friday 11:00 – Monday 11:00 (17 working hours: due Thursday 9 October 17:30),
    resolved Tuesday 12:00; F 不给办 to market, resolved Tuesday 12:00, late (due Monday 29 17:30).
    """
    client, clock = world
    a = new(client)
    c, d, e, f = (dispatched(client) for _ in range(4))
    clock.set(at(26, hh=10, mm=10))
    b = new(client)
    ok(post(client, b, "merge", {"master_id": a, "reason": "同一诉求人同一事项"}, LEADER))
    ok(post(client, a, "classify", {"classification": "general"}, CLERK))
    clock.set(at(26, hh=10, mm=30))
    ok(post(client, a, "resolve", {"result": "当场解答"}, CLERK))
    clock.set(at(26, hh=11))
    ok(post(client, c, "return", {"reason": "不属市场监管职责"}, MARKET))
    ok(post(client, c, "redispatch", {"departments": ["housing"]}, LEADER))
    ok(post(client, d, "extension", {"days": 1, "reason": "需现场核查"}, MARKET))
    assert ok(post(client, d, "extension/approve", {}, LEADER))["due_at"] == "2025-09-30T17:30:00+08:00"
    ok(post(client, e, "pause", {"reason": "等待补充材料"}, MARKET))
    container = catch_up(client)
    assert MergeAnswerer(container.complaints, container.views).run() == 1
    clock.set(at(29, hh=11))
    assert ok(post(client, e, "resume", {}, CLERK))["due_at"] == "2025-10-09T17:30:00+08:00"
    clock.set(at(29, hh=12))
    ok(post(client, c, "resolve", {"result": "已办结"}, HOUSING))
    clock.set(at(30, hh=12))
    for cid in (d, e, f):
        last = ok(post(client, cid, "resolve", {"result": "已办结"}, MARKET))["notification_id"]
    clock.set(at(30, hh=13))

    def query(extra: str = "") -> dict[str, Any]:
        body = ok(client.get(f"/v1/metrics?from=2025-09-01&to=2025-09-30&after={last}{extra}", headers=ANALYST))
        return {g["group"]: g for g in body["groups"]}

    def rate(group: dict[str, Any], name: str) -> tuple[int, int]:
        r = group["rates"][name]
        return r["numerator"], r["denominator"]

    everything = query()[""]
    counts = everything["counts"]
    assert (counts["received"], counts["merged"], counts["extended"], counts["paused"]) == (6, 1, 1, 1)
    assert (counts["dispatched"], counts["returned"]) == (4, 1)
    assert rate(everything, "response") == (6, 6)  # B answered by its merge
    assert rate(everything, "closure") == (5, 5)  # B counted once, in A
    assert rate(everything, "on_time_closure") == (4, 5)  # D and E on time against their moved deadlines; F late
    # against the limit as first set (D and E due Monday 29 September 17:30, before 延期 and 中止): late
    assert rate(everything, "on_time_closure_original") == (2, 5)  # A (on the spot) and C (改派 to housing)
    assert rate(everything, "return") == (1, 4)  # 退单率

    by_department = query("&group_by=department")
    assert rate(by_department["market"], "return") == (1, 4)  # C, D, E, F were with market; C returned by it
    assert rate(by_department["housing"], "return") == (0, 1)
    assert rate(by_department["market"], "on_time_closure") == (3, 4)
    assert rate(by_department["housing"], "on_time_closure") == (1, 1)
    assert rate(by_department[""], "closure") == (1, 1)  # A; B merged


def test_the_sweep_answers_merged_duplicates(pg_url: str) -> None:
    """The merge policy runs in every sweep (`yousu sweep`, or inside `serve`): no separate process to forget."""
    clock = SettableClock(at(26))
    with client_for(pg_url, clock) as client:
        master = new(client)
        clock.set(at(26, hh=10, mm=5))
        duplicate = new(client)
        ok(post(client, duplicate, "merge", {"master_id": master, "reason": "同一事项"}, LEADER))
        ok(post(client, master, "classify", {"classification": "general"}, CLERK))
        ok(post(client, master, "resolve", {"result": "当场解答"}, CLERK))
        container = catch_up(client)
        task = SweepTask(settings_for(pg_url), container.complaints, container.views)
        try:
            task()
        finally:
            task.close()
        assert state(client, duplicate)["result"] == "当场解答"
