"""未诉先办 on real stores: repeat links (same person, similar text, window), the 重复诉求率, topics, masking."""

from __future__ import annotations

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


def test_same_person_similar_text_and_window(client: TestClient) -> None:
    five_days_ago = (datetime.now(tz=CST) - timedelta(days=5)).isoformat()
    one_day_ago = (datetime.now(tz=CST) - timedelta(days=1)).isoformat()
    old = intake(
        client,
        HOTLINE,
        **hotline_body("R-1", complainant=person("13812345678"), content="路灯坏了", received_at=five_days_ago),
    )
    recent = intake(
        client,
        HOTLINE,
        **hotline_body("R-2", complainant=person("138 1234 5678"), content="公园厕所没有纸", received_at=one_day_ago),
    )
    # the same phone typed differently (+86, spaces) is the same person; the 5-day-old one lies outside 3 days
    now = intake(client, complainant=person("+86 138-1234-5678"), content="快递柜收费不合理")
    found = repeats(client, now["id"], now["notification_id"])
    assert found["repeat"] is True
    assert [(i["repeat_of"], i["why"], i["score"]) for i in found["items"]] == [(recent["id"], "same_person", 1.0)]
    assert found["items"][0]["slip_no"] == recent["slip_no"]
    assert old["id"] not in {i["repeat_of"] for i in found["items"]}

    # another person, the same matter in other words: similar_text, not the unrelated complaints
    text_a = "阳光花园小区的垃圾站臭味熏天，苍蝇成群，一直没人清运"
    text_b = "阳光花园小区垃圾站臭味熏天苍蝇成群，没人清运，请尽快处理"
    a = intake(client, complainant=person("13900000001"), content=text_a)
    b = intake(client, complainant=person("13900000002"), content=text_b)
    found = repeats(client, b["id"], b["notification_id"])
    assert [(i["repeat_of"], i["why"]) for i in found["items"]] == [(a["id"], "similar_text")]
    assert 0.5 <= found["items"][0]["score"] <= 1.0

    # an unrelated complaint of a new person repeats nothing; the first of a series repeats nothing
    c = intake(client, complainant=person("13900000003"), content="图书馆开放时间太短")
    assert repeats(client, c["id"], c["notification_id"]) == {"complaint_id": c["id"], "items": [], "repeat": False}
    assert repeats(client, a["id"], c["notification_id"])["items"] == []

    # 重复诉求率: 6 received today or within the default 30 days, 2 of them repeats (now, b)
    r = client.get("/v1/insights/repeats", params={"after": c["notification_id"]}, headers=ANALYST)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["received"], body["repeats"], body["same_person"], body["similar_text"]) == (6, 2, 1, 1)
    assert body["rate"] == round(2 / 6, 4)
    assert body["label"] == "重复诉求率"


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
        for table in ("yousu_repeat_items", "yousu_repeat_persons", "yousu_repeat_bands", "yousu_topic_items"):
            dumped += [" ".join(str(v) for v in row) for row in tx.query(f"SELECT * FROM {table}")]  # noqa: S608 — fixed names
    blob = "\n".join(dumped)
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
    # the three urban-management issues, largest first, each with its own place or object among the keywords
    counts = sorted(expected.values(), reverse=True)
    assert [t["count"] for t in found[:3]] == counts
    assert all(t["previous"] == 0 and t["growth"] is None for t in found)
    marks = {"garbage": ("垃圾站", "阳光", "花园", "垃圾房"), "noise_site": ("滨江", "施工", "工地", "噪音")}
    marks["street_vendors"] = ("人民", "摊贩", "商贩", "摆摊", "占道", "菜场", "市场")
    for t in found[:3]:
        assert any(any(m in w for w in t["label"] for m in words) for words in marks.values()), t["label"]
        assert sum(t["trend"].values()) == t["count"]
        assert 1 <= len(t["samples"]) <= 5
        assert t["category_label"]


def test_complaint_read_masks_personal_data_typed_into_the_text(client: TestClient) -> None:
    content = "联系电话13700001234，身份证11010519491231002X，邮箱zhao6@example.com，电梯故障"
    made = intake(client, complainant=person("13900000021"), content=content)
    clerk = client.get(f"/v1/complaints/{made['id']}", headers=CLERK).json()
    assert clerk["content"] == content
    analyst = client.get(f"/v1/complaints/{made['id']}", headers=ANALYST).json()
    assert analyst["content"] == "联系电话137****1234，身份证******************，邮箱z***@example.com，电梯故障"
