"""The segmenter and the meaning vectors load at start-up: a fresh ``yousu serve`` says ready only once they are
loaded, and its very first writes — a complaint, then a 指导案例 — are answered, not 503."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from domain.values import Role
from tests.e2e.conftest import Server
from tests.support import auth, receive_body


def ok(r: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert r.status_code == status, r.text
    out: dict[str, Any] = r.json()
    return out


def test_first_case_after_start_is_not_a_503(sqlite_url: str, server_factory: Callable[..., Server]) -> None:
    server = server_factory(sqlite_url)
    with httpx.Client(base_url=server.base_url, timeout=30) as http:
        ready = http.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert ready.json()["meaning"] == "loaded"
        clerk = auth(Role.window_clerk)
        made = ok(
            http.post(
                "/v1/complaints", json=receive_body(content="公司换了法人，执照变更登记一直说材料不全"), headers=clerk
            ),
            201,
        )
        ok(http.post(f"/v1/complaints/{made['id']}/classify", json={"classification": "general"}, headers=clerk))
        ok(http.post(f"/v1/complaints/{made['id']}/resolve", json={"result": "已当场办结变更登记。"}, headers=clerk))
        body = {"complaint_ids": [made["id"]], "title": "执照变更当场办结", "conclusion": "群众满意"}
        ok(http.post("/v1/cases", json=body, headers=auth(Role.duty_officer)), 201)
