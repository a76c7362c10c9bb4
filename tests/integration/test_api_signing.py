"""审核签字 over HTTP: the signature given is the token's one signer role, or the one named in ``as``; never guessed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.auth import mint_token
from domain.values import Role
from tests.support import CST, SECRET, auth, client_for, receive_body

CLERK = auth(Role.window_clerk)


def both_roles() -> dict[str, str]:
    """A token holding both signer roles (a small hall where one person is officer and leader)."""
    t = mint_token(
        secret=SECRET,
        sub="both-1",
        name="值班兼带班",
        roles=[Role.duty_officer, Role.duty_leader],
        department=None,
        now=datetime.now(tz=CST),
    )
    return {"Authorization": f"Bearer {t}"}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    db = tmp_path_factory.mktemp("signing") / "yousu.db"
    with client_for(f"sqlite:///{db}") as c:
        yield c


def classified(client: TestClient) -> str:
    cid: str = client.post("/v1/complaints", json=receive_body(), headers=CLERK).json()["id"]
    r = client.post(f"/v1/complaints/{cid}/classify", json={"classification": "hard_to_do"}, headers=CLERK)
    assert r.status_code == 200, r.text
    return cid


def sign(client: TestClient, cid: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
    return client.post(f"/v1/complaints/{cid}/sign", json=body, headers=headers)


def signer_roles(client: TestClient, cid: str) -> list[str]:
    events = client.get(f"/v1/complaints/{cid}/history", headers=auth(Role.liaison)).json()["events"]
    return [e["payload"]["signer_role"] for e in events if e["type"] == "Signed"]


def test_both_roles_without_as_is_422_naming_as(client: TestClient) -> None:
    cid = classified(client)
    r = sign(client, cid, {"opinion": "同意"}, both_roles())
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "invalid_input"
    assert [e["field"] for e in r.json()["errors"]] == ["as"]
    assert signer_roles(client, cid) == []  # nothing signed


def test_both_roles_sign_as_named_each_in_turn(client: TestClient) -> None:
    cid = classified(client)
    r = sign(client, cid, {"opinion": "情况属实", "as": "duty_officer"}, both_roles())
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "officer_signed"
    # naming the officer again is refused by the workflow, never turned into the leader's signature
    assert sign(client, cid, {"as": "duty_officer"}, both_roles()).json()["code"] == "already_signed"
    # separation of duties: the same person (sub) cannot give the leader's signature too
    r = sign(client, cid, {"opinion": "同意", "as": "duty_leader"}, both_roles())
    assert r.status_code == 409, r.text
    assert r.json()["code"] == "same_signer"
    r = sign(client, cid, {"opinion": "同意", "as": "duty_leader"}, auth(Role.duty_leader))
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "signed"
    assert signer_roles(client, cid) == ["duty_officer", "duty_leader"]


def test_leader_named_first_is_refused_by_the_workflow(client: TestClient) -> None:
    cid = classified(client)
    r = sign(client, cid, {"as": "duty_leader"}, both_roles())
    assert r.status_code == 409
    assert r.json()["code"] == "officer_signature_missing"


@pytest.mark.parametrize(("role", "named"), [(Role.duty_officer, "duty_leader"), (Role.duty_leader, "duty_officer")])
def test_naming_a_role_not_held_is_403(client: TestClient, role: Role, named: str) -> None:
    cid = classified(client)
    r = sign(client, cid, {"as": named}, auth(role))
    assert r.status_code == 403
    assert r.json()["code"] == "forbidden"


def test_one_signer_role_signs_as_it_with_or_without_as(client: TestClient) -> None:
    cid = classified(client)
    assert sign(client, cid, {}, auth(Role.duty_officer)).json()["status"] == "officer_signed"
    assert sign(client, cid, {"as": "duty_leader"}, auth(Role.duty_leader)).json()["status"] == "signed"
    assert signer_roles(client, cid) == ["duty_officer", "duty_leader"]


@pytest.mark.parametrize("named", [None, "duty_officer"])
def test_non_signers_are_403(client: TestClient, named: str | None) -> None:
    cid = classified(client)
    body = {} if named is None else {"as": named}
    for role in (Role.window_clerk, Role.supervisor, Role.admin):
        assert sign(client, cid, body, auth(role)).status_code == 403


def test_unknown_as_is_422(client: TestClient) -> None:
    cid = classified(client)
    r = sign(client, cid, {"as": "admin"}, both_roles())
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "as"
