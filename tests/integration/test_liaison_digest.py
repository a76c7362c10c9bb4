"""纪检联络摘要 over HTTP on a real SQLite store: what a week's and a month's digest list, who may read it, and the export.

The week of Monday 2025-09-22 (Sunday the 28th is a 调休 working day): complaint A is 办不了, dispatched on
Monday and never resolved; complaint B is 不给办, resolved, fed back and called back with a 1 (差评); an order
is issued to 住建. The digest is read on Thursday evening. On SQLite and on PostgreSQL.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from application.clock import SettableClock
from domain.values import Role
from tests.conftest import CST, create_pg_database, drop_pg_database
from tests.support import auth, client_for, receive_body

CLERK, OFFICER = auth(Role.window_clerk), auth(Role.duty_officer)
LEADER, HOUSING = auth(Role.duty_leader, sub="leader-1"), auth(Role.department, department="housing")
LIAISON = auth(Role.liaison)
MONDAY = datetime(2025, 9, 22, 9, 30, tzinfo=CST)
THURSDAY_EVENING = datetime(2025, 9, 25, 19, 0, tzinfo=CST)
NAME, PHONE = "张三丰", "13812345678"  # receive_body's complainant: never in a digest


def ok(r: Any) -> Any:
    assert r.status_code in (200, 201), r.text
    return r.json()


def dispatched(client: TestClient, classification: str) -> dict[str, Any]:
    made = ok(client.post("/v1/complaints", json=receive_body(), headers=CLERK))
    cid = made["id"]
    ok(client.post(f"/v1/complaints/{cid}/classify", json={"classification": classification}, headers=CLERK))
    ok(client.post(f"/v1/complaints/{cid}/sign", json={}, headers=OFFICER))
    ok(client.post(f"/v1/complaints/{cid}/sign", json={}, headers=LEADER))
    body = {"departments": ["housing"], "supervisor": "督办甲"}
    ok(client.post(f"/v1/complaints/{cid}/dispatch", json=body, headers=LEADER))
    return made


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def week(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, dict[str, str]]]:
    if request.param == "sqlite":
        yield from _week(f"sqlite:///{tmp_path_factory.mktemp('digest') / 'yousu.db'}")
        return
    url = create_pg_database()
    try:
        yield from _week(url)
    finally:
        drop_pg_database(url)


def _week(url: str) -> Iterator[tuple[TestClient, dict[str, str]]]:
    clock = SettableClock(MONDAY)
    with client_for(url, clock) as client:
        a = dispatched(client, "cannot_do")
        b = dispatched(client, "refused_to_do")
        ok(client.post(f"/v1/complaints/{b['id']}/resolve", json={"result": "已说明不予办理的依据"}, headers=HOUSING))
        ok(client.post(f"/v1/complaints/{b['id']}/feedback", json={"method": "phone"}, headers=CLERK))
        ok(client.post(f"/v1/complaints/{b['id']}/callback", json={"rating": 1}, headers=CLERK))
        finding = {"kind": "bad_rating_pattern", "text": "差评集中"}
        order = ok(
            client.post("/v1/orders", json={"unit": "housing", "finding": finding, "working_days": 5}, headers=LEADER)
        )
        clock.set(THURSDAY_EVENING)
        client.app.state.container.catch_up()  # type: ignore[attr-defined]  # made by the composition root
        yield client, {"a": a["id"], "a_slip": a["slip_no"], "b": b["id"], "b_slip": b["slip_no"], "order": order["id"]}


def digest(client: TestClient, headers: dict[str, str] = LIAISON, **params: str) -> Any:
    return client.get("/v1/liaison/digest", params=params, headers=headers)


def test_the_weeks_digest_lists_what_went_wrong(week: tuple[TestClient, dict[str, str]]) -> None:
    client, ids = week
    d = ok(digest(client, on="2025-09-24"))
    assert (d["period"], d["start"], d["end"]) == ("week", "2025-09-22", "2025-09-28")
    assert d["title"] == "2025年9月22日—9月28日 纪检联络周报"
    # 办不了 is one working day from dispatch: Monday's is due Tuesday and, unresolved, overdue by Thursday;
    # B met every clock it had; its rectification round (5 working days from the call-back) is not yet due
    assert [(r["complaint_id"], r["clock"], r["met_at"]) for r in d["overdue"]] == [(ids["a"], "resolution", None)]
    assert d["overdue"][0]["slip_no"] == ids["a_slip"]
    assert [(r["complaint_id"], r["rating"], r["rectification_rounds"]) for r in d["bad_ratings"]] == [(ids["b"], 1, 1)]
    assert [(r["complaint_id"], r["classification"]) for r in d["refused"]] == [(ids["b"], "refused_to_do")]
    assert [(r["order_id"], r["unit"], r["status"]) for r in d["orders"]] == [(ids["order"], "housing", "issued")]
    assert d["counts"] == {
        "received": 2,
        "overdue": 1,
        "overdue_open": 1,
        "bad_ratings": 1,
        "refused": 1,
        "orders": 1,
        "orders_open": 1,
        "orders_late": 0,
    }
    text = str(d)
    assert NAME not in text
    assert PHONE not in text


def test_the_default_is_the_last_week_that_ended(week: tuple[TestClient, dict[str, str]]) -> None:
    client, _ = week
    d = ok(digest(client))  # Thursday the 25th: the week that ended on Sunday the 21st, before any complaint
    assert (d["start"], d["end"]) == ("2025-09-15", "2025-09-21")
    assert (d["overdue"], d["bad_ratings"], d["refused"], d["orders"]) == ([], [], [], [])
    assert d["counts"]["received"] == 0


def test_the_months_digest_covers_september(week: tuple[TestClient, dict[str, str]]) -> None:
    client, ids = week
    d = ok(digest(client, period="month", on="2025-09-01"))
    assert (d["start"], d["end"], d["title"]) == ("2025-09-01", "2025-09-30", "2025年9月 纪检联络月报")
    # the month is not over: an open clock counts as overdue once it is due before now
    assert [r["complaint_id"] for r in d["overdue"]] == [ids["a"]]
    assert [r["complaint_id"] for r in d["bad_ratings"]] == [ids["b"]]


def test_a_centre_of_its_own(week: tuple[TestClient, dict[str, str]]) -> None:
    client, _ = week
    d = ok(digest(client, on="2025-09-24", centre="jiefang"))  # a street centre with no complaints this week
    assert (d["centre"], d["overdue"], d["bad_ratings"], d["refused"]) == ("jiefang", [], [], [])
    assert d["counts"]["received"] == 0


def test_the_export_has_one_row_per_item_in_chinese(week: tuple[TestClient, dict[str, str]]) -> None:
    client, ids = week
    r = digest(client, on="2025-09-24", format="csv")
    assert r.status_code == 200, r.text
    assert r.headers["content-disposition"] == 'attachment; filename="liaison-digest-week-2025-09-22.csv"'
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0] == ["类别", "编号", "服务中心", "分类", "状态", "承办部门/单位", "时间", "说明"]
    assert [(row[0], row[1]) for row in rows[1:]] == [
        ("逾期", ids["a_slip"]),
        ("差评", ids["b_slip"]),
        ("不给办", ids["b_slip"]),
        ("整改", ids["order"][:8]),
    ]
    assert rows[1][3] == "办不了"
    assert rows[1][7].startswith("办结时限；至期末未完成")
    assert rows[3][3] == "不给办"
    assert NAME not in r.text
    assert PHONE not in r.text
    x = digest(client, on="2025-09-24", format="xlsx")
    assert x.status_code == 200
    assert x.content[:2] == b"PK"  # a zip container: the workbook


def test_only_the_liaison_and_the_admin_read_it(week: tuple[TestClient, dict[str, str]]) -> None:
    client, _ = week
    allowed = {Role.liaison, Role.admin}  # those who read the 抄送纪检 inbox
    for role in Role:
        if role is Role.system:
            continue
        r = digest(client, auth(role), on="2025-09-24")
        assert r.status_code == (200 if role in allowed else 403), (role, r.text)


def test_bad_input_is_refused_in_chinese(week: tuple[TestClient, dict[str, str]]) -> None:
    client, _ = week
    for params in ({"period": "year"}, {"on": "2025-13-01"}, {"format": "pdf"}):
        r = digest(client, **params)
        assert r.status_code == 422, (params, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
