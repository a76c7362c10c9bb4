"""Who signs a street centre's complex complaint, over HTTP.

The district's notice (政务服务"有诉即办"工作制度): complex matters received at a 街道便民服务中心 are
转交区行政服务中心当天带班领导处理 — signed (审核签字, the duty officer, then the duty leader) by the district
hall's roster of the day, and dispatched by its leader. A centre configured ``signed_by = <itself>`` signs its
own, as every centre did before.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from application.clock import SettableClock
from domain.values import Role
from tests.support import CST, auth, client_for, receive_body, reference_signing_for_themselves

MONDAY = datetime(2025, 12, 1, 10, 0, tzinfo=CST)  # a working day
HEAD = "日期,中心,值班人员,值班人员工号,带班领导,带班领导工号,值班替班,值班替班工号,带班替班,带班替班工号"
ROSTER = "\n".join(
    [
        HEAD,
        "2025-12-01,district,赵值班,off-zhao,孙带班,lead-sun,,,,",
        "2025-12-01,jiefang,李值班,off-li,张带班,lead-zhang,,,,",
    ]
)
ADMIN = auth(Role.admin)

# who → (role, sub, name, token centre)
PEOPLE: dict[str, tuple[Role, str, str, str]] = {
    "zhao": (Role.duty_officer, "off-zhao", "赵值班", "district"),  # on the district hall's roster today
    "sun": (Role.duty_leader, "lead-sun", "孙带班", "district"),
    "li": (Role.duty_officer, "off-li", "李值班", "jiefang"),  # on jiefang's own roster today
    "zhang": (Role.duty_leader, "lead-zhang", "张带班", "jiefang"),
}
CLERK = auth(Role.window_clerk, centre="jiefang")
DISPATCH = {"departments": ["housing"], "supervisor": "s1"}
CONSULT = {"conclusion": "会商一致", "participants": ["housing"]}


def person(who: str) -> dict[str, str]:
    role, sub, name, centre = PEOPLE[who]
    return auth(role, sub=sub, name=name, centre=centre)


def upload(client: TestClient, text: str = ROSTER) -> None:
    r = client.post("/v1/roster/import", content=text.encode(), headers={**ADMIN, "Content-Type": "text/csv"})
    assert r.status_code == 200, r.text


def cannot_do_at_jiefang(client: TestClient) -> tuple[str, int]:
    """A jiefang complaint classified 办不了: its id and the notification of the classification."""
    cid: str = client.post("/v1/complaints", json=receive_body(), headers=CLERK).json()["id"]
    r = client.post(f"/v1/complaints/{cid}/classify", json={"classification": "cannot_do"}, headers=CLERK)
    assert r.status_code == 200, r.text
    return cid, r.json()["notification_id"]


def post(client: TestClient, cid: str, verb: str, who: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(f"/v1/complaints/{cid}/{verb}", json=body or {}, headers=person(who))


@pytest.fixture
def default(tmp_path: Path) -> Iterator[TestClient]:
    """ops/reference.toml as shipped: jiefang is signed by the district hall."""
    url = f"sqlite:///{tmp_path / 'signing.db'}"
    with client_for(url, SettableClock(MONDAY), signing_mode="roster") as c:
        yield c


@pytest.fixture
def own(tmp_path: Path) -> Iterator[TestClient]:
    """jiefang configured to sign for itself (signed_by = "jiefang")."""
    url = f"sqlite:///{tmp_path / 'own.db'}"
    reference = reference_signing_for_themselves(tmp_path, "jiefang")
    with client_for(url, SettableClock(MONDAY), signing_mode="roster", reference_file=reference) as c:
        yield c


def test_reference_says_who_signs_each_centre(default: TestClient, own: TestClient) -> None:
    shipped = {c["code"]: c["signed_by"] for c in default.get("/v1/reference", headers=CLERK).json()["centres"]}
    assert shipped == {"district": "district", "jiefang": "district", "xinhua": "district", "hongqiao": "district"}
    changed = {c["code"]: c["signed_by"] for c in own.get("/v1/reference", headers=CLERK).json()["centres"]}
    assert changed == {"district": "district", "jiefang": "jiefang", "xinhua": "district", "hongqiao": "district"}


def test_a_jiefang_complaint_is_signed_and_dispatched_by_the_district_hall(default: TestClient) -> None:
    client = default
    upload(client)
    cid, classified = cannot_do_at_jiefang(client)

    # the district hall's officer sees it, in the ledger the 待签字 page reads too
    assert client.get(f"/v1/complaints/{cid}", headers=person("zhao")).status_code == 200
    waiting = client.get(
        f"/v1/ledger?after={classified}&status=classified&classification=cannot_do", headers=person("zhao")
    ).json()
    assert [row["id"] for row in waiting["items"]] == [cid]

    # jiefang's own officer, on jiefang's roster, does not sign it: the district hall's roster does
    r = post(client, cid, "sign", "li")
    assert (r.status_code, r.json()["code"]) == (409, "not_on_duty")
    assert r.json()["detail"].startswith("本诉求由区行政服务中心当天值班人员签字；")
    assert "赵值班" in r.json()["detail"]  # who is on duty at the district hall
    assert post(client, cid, "sign", "zhao").status_code == 200

    # the leader's signature: awaited by the district hall's leader of the day, not by jiefang's
    newest = client.post("/v1/complaints", json=receive_body(), headers=auth(Role.window_clerk)).json()
    inbox = client.get(f"/v1/inbox?after={newest['notification_id']}", headers=person("sun")).json()
    assert [w["complaint_id"] for w in inbox["awaiting_signature"]] == [cid]
    inbox = client.get(f"/v1/inbox?after={newest['notification_id']}", headers=person("zhang")).json()
    assert inbox["awaiting_signature"] == []
    r = post(client, cid, "sign", "zhang")
    assert (r.status_code, r.json()["code"]) == (409, "not_on_duty")
    assert r.json()["detail"].startswith("本诉求由区行政服务中心带班领导签字；")
    assert "孙带班" in r.json()["detail"]
    assert post(client, cid, "sign", "sun").status_code == 200

    # dispatched by the district hall's leader, not jiefang's
    r = post(client, cid, "dispatch", "zhang", DISPATCH)
    assert (r.status_code, r.json()["code"]) == (403, "not_signing_centre")
    assert r.json()["detail"] == (
        "本诉求由区行政服务中心当天值班人员和带班领导签字，由其带班领导转办；本中心的带班领导不能转办"
    )
    r = post(client, cid, "dispatch", "sun", DISPATCH)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "dispatched"

    # 会商 hosted by a duty leader follows the district hall's roster too
    r = post(client, cid, "consult", "zhang", CONSULT)
    assert (r.status_code, r.json()["code"]) == (409, "not_on_duty")
    assert r.json()["detail"].startswith("本诉求由区行政服务中心带班领导主持会商；")
    assert post(client, cid, "consult", "sun", CONSULT).status_code == 200

    history = client.get(f"/v1/complaints/{cid}/history", headers=ADMIN).json()["events"]
    signers = [(e["type"], e["actor"]["id"]) for e in history if e["type"] in ("Signed", "Dispatched", "Consulted")]
    assert signers == [
        ("Signed", "off-zhao"),
        ("Signed", "lead-sun"),
        ("Dispatched", "lead-sun"),
        ("Consulted", "lead-sun"),
    ]


def test_a_centre_signing_for_itself_keeps_its_own_roster(own: TestClient) -> None:
    client = own
    upload(client)
    cid, _ = cannot_do_at_jiefang(client)

    r = post(client, cid, "sign", "zhao")  # the district hall's officer is not on jiefang's roster
    assert (r.status_code, r.json()["code"]) == (409, "not_on_duty")
    assert r.json()["detail"].startswith("本诉求由解放路街道便民服务中心当天值班人员签字；")
    assert post(client, cid, "sign", "li").status_code == 200
    r = post(client, cid, "sign", "sun")
    assert (r.status_code, r.json()["code"]) == (409, "not_on_duty")
    assert post(client, cid, "sign", "zhang").status_code == 200
    r = post(client, cid, "dispatch", "zhang", DISPATCH)
    assert r.status_code == 200, r.text
    assert post(client, cid, "consult", "zhang", CONSULT).status_code == 200


# whose roster is missing today → who is told signing is blocked (/v1/auth/me signing_blocked)
BLOCKED: list[tuple[str, str, dict[str, bool]]] = [
    # roster imported  fixture    zhao   sun    li     zhang
    ("jiefang only", "default", {"zhao": True, "sun": True, "li": False, "zhang": False}),
    ("district only", "default", {"zhao": False, "sun": False, "li": False, "zhang": False}),
    ("jiefang only", "own", {"zhao": True, "sun": True, "li": False, "zhang": False}),
    ("district only", "own", {"zhao": False, "sun": False, "li": True, "zhang": True}),
]  # fmt: skip


@pytest.mark.parametrize(("imported", "fixture", "blocked"), BLOCKED)
def test_signing_blocked_follows_the_signing_centre(
    request: pytest.FixtureRequest, imported: str, fixture: str, blocked: dict[str, bool]
) -> None:
    client: TestClient = request.getfixturevalue(fixture)
    centre = imported.split(maxsplit=1)[0]
    upload(client, "\n".join(line for line in ROSTER.splitlines() if line == HEAD or f",{centre}," in line))
    told = {who: client.get("/v1/auth/me", headers=person(who)).json()["signing_blocked"] for who in PEOPLE}
    assert {who: note is not None for who, note in told.items()} == blocked
    if told["zhao"] is not None:
        assert told["zhao"].startswith("区行政服务中心今日（2025-12-01）没有值班表")
    if told["li"] is not None:
        assert told["li"].startswith("解放路街道便民服务中心今日（2025-12-01）没有值班表")


def test_a_missing_roster_is_announced_the_working_day_before_and_to_the_administrator(default: TestClient) -> None:
    """A day without a roster never silently runs into a missed deadline: the administrator (who imports rosters)
    and the signing centre's signers are told the day before; the administrator is told on the day as well."""

    def me(headers: dict[str, str]) -> tuple[str | None, str | None]:
        body = default.get("/v1/auth/me", headers=headers).json()
        return body["signing_blocked"], body["roster_warning"]

    # no roster at all: on the day, the administrator is told which centre cannot sign (only the district hall
    # signs for itself in the shipped reference)
    blocked, warning = me(ADMIN)
    assert blocked is not None
    assert blocked.startswith("区行政服务中心今日（2025-12-01）没有值班表，这些中心的当天值班人员和带班领导无法签字")
    assert warning == "区行政服务中心下一个工作日（2025-12-02）尚无值班表，届时将无法签字。请在“值班表导入”页面导入。"

    # today's roster only: nobody is blocked today; Tuesday's is still missing
    upload(default, "\n".join(ROSTER.splitlines()[:2]))
    assert me(ADMIN) == (
        None,
        "区行政服务中心下一个工作日（2025-12-02）尚无值班表，届时将无法签字。请在“值班表导入”页面导入。",
    )
    assert me(person("zhao")) == (
        None,
        "区行政服务中心下一个工作日（2025-12-02）尚无值班表，届时将无法签字。请联系管理员在“值班表导入”页面导入。",
    )
    assert me(person("li")) == (None, None)  # jiefang is signed by the district hall: nothing of its own to sign
    assert me(CLERK) == (None, None)

    # Tuesday's roster too: nothing to announce
    upload(default, "\n".join([*ROSTER.splitlines()[:2], "2025-12-02,district,赵值班,off-zhao,孙带班,lead-sun,,,,"]))
    assert me(ADMIN) == (None, None)
    assert me(person("zhao")) == (None, None)
