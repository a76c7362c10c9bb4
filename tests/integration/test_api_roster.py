"""值班表 over HTTP (issue 12): import (all rows or none), show, and signing / 会商 against the day's roster.

The street centres here sign for themselves (``signed_by`` their own code), as every centre did before the
district hall signed for the street centres: tests/integration/test_api_signing_centre.py has the default."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook

from api.auth import mint_token
from application.clock import SettableClock
from domain.values import Role
from tests.support import CST, SECRET, auth, client_for, receive_body, reference_signing_for_themselves

MONDAY = datetime(2025, 12, 1, 10, 0, tzinfo=CST)  # 2025-12-01 is a Monday and a working day
HEAD = "日期,中心,值班人员,值班人员工号,带班领导,带班领导工号,值班替班,值班替班工号,带班替班,带班替班工号"
GOOD = "\n".join(
    [
        HEAD,
        "2025-12-01,jiefang,李值班,off-li,张带班,lead-zhang,钱替,off-qian,,",
        "2025-12-01,district,赵值班,off-zhao,孙带班,lead-sun,,,周替,lead-zhou",
        "2025-12-02,解放路街道便民服务中心,李值班,off-li,张带班,lead-zhang,,,,",
    ]
)
ADMIN = auth(Role.admin)
CSV = {"Content-Type": "text/csv"}


def person(role: Role, sub: str, name: str, centre: str | None = None) -> dict[str, str]:
    return auth(role, sub=sub, name=name, centre=centre)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    reference = reference_signing_for_themselves(tmp_path, "jiefang", "xinhua", "hongqiao")
    url = f"sqlite:///{tmp_path / 'roster.db'}"
    with client_for(url, SettableClock(MONDAY), signing_mode="roster", reference_file=reference) as c:
        yield c


def upload(client: TestClient, text: str | bytes, headers: dict[str, str] = ADMIN, query: str = "") -> Any:
    data = text.encode() if isinstance(text, str) else text
    return client.post(f"/v1/roster/import{query}", content=data, headers={**headers, **CSV})


def test_a_month_is_imported_and_shown(client: TestClient) -> None:
    r = upload(client, GOOD)
    assert r.status_code == 200, r.text
    assert r.json() == {"month": "2025-12", "centres": {"jiefang": 2, "district": 1}, "days": 3}
    shown = client.get("/v1/roster?centre=jiefang&month=2025-12", headers=ADMIN).json()
    first = shown["days"][0]
    assert first["day"] == "2025-12-01"
    assert first["officers"] == [{"sub": "off-li", "name": "李值班"}]
    assert first["leader"] == {"sub": "lead-zhang", "name": "张带班"}
    assert first["officer_substitutes"] == [{"sub": "off-qian", "name": "钱替"}]
    # centre staff see their own centre's roster whatever they ask for
    own = client.get("/v1/roster?centre=district&month=2025-12", headers=auth(Role.duty_officer, centre="jiefang"))
    assert own.json()["centre"] == "jiefang"
    # importing the month again replaces it whole
    assert upload(client, "\n".join(GOOD.splitlines()[:2])).json()["centres"] == {"jiefang": 1}
    assert len(client.get("/v1/roster?centre=jiefang&month=2025-12", headers=ADMIN).json()["days"]) == 1


def test_xlsx_is_read_too(client: TestClient) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEAD.split(","))
    sheet.append([date(2025, 12, 3), "jiefang", "李值班", "off-li", "张带班", "lead-zhang"])
    buf = io.BytesIO()
    book.save(buf)
    r = client.post(
        "/v1/roster/import",
        content=buf.getvalue(),
        headers={**ADMIN, "Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["centres"] == {"jiefang": 1}


@pytest.mark.parametrize(
    ("text", "code", "row"),
    [
        ("日期,中心,值班员\n2025-12-01,jiefang,李", "roster_file_invalid", None),  # wrong headings
        (GOOD + "\n2025-12-03,nowhere,李值班,off-li,张带班,lead-zhang", "roster_unknown_centre", 5),
        (GOOD + "\n2025-12-03,jiefang,李值班,off-li,张带班、王带班,lead-zhang、lead-wang", "roster_leader_twice", 5),
        (
            GOOD + "\n2025-12-01,jiefang,吴值班,off-wu,郑带班,lead-zheng",
            "roster_duplicate_day",
            5,
        ),  # 2nd leader that day
        (GOOD + "\n2025-12-06,jiefang,李值班,off-li,张带班,lead-zhang", "roster_non_working_day", 5),  # a Saturday
        (GOOD + "\n2025-12-04,jiefang,李值班,off-li,,", "roster_leader_missing", 5),
        (GOOD + "\n2025-12-04,jiefang,李值班,off-li,李值班,off-li", "roster_officer_is_leader", 5),
        (GOOD + "\n2026-01-05,jiefang,李值班,off-li,张带班,lead-zhang", "roster_day_outside_month", 5),
        (GOOD + "\n2025-13-01,jiefang,李值班,off-li,张带班,lead-zhang", "roster_row_invalid", 5),
        (GOOD + "\n2025-12-04,jiefang,李值班、王值班,off-li,张带班,lead-zhang", "roster_row_invalid", 5),
        ("", "roster_file_invalid", None),
    ],
)
def test_a_bad_file_is_refused_naming_the_row_and_nothing_is_imported(
    client: TestClient, text: str, code: str, row: int | None
) -> None:
    r = upload(client, text)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["code"] == code
    if row is not None:
        assert body["errors"][0]["row"] == row
        assert f"第 {row} 行" in body["detail"]
    for centre in ("jiefang", "district"):
        assert client.get(f"/v1/roster?centre={centre}&month=2025-12", headers=ADMIN).status_code == 404


def test_a_dry_run_previews_the_days_and_imports_nothing(client: TestClient) -> None:
    r = upload(client, GOOD, query="?dry_run=true&month=2025-12")
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["dry_run"], body["centres"], body["days"]) == (True, {"jiefang": 2, "district": 1}, 3)
    first = next(d for d in body["preview"] if d["centre"] == "jiefang")
    assert (first["day"], first["leader"]) == ("2025-12-01", {"sub": "lead-zhang", "name": "张带班"})
    assert client.get("/v1/roster?centre=jiefang&month=2025-12", headers=ADMIN).status_code == 404


def test_every_bad_row_is_named_at_once(client: TestClient) -> None:
    bad = (
        GOOD
        + "\n2025-12-03,nowhere,李值班,off-li,张带班,lead-zhang"  # row 5: no such centre
        + "\n2025-12-06,jiefang,李值班,off-li,张带班,lead-zhang"  # row 6: a Saturday
        + "\n2025-13-01,jiefang,李值班,off-li,张带班,lead-zhang"  # row 7: no such day
    )
    r = upload(client, bad, query="?dry_run=true")
    assert r.status_code == 422, r.text
    errs = r.json()["errors"]
    assert [e["row"] for e in errs] == [5, 6, 7]  # read or checked, every bad row of the file
    assert all(e["detail"].startswith(f"第 {e['row']} 行") for e in errs)
    assert client.get("/v1/roster?centre=jiefang&month=2025-12", headers=ADMIN).status_code == 404


def test_a_signer_is_told_why_signing_is_blocked_until_the_roster_is_imported(client: TestClient) -> None:
    officer = auth(Role.duty_officer, centre="jiefang")
    note = client.get("/v1/auth/me", headers=officer).json()["signing_blocked"]
    assert "今日（2025-12-01）没有值班表" in note
    assert "值班表导入" in note  # what to do
    assert (
        client.get("/v1/auth/me", headers=auth(Role.window_clerk, centre="jiefang")).json()["signing_blocked"] is None
    )
    assert upload(client, GOOD).status_code == 200
    assert client.get("/v1/auth/me", headers=officer).json()["signing_blocked"] is None


def test_only_the_administrator_imports(client: TestClient) -> None:
    assert upload(client, GOOD, headers=auth(Role.duty_leader)).status_code == 403
    assert upload(client, GOOD, query="?month=2025-1").json()["code"] == "invalid_input"


def signed_by_officer(client: TestClient, centre: str, officer: dict[str, str]) -> str:
    clerk = auth(Role.window_clerk, centre=centre)
    cid: str = client.post("/v1/complaints", json=receive_body(), headers=clerk).json()["id"]
    assert (
        client.post(f"/v1/complaints/{cid}/classify", json={"classification": "cannot_do"}, headers=clerk).status_code
        == 200
    )
    r = client.post(f"/v1/complaints/{cid}/sign", json={}, headers=officer)
    assert r.status_code == 200, r.text
    return cid


def test_signatures_follow_the_roster_of_the_complaints_centre(client: TestClient) -> None:
    assert upload(client, GOOD).status_code == 200
    zhao = person(Role.duty_officer, "off-zhao", "赵值班", "jiefang")  # on duty at the district hall, not here
    zhang = person(Role.duty_leader, "lead-zhang", "张带班", "jiefang")
    clerk = auth(Role.window_clerk, centre="jiefang")
    cid = client.post("/v1/complaints", json=receive_body(), headers=clerk).json()["id"]
    client.post(f"/v1/complaints/{cid}/classify", json={"classification": "hard_to_do"}, headers=clerk)

    r = client.post(f"/v1/complaints/{cid}/sign", json={}, headers=zhao)
    assert r.status_code == 409
    assert r.json()["code"] == "not_on_duty"
    assert "李值班" in r.json()["detail"]  # names who is on duty
    assert "钱替" in r.json()["detail"]  # and the substitute
    # the named substitute may sign for the officer
    qian = person(Role.duty_officer, "off-qian", "钱替", "jiefang")
    assert client.post(f"/v1/complaints/{cid}/sign", json={}, headers=qian).status_code == 200
    # the district hall's leader is not this centre's leader today
    sun = person(Role.duty_leader, "lead-sun", "孙带班", "district")
    r = client.post(f"/v1/complaints/{cid}/sign", json={}, headers=sun)
    assert (r.status_code, r.json()["code"]) == (409, "not_on_duty")
    assert "张带班" in r.json()["detail"]
    assert client.post(f"/v1/complaints/{cid}/sign", json={}, headers=zhang).status_code == 200
    r = client.post(
        f"/v1/complaints/{cid}/dispatch", json={"departments": ["housing"], "supervisor": "s1"}, headers=zhang
    )
    assert r.status_code == 200, r.text
    # 会商 by a duty leader follows the roster too
    r = client.post(
        f"/v1/complaints/{cid}/consult", json={"conclusion": "会商一致", "participants": ["housing"]}, headers=sun
    )
    assert (r.status_code, r.json()["code"]) == (409, "not_on_duty")
    assert "主持会商" in r.json()["detail"]
    r = client.post(
        f"/v1/complaints/{cid}/consult", json={"conclusion": "会商一致", "participants": ["housing"]}, headers=zhang
    )
    assert r.status_code == 200, r.text


def test_no_roster_today_is_a_clear_refusal(client: TestClient) -> None:
    assert upload(client, GOOD).status_code == 200
    officer = person(Role.duty_officer, "off-he", "何值班", "hongqiao")
    clerk = auth(Role.window_clerk, centre="hongqiao")
    cid = client.post("/v1/complaints", json=receive_body(), headers=clerk).json()["id"]
    client.post(f"/v1/complaints/{cid}/classify", json={"classification": "cannot_do"}, headers=clerk)
    r = client.post(f"/v1/complaints/{cid}/sign", json={}, headers=officer)
    assert (r.status_code, r.json()["code"]) == (409, "no_roster_today")
    assert "值班表" in r.json()["detail"]


def test_the_same_person_cannot_sign_twice(client: TestClient) -> None:
    assert upload(client, GOOD).status_code == 200
    li = person(Role.duty_officer, "off-li", "李值班", "jiefang")
    cid = signed_by_officer(client, "jiefang", li)
    token = mint_token(
        secret=SECRET,
        sub="off-li",
        name="李值班",
        roles=[Role.duty_officer, Role.duty_leader],
        department=None,
        centre="jiefang",
        now=datetime.now(tz=CST),
    )
    r = client.post(
        f"/v1/complaints/{cid}/sign", json={"as": "duty_leader"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert (r.status_code, r.json()["code"]) == (409, "same_signer")


def test_the_leaders_inbox_lists_what_waits_for_their_signature_today(client: TestClient) -> None:
    assert upload(client, GOOD).status_code == 200
    li = person(Role.duty_officer, "off-li", "李值班", "jiefang")
    cid = signed_by_officer(client, "jiefang", li)
    zhang = person(Role.duty_leader, "lead-zhang", "张带班", "jiefang")
    assert client.get(f"/v1/complaints/{cid}", headers=ADMIN).json()["status"] == "officer_signed"
    nid = client.post("/v1/complaints", json=receive_body(), headers=auth(Role.window_clerk)).json()["notification_id"]
    waiting = client.get(f"/v1/inbox?after={nid}", headers=zhang).json()
    assert [w["complaint_id"] for w in waiting["awaiting_signature"]] == [cid]
    # a leader not on today's roster of jiefang (the district hall's) does not get it
    sun = person(Role.duty_leader, "lead-sun", "孙带班", "district")
    assert client.get(f"/v1/inbox?after={nid}", headers=sun).json()["awaiting_signature"] == []
    # nor does jiefang's leader for another day
    other = person(Role.duty_leader, "lead-x", "某带班", "jiefang")
    assert client.get(f"/v1/inbox?after={nid}", headers=other).json()["awaiting_signature"] == []
