"""The request log of a real ``yousu serve`` process: one JSON line per request, never personal information.

Each request line carries ``request_id``, ``status`` and ``duration_ms``; the complainant's name,
phone and ID number appear nowhere on stderr — not for accepted intakes, not for reads that
return them in clear, and not for rejected (401/422) requests that carried them.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from api.schemas import valid_id_number
from tests.e2e.conftest import Server
from tests.support import auth, receive_body

NAME = "欧阳明华"
PHONE = "13987654321"
ID_NUMBER = "440305198807161232"  # GB 11643 check character correct
BAD_ID_NUMBER = "440305198807161230"  # same digits, wrong check character
BAD_PHONE = "1398765432x"
PII = [NAME, PHONE, ID_NUMBER, BAD_ID_NUMBER, BAD_PHONE]


def intake(**complainant: Any) -> dict[str, Any]:
    person = {"type": "person", "name": NAME, "phone": PHONE, "id_number": ID_NUMBER, **complainant}
    return receive_body(content="社保转移接续被退回三次", category="social_security", complainant=person)


def test_ids_are_well_formed() -> None:
    assert valid_id_number(ID_NUMBER)
    assert not valid_id_number(BAD_ID_NUMBER)


def test_request_lines_carry_id_status_duration_and_no_personal_information(server: Server) -> None:
    sent: list[tuple[str, int, httpx.Response]] = []  # (request id, expected status, response)

    with httpx.Client(base_url=server.base_url, timeout=15.0) as http:

        def call(
            method: str, url: str, expected: int, *, role: str | None = "window_clerk", **kw: Any
        ) -> httpx.Response:
            rid = f"req-{uuid.uuid4().hex[:16]}"
            hdrs = {"X-Request-ID": rid, **(auth(role) if role else {}), **kw.pop("headers", {})}
            r = http.request(method, url, headers=hdrs, **kw)
            assert r.status_code == expected, r.text
            assert r.headers["x-request-id"] == rid
            sent.append((rid, expected, r))
            return r

        created = call("POST", "/v1/complaints", 201, json=intake())
        cid = created.json()["id"]
        # reads that return the personal information in clear (clerk, liaison)
        state = call("GET", f"/v1/complaints/{cid}", 200)
        assert state.json()["complainant"]["id_number"] == ID_NUMBER
        call("GET", f"/v1/complaints/{cid}/history", 200, role="liaison")
        # rejected requests that carried personal information
        bad_id = call("POST", "/v1/complaints", 422, json=intake(id_number=BAD_ID_NUMBER))
        bad_phone = call("POST", "/v1/complaints", 422, json=intake(phone=BAD_PHONE))
        unknown = call("POST", "/v1/complaints", 422, json={**intake(), "category": "no_such_category"})
        extra = call("POST", "/v1/complaints", 422, json={**intake(), "remark": f"{NAME} {PHONE}"})
        query = call("GET", f"/v1/complaints/{cid}", 422, params={"as_of": NAME})
        call("POST", "/v1/complaints", 401, role=None, json=intake())
        call("POST", "/v1/complaints", 403, role="analyst", json=intake())
        for rejected in (bad_id, bad_phone, unknown, extra, query):
            assert rejected.headers["content-type"].startswith("application/problem+json")
            assert not [p for p in PII if p in rejected.text], "a 422 names the field, never echoes the value"
        assert {e["field"] for e in bad_id.json()["errors"]} == {"complainant.id_number"}
        assert {e["field"] for e in bad_phone.json()["errors"]} == {"complainant.phone"}

        # without an X-Request-ID the service makes one and answers it
        r = http.get(f"/v1/complaints/{cid}", headers=auth("duty_leader"))
        assert r.status_code == 200
        generated = r.headers["x-request-id"]
        assert len(generated) >= 16

    for rid, expected, _ in sent:
        line = server.request_log(rid)
        assert line["status"] == expected
        assert isinstance(line["duration_ms"], int | float)
        assert line["duration_ms"] >= 0
        assert line["logger"] == "yousu.http"
        assert line["method"] in ("GET", "POST")
        assert line["path"].startswith("/v1/")
    line = server.request_log(generated)
    assert line["status"] == 200
    assert line["complaint_id"] == cid
    assert line["actor"] == "duty_leader-1"
    assert server.request_log(sent[0][0])["actor"] == "window_clerk-1"

    log = server.stderr()
    leaked = [p for p in PII if p in log]
    assert not leaked, f"personal information in the log: {leaked}"
    # and not in an escaped form either (json.dumps with ensure_ascii would write \\uXXXX)
    assert NAME.encode("unicode_escape").decode() not in log


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_health_requests_are_logged_too(server: Server, path: str) -> None:
    rid = f"health-{uuid.uuid4().hex[:12]}"
    r = httpx.get(f"{server.base_url}{path}", headers={"X-Request-ID": rid}, timeout=10.0)
    assert r.status_code == 200
    line = server.request_log(rid)
    assert line["status"] == 200
    assert line["path"] == path
    assert "actor" not in line
