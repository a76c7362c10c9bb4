"""账号管理 over HTTP on a real store: admin only, reference-checked, audited, every session ended at once."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from domain.values import Role
from tests.support import auth, client_for

PASSWORD = "窗口密码-2025-春季"
NEW_PASSWORD = "新的密码-2025-夏季"
ADMIN = auth(Role.admin, sub="admin-1", name="管理员甲")

# The admin-only matrix, stated literally: every account route answers 403 to every other role.
ACCOUNT_ROUTES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/v1/accounts", None),
    (
        "POST",
        "/v1/accounts",
        {"username": "x1", "name": "某", "roles": ["analyst"], "password": PASSWORD},
    ),
    ("POST", "/v1/accounts/wangxm/disable", None),
    ("POST", "/v1/accounts/wangxm/enable", None),
    ("POST", "/v1/accounts/wangxm/roles", {"roles": ["analyst"]}),
    ("POST", "/v1/accounts/wangxm/reset-password", {"password": NEW_PASSWORD}),
]
NOT_ADMIN = [
    Role.window_clerk,
    Role.duty_officer,
    Role.duty_leader,
    Role.department,
    Role.supervisor,
    Role.liaison,
    Role.analyst,
    Role.hotline,
    Role.callback_agent,
]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def client(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[TestClient]:
    """The real app on SQLite or PostgreSQL, with one account made through the API."""
    url = f"sqlite:///{tmp_path / 'yousu.db'}" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    with client_for(url) as c:
        body = {"username": "wangxm", "name": "王小明", "roles": ["window_clerk"], "centre": "jiefang"}
        r = c.post("/v1/accounts", json={**body, "password": PASSWORD}, headers=ADMIN)
        assert r.status_code == 201, r.text
        yield c


def login(c: TestClient, username: str = "wangxm", password: str = PASSWORD) -> Any:
    return c.post("/v1/auth/login", json={"username": username, "password": password})


def signed_in(c: TestClient, password: str = PASSWORD) -> str:
    """A session token of wangxm (from a fresh client: each sign-in is its own session)."""
    other = TestClient(c.app)
    r = login(other, password=password)
    assert r.status_code == 200, r.text
    return other.cookies["yousu_session"]


def me(c: TestClient, token: str) -> Any:
    return c.get("/v1/auth/me", headers={"Authorization": f"Bearer {token}"})


def trail(c: TestClient) -> list[dict[str, Any]]:
    r = c.get("/v1/audit/accounts", headers=auth(Role.liaison))
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


@pytest.mark.parametrize("role", NOT_ADMIN, ids=lambda r: r.value)
def test_only_the_admin_runs_accounts(client: TestClient, role: Role) -> None:
    for method, path, body in ACCOUNT_ROUTES:
        r = client.request(method, path, json=body, headers=auth(role))
        assert (r.status_code, r.json()["code"]) == (403, "forbidden"), (method, path)
    assert client.get("/v1/accounts").status_code == 401
    assert [e["type"] for e in trail(client)] == ["Opened"]  # nothing was changed or recorded


def test_the_account_trail_is_for_liaison_and_admin_only(client: TestClient) -> None:
    assert client.get("/v1/audit/accounts", headers=ADMIN).status_code == 200
    assert client.get("/v1/audit/accounts", headers=auth(Role.liaison)).status_code == 200
    for role in NOT_ADMIN:
        if role is not Role.liaison:
            assert client.get("/v1/audit/accounts", headers=auth(role)).status_code == 403


def test_add_list_and_the_audited_event(client: TestClient) -> None:
    listed = client.get("/v1/accounts", headers=ADMIN).json()["items"]
    assert listed == [
        {
            "username": "wangxm",
            "sub": "local:wangxm",
            "name": "王小明",
            "roles": ["window_clerk"],
            "department": None,
            "centre": "jiefang",
            "disabled": False,
        }
    ]
    (event,) = trail(client)
    assert (event["username"], event["type"], event["label"], event["chain_ok"]) == (
        "wangxm",
        "Opened",
        "新建账号",
        True,
    )
    assert (event["actor_id"], event["actor_name"], event["actor_role"]) == ("admin-1", "管理员甲", "admin")
    assert event["details"]["centre"] == "jiefang"
    text = client.get("/v1/audit/accounts", headers=ADMIN).text
    assert PASSWORD not in text
    assert "argon2" not in text
    assert "password_hash" not in text


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"centre": "城关便民服务中心"}, "unknown_centre", "centre"),
        ({"roles": ["department"], "department": "nope"}, "unknown_department", "department"),
        ({"roles": ["department"]}, "department_required", "department"),
        ({"roles": ["system"]}, "invalid_role", "roles"),
        ({"password": "123456"}, "weak_password", "password"),
        ({"password": "1234567890"}, "weak_password", "password"),
        ({"password": "lisi.zhang"}, "weak_password", "password"),  # the user name itself
        ({"username": "a b"}, "invalid_username", "username"),
    ],
)
def test_bad_input_is_a_chinese_422_and_changes_nothing(
    client: TestClient, body: dict[str, Any], code: str, field: str
) -> None:
    full = {"username": "lisi.zhang", "name": "张李四", "roles": ["analyst"], "password": PASSWORD, **body}
    r = client.post("/v1/accounts", json=full, headers=ADMIN)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert (r.json()["code"], r.json()["errors"][0]["field"]) == (code, field)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in r.json()["detail"])
    assert [a["username"] for a in client.get("/v1/accounts", headers=ADMIN).json()["items"]] == ["wangxm"]
    assert len(trail(client)) == 1


def test_unknown_field_taken_name_and_unknown_account(client: TestClient) -> None:
    extra = {"username": "x2", "name": "某", "roles": ["analyst"], "password": PASSWORD, "admin": True}
    assert client.post("/v1/accounts", json=extra, headers=ADMIN).status_code == 422
    taken = {"username": "wangxm", "name": "王二", "roles": ["analyst"], "password": PASSWORD}
    r = client.post("/v1/accounts", json=taken, headers=ADMIN)
    assert (r.status_code, r.json()["code"]) == (409, "username_taken")
    r = client.post("/v1/accounts/nobody/disable", headers=ADMIN)
    assert (r.status_code, r.json()["code"]) == (404, "unknown_user")
    bad_roles = client.post(
        "/v1/accounts/wangxm/roles", json={"roles": ["analyst"], "centre": "nowhere"}, headers=ADMIN
    )
    assert (bad_roles.status_code, bad_roles.json()["code"]) == (422, "unknown_centre")
    weak = client.post("/v1/accounts/wangxm/reset-password", json={"password": "wangxm"}, headers=ADMIN)
    assert (weak.status_code, weak.json()["code"]) == (422, "weak_password")
    assert len(trail(client)) == 1  # none of these recorded anything


def test_disabling_ends_every_session_and_refuses_sign_in_until_enabled(client: TestClient) -> None:
    first, second = signed_in(client), signed_in(client)
    assert me(client, first).status_code == 200
    r = client.post("/v1/accounts/wangxm/disable", headers=ADMIN)
    assert (r.status_code, r.json()["disabled"]) == (200, True)
    for token in (first, second):
        assert (me(client, token).status_code, me(client, token).json()["code"]) == (401, "session_revoked")
    refused = login(TestClient(client.app))
    assert (refused.status_code, refused.json()["detail"]) == (401, "用户名或密码错误")
    assert client.post("/v1/accounts/wangxm/enable", headers=ADMIN).json()["disabled"] is False
    assert me(client, first).status_code == 401  # the old sessions stay ended
    assert me(client, signed_in(client)).status_code == 200
    assert [e["type"] for e in trail(client)] == ["Opened", "Disabled", "Enabled"]


def test_a_password_reset_ends_every_session(client: TestClient) -> None:
    first, second = signed_in(client), signed_in(client)
    r = client.post("/v1/accounts/wangxm/reset-password", json={"password": NEW_PASSWORD}, headers=ADMIN)
    assert r.status_code == 200, r.text
    assert me(client, first).status_code == 401
    assert me(client, second).status_code == 401
    assert login(TestClient(client.app)).status_code == 401  # the old password no longer works
    assert me(client, signed_in(client, NEW_PASSWORD)).status_code == 200
    events = trail(client)
    assert [e["type"] for e in events] == ["Opened", "PasswordReset"]
    assert events[1]["details"] == {}  # the fact of the reset, never the password
    assert NEW_PASSWORD not in client.get("/v1/audit/accounts", headers=ADMIN).text


def test_changing_roles_ends_every_session_and_the_next_one_carries_the_new_roles(client: TestClient) -> None:
    old = signed_in(client)
    assert me(client, old).json()["roles"] == ["window_clerk"]
    body = {"roles": ["department"], "department": "market", "centre": "jiefang"}
    r = client.post("/v1/accounts/wangxm/roles", json=body, headers=ADMIN)
    assert (r.status_code, r.json()["roles"], r.json()["department"]) == (200, ["department"], "market")
    assert me(client, old).status_code == 401
    assert me(client, signed_in(client)).json()["roles"] == ["department"]
    changed = trail(client)[-1]
    assert (changed["type"], changed["details"]) == (
        "RolesChanged",
        {"roles": ["department"], "department": "market", "centre": "jiefang"},
    )
