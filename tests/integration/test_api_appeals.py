"""当场答复 and 差评申诉 over HTTP on real PostgreSQL: the commands, their refusals, the history, the audit chain,
the 台账, the duty leader's worklist and the metrics.

The clock is injected: Friday 26 September 2025, Beijing time. Expected values are written from the rules:
a general question answered at the window is 办结 and 反馈（当面）at once; a 差评 (1–2) opens a rectification
round, which whoever resolved it may appeal once; the duty leader's upheld decision sets the 差评 aside (it
leaves 满意率 and 差评率) and closes the complaint.
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
from tests.integration.test_api_handling import at, audit_ok, dispatched, history, new, ok, post, refused, state
from tests.support import auth, client_for, hotline_body

CLERK = auth(Role.window_clerk)
LEADER = auth(Role.duty_leader)
OFFICER = auth(Role.duty_officer)
MARKET = auth(Role.department, department="market")
HOUSING = auth(Role.department, department="housing")
ANALYST = auth(Role.analyst)


@pytest.fixture
def world(pg_url: str) -> Iterator[tuple[TestClient, SettableClock]]:
    clock = SettableClock(at(26))
    with client_for(pg_url, clock) as client:
        yield client, clock


def rated(client: TestClient, cid: str, rating: int) -> dict[str, Any]:
    return ok(post(client, cid, "callback", {"rating": rating, "comment": "回访"}, CLERK))


def test_a_general_question_is_answered_on_the_spot(world: tuple[TestClient, SettableClock]) -> None:
    client, clock = world
    cid = new(client)
    ok(post(client, cid, "classify", {"classification": "general"}, CLERK))
    clock.set(at(26, hh=10, mm=5))
    out = ok(post(client, cid, "on-the-spot", {"result": "当场告知材料清单并代为填表"}, CLERK))
    assert out["status"] == "fed_back"
    s = state(client, cid)
    assert s["resolved_at"] == s["fed_back_at"] == "2025-09-26T10:05:00+08:00"
    assert (s["feedback_method"], s["result"]) == ("当面", "当场告知材料清单并代为填表")
    assert history(client, cid)[-2:] == [("Resolved", "办结"), ("FedBack", "反馈")]
    audit_ok(client, cid)
    # nothing is left to feed back: the next step is the call-back
    refused(post(client, cid, "feedback", {"method": "电话"}, CLERK), "not_allowed_in_state")
    # a complex complaint is not answered at the window
    other = dispatched(client)
    refused(post(client, other, "on-the-spot", {"result": "答复"}, CLERK), "not_on_the_spot")
    # the hotline's general work order has no window to answer at
    r = client.post(
        "/v1/complaints",
        json=hotline_body("GD-2025-0926-01", received_at="2025-09-26T09:30:00+08:00"),
        headers=auth(Role.hotline),
    )
    assert r.status_code == 201, r.text
    hotline = r.json()["id"]
    ok(post(client, hotline, "classify", {"classification": "general"}, CLERK))
    detail = refused(post(client, hotline, "on-the-spot", {"result": "答复"}, CLERK), "not_on_the_spot")
    assert "窗口" in detail


def test_an_upheld_appeal_sets_the_bad_rating_aside(world: tuple[TestClient, SettableClock]) -> None:
    client, clock = world
    upheld, refused_one, good = (dispatched(client) for _ in range(3))
    for cid in (upheld, refused_one, good):
        ok(post(client, cid, "resolve", {"result": "已依法答复"}, MARKET))
        ok(post(client, cid, "feedback", {"method": "电话"}, CLERK))
    rated(client, upheld, 2)
    rated(client, refused_one, 1)
    rated(client, good, 5)
    clock.set(at(26, hh=11))
    # only the department it was dispatched to appeals, once per round
    refused(
        post(client, upheld, "rating-appeal", {"reason": "群众诉求超出法定范围"}, HOUSING), "complaint_not_found", 404
    )
    refused(post(client, good, "rating-appeal", {"reason": "理由"}, MARKET), "appeal_not_open")
    ok(post(client, upheld, "rating-appeal", {"reason": "群众诉求超出法定范围，已依法答复"}, MARKET))
    refused(post(client, upheld, "rating-appeal", {"reason": "再次申诉"}, MARKET), "already_appealed")
    last = ok(post(client, refused_one, "rating-appeal", {"reason": "已按期办结"}, MARKET))["notification_id"]
    assert state(client, upheld)["pending_appeal"] is True

    # the duty leader's worklist shows both appeals to decide
    client.app.state.container.catch_up()  # type: ignore[attr-defined]
    work = ok(client.get(f"/v1/worklist?after={last}", headers=LEADER))
    assert {r["id"]: r["pending"] for r in work["decisions"]} == {upheld: "appeal", refused_one: "appeal"}

    refused(
        post(client, upheld, "rating-appeal/decision", {"upheld": True, "opinion": "属实"}, OFFICER), "forbidden", 403
    )
    ok(
        post(
            client,
            upheld,
            "rating-appeal/decision",
            {"upheld": True, "opinion": "经核实已依法答复，差评不计入"},
            LEADER,
        )
    )
    last = ok(
        post(
            client,
            refused_one,
            "rating-appeal/decision",
            {"upheld": False, "opinion": "群众反映属实，继续整改"},
            LEADER,
        )
    )["notification_id"]
    refused(
        post(client, upheld, "rating-appeal/decision", {"upheld": False, "opinion": "再审"}, LEADER),
        "no_appeal_pending",
    )

    s = state(client, upheld)
    assert s["status"] == "closed"
    assert s["pending_appeal"] is False
    [appeal] = s["appeals"]
    assert (appeal["round"], appeal["upheld"], appeal["opinion"]) == (1, True, "经核实已依法答复，差评不计入")
    assert state(client, refused_one)["status"] == "rectifying"
    assert history(client, upheld)[-2:] == [("RatingAppealed", "差评申诉"), ("AppealDecided", "申诉审核")]
    audit_ok(client, upheld)

    # 台账 and metrics: the upheld 差评 counts under no rating; 1 of 2 appeals upheld
    rows = ok(client.get(f"/v1/ledger?after={last}", headers=ANALYST))["items"]
    by_id = {r["id"]: r for r in rows}
    assert (by_id[upheld]["status"], by_id[upheld]["pending"]) == ("closed", "")
    assert (by_id[refused_one]["status"], by_id[refused_one]["pending"]) == ("rectifying", "")
    # the 台账's 差评申诉 column: upheld, refused, none; the export says it in words
    assert [by_id[c]["appeal"] for c in (upheld, refused_one, good)] == ["upheld", "refused", ""]
    csv_rows = list(
        csv.DictReader(
            io.StringIO(client.get(f"/v1/ledger?format=csv&after={last}", headers=ANALYST).text.lstrip("\ufeff"))
        )
    )
    by_slip = {r["受理单号"]: r["差评申诉"] for r in csv_rows}
    assert by_slip[by_id[upheld]["slip_no"]] == "申诉成立（差评不计入满意率）"
    assert by_slip[by_id[refused_one]["slip_no"]] == "申诉不成立"
    assert by_slip[by_id[good]["slip_no"]] == ""
    body = ok(client.get(f"/v1/metrics?from=2025-09-01&to=2025-09-30&after={last}", headers=ANALYST))
    [everything] = body["groups"]
    rates = {k: (v["numerator"], v["denominator"]) for k, v in everything["rates"].items()}
    assert rates["satisfaction"] == (1, 2)  # the 5; the upheld 2 is set aside, the 1 still counts
    assert rates["bad_rating"] == (1, 2)
    assert rates["appeal_upheld"] == (1, 2)
    assert (everything["counts"]["appealed"], everything["counts"]["appeals_upheld"]) == (2, 1)
