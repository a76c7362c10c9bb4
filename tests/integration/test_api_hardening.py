"""Issue 11, found by an outside probe: bad input is a 422 naming the parameter, never a 500; an unexpected
error is a problem+json 500 with the request id; oversized bodies are refused before authentication;
received_at and the channel cannot be spoofed; anchors, weak ETags, ``?after=`` and the SLA view over HTTP.

On a real SQLite file and a real PostgreSQL database (a NUL reaches PostgreSQL as an error, SQLite stores it).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
import structlog
from fastapi.testclient import TestClient

from application.clock import SettableClock
from domain.values import Role
from tests.conftest import create_pg_database, drop_pg_database
from tests.support import CST, auth, client_for, hotline_body, receive_body

NOW = datetime(2025, 9, 26, 10, 0, tzinfo=CST)  # Friday, Beijing time
CLERK, HOTLINE, LIAISON = auth(Role.window_clerk), auth(Role.hotline), auth(Role.liaison)
OFFICER, LEADER = auth(Role.duty_officer), auth(Role.duty_leader)
HUGE = 10**20  # past a 64-bit integer


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def client(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    clock = SettableClock(NOW)
    if request.param == "sqlite":
        with client_for(f"sqlite:///{tmp_path_factory.mktemp('hardening') / 'yousu.db'}", clock) as c:
            yield c
        return
    url = create_pg_database()
    try:
        with client_for(url, clock) as c:
            yield c
    finally:
        drop_pg_database(url)


def clock_of(client: TestClient) -> SettableClock:
    clock = client.app.state.container.complaints.clock  # type: ignore[attr-defined]
    assert isinstance(clock, SettableClock)
    return clock


def assert_refused(r: Any, status: int, field: str, code: str | None = None) -> dict[str, Any]:
    """A problem+json answer naming ``field``."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = r.json()
    assert field in {e["field"] for e in body.get("errors", [])}, body
    if code is not None:
        assert body["code"] == code, body
    return body


# ------------------------------------------------------------------------------------------ 4. bad input

BAD_QUERIES = [
    (f"/v1/ledger?offset={HUGE}", "offset"),
    (f"/v1/sla/overdue?offset={HUGE}", "offset"),
    ("/v1/ledger?q=a%00b", "q"),
    ("/v1/ledger?department=housing%00", "department"),
    ("/v1/ledger?status=%00", "status"),
    ("/v1/ledger?cursor=%00", "cursor"),
    ("/v1/ledger?q=%1b%5b31m", "q"),  # an ANSI escape: control characters, not only NUL
    ("/v1/sla/overdue?clock=%00", "clock"),
    ("/v1/sla/overdue?department=%00", "department"),
    ("/v1/metrics?department=%00", "department"),
    ("/v1/metrics?category=%00", "category"),
    ("/v1/metrics?channel=%00", "channel"),
    ("/v1/metrics?classification=%00", "classification"),
    ("/v1/metrics?from=0001-01-01&to=9999-12-31", "from"),
    ("/v1/metrics?from=2025-01-01&to=9999-12-31", "to"),
    ("/v1/calendar/due?from=9999-12-31T10:00%2B08:00&working_days=1", "from"),
    ("/v1/calendar/due?from=0001-01-01T00:00%2B14:00&working_days=1", "from"),
    ("/v1/ledger?received_from=0001-01-01T00:00%2B14:00", "received_from"),
    ("/v1/audit/access?since=9999-12-31T23:59%2B00:00", "since"),
    ("/v1/audit/access?reader=%00", "reader"),
    ("/v1/complaints/00000000-0000-0000-0000-000000000001?as_of=0001-01-01T00:00%2B14:00", "as_of"),
    (f"/v1/complaints/00000000-0000-0000-0000-000000000001?version={HUGE}", "version"),
]


@pytest.mark.parametrize(("url", "field"), BAD_QUERIES, ids=[u for u, _ in BAD_QUERIES])
def test_bad_query_parameter_is_422_naming_it(client: TestClient, url: str, field: str) -> None:
    body = assert_refused(client.get(url, headers=LIAISON), 422, field, "invalid_input")
    assert field in body["detail"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (hotline_body("NUL-1", received_at="0001-01-01T00:00+14:00"), "received_at"),
        (hotline_body("NUL-2", received_at="9999-12-31T23:59+00:00"), "received_at"),
        (hotline_body("NUL-3", content="有\x00空字符", received_at=NOW.isoformat()), "content"),
        (hotline_body("12345\x00", received_at=NOW.isoformat()), "external_ref"),
        (
            hotline_body(
                "NUL-5", complainant={"name": "张\x00三", "phone": "13812345678"}, received_at=NOW.isoformat()
            ),
            "complainant.name",
        ),
    ],
    ids=["year-1", "year-9999", "nul-content", "nul-ref", "nul-name"],
)
def test_bad_body_string_or_instant_is_422_naming_it(client: TestClient, body: dict[str, Any], field: str) -> None:
    assert_refused(client.post("/v1/complaints", json=body, headers=HOTLINE), 422, field, "invalid_input")


def test_body_text_keeps_newlines_and_tabs(client: TestClient) -> None:
    r = client.post("/v1/complaints", json=receive_body(content="第一行\n\t第二行\r\n"), headers=CLERK)
    assert r.status_code == 201, r.text


def test_unexpected_error_is_a_problem_with_the_request_id_and_no_pii(client: TestClient) -> None:
    secret = "张三丰 13812345678"

    def boom() -> None:
        raise RuntimeError(secret)

    app = client.app
    app.router.add_api_route("/v1/_boom", boom)  # type: ignore[attr-defined]
    route = app.router.routes.pop()  # type: ignore[attr-defined]
    app.router.routes.insert(0, route)  # type: ignore[attr-defined]  # before the console's catch-all (mounted last)
    try:
        with structlog.testing.capture_logs() as logs:
            r = client.get("/v1/_boom", headers={"X-Request-Id": "probe-42"})
    finally:
        app.router.routes.remove(route)  # type: ignore[attr-defined]
    assert r.status_code == 500
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "internal_error"
    assert r.json()["request_id"] == "probe-42" == r.headers["x-request-id"]
    assert secret not in r.text
    [error] = [e for e in logs if e["event"] == "unhandled_error"]
    assert error["error"] == "RuntimeError"
    assert any("boom" in f for f in error["frames"])  # where it happened …
    assert secret not in repr(logs)  # … but not the message, which may quote a person
    assert client.get("/v1/reference", headers=CLERK).status_code == 200


# ------------------------------------------------------------------------------------------ 5. body size


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with client_for(f"sqlite:///{tmp_path_factory.mktemp('small') / 'yousu.db'}", max_body_bytes=2048) as c:
        yield c


def test_declared_oversized_body_is_413_before_authentication(small: TestClient) -> None:
    r = small.post("/v1/complaints", content=b"x" * 4096, headers={"Content-Type": "application/json"})
    assert r.status_code == 413  # not 401: the body is refused before the (missing) token is looked at
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "body_too_large"
    assert r.headers["connection"] == "close"


def test_streamed_oversized_body_is_413(small: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(10):
            yield b"x" * 1024

    r = small.post("/v1/complaints", content=chunks(), headers={**CLERK, "Content-Type": "application/json"})
    assert r.status_code == 413
    assert r.json()["code"] == "body_too_large"


def test_body_under_the_limit_is_read(small: TestClient) -> None:
    assert small.post("/v1/complaints", json=receive_body(), headers=CLERK).status_code == 201


# ------------------------------------------------------------------------------------------ 9. backdating


def at(delta: timedelta) -> str:
    return (NOW + delta).isoformat()


@pytest.mark.parametrize(
    ("headers", "body", "field", "code"),
    [
        (CLERK, receive_body(received_at=at(-timedelta(days=30))), "received_at", "received_at_not_allowed"),
        (CLERK, receive_body(channel="online", received_at=at(-timedelta(hours=1))), "received_at", None),
        (CLERK, hotline_body("spoof-1", received_at=at(-timedelta(hours=1))), "channel", "channel_not_allowed"),
        (HOTLINE, receive_body(), "channel", "channel_not_allowed"),
        (HOTLINE, hotline_body("old-1", received_at=at(-timedelta(days=5 * 365))), "received_at", None),
        (HOTLINE, hotline_body("old-2", received_at=at(-timedelta(days=7, minutes=1))), "received_at", None),
        (HOTLINE, hotline_body("future-1", received_at=at(timedelta(seconds=1))), "received_at", None),
    ],
    ids=[
        "window-backdated",
        "online-backdated",
        "clerk-as-hotline",
        "hotline-as-window",
        "5-years",
        "7-days+",
        "future",
    ],
)
def test_backdating_and_channel_spoofing_are_refused(
    client: TestClient, headers: dict[str, str], body: dict[str, Any], field: str, code: str | None
) -> None:
    assert_refused(client.post("/v1/complaints", json=body, headers=headers), 422, field, code)


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        (HOTLINE, hotline_body("ok-1", received_at=at(-timedelta(days=6, hours=23)))),
        (HOTLINE, hotline_body("ok-2", received_at=at(timedelta(0)))),
        (CLERK, receive_body(channel="online")),
        (CLERK, receive_body(channel="window")),
    ],
    ids=["hotline-6-days", "hotline-now", "clerk-online", "clerk-window"],
)
def test_within_the_rules_is_accepted(client: TestClient, headers: dict[str, str], body: dict[str, Any]) -> None:
    r = client.post("/v1/complaints", json=body, headers=headers)
    assert r.status_code == 201, r.text
    state = client.get(r.headers["Location"], headers=CLERK).json()
    assert state["channel"] == body["channel"]
    if "received_at" in body:
        assert datetime.fromisoformat(state["received_at"]) == datetime.fromisoformat(body["received_at"])
    history = client.get(f"{r.headers['Location']}/history", headers=LIAISON).json()
    expected_role = "hotline" if body["channel"] == "hotline" else "window_clerk"
    assert history["events"][0]["actor"]["role"] == expected_role


def test_backdating_window_is_configurable(tmp_path_factory: pytest.TempPathFactory) -> None:
    url = f"sqlite:///{tmp_path_factory.mktemp('backdate') / 'yousu.db'}"
    with client_for(url, SettableClock(NOW), backdate_days=1) as c:
        late = c.post("/v1/complaints", json=hotline_body("b-1", received_at=at(-timedelta(hours=25))), headers=HOTLINE)
        assert_refused(late, 422, "received_at", "received_at_too_early")
        ok = c.post("/v1/complaints", json=hotline_body("b-2", received_at=at(-timedelta(hours=23))), headers=HOTLINE)
        assert ok.status_code == 201, ok.text


# ------------------------------------------------------------------------------------------ 15. odds and ends


def test_anchor_without_changes_is_204_with_no_body(client: TestClient) -> None:
    client.post("/v1/audit/anchors", headers=LIAISON)  # anchors whatever is there (or nothing)
    r = client.post("/v1/audit/anchors", headers=LIAISON)
    assert r.status_code == 204
    assert r.content == b""  # not "null"
    assert "content-type" not in r.headers


def test_weak_if_match_never_satisfies_the_strong_comparison(client: TestClient) -> None:
    cid = client.post("/v1/complaints", json=receive_body(), headers=CLERK).json()["id"]
    url = f"/v1/complaints/{cid}/classify"
    weak = client.post(url, json={"classification": "general"}, headers={**CLERK, "If-Match": 'W/"1"'})
    assert_refused(weak, 412, "If-Match", "weak_etag")  # version 1 is current: only the weakness refuses it
    strong = client.post(url, json={"classification": "general"}, headers={**CLERK, "If-Match": '"1"'})
    assert strong.status_code == 200, strong.text


def test_after_reads_your_own_write_from_the_ledger(client: TestClient) -> None:
    r = client.post("/v1/complaints", json=receive_body(content="刚受理的诉求"), headers=CLERK)
    n = r.json()["notification_id"]
    page = client.get(f"/v1/ledger?after={n}&limit=1000", headers=LIAISON)
    assert page.status_code == 200, page.text
    assert r.json()["id"] in {row["id"] for row in page.json()["items"]}
    assert_refused(client.get(f"/v1/ledger?after={n + 1000}", headers=LIAISON), 422, "after", "invalid_query")


def test_sla_overdue_over_http(client: TestClient) -> None:
    clock = clock_of(client)
    clock.set(datetime(2025, 9, 25, 10, 0, tzinfo=CST))  # Thursday
    cid = client.post("/v1/complaints", json=receive_body(), headers=CLERK).json()["id"]
    r = client.post(f"/v1/complaints/{cid}/classify", json={"classification": "general"}, headers=CLERK)
    n = r.json()["notification_id"]
    due = datetime.fromisoformat(r.json()["due_at"])
    assert due == datetime(2025, 9, 25, 17, 30, tzinfo=CST)  # general: the same working day, at close of business
    try:
        before = client.get(f"/v1/sla/overdue?after={n}&clock=resolution&limit=1000", headers=LIAISON)
        assert cid not in {i["complaint_id"] for i in before.json()["items"]}
        clock.set(NOW)  # Friday 10:00: one working hour (from 9:00) past Thursday's close
        late = client.get(f"/v1/sla/overdue?after={n}&clock=resolution&limit=1000", headers=LIAISON)
        assert late.status_code == 200, late.text
        [item] = [i for i in late.json()["items"] if i["complaint_id"] == cid]
        assert item["clock"] == "resolution"
        assert datetime.fromisoformat(item["due_at"]) == due
        assert item["late_hours"] == pytest.approx(1.0)
    finally:
        clock.set(NOW)
