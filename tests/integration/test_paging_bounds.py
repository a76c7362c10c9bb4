"""Every list route's offset and limit are bounded: out-of-range values are a Chinese 422 problem, never a 500.

The routes are read from the OpenAPI schema, so a new list route is covered without being named here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient

from domain.values import Role
from tests.support import auth, client_for

PAGING = ("offset", "limit")
# past bigint, past what the database takes, negative, zero where a page needs one row, not an integer
BAD = {
    "offset": ["1e20", str(2**63), "100000000000000000000", "-1", "1.5", "abc"],
    "limit": ["1e20", str(2**63), "0", "-5", "1.5", "abc"],
}
CHINESE = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with client_for(f"sqlite:///{tmp_path_factory.mktemp('paging') / 'yousu.db'}") as c:
        yield c


def _paged_operations(schema: dict[str, Any]) -> list[tuple[str, str, list[dict[str, Any]]]]:
    found = []
    for path, item in schema["paths"].items():
        for method, op in item.items():
            params = [p for p in op.get("parameters", []) if p["in"] == "query" and p["name"] in PAGING]
            if params:
                found.append((method.upper(), path, params))
    return found


def _url(path: str) -> str:
    return re.sub(r"\{[^}]+\}", str(uuid4()), path)


def _permitted_headers(client: TestClient, method: str, url: str) -> dict[str, str]:
    """A role's token that the route lets past authentication and permission (with a valid page)."""
    for role in Role:
        if role is Role.system:
            continue
        headers = auth(role)
        if client.request(method, url, params={"limit": "1"}, headers=headers).status_code not in (401, 403):
            return headers
    pytest.fail(f"no role may call {method} {url}")


def test_every_paging_parameter_declares_its_bounds(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    operations = _paged_operations(schema)
    assert len(operations) >= 10, operations  # the worklist, ledger, orders, call-backs, inboxes, …
    for method, path, params in operations:
        for p in params:
            s = p["schema"]
            assert s.get("type") == "integer", (method, path, p)
            assert "maximum" in s, f"{method} {path}: {p['name']} has no upper bound"
            assert s["maximum"] <= 1_000_000, (method, path, p)
            assert s.get("minimum") == (0 if p["name"] == "offset" else 1), (method, path, p)


def test_out_of_range_paging_is_a_chinese_422_on_every_list_route(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    checked = 0
    for method, path, params in _paged_operations(schema):
        url = _url(path)
        headers = _permitted_headers(client, method, url)
        for p in params:
            for value in BAD[p["name"]]:
                r = client.request(method, url, params={p["name"]: value}, headers=headers)
                where = f"{method} {path}?{p['name']}={value}"
                assert r.status_code == 422, (where, r.status_code, r.text[:300])
                assert r.headers["content-type"].startswith("application/problem+json"), where
                body = r.json()
                assert CHINESE.search(body["detail"]), (where, body)
                assert p["name"] in [e.get("field") for e in body.get("errors", [])], (where, body)
                checked += 1
    assert checked >= 100


def test_the_worklist_answers_a_huge_offset_with_422_and_the_largest_allowed_with_200(client: TestClient) -> None:
    clerk = auth(Role.window_clerk)
    r = client.get("/v1/worklist", params={"offset": "1e20"}, headers=clerk)
    assert r.status_code == 422, r.text
    assert r.json()["errors"] == [{"field": "offset", "label": "起始位置", "detail": r.json()["errors"][0]["detail"]}]
    assert client.get("/v1/worklist", params={"offset": 1_000_000}, headers=clerk).status_code == 200
    assert client.get("/v1/worklist", params={"offset": 1_000_001}, headers=clerk).status_code == 422
