"""Console sign-in over HTTP on a real store: cookie session, CSRF on cookie writes, Bearer unchanged, throttling."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.throttle import LoginThrottle
from application.clock import SettableClock
from domain.values import Role
from tests.support import auth, client_for, receive_body

PASSWORD = "窗口密码-2025-春季"


@pytest.fixture(params=["sqlite", "postgres"])
def client(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[TestClient]:
    """The real app (console wiring included) on SQLite or PostgreSQL, with two local accounts."""
    url = f"sqlite:///{tmp_path / 'yousu.db'}" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    with client_for(url) as c:
        store = c.app.state.container.accounts  # type: ignore[attr-defined]  # made by the composition root
        store.add(username="wangxm", name="王小明", roles=[Role.window_clerk], password=PASSWORD)
        store.add(username="fenxi", name="分析员", roles=[Role.analyst], password=PASSWORD)
        yield c


def login(c: TestClient, username: str = "wangxm", password: str = PASSWORD) -> Any:
    return c.post("/v1/auth/login", json={"username": username, "password": password})


def test_login_sets_an_httponly_strict_session_cookie_and_a_readable_csrf_cookie(client: TestClient) -> None:
    r = login(client)
    assert r.status_code == 200, r.text
    answer = r.json()
    # what a window clerk may do, from the permission matrix (the README's table): the console's menus follow it
    actions = answer.pop("actions")
    assert {"receive", "classify", "feedback", "read_state", "register_proactive"} <= set(actions)
    assert not {"dispatch", "sign_leader", "read_audit", "accept_plan"} & set(actions)
    assert answer == {
        "sub": "local:wangxm",
        "name": "王小明",
        "roles": ["window_clerk"],
        "department": None,
        "centre": None,
        "scope": "centre:district",  # no centre on the account: the district hall's
        "signing_blocked": None,  # a window clerk does not sign
        "roster_warning": None,  # … nor import rosters
    }
    cookies = r.headers.get_list("set-cookie")
    session = next(h for h in cookies if h.startswith("yousu_session="))
    csrf = next(h for h in cookies if h.startswith("yousu_csrf="))
    assert "httponly" in session.lower()
    assert "samesite=strict" in session.lower()
    assert "httponly" not in csrf.lower()
    assert "samesite=strict" in csrf.lower()
    assert "token" not in r.json()  # never handed to page scripts
    assert client.get("/v1/auth/me").json()["name"] == "王小明"


def test_cookie_write_needs_the_csrf_header(client: TestClient) -> None:
    login(client)
    refused = client.post("/v1/complaints", json=receive_body())
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["code"] == "csrf_failed"
    wrong = client.post("/v1/complaints", json=receive_body(), headers={"X-CSRF-Token": "forged"})
    assert wrong.json()["code"] == "csrf_failed"
    token = client.cookies["yousu_csrf"]
    ok = client.post("/v1/complaints", json=receive_body(), headers={"X-CSRF-Token": token})
    assert ok.status_code == 201, ok.text


def test_cookie_reads_need_no_csrf_and_roles_still_apply(client: TestClient) -> None:
    login(client)
    refused = client.get("/v1/metrics", params={"from": "2025-01-01", "to": "2025-12-31"})
    assert refused.status_code == 403
    assert refused.json()["code"] == "forbidden"
    assert "台账" in refused.json()["detail"]  # a window clerk may not read the ledger and statistics


def test_session_token_satisfies_the_verifier_and_its_lifetime_cap(tmp_path: Any) -> None:
    """A district issuer/audience and YOUSU_SESSION_HOURS above the cap: the session is cut to the cap and accepted."""
    url = f"sqlite:///{tmp_path / 'cap.db'}"
    settings = {"session_hours": 24, "token_max_lifetime": 3600, "auth_issuer": "cgq-idp", "auth_audience": "hall"}
    with client_for(url, **settings) as c:
        c.app.state.container.accounts.add(  # type: ignore[attr-defined]  # made by the composition root
            username="wangxm", name="王小明", roles=[Role.window_clerk], password=PASSWORD
        )
        r = login(c)
        assert r.status_code == 200, r.text
        session = next(h for h in r.headers.get_list("set-cookie") if h.startswith("yousu_session="))
        assert "max-age=3600" in session.lower()
        me = c.get("/v1/auth/me")
        assert me.status_code == 200, me.text
        assert me.json()["sub"] == "local:wangxm"


def test_a_drill_clock_in_the_past_still_gives_a_usable_session(tmp_path: Any) -> None:
    """YOUSU_FIXED_CLOCK (drills): the session token is dated by the wall clock the verifier checks it against."""
    clock = SettableClock(datetime(2025, 9, 26, 10, 0, tzinfo=UTC))
    with client_for(f"sqlite:///{tmp_path / 'drill.db'}", clock) as c:
        c.app.state.container.accounts.add(  # type: ignore[attr-defined]  # made by the composition root
            username="wangxm", name="王小明", roles=[Role.window_clerk], password=PASSWORD
        )
        assert login(c).status_code == 200
        assert c.get("/v1/auth/me").status_code == 200


def test_another_authorization_scheme_is_refused_even_beside_a_session(client: TestClient) -> None:
    login(client)
    r = client.get("/v1/auth/me", headers={"Authorization": "Basic d2FuZ3htOng="})
    assert (r.status_code, r.json()["code"]) == (401, "unauthenticated")
    assert "Bearer" in r.json()["detail"]


def test_openapi_declares_the_bearer_and_the_session_cookie(client: TestClient) -> None:
    schemes = client.get("/openapi.json").json()["components"]["securitySchemes"]
    assert schemes["HTTPBearer"]["scheme"] == "bearer"
    assert (schemes["APIKeyCookie"]["in"], schemes["APIKeyCookie"]["name"]) == ("cookie", "yousu_session")


def test_bearer_tokens_keep_working_without_csrf(client: TestClient) -> None:
    r = client.post("/v1/complaints", json=receive_body(), headers=auth(Role.window_clerk))
    assert r.status_code == 201, r.text


def test_wrong_password_is_401_in_chinese_and_logout_ends_the_session(client: TestClient) -> None:
    bad = login(client, password="not-the-password")
    assert bad.status_code == 401
    assert bad.json()["detail"] == "用户名或密码错误"
    assert login(client).status_code == 200
    assert client.post("/v1/auth/logout").status_code == 204
    assert client.get("/v1/auth/me").status_code == 401


def test_sign_out_revokes_the_token_on_the_server_even_when_replayed(client: TestClient) -> None:
    """A copy of the session token kept before signing out is refused afterwards, as cookie and as Bearer."""
    assert login(client).status_code == 200
    token = client.cookies["yousu_session"]
    csrf = client.cookies["yousu_csrf"]
    assert client.get("/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert client.post("/v1/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
    client.cookies.clear()
    as_bearer = client.get("/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert (as_bearer.status_code, as_bearer.json()["code"]) == (401, "session_revoked")
    assert as_bearer.json()["detail"] == "该登录会话已退出，请重新登录"
    client.cookies.set("yousu_session", token)
    client.cookies.set("yousu_csrf", csrf)
    assert client.get("/v1/auth/me").json()["code"] == "session_revoked"
    write = client.post("/v1/complaints", json=receive_body(), headers={"X-CSRF-Token": csrf})
    assert (write.status_code, write.json()["code"]) == (401, "session_revoked")
    client.cookies.clear()
    # a new sign-in is a new session; signing out with Bearer revokes that one too, and only that one
    assert login(client).status_code == 200
    second = client.cookies["yousu_session"]
    assert second != token
    other = TestClient(client.app)
    assert other.post("/v1/auth/login", json={"username": "wangxm", "password": PASSWORD}).status_code == 200
    third = other.cookies["yousu_session"]
    client.cookies.clear()
    assert client.post("/v1/auth/logout", headers={"Authorization": f"Bearer {second}"}).status_code == 204
    assert client.get("/v1/auth/me", headers={"Authorization": f"Bearer {second}"}).status_code == 401
    assert client.get("/v1/auth/me", headers={"Authorization": f"Bearer {third}"}).status_code == 200
    # IdP tokens (no jti) are untouched by any sign-out
    assert client.get("/v1/auth/me", headers=auth(Role.window_clerk)).status_code == 200


def test_sign_out_without_a_valid_session_only_clears_the_cookies(client: TestClient) -> None:
    assert client.post("/v1/auth/logout").status_code == 204
    client.cookies.set("yousu_session", "not-a-token")
    assert client.post("/v1/auth/logout").status_code == 204


def test_five_failures_throttle_the_account_with_429_and_retry_after_never_a_lockout(client: TestClient) -> None:
    """YOUSU_LOGIN_ACCOUNT_BURST=5, YOUSU_LOGIN_ACCOUNT_PER_MINUTE=2: the 6th attempt waits 30 s."""
    for _ in range(5):
        assert login(client, "fenxi", "wrong-password").status_code == 401
    slowed = login(client, "fenxi", PASSWORD)
    assert slowed.status_code == 429
    assert slowed.headers["content-type"].startswith("application/problem+json")
    assert slowed.json()["code"] == "login_throttled"
    # a token every 30 s, less the time the five checks took (the bucket refills meanwhile)
    wait = int(slowed.headers["Retry-After"])
    assert 1 <= wait <= 30
    assert slowed.json()["detail"] == f"登录尝试过于频繁，请 {wait} 秒后再试"
    assert login(client).status_code == 200  # another account is unaffected


def test_spraying_across_accounts_is_throttled_per_address(client: TestClient) -> None:
    """YOUSU_LOGIN_ADDRESS_BURST=20, YOUSU_LOGIN_ADDRESS_PER_MINUTE=10: one wrong password for each of many
    names (no account is tried twice), and the address is slowed after 20; then even a right password from it waits.

    The throttle's clock stands still here: on a busy machine a token refilled during the refusal's
    one-second hold would otherwise let the right password through (the rates stay the service's own)."""
    guard = client.app.state.container.login_guard  # type: ignore[attr-defined]  # made by the composition root
    still = guard.throttle._now()
    guard.throttle = LoginThrottle(guard.throttle.addresses.rate, guard.throttle.accounts.rate, now=lambda: still)
    statuses: list[int] = []
    for i in range(40):  # stop at the first refusal: the right password is tried while the bucket is empty
        statuses.append(login(client, f"staff{i}", "Spring2025!!").status_code)
        if statuses[-1] == 429:
            break
    first_slowed = statuses.index(429)
    assert first_slowed == 20  # the clock stands still: exactly the burst
    assert set(statuses[:first_slowed]) == {401}
    slowed = login(client, "wangxm", PASSWORD)
    assert (slowed.status_code, slowed.json()["code"]) == (429, "login_throttled")
    assert 1 <= int(slowed.headers["Retry-After"]) <= 6  # a token every 6 s


def test_right_passwords_do_not_use_up_the_address(client: TestClient) -> None:
    """A hall behind one address: 25 correct sign-ins in a row (more than the burst of 20) are never slowed (only failures count)."""
    for _ in range(25):
        r = login(client)
        assert r.status_code == 200, r.text


def test_login_input_is_validated(client: TestClient) -> None:
    r = client.post("/v1/auth/login", json={"username": "", "password": "x", "extra": 1})
    assert r.status_code == 422
    fields = {e["field"] for e in r.json()["errors"]}
    assert {"username", "extra"} <= fields
