"""What a 422 says: each missing field once (a body checked against two shapes reported every field twice),
too-long text as 内容过长 with its limit, too many items as 条目过多 — on a real SQLite file."""

from __future__ import annotations

from datetime import datetime

from application.clock import SettableClock
from domain.values import Role
from tests.conftest import CST
from tests.support import auth, client_for, receive_body

CLERK, OFFICER = auth(Role.window_clerk), auth(Role.duty_officer)


def test_validation_messages(sqlite_url: str) -> None:
    with client_for(sqlite_url, SettableClock(datetime(2025, 9, 26, 10, 0, tzinfo=CST))) as client:
        r = client.post("/v1/complaints", json={"complainant": {}}, headers=CLERK)
        assert r.status_code == 422
        fields = [e["field"] for e in r.json()["errors"]]
        assert sorted(fields) == ["category", "channel", "complainant.name", "complainant.phone", "content"]
        assert {e["detail"] for e in r.json()["errors"]} == {"必填"}

        r = client.post("/v1/complaints", json={**receive_body(), "content": "长" * 10_001}, headers=CLERK)
        assert r.status_code == 422
        assert r.json()["errors"] == [{"field": "content", "label": "诉求内容", "detail": "内容过长（至多 10000 字）"}]
        assert "长长" not in r.text  # the text is not echoed

        r = client.post(
            "/v1/cases", json={"complaint_ids": [], "title": "案例", "steps": ["步骤"] * 51}, headers=OFFICER
        )
        assert r.status_code == 422
        assert {"field": "steps", "label": "办理步骤", "detail": "条目过多（至多 50 项）"} in r.json()["errors"]
