"""未诉先办 on real stores: repeat links (same person, similar text, window), the 重复诉求率, topics, masking."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from application.complaints import ComplaintsApp
from domain.values import Actor, Channel, Complainant, ComplainantType, Role
from projections.db import ViewDB
from tests.conftest import CST
from tests.corpus import generate
from tests.support import auth, client_for, hotline_body, receive_body

CLERK = auth(Role.window_clerk)
ANALYST = auth(Role.analyst)
HOTLINE = auth(Role.hotline)
CLERK_ACTOR = Actor("c1", "窗口甲", Role.window_clerk)


@pytest.fixture(params=["sqlite", "postgresql"])
def client(request: pytest.FixtureRequest) -> Iterator[TestClient]:
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")
    with client_for(url, repeat_window_days=3) as c:
        yield c


def app_of(client: TestClient) -> ComplaintsApp:
    return client.app.state.container.complaints  # type: ignore[attr-defined,no-any-return]


def views_of(client: TestClient) -> ViewDB:
    return client.app.state.container.views  # type: ignore[attr-defined,no-any-return]


def intake(client: TestClient, headers: dict[str, str] = CLERK, **body: Any) -> dict[str, Any]:
    r = client.post("/v1/complaints", json=receive_body(**body) if headers is CLERK else body, headers=headers)
    assert r.status_code == 201, r.text
    out: dict[str, Any] = r.json()
    return out


def repeats(client: TestClient, cid: str, after: int) -> dict[str, Any]:
    r = client.get(f"/v1/complaints/{cid}/repeats", params={"after": after}, headers=CLERK)
    assert r.status_code == 200, r.text
    out: dict[str, Any] = r.json()
    return out


def person(phone: str, name: str = "王五") -> dict[str, str]:
    return {"type": "person", "name": name, "phone": phone}


def test_a_repeat_is_the_same_complainant_and_the_same_matter(client: TestClient) -> None:
    five_days_ago = (datetime.now(tz=CST) - timedelta(days=5)).isoformat()
    one_day_ago = (datetime.now(tz=CST) - timedelta(days=1)).isoformat()
    old = intake(
        client,
        HOTLINE,
        **hotline_body("R-1", complainant=person("13812345678"), content="公园厕所没有纸", received_at=five_days_ago),
    )
    recent = intake(
        client,
        HOTLINE,
        **hotline_body(
            "R-2", complainant=person("138 1234 5678"), content="公司拖欠工资三个月不发", received_at=one_day_ago
        ),
    )
    # the same person (phone typed differently) with another matter: not a repeat, though counted as same_person
    other = intake(client, complainant=person("+86 138-1234-5678"), content="快递柜收费不合理")
    assert repeats(client, other["id"], other["notification_id"])["repeat"] is False
    # the same person, the same matter in other words: a repeat of it
    again = intake(client, complainant=person("13812345678"), content="老板欠了我们三个月的工钱")
    found = repeats(client, again["id"], again["notification_id"])
    assert [(i["repeat_of"], i["why"]) for i in found["items"]] == [(recent["id"], "same_matter")]
    assert found["items"][0]["slip_no"] == recent["slip_no"]
    assert 0.5 <= found["items"][0]["score"] <= 1.0
    # the same matter as the 5-day-old one, but that lies outside the 3-day window
    late = intake(client, complainant=person("13812345678"), content="公园的公共厕所里一直没有卫生纸")
    assert repeats(client, late["id"], late["notification_id"])["repeat"] is False
    assert old["id"]

    # another person with the same matter: not a repeat (a topic, and a similar matter)
    stranger = intake(client, complainant=person("13900000002"), content="公司欠薪三个月了")
    assert repeats(client, stranger["id"], stranger["notification_id"])["repeat"] is False
    # an enterprise is recognised by its name, whoever calls for it
    firm = {"type": "enterprise", "name": "李四", "enterprise_name": "宏达商贸有限公司"}
    first = intake(client, complainant={**firm, "phone": "13900000005"}, content="营业执照经营范围变更一直办不下来")
    firm2 = {**firm, "name": "王五", "phone": "13900000006", "enterprise_name": "宏达商贸 有限公司"}
    second = intake(client, complainant=firm2, content="公司改经营项目，执照变更登记材料被退回")
    found = repeats(client, second["id"], second["notification_id"])
    assert [i["repeat_of"] for i in found["items"]] == [first["id"]]

    # 重复诉求率: 8 received; 2 repeats (again, second); 4 whose complainant complained before (other, again,
    # late, second)
    r = client.get("/v1/insights/repeats", params={"after": second["notification_id"]}, headers=ANALYST)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["received"], body["repeats"], body["same_person"]) == (8, 2, 4)
    assert body["rate"] == round(2 / 8, 4)
    assert body["label"] == "重复诉求率"


def test_one_person_with_eight_matters_makes_no_repeat(client: TestClient) -> None:
    matters = ["路灯坏了", "孩子入学积分申请被退回", "公积金提取太慢", "楼上漏水", "驾照换证约不上", "社保转不过来",
               "广场舞太吵", "出租车拒载"]  # fmt: skip
    last = None
    for m in matters:
        last = intake(client, complainant=person("13700000001"), content=m)
    assert last is not None
    r = client.get("/v1/insights/repeats", params={"after": last["notification_id"]}, headers=ANALYST)
    body = r.json()
    assert (body["received"], body["repeats"], body["same_person"], body["rate"]) == (8, 0, 7, 0.0)


def test_similar_matters_of_a_complaint(client: TestClient) -> None:
    a = intake(client, complainant=person("13900000031"), content="孩子出生两个月了还上不了户口")
    b = intake(client, complainant=person("13900000032"), content="给新生儿报户口，派出所说出生证明要改")
    c = intake(client, complainant=person("13900000033"), content="小区门口的路灯坏了")
    r = client.get(f"/v1/complaints/{a['id']}/similar", params={"after": c["notification_id"]}, headers=ANALYST)
    assert r.status_code == 200, r.text
    assert [i["complaint_id"] for i in r.json()["items"]] == [b["id"]]
    missing = "00000000-0000-0000-0000-000000000009"
    assert client.get(f"/v1/complaints/{missing}/similar", headers=ANALYST).status_code == 404


def test_views_hold_no_personal_information(client: TestClient) -> None:
    content = "我叫赵六，电话13700001234，身份证110101199003071234，邮箱zhao6@example.com，小区电梯经常故障"
    r = intake(
        client,
        complainant={"type": "person", "name": "赵六", "phone": "13700009999", "id_number": "11010519491231002X"},
        content=content,
    )
    repeats(client, r["id"], r["notification_id"])
    views = views_of(client)
    with views.transaction(write=False) as tx:
        dumped = []
        for table in ("yousu_repeat_items", "yousu_repeat_persons", "yousu_repeat_links", "yousu_topic_items"):
            dumped += [" ".join(str(v) for v in row) for row in tx.query(f"SELECT * FROM {table}")]  # noqa: S608 — fixed names
    # meaning vectors are long hex runs: numbers, not text (and their digits could spell anything)
    blob = re.sub(r"[0-9a-f]{400,}", "<vector>", "\n".join(dumped))
    for secret in ("13700009999", "13700001234", "110101199003071234", "11010519491231002X", "zhao6", "9999"):
        assert secret not in blob


def test_bad_input_is_a_clear_422(client: TestClient) -> None:
    for params in ({"from": "2025-09-30", "to": "2025-09-01"}, {"from": "2020-01-01", "to": "2025-01-01"}):
        for path in ("/v1/insights/repeats", "/v1/insights/topics"):
            r = client.get(path, params=params, headers=ANALYST)
            assert r.status_code == 422, (path, params, r.text)
            assert r.headers["content-type"].startswith("application/problem+json")
            assert r.json()["code"] in {"invalid_query", "invalid_input"}
    r = client.get("/v1/insights/topics", params={"centre": "a\x00b"}, headers=ANALYST)
    assert r.status_code == 422
    r = client.get("/v1/complaints/00000000-0000-0000-0000-000000000009/repeats", headers=CLERK)
    assert r.status_code == 404
    # emoji only, mixed scripts: received, and answered sensibly (no words → no similar-text link)
    e1 = intake(client, complainant=person("13900000011"), content="😡😡😡")
    e2 = intake(client, complainant=person("13900000012"), content="😡😡😡")
    assert repeats(client, e2["id"], e2["notification_id"])["items"] == []
    assert e1["id"]
    mixed = intake(client, complainant=person("13900000013"), content="WiFi信号差 сигнал плохой 🙁 ABC123")
    assert repeats(client, mixed["id"], mixed["notification_id"])["repeat"] is False


def test_topics_rank_groups_by_volume_with_labels(client: TestClient) -> None:
    app = app_of(client)
    samples = [s for s in generate(120, seed=11) if s.category == "urban_management"]
    last = None
    for i, s in enumerate(samples):
        last = app.receive(
            channel=Channel.window,
            content=s.content,
            category=s.category,
            complainant=Complainant(ComplainantType.person, "某某", f"1390000{i:04d}"),
            actor=CLERK_ACTOR,
        )
    assert last is not None
    r = client.get(
        "/v1/insights/topics",
        params={"after": last.notification_id, "category": "urban_management", "min_count": 3},
        headers=ANALYST,
    )
    assert r.status_code == 200, r.text
    found = r.json()["topics"]
    expected: dict[str, int] = {}
    for s in samples:
        if not s.label.startswith("noise-"):
            expected[s.label] = expected.get(s.label, 0) + 1
    # the three urban-management issues, largest first (give or take one complaint grouped elsewhere), each
    # with its own place or object among the key terms
    counts = sorted(expected.values(), reverse=True)
    assert all(abs(t["count"] - c) <= 1 for t, c in zip(found[:3], counts, strict=True)), found[:3]
    assert all(t["previous"] == 0 and t["growth"] is None for t in found)
    marks = {"garbage": ("垃圾站", "阳光", "花园", "垃圾房"), "noise_site": ("滨江", "施工", "工地", "噪音")}
    marks["street_vendors"] = ("人民", "摊贩", "商贩", "摆摊", "占道", "菜场", "市场")
    for t in found[:3]:
        assert any(any(m in w for w in t["label"] for m in words) for words in marks.values()), t["label"]
        assert sum(t["trend"].values()) == t["count"]
        assert 1 <= len(t["samples"]) <= 5
        assert t["category_label"]
    # every member of a topic, a page at a time
    biggest = found[0]
    pages = []
    for offset in range(0, biggest["count"], 4):
        params = {"after": last.notification_id, "category": "urban_management", "key": biggest["key"]}
        r = client.get("/v1/insights/topics/members", params={**params, "offset": offset, "limit": 4}, headers=ANALYST)
        assert r.status_code == 200, r.text
        assert r.json()["total"] == biggest["count"]
        pages += r.json()["members"]
    assert len(pages) == len(set(pages)) == biggest["count"]
    assert pages[:5] == biggest["samples"]
    r = client.get("/v1/insights/topics/members", params={"key": "nope"}, headers=ANALYST)
    assert (r.status_code, r.json()["total"], r.json()["members"]) == (200, 0, [])


def test_complaint_read_masks_personal_data_typed_into_the_text(client: TestClient) -> None:
    content = "联系电话13700001234，身份证11010519491231002X，邮箱zhao6@example.com，电梯故障"
    made = intake(client, complainant=person("13900000021"), content=content)
    clerk = client.get(f"/v1/complaints/{made['id']}", headers=CLERK).json()
    assert clerk["content"] == content
    analyst = client.get(f"/v1/complaints/{made['id']}", headers=ANALYST).json()
    assert analyst["content"] == "联系电话137****1234，身份证******************，邮箱z***@example.com，电梯故障"
