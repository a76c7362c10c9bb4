"""知识库 over HTTP on real stores: draft → publish → revise (versions kept) → retire; search, suggest, used."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from domain.values import Role
from tests.support import auth, client_for, receive_body

CLERK = auth(Role.window_clerk)
LEADER = auth(Role.duty_leader)
ANALYST = auth(Role.analyst)
HOUSING = auth(Role.department, department="housing")

ENTRIES = [
    {
        "question": "小区暖气不热怎么办？",
        "answer": "供暖期室温低于18度可向供热公司报修，热线电话0571-88886666；三日内未修复的由住建部门督办。",
        "policy_basis": "《城市供热管理条例》第二十条",
        "departments": ["housing"],
        "tags": ["供暖", "暖气"],
    },
    {
        "question": "营业执照地址变更需要哪些材料？",
        "answer": "携带营业执照正副本、新址租赁合同、法定代表人身份证，到市场监管窗口办理，一般当场办结。",
        "departments": ["market"],
        "tags": ["营业执照", "变更登记"],
    },
    {
        "question": "农民工工资被拖欠如何投诉？",
        "answer": "向人社部门劳动保障监察机构投诉，提供劳动合同或考勤记录；联系人邮箱 jiancha@example.gov.cn。",
        "departments": ["hrss"],
        "tags": ["欠薪", "工资"],
    },
]


@pytest.fixture(params=["sqlite", "postgresql"])
def client(request: pytest.FixtureRequest) -> Iterator[TestClient]:
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")
    with client_for(url) as c:
        yield c


def ok(r: Any, status: int = 200) -> dict[str, Any]:
    assert r.status_code == status, r.text
    out: dict[str, Any] = r.json()
    return out


def published(client: TestClient, body: dict[str, Any]) -> dict[str, Any]:
    drafted = ok(client.post("/v1/knowledge", json=body, headers=CLERK), 201)
    assert (drafted["status"], drafted["revision"], drafted["published_revision"]) == ("draft", 1, None)
    return ok(client.post(f"/v1/knowledge/{drafted['id']}/publish", headers=LEADER))


def test_lifecycle_versions_and_search(client: TestClient) -> None:
    heating, licence, wages = (published(client, e) for e in ENTRIES)
    assert heating["status_label"] == "已发布"

    found = ok(client.get("/v1/knowledge", params={"q": "暖气片不热"}, headers=ANALYST))["items"]
    assert [i["entry_id"] for i in found][:1] == [heating["id"]]
    found = ok(client.get("/v1/knowledge", params={"q": "执照变更材料"}, headers=ANALYST))["items"]
    assert found[0]["entry_id"] == licence["id"]
    found = ok(client.get("/v1/knowledge", params={"q": "执照", "department": "housing"}, headers=ANALYST))["items"]
    assert found == []

    # what the person just said → the wage entry first
    said = "我在工地干了半年活，老板一直拖欠工资不给，怎么办"
    found = ok(client.get("/v1/knowledge/suggest", params={"text": said}, headers=CLERK))["items"]
    assert found[0]["entry_id"] == wages["id"]
    # the e-mail in the answer is masked for a role without personal-info access, in clear for the clerk
    assert "jiancha@example.gov.cn" in found[0]["answer"]
    seen = ok(client.get("/v1/knowledge/suggest", params={"text": said}, headers=ANALYST))["items"][0]
    assert "jiancha@" not in seen["answer"]
    assert "j***@example.gov.cn" in seen["answer"]
    # said in words no entry uses: suggested by meaning (工钱 ~ 工资, 暖和 ~ 暖气), not by shared words
    for said_otherwise, entry in (("包工头跑了，我们的工钱没拿到", wages), ("屋里太冷了，暖和不起来", heating)):
        found = ok(client.get("/v1/knowledge/suggest", params={"text": said_otherwise}, headers=CLERK))["items"]
        assert found[0]["entry_id"] == entry["id"], (said_otherwise, found)
        by_words = ok(client.get("/v1/knowledge", params={"q": said_otherwise}, headers=CLERK))["items"]
        assert entry["id"] not in [i["entry_id"] for i in by_words]

    # a revision is a draft: the published answer stays until the leader publishes it; every version is kept
    revised = {**ENTRIES[0], "answer": "供暖期室温低于16度可报修（口径更新）。"}
    r = ok(client.post(f"/v1/knowledge/{heating['id']}/revise", json=revised, headers=CLERK))
    assert (r["revision"], r["published_revision"], r["pending_revision"]) == (2, 1, 2)
    now = ok(client.get(f"/v1/knowledge/{heating['id']}", headers=ANALYST))
    assert now["revision"] == 1
    assert "18度" in now["answer"]
    assert client.get(f"/v1/knowledge/{heating['id']}", params={"version": 2}, headers=ANALYST).status_code == 404
    assert "16度" in ok(client.get(f"/v1/knowledge/{heating['id']}", params={"version": 2}, headers=LEADER))["answer"]
    ok(client.post(f"/v1/knowledge/{heating['id']}/publish", headers=LEADER))
    assert "16度" in ok(client.get(f"/v1/knowledge/{heating['id']}", headers=ANALYST))["answer"]
    assert "18度" in ok(client.get(f"/v1/knowledge/{heating['id']}", params={"version": 1}, headers=LEADER))["answer"]
    again = client.post(f"/v1/knowledge/{heating['id']}/publish", headers=LEADER)
    assert again.status_code == 409
    assert again.json()["code"] == "knowledge_nothing_to_publish"

    # used for a complaint: counted; then retired: gone from search, still readable, no longer usable
    cid = ok(client.post("/v1/complaints", json=receive_body(), headers=CLERK), 201)["id"]
    ok(client.post(f"/v1/knowledge/{wages['id']}/used", json={"complaint_id": cid}, headers=CLERK))
    assert ok(client.get("/v1/knowledge/usage", headers=ANALYST)) == {
        "label": "知识库答复次数",
        "uses": 1,
        "entries_used": 1,
    }
    ok(client.post(f"/v1/knowledge/{wages['id']}/retire", json={"reason": "政策调整"}, headers=LEADER))
    found = ok(client.get("/v1/knowledge/suggest", params={"text": said}, headers=CLERK))["items"]
    assert wages["id"] not in [i["entry_id"] for i in found]
    r = client.post(f"/v1/knowledge/{wages['id']}/used", json={"complaint_id": cid}, headers=CLERK)
    assert r.status_code == 409
    assert r.json()["code"] == "knowledge_not_published"


def test_bad_input(client: TestClient) -> None:
    for body, field in [
        ({**ENTRIES[0], "question": ""}, "question"),
        ({**ENTRIES[0], "question": "  "}, "question"),
        ({**ENTRIES[0], "answer": "x" * 100_000}, "answer"),
        ({**ENTRIES[0], "nonsense": 1}, "nonsense"),
    ]:
        r = client.post("/v1/knowledge", json=body, headers=CLERK)
        assert r.status_code == 422, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert field in {e["field"] for e in r.json()["errors"]}
    r = client.get("/v1/knowledge", params={"q": ""}, headers=CLERK)
    assert r.status_code == 422
    r = client.get("/v1/knowledge", params={"q": "😀😀"}, headers=CLERK)
    assert r.status_code == 422
    assert r.json()["code"] == "invalid_query"
    assert ok(client.get("/v1/knowledge/suggest", params={"text": "😀🙁 !!"}, headers=CLERK)) == {"items": []}
    assert client.get("/v1/knowledge/suggest", params={"text": "x" * 5000}, headers=CLERK).status_code == 422
    r = client.get("/v1/knowledge/00000000-0000-0000-0000-000000000001", headers=CLERK)
    assert r.status_code == 404
    assert r.json()["code"] == "knowledge_not_found"
    entry = published(client, ENTRIES[1])
    unknown = {"complaint_id": "00000000-0000-0000-0000-000000000002"}
    assert client.post(f"/v1/knowledge/{entry['id']}/used", json=unknown, headers=CLERK).status_code == 404
    # a stale If-Match is refused
    r = client.post(f"/v1/knowledge/{entry['id']}/retire", json={"reason": "x"}, headers={**LEADER, "If-Match": '"1"'})
    assert r.status_code == 412
