"""Odd text at every 未诉先办 endpoint: a clear 422 in Chinese, or a sensible answer — never a 500.

Each kind of input goes to each endpoint that takes free text or a text filter; the expected status is
written from the rule: a required text that is empty, blank, too long or carries control characters is
refused; optional filters left empty mean "no filter"; emoji and mixed scripts are text like any other
(searches that find no searchable word in them say so; a suggestion then is simply empty).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from domain.values import Role
from tests.support import auth, client_for, receive_body

CLERK = auth(Role.window_clerk)
OFFICER = auth(Role.duty_officer)
ANALYST = auth(Role.analyst)
CJK = re.compile(r"[\u4e00-\u9fff]")

LONG = "噪音扰民" * 8_500 + "x" * 100  # 100 KB of UTF-8 in a request body
INPUTS = {
    "empty": "",
    "blank": "   ",
    "100kb": LONG,
    "emoji": "😀🙁🎉",
    "mixed": "WiFi信号差 сигнал плохой مرحبا 🙁 ABC123",
    "nul": "a\x00b",
    "control": "a\x07b",
}
ENDPOINTS = ("search", "suggest", "case_search", "entry", "case", "intake", "topics", "repeat_rate")
# input → expected status per endpoint, in ENDPOINTS order
EXPECTED: dict[str, tuple[int, ...]] = {
    "empty": (422, 422, 200, 422, 422, 422, 200, 200),
    "blank": (422, 200, 200, 422, 422, 422, 200, 200),
    # in a query string (5,000 characters, 45 KB percent-encoded): over the query limit, 413 before any route
    "100kb": (413, 413, 413, 422, 422, 422, 413, 413),
    "emoji": (422, 200, 422, 201, 201, 201, 200, 200),
    "mixed": (200, 200, 200, 201, 201, 201, 200, 200),
    "nul": (422, 422, 422, 422, 422, 422, 422, 422),
    "control": (422, 422, 422, 422, 422, 422, 422, 422),
}


@pytest.fixture(params=["sqlite", "postgresql"])
def client(request: pytest.FixtureRequest) -> Iterator[TestClient]:
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")
    with client_for(url) as c:
        yield c


def resolved(client: TestClient) -> str:
    made = client.post("/v1/complaints", json=receive_body(), headers=CLERK).json()
    client.post(f"/v1/complaints/{made['id']}/classify", json={"classification": "general"}, headers=CLERK)
    r = client.post(f"/v1/complaints/{made['id']}/resolve", json={"result": "已处理"}, headers=CLERK)
    assert r.status_code == 200, r.text
    return str(made["id"])


def call(client: TestClient, endpoint: str, value: str, source: str) -> Any:
    query = value[:5_000]  # a query string holds less than a body (5,000 characters are still over every limit)
    requests = {
        "search": lambda: client.get("/v1/knowledge", params={"q": query}, headers=CLERK),
        "suggest": lambda: client.get("/v1/knowledge/suggest", params={"text": query}, headers=CLERK),
        "case_search": lambda: client.get("/v1/cases", params={"q": query}, headers=ANALYST),
        "entry": lambda: client.post("/v1/knowledge", json={"question": value, "answer": value}, headers=CLERK),
        "case": lambda: client.post(
            "/v1/cases", json={"complaint_ids": [source], "title": value, "details": value}, headers=OFFICER
        ),
        "intake": lambda: client.post("/v1/complaints", json=receive_body(content=value), headers=CLERK),
        "topics": lambda: client.get("/v1/insights/topics", params={"category": query}, headers=ANALYST),
        "repeat_rate": lambda: client.get("/v1/insights/repeats", params={"centre": query}, headers=ANALYST),
    }
    return requests[endpoint]()


@pytest.mark.parametrize("kind", sorted(INPUTS))
def test_odd_text_is_a_clear_422_or_a_sensible_answer(client: TestClient, kind: str) -> None:
    source = resolved(client)
    got = {}
    for endpoint, expected in zip(ENDPOINTS, EXPECTED[kind], strict=True):
        r = call(client, endpoint, INPUTS[kind], source)
        got[endpoint] = r.status_code
        if r.status_code in (413, 422):
            assert r.headers["content-type"].startswith("application/problem+json"), (endpoint, r.text)
            assert CJK.search(r.json()["detail"]), (endpoint, r.json())  # said in Chinese
        elif r.status_code in (200, 201):
            assert r.headers["content-type"].startswith("application/json"), (endpoint, r.text)
        if endpoint == "suggest" and r.status_code == 200 and kind in ("blank", "emoji"):
            assert r.json() == {"items": []}  # nothing searchable said: no suggestion, not an error
        if endpoint == "topics" and r.status_code == 200:
            assert isinstance(r.json()["topics"], list)
        assert r.status_code == expected, (kind, endpoint, r.status_code, r.text[:300])
    assert 500 not in got.values()
