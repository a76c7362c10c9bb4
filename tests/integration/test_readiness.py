"""/readyz on PostgreSQL: 503 "not ready", naming the views, while any view lags by more than YOUSU_READY_MAX_LAG."""

from __future__ import annotations

import pytest

from domain.values import Role
from tests.support import auth, client_for, receive_body

MAX_LAG = 10
# every registered view: the complaint views, the 未诉先办 views, orders and call-backs
VIEWS = {"ledger", "sla", "metrics", "inbox", "orders", "callbacks", "demand", "hotline", "repeats", "topics"}


@pytest.mark.postgres
def test_readyz_is_not_ready_while_views_lag_beyond_the_limit(pg_url: str) -> None:
    clerk = auth(Role.window_clerk)
    with client_for(pg_url, ready_max_lag=MAX_LAG) as client:  # no background: the views move only when told
        container = client.app.state.container  # type: ignore[attr-defined]
        assert client.get("/readyz").status_code == 200  # empty store: nothing to lag behind
        while container.complaints.max_notification_id() <= MAX_LAG:
            assert client.post("/v1/complaints", json=receive_body(), headers=clerk).status_code == 201
        newest = container.complaints.max_notification_id()

        r = client.get("/readyz")
        assert r.status_code == 503
        assert r.headers["Retry-After"]
        body = r.json()
        assert body["status"] == "not ready"
        assert body["store"] == "ok"
        assert body["views_lagging"] == dict.fromkeys(VIEWS, newest)
        assert all(view in body["detail"] for view in VIEWS)
        assert str(MAX_LAG) in body["detail"]

        container.catch_up()
        r = client.get("/readyz")
        assert r.status_code == 200
        assert r.json()["status"] == "ready"
        assert r.json()["views_lag"] == dict.fromkeys(VIEWS, 0)

        # behind, but by no more than the limit: still ready
        assert client.post("/v1/complaints", json=receive_body(), headers=clerk).status_code == 201
        behind = container.complaints.max_notification_id() - newest
        assert 0 < behind <= MAX_LAG
        r = client.get("/readyz")
        assert r.status_code == 200
        assert r.json()["views_lag"] == dict.fromkeys(VIEWS, behind)
        assert "views_lagging" not in r.json()
