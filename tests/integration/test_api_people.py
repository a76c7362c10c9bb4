"""GET /v1/people: the names and user ids of one's centre's enabled accounts, for the console's pickers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from domain.values import Role
from tests.support import auth, client_for

PASSWORD = "人员名单-口令-2025-秋"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    db: Path = tmp_path_factory.mktemp("people") / "yousu.db"
    with client_for(f"sqlite:///{db}") as c:
        accounts = c.app.state.container.accounts  # type: ignore[attr-defined]  # made by the composition root
        accounts.add(username="wangdu", name="王督", roles=[Role.supervisor], password=PASSWORD)
        accounts.add(username="lihui", name="李回", roles=[Role.callback_agent], password=PASSWORD)
        accounts.add(username="zhaojie", name="赵街", roles=[Role.supervisor], password=PASSWORD, centre="jiefang")
        accounts.add(username="sunting", name="孙停", roles=[Role.supervisor], password=PASSWORD)
        accounts.set_disabled("sunting", disabled=True)
        yield c


def names(client: TestClient, headers: dict[str, str], query: str = "") -> list[str]:
    r = client.get(f"/v1/people{query}", headers=headers)
    assert r.status_code == 200, r.text
    return [p["name"] for p in r.json()]


def test_a_duty_officer_lists_the_supervisors_of_her_centre_only(client: TestClient) -> None:
    officer = auth(Role.duty_officer, centre="district")
    # the district hall's officer signs for the street centres (signed_by) and sees every centre, as its
    # leader does: the street centre's supervisor too; never the disabled
    assert names(client, officer, "?role=supervisor") == ["王督", "赵街"]
    assert names(client, auth(Role.duty_officer, centre="jiefang"), "?role=supervisor") == ["赵街"]


def test_call_back_agents_by_role_with_their_user_ids_and_no_phone(client: TestClient) -> None:
    r = client.get("/v1/people?role=callback_agent", headers=auth(Role.duty_leader, centre="jiefang"))
    assert r.status_code == 200, r.text
    assert r.json() == []  # 李回 belongs to the district hall
    r = client.get("/v1/people?role=callback_agent", headers=auth(Role.duty_officer))
    assert r.json() == [{"sub": "local:lihui", "name": "李回", "roles": ["callback_agent"]}]


def test_the_district_hall_leader_sees_every_centre(client: TestClient) -> None:
    assert set(names(client, auth(Role.duty_leader), "?role=supervisor")) == {"王督", "赵街"}


def test_others_are_refused_and_a_bad_role_is_a_422(client: TestClient) -> None:
    r = client.get("/v1/people", headers=auth(Role.window_clerk))
    assert r.status_code == 403
    assert "本中心人员名单" in r.json()["detail"]
    assert client.get("/v1/people?role=nobody", headers=auth(Role.duty_officer)).status_code == 422
