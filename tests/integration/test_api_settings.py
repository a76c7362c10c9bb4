"""Configured satisfaction levels reach /v1/metrics, which says what it counted (issue 12 point 6)."""

from __future__ import annotations

from pathlib import Path

import pytest

from domain.values import Role
from tests.support import auth, client_for, receive_body

CLERK = auth(Role.window_clerk)


@pytest.mark.parametrize(("configured", "satisfied"), [(None, 1), ("4,5", 0)])
def test_a_rating_of_3_counts_as_satisfied_only_when_configured(
    tmp_path: Path, configured: str | None, satisfied: int
) -> None:
    overrides = {"satisfied_ratings": configured} if configured else {}
    with client_for(f"sqlite:///{tmp_path / 'm.db'}", **overrides) as client:
        cid = client.post("/v1/complaints", json=receive_body(), headers=CLERK).json()["id"]
        for verb, body in (
            ("classify", {"classification": "general"}),
            ("resolve", {"result": "当场解答"}),
            ("feedback", {"method": "phone"}),
            ("callback", {"rating": 3}),
        ):
            r = client.post(f"/v1/complaints/{cid}/{verb}", json=body, headers=CLERK)
            assert r.status_code == 200, r.text
        after = r.json()["notification_id"]
        body = client.get(f"/v1/metrics?after={after}", headers=auth(Role.analyst)).json()
    assert body["satisfied_ratings"] == ([3, 4, 5] if configured is None else [4, 5])
    assert body["bad_ratings"] == [1, 2]
    assert body["escalation_levels"] == [1, 2]
    [group] = body["groups"]
    assert (group["rates"]["satisfaction"]["numerator"], group["rates"]["satisfaction"]["denominator"]) == (
        satisfied,
        1,
    )
