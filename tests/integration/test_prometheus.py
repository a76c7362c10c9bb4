"""/metrics: counts by route template and command outcome, store gauges, no token and no personal data."""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from api.observability import command_outcome
from application.clock import SettableClock
from domain.values import Role
from tests.conftest import CST
from tests.integration.test_sweeper import dispatched_cannot_do, sweeper_of
from tests.support import auth, client_for, receive_body

CLERK = auth(Role.window_clerk, sub="clerk-007", name="王小明")
ITEM_ROUTE = "/v1/complaints/{complaint_id}"


def scrape(client: TestClient) -> tuple[str, dict[tuple[str, frozenset[tuple[str, str]]], float]]:
    """The raw exposition and its samples keyed by (name, labels)."""
    r = client.get("/metrics")  # no Authorization header: the intranet scraper has no token
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    samples = {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(r.text)
        for s in family.samples
    }
    return r.text, samples


def value(samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float:
    """One sample's value, 0 when the series does not exist yet."""
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_commands_and_requests_are_counted_by_template_and_outcome(sqlite_url: str, tmp_path: Path) -> None:
    # without the console: its fallback page would answer the unknown paths below with 200
    with client_for(sqlite_url, console_dir=tmp_path / "no-console") as client:
        _, before = scrape(client)
        cid = client.post("/v1/complaints", json=receive_body(), headers=CLERK).json()["id"]
        ok = client.post(f"/v1/complaints/{cid}/classify", json={"classification": "cannot_do"}, headers=CLERK)
        assert ok.status_code == 200
        stale = client.post(
            f"/v1/complaints/{cid}/classify",
            json={"classification": "cannot_do"},
            headers={**CLERK, "If-Match": '"1"'},
        )
        assert stale.status_code == 412
        # dispatch before both signatures: refused with the code naming what is missing
        refused = client.post(
            f"/v1/complaints/{cid}/dispatch",
            json={"departments": ["housing"], "supervisor": "sup-1"},
            headers=auth(Role.duty_leader),
        )
        assert refused.status_code == 409
        code = refused.json()["code"]
        unknown = client.post(
            f"/v1/complaints/{uuid.uuid4()}/classify", json={"classification": "general"}, headers=CLERK
        )
        assert unknown.status_code == 404
        for _ in range(2):
            assert client.get(f"/v1/complaints/{cid}", headers=CLERK).status_code == 200
        assert client.get(f"/no/such/{cid}").status_code == 404
        assert client.request("BREW", f"/no/such/{cid}").status_code == 404  # methods clients invent: one label
        after_text, after = scrape(client)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    commands = "yousu_commands_total"
    assert delta(commands, kind="receive", outcome="ok", code="") == 1
    assert delta(commands, kind="classify", outcome="ok", code="") == 1
    assert delta(commands, kind="classify", outcome="conflict", code="version_mismatch") == 1
    assert delta(commands, kind="dispatch", outcome="refused", code=code) == 1
    assert delta(commands, kind="classify", outcome="refused", code="complaint_not_found") == 1
    requests = "yousu_http_requests_total"
    assert delta(requests, method="POST", route="/v1/complaints", status="201") == 1
    assert delta(requests, method="POST", route=ITEM_ROUTE + "/classify", status="412") == 1
    assert delta(requests, method="GET", route=ITEM_ROUTE, status="200") == 2
    assert delta(requests, method="GET", route="unmatched", status="404") == 1
    assert delta(requests, method="other", route="unmatched", status="404") == 1
    assert "BREW" not in after_text
    assert delta("yousu_http_request_duration_seconds_count", method="GET", route=ITEM_ROUTE) == 2


def test_the_scrape_carries_no_personal_information_nor_ids(sqlite_url: str) -> None:
    body = receive_body(
        complainant={"type": "person", "name": "欧阳锋", "phone": "13987654321", "id_number": "11010519491231002X"}
    )
    with client_for(sqlite_url) as client:
        made = client.post("/v1/complaints", json=body, headers=CLERK).json()
        client.get(f"/v1/complaints/{made['id']}", headers=CLERK)
        client.post(f"/v1/complaints/{made['id']}/classify", json={"classification": "nonsense"}, headers=CLERK)
        text, _ = scrape(client)
    for secret in ("欧阳锋", "欧", "13987654321", "139****4321", "11010519491231002X", "王小明", "clerk-007"):
        assert secret not in text
    assert made["id"] not in text
    assert made["slip_no"] not in text


def test_store_gauges_report_each_views_lag_and_the_webhook_backlog(sqlite_url: str) -> None:
    with client_for(sqlite_url) as client:
        for _ in range(3):
            client.post("/v1/complaints", json=receive_body(), headers=CLERK)
        container = client.app.state.container  # type: ignore[attr-defined]
        newest = container.complaints.max_notification_id()  # nothing applied yet: every view lags by all of it
        _, behind = scrape(client)
        container.catch_up()
        _, caught_up = scrape(client)
    assert value(behind, "yousu_store_up") == 1
    for view in ("ledger", "sla", "metrics", "inbox"):
        assert value(behind, "yousu_projection_lag_events", view=view) == newest >= 3
        assert value(caught_up, "yousu_projection_lag_events", view=view) == 0
    assert value(caught_up, "yousu_webhook_backlog") == 0  # no webhook configured: nothing queued


def test_escalations_raised_are_counted(pg_url: str) -> None:
    clock = SettableClock(datetime(2025, 9, 26, 10, 0, tzinfo=CST))
    with client_for(pg_url, clock) as client:
        _, before = scrape(client)
        dispatched_cannot_do(client)
        sweeper = sweeper_of(client)
        clock.set(datetime(2025, 9, 28, 17, 31, tzinfo=CST))  # the 办不了 deadline (调休 Sunday 17:30) passed
        assert sweeper.sweep().raised == 1
        assert sweeper.sweep().raised == 0  # once per clock and level
        _, after = scrape(client)
    assert value(after, "yousu_store_up") == 1
    assert value(after, "yousu_webhook_backlog") == 0  # no webhook configured: its tables do not even exist
    labels = {"clock": "resolution", "level": "1"}
    assert (
        value(after, "yousu_escalations_raised_total", **labels)
        - value(before, "yousu_escalations_raised_total", **labels)
        == 1
    )


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (200, None, ("ok", "")),
        (201, None, ("ok", "")),
        (409, "concurrent_change", ("conflict", "concurrent_change")),
        (412, "version_mismatch", ("conflict", "version_mismatch")),
        (409, "leader_signature_missing", ("refused", "leader_signature_missing")),
        (403, "forbidden", ("refused", "forbidden")),
        (413, None, ("refused", "body_too_large")),
        (503, "store_unavailable", ("unavailable", "store_unavailable")),
        (503, None, ("unavailable", "store_unavailable")),
        (500, None, ("error", "internal_error")),
    ],
)
def test_command_outcomes(status: int, code: str | None, expected: tuple[str, str]) -> None:
    assert command_outcome(status, code) == expected
