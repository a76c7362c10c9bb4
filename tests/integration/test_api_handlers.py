"""指定承办人 over HTTP on real PostgreSQL: the command, its refusals, the resolution it restricts, the sign-off on
the result, the 台账's column, the history and the audit chain; the department's own people for its picker.

The rule (窗口部门负责人…安排业务骨干进行办理): the department a complaint is dispatched to names, through the
account of its 负责人, a handler of the department; from then on the handler (or the 负责人) resolves for it, and the
result carries the 负责人's name. The clock is injected: Friday 26 September 2025, Beijing time.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from application.clock import SettableClock
from domain.values import Role
from tests.integration.test_api_handling import (
    CLERK,
    HOUSING,
    at,
    audit_ok,
    catch_up,
    dispatched,
    history,
    ok,
    post,
    refused,
    state,
)
from tests.support import auth, client_for

ANALYST = auth(Role.analyst)
# 市场监管: 赵科长 its 负责人, 孙经办 the 业务骨干 she names, 周科员 another of its accounts
HEAD = auth(Role.department, department="market", sub="market-zhao", name="赵科长")
SUN = auth(Role.department, department="market", sub="market-sun", name="孙经办")
ZHOU = auth(Role.department, department="market", sub="market-zhou", name="周科员")
PASSWORD = "承办人测试-口令-2025-秋"


@pytest.fixture
def world(pg_url: str) -> Iterator[tuple[TestClient, SettableClock]]:
    clock = SettableClock(at(26))
    with client_for(pg_url, clock) as client:
        yield client, clock


def ledger_row(client: TestClient, cid: str, after: int) -> dict[str, Any]:
    catch_up(client)
    rows = ok(client.get(f"/v1/ledger?after={after}", headers=ANALYST))["items"]
    [row] = [r for r in rows if r["id"] == cid]
    return row


def test_the_head_names_the_handler_who_resolves_under_her_name(world: tuple[TestClient, SettableClock]) -> None:
    client, clock = world
    cid = dispatched(client)  # 不给办, to 市场监管
    clock.set(at(26, hh=11))
    ok(post(client, cid, "handler", {"handler_id": "market-sun", "handler_name": "孙经办"}, HEAD))
    s = state(client, cid)
    assert s["handlers"] == [
        {
            "department": "market",
            "handler_id": "market-sun",
            "handler_name": "孙经办",
            "assigned_by": "赵科长",
            "assigned_at": "2025-09-26T11:00:00+08:00",
        }
    ]
    assert s["status"] == "dispatched"

    # another account of 市场监管 may no longer resolve it; the refusal names who may
    detail = refused(post(client, cid, "resolve", {"result": "已责令整改"}, ZHOU), "not_assigned_handler")
    assert "孙经办" in detail
    assert "赵科长" in detail

    clock.set(at(26, hh=15))
    out = ok(post(client, cid, "resolve", {"result": "已责令整改并告知群众"}, SUN))
    s = state(client, cid)
    assert (s["status"], s["result"], s["signed_off_by"]) == ("resolved", "已责令整改并告知群众", "赵科长")
    assert history(client, cid)[-2:] == [("HandlerAssigned", "指定承办人"), ("Resolved", "办结")]
    audit_ok(client, cid)
    row = ledger_row(client, cid, out["notification_id"])
    assert (row["handlers"], row["status"]) == ("market:孙经办", "resolved")
    # the 台账's download names the department as staff read it
    r = client.get(f"/v1/ledger?format=csv&after={out['notification_id']}", headers=ANALYST)
    assert r.status_code == 200, r.text
    [exported] = [x for x in csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))) if x["办理状态"] == "已办结"]
    assert (exported["承办部门"], exported["承办人"]) == ("市场监管", "市场监管:孙经办")


def test_who_may_name_a_handler(world: tuple[TestClient, SettableClock]) -> None:
    client, _clock = world
    cid = dispatched(client)
    body = {"handler_id": "market-sun", "handler_name": "孙经办"}
    # a department the complaint was not dispatched to does not see it
    refused(post(client, cid, "handler", body, HOUSING), "complaint_not_found", 404)
    # only a department names its handler
    refused(post(client, cid, "handler", body, CLERK), "forbidden", 403)
    # for its own department only (like resolving for another department: 403)
    detail = refused(
        post(client, cid, "handler", {**body, "department": "housing"}, HEAD), "not_responsible_department", 403
    )
    assert "本部门" in detail
    # nor after the result
    ok(post(client, cid, "resolve", {"result": "已办理"}, ZHOU))
    assert state(client, cid)["signed_off_by"] is None  # nobody was named: no 负责人 signs it off
    refused(post(client, cid, "handler", body, HEAD), "already_resolved")
    assert [t for t, _ in history(client, cid)].count("HandlerAssigned") == 0


def test_the_latest_assignment_stands_and_a_department_without_one_resolves_as_before(
    world: tuple[TestClient, SettableClock],
) -> None:
    client, _clock = world
    cid = dispatched(client, "hard_to_do", ("market", "housing"))
    ok(post(client, cid, "consult", {"participants": ["market", "housing"], "conclusion": "由住建牵头"}, HEAD))
    ok(post(client, cid, "handler", {"handler_id": "market-sun", "handler_name": "孙经办"}, HEAD))
    last = ok(post(client, cid, "handler", {"handler_id": "market-zhou", "handler_name": "周科员"}, HEAD))
    [handler] = state(client, cid)["handlers"]
    assert (handler["handler_name"], handler["assigned_by"]) == ("周科员", "赵科长")
    assert ledger_row(client, cid, last["notification_id"])["handlers"] == "market:周科员"
    refused(post(client, cid, "resolve", {"result": "已办理"}, SUN), "not_assigned_handler")
    # 住建 named nobody: any of its accounts resolves, and no 负责人 signs the result off
    ok(post(client, cid, "resolve", {"result": "已协调解决"}, HOUSING))
    assert state(client, cid)["signed_off_by"] is None
    audit_ok(client, cid)


def test_with_local_accounts_the_handler_is_an_account_of_the_department(
    world: tuple[TestClient, SettableClock],
) -> None:
    client, _clock = world
    accounts = client.app.state.container.accounts  # type: ignore[attr-defined]  # made by the composition root
    accounts.add(username="sunjing", name="孙经办", roles=[Role.department], department="market", password=PASSWORD)
    accounts.add(username="zhaoke", name="赵科长", roles=[Role.department], department="market", password=PASSWORD)
    accounts.add(username="qianzhu", name="钱住建", roles=[Role.department], department="housing", password=PASSWORD)
    accounts.add(username="litui", name="李退", roles=[Role.department], department="market", password=PASSWORD)
    accounts.set_disabled("litui", disabled=True)
    accounts.add(username="wangdu", name="王督", roles=[Role.supervisor], password=PASSWORD)
    head = auth(Role.department, department="market", sub="local:zhaoke", name="赵科长")

    # her picker lists the enabled accounts of 市场监管, nobody else's
    r = client.get("/v1/people?role=department", headers=head)
    assert r.status_code == 200, r.text
    assert r.json() == [
        {"sub": "local:sunjing", "name": "孙经办", "roles": ["department"]},
        {"sub": "local:zhaoke", "name": "赵科长", "roles": ["department"]},
    ]
    assert [p["name"] for p in ok(client.get("/v1/people", headers=head))] == ["孙经办", "赵科长"]  # type: ignore[arg-type]

    cid = dispatched(client)
    for handler_id, name in (("local:qianzhu", "钱住建"), ("local:litui", "李退"), ("local:nobody", "无名")):
        refused(
            post(client, cid, "handler", {"handler_id": handler_id, "handler_name": name}, head), "unknown_handler", 422
        )
    detail = refused(
        post(client, cid, "handler", {"handler_id": "local:sunjing", "handler_name": "孙静"}, head),
        "handler_name_mismatch",
        422,
    )
    assert "孙经办" in detail
    ok(post(client, cid, "handler", {"handler_id": "local:sunjing", "handler_name": "孙经办"}, head))
    sun = auth(Role.department, department="market", sub="local:sunjing", name="孙经办")
    ok(post(client, cid, "resolve", {"result": "已办理完毕"}, sun))
    assert state(client, cid)["signed_off_by"] == "赵科长"
    audit_ok(client, cid)


def test_a_consultation_records_each_participants_opinion(world: tuple[TestClient, SettableClock]) -> None:
    """很难办 的会商: who took part, each one's 意见 and the 结论, shown on the complaint and in its history."""
    client, _clock = world
    cid = dispatched(client, "hard_to_do", ("market", "housing"))
    opinions = {"market": "属市场监管职责，由我局牵头", "housing": "涉及房屋用途，已联系业主13812345678核实"}
    body = {"participants": ["market", "housing"], "conclusion": "市场监管牵头，住建配合", "opinions": opinions}
    refused(
        post(client, cid, "consult", {**body, "opinions": {**opinions, "tax": "无意见"}}, HEAD), "invalid_input", 422
    )
    ok(post(client, cid, "consult", body, HEAD))
    [record] = state(client, cid)["consultation_records"]  # the liaison reads personal information in clear
    assert record["participants"] == ["market", "housing"]
    assert record["opinions"] == [
        {"participant": "market", "opinion": "属市场监管职责，由我局牵头"},
        {"participant": "housing", "opinion": "涉及房屋用途，已联系业主13812345678核实"},
    ]
    assert record["conclusion"] == "市场监管牵头，住建配合"
    # without access to personal information the phone number reads masked: the supervisor (督办) on the
    # complaint, the administrator in its history
    supervisor = auth(Role.supervisor)
    seen = ok(client.get(f"/v1/complaints/{cid}", headers=supervisor))["consultation_records"][0]["opinions"]
    assert seen[1]["opinion"] == "涉及房屋用途，已联系业主138****5678核实"
    events = ok(client.get(f"/v1/complaints/{cid}/history", headers=auth(Role.admin)))["events"]
    [consulted] = [e for e in events if e["type"] == "Consulted"]
    assert consulted["payload"]["opinions"]["housing"] == "涉及房屋用途，已联系业主138****5678核实"
    audit_ok(client, cid)
