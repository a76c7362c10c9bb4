"""`?version=N` and `?as_of=<instant>` equal the state folded from the events up to that point."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.auth import Principal
from api.presenters import complaint_out
from domain.complaint import Complaint
from domain.values import Role
from tests.support import auth, client_for, receive_body

CLERK = auth(Role.window_clerk)
COMMANDS: list[tuple[str, dict[str, Any], dict[str, str]]] = [
    ("classify", {"classification": "general"}, CLERK),
    ("classify", {"classification": "hard_to_do"}, CLERK),
    ("sign", {}, auth(Role.duty_officer)),
    ("sign", {}, auth(Role.duty_leader)),
    ("dispatch", {"departments": ["housing"], "supervisor": "督办"}, auth(Role.duty_leader)),
    ("consult", {"conclusion": "会商"}, auth(Role.duty_leader)),
    ("resolve", {"result": "办结"}, CLERK),
    ("resolve", {"result": "办结"}, auth(Role.department, department="housing")),
    ("feedback", {"method": "phone"}, CLERK),
    ("callback", {"rating": 2}, CLERK),
    ("callback", {"rating": 5}, CLERK),
]
READER = Principal(sub="liaison-1", name="联络员", roles=frozenset({Role.liaison}))


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    db: Path = tmp_path_factory.mktemp("tt") / "yousu.db"
    with client_for(f"sqlite:///{db}") as c:
        yield c


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.sampled_from(range(len(COMMANDS))), min_size=1, max_size=14))
def test_version_and_as_of_equal_the_fold(client: TestClient, steps: list[int]) -> None:
    cid = client.post("/v1/complaints", json=receive_body(), headers=CLERK).json()["id"]
    for i in steps:
        verb, body, headers = COMMANDS[i]
        # 404: a department handler before the complaint is dispatched to it
        status = client.post(f"/v1/complaints/{cid}/{verb}", json=body, headers=headers).status_code
        assert status in (200, 403, 404, 409)
    app = client.app.state.container.complaints  # type: ignore[attr-defined]
    events = list(app.events.get(UUID(cid)))
    liaison = auth(Role.liaison)
    folded: Complaint | None = None
    for event in events:
        folded = event.mutate(folded)
        assert folded is not None
        expected = complaint_out(folded, READER).model_dump(mode="json")
        by_version = client.get(f"/v1/complaints/{cid}", params={"version": event.originator_version}, headers=liaison)
        assert by_version.json() == expected
        by_instant = client.get(f"/v1/complaints/{cid}", params={"as_of": event.timestamp.isoformat()}, headers=liaison)
        assert by_instant.json() == expected
