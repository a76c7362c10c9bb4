"""Every endpoint × every role: allowed → 2xx, others → 403; no token → 401."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from api.auth import mint_token
from api.permissions import PERMISSIONS, Action
from application.complaints import ComplaintsApp
from domain.values import Actor, Channel, Classification, Complainant, ComplainantType, Role
from tests.support import CST, auth, client_for, hotline_body

ROLES = [r for r in Role if r is not Role.system]
CLERK = Actor("c1", "窗口甲", Role.window_clerk)
OFFICER = Actor("o1", "值班乙", Role.duty_officer)
LEADER = Actor("l1", "带班丙", Role.duty_leader)
HOUSING = Actor("d1", "住建丁", Role.department, "housing")


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    db = tmp_path_factory.mktemp("roles") / "yousu.db"
    with client_for(f"sqlite:///{db}") as c:
        yield c


def app_of(client: TestClient) -> ComplaintsApp:
    return client.app.state.container.complaints  # type: ignore[attr-defined,no-any-return]


def received(app: ComplaintsApp) -> UUID:
    return app.receive(
        channel=Channel.window,
        content="窗口拒绝受理材料",
        category="housing",
        complainant=Complainant(ComplainantType.person, "李四", "13900001111"),
        actor=CLERK,
    ).id


def classified(app: ComplaintsApp, kind: Classification = Classification.refused_to_do) -> UUID:
    cid = received(app)
    app.classify(cid, classification=kind, reason="", actor=CLERK)
    return cid


def officer_signed(app: ComplaintsApp) -> UUID:
    cid = classified(app)
    app.sign(cid, opinion="同意", actor=OFFICER)
    return cid


def signed(app: ComplaintsApp) -> UUID:
    cid = officer_signed(app)
    app.sign(cid, opinion="同意", actor=LEADER)
    return cid


def dispatched(app: ComplaintsApp) -> UUID:
    cid = signed(app)
    app.dispatch(cid, departments=["housing"], supervisor="督办甲", instructions="", actor=LEADER)
    return cid


def resolved(app: ComplaintsApp) -> UUID:
    cid = dispatched(app)
    app.resolve(cid, result="已办理", legal_basis=None, actor=HOUSING)
    return cid


def fed_back(app: ComplaintsApp) -> UUID:
    cid = resolved(app)
    app.feed_back(cid, method="phone", summary="已电话告知", actor=CLERK)
    return cid


def general(app: ComplaintsApp) -> UUID:
    return classified(app, Classification.general)


Setup = Callable[[ComplaintsApp, Role], UUID]


def _by_role(default: Callable[[ComplaintsApp], UUID], **per_role: Callable[[ComplaintsApp], UUID]) -> Setup:
    return lambda app, role: per_role.get(role.value, default)(app)


DUE_URL = "/v1/calendar/due?from=2025-09-26T10:00%2B08:00&working_days=1"
SIGNERS = PERMISSIONS[Action.sign_officer] | PERMISSIONS[Action.sign_leader]

# endpoint → (action governing it, prerequisite state per role, method, path template, body)
ENDPOINTS: dict[str, tuple[Action, Setup | None, str, str, dict[str, Any] | None]] = {
    "receive": (Action.receive, None, "POST", "/v1/complaints", None),
    "classify": (Action.classify, _by_role(received), "POST", "/classify", {"classification": "cannot_do"}),
    # one endpoint; the officer signs a classified complaint, the leader one the officer signed
    "sign": (
        Action.sign_officer,
        _by_role(classified, duty_leader=officer_signed),
        "POST",
        "/sign",
        {"opinion": "同意"},
    ),
    "dispatch": (
        Action.dispatch,
        _by_role(signed),
        "POST",
        "/dispatch",
        {"departments": ["housing"], "supervisor": "督办甲"},
    ),
    "consult": (Action.consult, _by_role(dispatched), "POST", "/consult", {"conclusion": "会商一致"}),
    "resolve": (
        Action.resolve,
        _by_role(dispatched, window_clerk=general),
        "POST",
        "/resolve",
        {"result": "已办理"},
    ),
    "feedback": (Action.feedback, _by_role(resolved), "POST", "/feedback", {"method": "phone"}),
    "callback": (Action.callback, _by_role(fed_back), "POST", "/callback", {"rating": 4}),
    # a department handler sees only complaints dispatched to it (others are 404: test_api_centres)
    "reclassify": (
        Action.reclassify,
        _by_role(general),
        "POST",
        "/reclassify",
        {"classification": "hard_to_do", "reason": "当场未能解决"},
    ),
    "read_state": (Action.read_state, _by_role(received, department=dispatched), "GET", "", None),
    "read_history": (Action.read_history, _by_role(received), "GET", "/history", None),
    "read_calendar": (Action.read_calendar, None, "GET", DUE_URL, None),
    "read_reference": (Action.read_reference, None, "GET", "/v1/reference", None),
    "ledger": (Action.read_views, None, "GET", "/v1/ledger", None),
    "overdue": (Action.read_views, None, "GET", "/v1/sla/overdue", None),
    "metrics": (Action.read_views, None, "GET", "/v1/metrics", None),
    "liaison_inbox": (Action.read_liaison_inbox, None, "GET", "/v1/liaison/inbox", None),
    "my_inbox": (Action.read_inbox, None, "GET", "/v1/inbox", None),
    "worklist": (Action.read_worklist, None, "GET", "/v1/worklist", None),
    "audit_verify": (Action.read_audit, None, "GET", "/v1/audit/verify", None),
    "audit_access": (Action.read_audit, None, "GET", "/v1/audit/access", None),
    "audit_anchors": (Action.read_audit, None, "GET", "/v1/audit/anchors", None),
    "anchor": (Action.anchor, None, "POST", "/v1/audit/anchors", None),
}


def _request(client: TestClient, endpoint: str, role: Role) -> int:
    _, setup, method, path, body = ENDPOINTS[endpoint]
    if setup is not None:
        cid = setup(app_of(client), role)
        url = f"/v1/complaints/{cid}{path}"
    else:
        url = path
    if endpoint == "receive":
        body = hotline_body(f"ref-{role.value}")
    # a department handler of the department the complaint was dispatched to
    headers = auth(role, department="housing") if role is Role.department else auth(role)
    response = client.request(method, url, json=body, headers=headers)
    return response.status_code


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r.value)
@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_endpoint_by_role(client: TestClient, endpoint: str, role: Role) -> None:
    action = ENDPOINTS[endpoint][0]
    status = _request(client, endpoint, role)
    permitted = SIGNERS if endpoint == "sign" else PERMISSIONS[action]
    if role in permitted:
        assert 200 <= status < 300, f"{role.value} should be allowed to {endpoint}, got {status}"
    else:
        assert status == 403, f"{role.value} should be refused {endpoint}, got {status}"


def test_department_of_another_department_is_refused(client: TestClient) -> None:
    # another department's complaint does not exist for it: 404, as for an unknown id (issue 12)
    cid = dispatched(app_of(client))
    r = client.post(
        f"/v1/complaints/{cid}/resolve", json={"result": "已办理"}, headers=auth(Role.department, department="tax")
    )
    assert r.status_code == 404
    assert r.json()["code"] == "complaint_not_found"
    assert r.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_no_token_is_401(client: TestClient, endpoint: str) -> None:
    _, _, method, path, body = ENDPOINTS[endpoint]
    url = path if path.startswith("/v1") else f"/v1/complaints/00000000-0000-0000-0000-000000000001{path}"
    r = client.request(method, url, json=body)
    assert r.status_code == 401
    assert r.json()["code"] == "unauthenticated"


@pytest.mark.parametrize(
    "header",
    ["Bearer not-a-jwt", "Basic abc", "Bearer " + "e30.e30.e30"],
)
def test_bad_tokens_are_401(client: TestClient, header: str) -> None:
    r = client.get(DUE_URL, headers={"Authorization": header})
    assert r.status_code == 401


def test_token_signed_with_another_secret_is_401(client: TestClient) -> None:
    forged = mint_token(
        secret="another-secret-0123456789-abcdefghij",
        sub="x",
        name="x",
        roles=[Role.admin],
        department=None,
        now=datetime.now(tz=CST),
    )
    r = client.get("/healthz", headers={"Authorization": f"Bearer {forged}"})
    assert r.status_code == 200  # health needs no token
    r = client.get(DUE_URL, headers={"Authorization": f"Bearer {forged}"})
    assert r.status_code == 401
