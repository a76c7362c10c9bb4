"""The console's tests read each role's actions from a fixture: it must be the permission matrix's answer."""

from __future__ import annotations

import json
from pathlib import Path

from api.permissions import actions_of
from domain.values import Role

FIXTURE = Path(__file__).parents[2] / "console" / "tests" / "fixtures" / "actions-by-role.json"


def test_the_console_fixture_is_the_permission_matrix() -> None:
    fixture = json.loads(FIXTURE.read_text(encoding="utf-8"))
    expected = {r.value: [a.value for a in actions_of(frozenset({r}))] for r in Role if r is not Role.system}
    assert fixture == expected, "regenerate console/tests/fixtures/actions-by-role.json from api.permissions"


def test_a_window_clerk_may_receive_and_not_dispatch() -> None:
    clerk = {a.value for a in actions_of(frozenset({Role.window_clerk}))}
    assert "receive" in clerk
    assert "dispatch" not in clerk
