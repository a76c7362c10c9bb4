"""Centres over HTTP (issue 12): who sees which complaint, slip numbers per centre, and an old store.

The visibility matrix below is written out by hand from the issue, not derived from api/permissions.py
or api/scope.py: a change of either that changes who sees what must change this table too.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from application.complaints import ComplaintsApp, new_salt
from domain.audit import ENVELOPE, chain_hash, plain
from domain.calendar import WorkingCalendar
from domain.complaint import Complaint
from domain.rules import Limits
from domain.values import Actor, Channel, Complainant, ComplainantType, Role
from tests.support import CST, auth, client_for, hotline_body, receive_body
from tests.unit.test_centres import mapper

# caller name → token (role, centre claim, department)
CALLERS: dict[str, dict[str, Any]] = {
    "clerk@jiefang": {"role": Role.window_clerk, "centre": "jiefang"},
    "clerk": {"role": Role.window_clerk},  # no centre claim: the district hall
    "officer@jiefang": {"role": Role.duty_officer, "centre": "jiefang"},
    "officer@district": {"role": Role.duty_officer, "centre": "district"},
    "leader@jiefang": {"role": Role.duty_leader, "centre": "jiefang"},
    "leader@district": {"role": Role.duty_leader, "centre": "district"},
    "leader": {"role": Role.duty_leader},
    "supervisor@jiefang": {"role": Role.supervisor, "centre": "jiefang"},
    "supervisor": {"role": Role.supervisor},
    "housing": {"role": Role.department, "department": "housing"},
    "tax": {"role": Role.department, "department": "tax"},
    "liaison@jiefang": {"role": Role.liaison, "centre": "jiefang"},
    "analyst": {"role": Role.analyst},
    "admin": {"role": Role.admin},
    "hotline": {"role": Role.hotline},
}

# J: a jiefang complaint dispatched to housing; D: a district hall complaint, only received.
# Columns: GET J, GET D, history J, history D, ledger total (no filter), ledger total (?centre=district)
# (403: the role may not use the endpoint at all; 404: the complaint is outside the caller's scope)
MATRIX: list[tuple[str, int, int, int, int, int | None, int | None]] = [
    # caller               GET J  GET D  hist J hist D  ledger  ledger?centre=district
    ("clerk@jiefang",       200,   404,   403,   403,   1,      1),
    ("clerk",               404,   200,   403,   403,   1,      1),
    ("officer@jiefang",     200,   404,   403,   403,   1,      1),
    ("officer@district",    200,   200,   403,   403,   2,      1),  # signs for jiefang (signed_by): sees it
    ("leader@jiefang",      200,   404,   200,   404,   1,      1),
    ("leader@district",     200,   200,   200,   200,   2,      1),
    ("leader",              200,   200,   200,   200,   2,      1),
    ("supervisor@jiefang",  200,   404,   403,   403,   1,      1),
    ("supervisor",          200,   200,   403,   403,   2,      1),
    ("housing",             200,   404,   403,   403,   None,   None),
    ("tax",                 404,   404,   403,   403,   None,   None),
    ("liaison@jiefang",     200,   200,   200,   200,   2,      1),
    ("analyst",             200,   200,   403,   403,   2,      1),
    ("admin",               200,   200,   200,   200,   2,      1),
    ("hotline",             200,   200,   403,   403,   None,   None),
]  # fmt: skip


def headers(caller: str) -> dict[str, str]:
    spec = CALLERS[caller]
    return auth(spec["role"], centre=spec.get("centre"), department=spec.get("department"), sub=f"u-{caller}")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, dict[str, str]]]:
    db = tmp_path_factory.mktemp("centres") / "yousu.db"
    with client_for(f"sqlite:///{db}") as client:
        j = client.post("/v1/complaints", json=receive_body(), headers=headers("clerk@jiefang")).json()
        d = client.post("/v1/complaints", json=receive_body(), headers=headers("clerk")).json()
        steps = [
            ("classify", {"classification": "refused_to_do"}, "clerk@jiefang"),
            # jiefang is signed by the district hall (ops/reference.toml's default signed_by)
            ("sign", {}, "officer@district"),
            ("sign", {}, "leader@district"),
            ("dispatch", {"departments": ["housing"], "supervisor": "u-supervisor"}, "leader@district"),
        ]
        last = 0
        for verb, body, caller in steps:
            r = client.post(f"/v1/complaints/{j['id']}/{verb}", json=body, headers=headers(caller))
            assert r.status_code == 200, r.text
            last = r.json()["notification_id"]
        yield client, {"J": j["id"], "D": d["id"], "after": str(last)}


@pytest.mark.parametrize(("caller", "get_j", "get_d", "hist_j", "hist_d", "ledger", "ledger_district"), MATRIX)
def test_role_by_centre_by_endpoint(
    world: tuple[TestClient, dict[str, str]],
    caller: str,
    get_j: int,
    get_d: int,
    hist_j: int,
    hist_d: int,
    ledger: int | None,
    ledger_district: int | None,
) -> None:
    client, ids = world
    h = headers(caller)
    assert client.get(f"/v1/complaints/{ids['J']}", headers=h).status_code == get_j
    assert client.get(f"/v1/complaints/{ids['D']}", headers=h).status_code == get_d
    assert client.get(f"/v1/complaints/{ids['J']}/history", headers=h).status_code == hist_j
    assert client.get(f"/v1/complaints/{ids['D']}/history", headers=h).status_code == hist_d
    for query, expected in (("", ledger), ("&centre=district", ledger_district)):
        r = client.get(f"/v1/ledger?after={ids['after']}{query}", headers=h)
        if expected is None:
            assert r.status_code == 403, r.text
        else:
            assert r.status_code == 200, r.text
            assert r.json()["total"] == expected, (caller, query)


def test_out_of_scope_is_404_not_403_and_looks_like_an_unknown_id(world: tuple[TestClient, dict[str, str]]) -> None:
    client, ids = world
    r = client.get(f"/v1/complaints/{ids['D']}", headers=headers("clerk@jiefang"))
    unknown = client.get("/v1/complaints/00000000-0000-0000-0000-000000000000", headers=headers("clerk@jiefang"))
    assert r.status_code == unknown.status_code == 404
    assert r.json()["code"] == unknown.json()["code"] == "complaint_not_found"
    # acting on another centre's complaint: the same 404, nothing recorded
    r = client.post(
        f"/v1/complaints/{ids['D']}/classify", json={"classification": "general"}, headers=headers("clerk@jiefang")
    )
    assert r.status_code == 404
    assert client.get(f"/v1/complaints/{ids['D']}", headers=headers("clerk")).json()["status"] == "received"


def test_slip_numbers_come_from_the_centre_book(world: tuple[TestClient, dict[str, str]]) -> None:
    client, ids = world
    j = client.get(f"/v1/complaints/{ids['J']}", headers=headers("admin")).json()
    d = client.get(f"/v1/complaints/{ids['D']}", headers=headers("admin")).json()
    assert j["centre"] == "jiefang"
    assert j["slip_no"].startswith("YS-jiefang-")
    assert d["centre"] == "district"
    assert d["slip_no"].startswith("YS-district-")


def test_hotline_names_the_centre_and_a_clerk_may_not(tmp_path: Any) -> None:
    with client_for(f"sqlite:///{tmp_path / 'hotline.db'}") as client:
        hotline_intakes(client)


def hotline_intakes(client: TestClient) -> None:
    r = client.post("/v1/complaints", json=hotline_body("C-1", centre="xinhua"), headers=headers("hotline"))
    assert r.status_code == 201, r.text
    assert r.json()["slip_no"].startswith("YS-xinhua-")
    r = client.post("/v1/complaints", json=hotline_body("C-2"), headers=headers("hotline"))
    assert r.json()["slip_no"].startswith("YS-district-")  # default: the district hall
    r = client.post("/v1/complaints", json=hotline_body("C-3", centre="nowhere"), headers=headers("hotline"))
    assert r.status_code == 422
    assert r.json()["code"] == "unknown_centre"
    assert r.json()["errors"][0]["field"] == "centre"
    r = client.post("/v1/complaints", json=receive_body(centre="xinhua"), headers=headers("clerk@jiefang"))
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "centre"


def test_reference_lists_the_centres(world: tuple[TestClient, dict[str, str]]) -> None:
    client, _ = world
    centres = {c["code"]: c for c in client.get("/v1/reference", headers=headers("clerk")).json()["centres"]}
    assert centres["district"]["kind"] == "district_hall"
    assert {code for code, c in centres.items() if c["kind"] == "street_centre"} == {"jiefang", "xinhua", "hongqiao"}
    assert all(c["name"] and c["kind_label"] for c in centres.values())


def test_metrics_by_centre_with_the_district_roll_up(world: tuple[TestClient, dict[str, str]]) -> None:
    client, ids = world
    body = client.get(f"/v1/metrics?group_by=centre&after={ids['after']}", headers=headers("analyst")).json()
    received = {g["label"]: g["counts"]["received"] for g in body["groups"]}
    assert received["区行政服务中心"] >= 1
    assert received["解放路街道便民服务中心"] == 1
    assert received["全区合计"] == sum(v for k, v in received.items() if k != "全区合计")
    own = client.get("/v1/metrics?group_by=centre", headers=headers("leader@jiefang")).json()
    assert own["centre"] == "jiefang"
    assert [g["label"] for g in own["groups"]] == ["解放路街道便民服务中心"]


# ------------------------------------------------------------------------------ an existing store


def legacy_received(cid: UUID, now: datetime) -> tuple[Complaint.Received, bytes]:
    """A complaint as the code before centres recorded it: a YS+date number, no centre, hash without it."""
    complaint = Complaint.receive(
        slip_no="YS2025092600001",
        channel=Channel.window,
        content="旧系统受理的诉求",
        category="housing",
        complainant=Complainant(ComplainantType.person, "王旧", "13700001111"),
        actor=Actor("clerk-old", "老窗口", Role.window_clerk),
        now=now,
        calendar=WorkingCalendar(),
        limits=Limits(),
        complaint_id=cid,
        salt=new_salt,
    )
    [event] = complaint.collect_events()
    fields = {k: v for k, v in vars(event).items() if k not in ("centre", "personal_salts")}
    payload = {k: plain(v) for k, v in sorted(fields.items()) if k not in ENVELOPE}
    state = json.loads(mapper().to_stored_event(event).state)
    del state["class_version"], state["centre"]
    state.pop("personal_salts", None)
    state["row_hash"] = chain_hash(str(cid), 1, "Received", payload)
    assert isinstance(event, Complaint.Received)
    return event, json.dumps(state).encode()


def test_an_existing_store_keeps_working_and_shows_the_district_hall(tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    cid = UUID("00000000-0000-4000-8000-0000000000aa")
    with client_for(url) as client:
        app: ComplaintsApp = client.app.state.container.complaints  # type: ignore[attr-defined]
        event, state = legacy_received(cid, datetime(2025, 9, 26, 10, 0, tzinfo=CST))
        stored = app.mapper.to_stored_event(event)
        cipher = app.mapper.cipher
        assert cipher is not None  # the store is encrypted, as in production: the old event is too
        app.recorder.insert_events([dataclasses.replace(stored, state=cipher.encrypt(state))])

        r = client.get(f"/v1/complaints/{cid}", headers=headers("clerk"))
        assert r.status_code == 200, r.text
        assert (r.json()["centre"], r.json()["slip_no"]) == ("district", "YS2025092600001")
        assert client.get(f"/v1/complaints/{cid}", headers=headers("clerk@jiefang")).status_code == 404
        r = client.post(f"/v1/complaints/{cid}/classify", json={"classification": "general"}, headers=headers("clerk"))
        assert r.status_code == 200, r.text
        ledger = client.get(f"/v1/ledger?after={r.json()['notification_id']}", headers=headers("admin")).json()
        [row] = ledger["items"]
        assert (row["centre"], row["slip_no"], row["classification"]) == ("district", "YS2025092600001", "general")
        verify = client.get("/v1/audit/verify", headers=headers("admin")).json()
        assert verify["ok"] is True, verify
        new = client.post("/v1/complaints", json=receive_body(), headers=headers("clerk")).json()
        assert new["slip_no"].startswith("YS-district-")
