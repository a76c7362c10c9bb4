"""谁能看到什么, for every route: the OpenAPI schema walked with two centres' data — the district hall and 解放路
street centre of ops/reference.toml — as every role, by bearer token and by console session.

A route fails when it answers with another centre's data (an id or slip number of what the caller may not see,
in any answer), when it accepts another centre's id (in the path or in the body) or answers it differently from an
unknown id, or when it declares no scope (``x-scope``, from ``api.scope.ROUTE_SCOPES``). A new route therefore
fails here until it declares its scope and, when it takes ids, an example body below.

The expectations are written here from the rule, not read from ``api.scope``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.auth import mint_token
from application.clock import SettableClock
from domain.values import Role
from tests.conftest import CST
from tests.support import SECRET, auth, client_for, hotline_body, receive_body

D, S = "district", "jiefang"  # the district hall and a street centre (ops/reference.toml)
CENTRES = (D, S)
FRIDAY = datetime(2025, 9, 26, 10, 0, tzinfo=CST)
PASSWORD = "范围测试-口令-2025"
DEPARTMENT = "market"  # the department handler's department; complaints "dispatched" were sent to it

# ---------------------------------------------------------------------------------------- the expectation
# Role × the token's (or account's) centre → whose data the caller sees: the district hall's, the street centre's,
# or (a department handler) only what was dispatched to their department, from any centre.
SEES: dict[tuple[str, str], frozenset[str]] = {
    ("window_clerk", D): frozenset({D}),
    ("window_clerk", S): frozenset({S}),
    ("duty_officer", D): frozenset({D, S}),  # the district hall's duty officer signs for the street centres
    ("duty_officer", S): frozenset({S}),
    ("duty_leader", D): frozenset({D, S}),  # the district hall's duty leader leads the district
    ("duty_leader", S): frozenset({S}),
    ("supervisor", D): frozenset({D}),
    ("supervisor", S): frozenset({S}),
    ("callback_agent", D): frozenset({D}),
    ("callback_agent", S): frozenset({S}),
    ("department", D): frozenset({"dispatched"}),
    ("department", S): frozenset({"dispatched"}),
    ("liaison", D): frozenset({D, S}),
    ("liaison", S): frozenset({D, S}),
    ("analyst", D): frozenset({D, S}),
    ("analyst", S): frozenset({D, S}),
    ("admin", D): frozenset({D, S}),
    ("admin", S): frozenset({D, S}),
    ("hotline", D): frozenset({D, S}),
    ("hotline", S): frozenset({D, S}),
}
PRINCIPALS = sorted(SEES)


@dataclass(frozen=True)
class Thing:
    """Something of one centre the walk looks for in answers: its id or slip number (``text``)."""

    kind: str  # complaint | proactive | order | case | plan
    centre: str
    text: str
    dispatched: bool = False  # a complaint dispatched to DEPARTMENT


def sees(principal: tuple[str, str], thing: Thing) -> bool:
    """The rule: a department handler sees what was dispatched to it; everyone else the centres in SEES."""
    seen = SEES[principal]
    if "dispatched" in seen:
        return thing.dispatched
    return thing.centre in seen


# ---------------------------------------------------------------------------------------- example requests
# A valid body for every route taking one (a new route with a body must add one here).
BODIES: dict[str, dict[str, Any]] = {
    "POST /v1/accounts/{username}/disable": {},
    "POST /v1/accounts/{username}/enable": {},
    "POST /v1/accounts/{username}/roles": {"roles": ["window_clerk"]},
    "POST /v1/accounts/{username}/reset-password": {"password": "范围测试-新口令-2025"},
    "POST /v1/complaints/{complaint_id}/classify": {"classification": "general"},
    "POST /v1/complaints/{complaint_id}/reclassify": {"classification": "general", "reason": "范围测试"},
    "POST /v1/complaints/{complaint_id}/sign": {},
    "POST /v1/complaints/{complaint_id}/dispatch": {"departments": [DEPARTMENT], "supervisor": "sup-1"},
    "POST /v1/complaints/{complaint_id}/consult": {"conclusion": "范围测试"},
    "POST /v1/complaints/{complaint_id}/resolve": {"result": "范围测试"},
    "POST /v1/complaints/{complaint_id}/feedback": {"method": "phone"},
    "POST /v1/complaints/{complaint_id}/callback": {"rating": 5},
    "POST /v1/complaints/{complaint_id}/on-the-spot": {"result": "范围测试"},
    "POST /v1/complaints/{complaint_id}/rating-appeal": {"reason": "范围测试"},
    "POST /v1/complaints/{complaint_id}/rating-appeal/decision": {"upheld": False, "opinion": "范围测试"},
    "POST /v1/complaints/{complaint_id}/handler": {"handler_id": "department@district", "handler_name": "范围"},
    "POST /v1/complaints/{complaint_id}/merge": {"master_id": "", "reason": "范围测试"},
    "POST /v1/complaints/{complaint_id}/unmerge": {"reason": "范围测试"},
    "POST /v1/complaints/{complaint_id}/return": {"reason": "范围测试"},
    "POST /v1/complaints/{complaint_id}/redispatch": {"departments": [DEPARTMENT]},
    "POST /v1/complaints/{complaint_id}/insist": {"opinion": "范围测试"},
    "POST /v1/complaints/{complaint_id}/extension": {"days": 3, "reason": "范围测试"},
    "POST /v1/complaints/{complaint_id}/extension/approve": {},
    "POST /v1/complaints/{complaint_id}/extension/refuse": {"reason": "范围测试"},
    "POST /v1/complaints/{complaint_id}/pause": {"reason": "范围测试"},
    "POST /v1/complaints/{complaint_id}/resume": {},
    "POST /v1/knowledge/{entry_id}/revise": {"question": "范围测试？", "answer": "范围测试。"},
    "POST /v1/knowledge/{entry_id}/retire": {"reason": "范围测试"},
    "POST /v1/knowledge/{entry_id}/used": {"complaint_id": ""},
    "POST /v1/cases": {"title": "范围测试", "complaint_ids": [""]},
    "POST /v1/cases/{case_id}/revise": {"title": "范围测试"},
    "POST /v1/hotline/work-orders/{external_ref}/feedback": {"message_id": "m-1", "method": "phone"},
    "POST /v1/hotline/work-orders/{external_ref}/callback": {"message_id": "m-2", "rating": 5},
    "POST /v1/hotline/work-orders/{external_ref}/supplement": {"message_id": "m-3", "text": "范围测试"},
    "POST /v1/hotline/work-orders/{external_ref}/withdraw": {"message_id": "m-4", "reason": "范围测试"},
    "POST /v1/orders": {"unit": DEPARTMENT, "finding": {"kind": "free_text", "text": "范围测试"}, "complaint_id": ""},
    "POST /v1/orders/{order_id}/report": {"report": "范围测试"},
    "POST /v1/orders/{order_id}/accept": {},
    "POST /v1/orders/{order_id}/return": {"reason": "范围测试"},
    "POST /v1/callbacks/{complaint_id}/assign": {"agent": "agent-1"},
    "POST /v1/callbacks/{complaint_id}/attempts": {"outcome": "no_answer"},
    "POST /v1/callbacks/{complaint_id}/order": {"unit": DEPARTMENT},
    "POST /v1/insights/tidal-plan/accept": {"centre": "", "from": "2025-10-08", "to": "2025-10-10"},
}
# The fields of a body that name something of a centre, by kind; each gets another centre's value in turn.
BODY_IDS: dict[str, dict[str, str]] = {
    "POST /v1/complaints/{complaint_id}/merge": {"master_id": "complaint"},
    "POST /v1/knowledge/{entry_id}/used": {"complaint_id": "complaint"},
    "POST /v1/cases": {"complaint_ids": "complaint"},
    "POST /v1/orders": {"complaint_id": "complaint", "unit": "centre"},
    "POST /v1/callbacks/{complaint_id}/order": {"unit": "centre"},
    "POST /v1/insights/tidal-plan/accept": {"centre": "centre"},
}
# Body fields that look like ids but name nothing of a centre.
# an account's centre is where an admin (a district role) puts it, not an object looked up
NOT_IDS = {
    ("POST /v1/complaints", "centre"),
    ("POST /v1/complaints", "external_ref"),
    ("POST /v1/accounts", "centre"),
    ("POST /v1/accounts/{username}/roles", "centre"),
    # the handler is a person of the caller's own department (their user id), not an object of a centre
    ("POST /v1/complaints/{complaint_id}/handler", "handler_id"),
} | {
    (f"POST /v1/hotline/work-orders/{{external_ref}}/{verb}", "message_id")
    for verb in ("feedback", "callback", "supplement", "withdraw")
}
# Query parameters that select one centre's object (not a filter held to one's own centre): another centre's
# value is refused exactly like an unknown one.
SELECTORS: dict[str, tuple[str, str]] = {
    "GET /v1/insights/tidal-plan": ("centre", "nowhere"),
    "GET /v1/insights/tidal-plan/review": ("centre", "nowhere"),
    "GET /v1/insights/forecast": ("series", "centre:nowhere"),
}
# Values for required query parameters, and the variants each list is also asked with.
REQUIRED = {
    "complaint_id": "complaint",
    "centre": D,
    "from": "2025-09-01",
    "to": "2025-09-20",
    "working_days": "3",
    "q": "办",
    "text": "怎么办",
    "key": "topic",
}
PATH_KINDS = {
    "complaint_id": "complaint",
    "task_id": "proactive",
    "order_id": "order",
    "case_id": "case",
    "slip_no": "slip",
    "external_ref": "ref",
    "entry_id": "entry",
    "username": "account",
}
ID_NAME = re.compile(r"(_ids?|^unit|^centre)$")


# ---------------------------------------------------------------------------------------- the two centres' data


@dataclass
class World:
    client: TestClient
    things: list[Thing]
    by_kind: dict[tuple[str, str], list[str]]  # (kind, centre) → ids
    complaint_rows: list[Thing]
    entry: str
    sessions: dict[tuple[str, str], tuple[str, str]]  # principal → (session token, csrf token)
    schema: dict[str, Any]


def headers(principal: tuple[str, str]) -> dict[str, str]:
    role, centre = principal
    return auth(role, centre=centre, sub=f"{role}@{centre}", department=DEPARTMENT if role == "department" else None)


def ok(r: Any, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json()


def seed(client: TestClient) -> tuple[list[Thing], dict[tuple[str, str], list[str]], str]:
    things: list[Thing] = []
    by_kind: dict[tuple[str, str], list[str]] = {}

    def add(kind: str, centre: str, text: str, *, dispatched: bool = False, slip: str | None = None) -> None:
        things.append(Thing(kind, centre, text, dispatched))
        by_kind.setdefault((kind, centre), []).append(text)
        if slip is not None:
            things.append(Thing("slip", centre, slip, dispatched))
            by_kind.setdefault(("slip", centre), []).append(slip)

    for centre in CENTRES:
        # the street centre's complex complaints are signed and dispatched by the district hall (signed_by)
        clerk, officer = headers(("window_clerk", centre)), headers(("duty_officer", D))
        leader = headers(("duty_leader", D))

        def new(clerk: dict[str, str] = clerk) -> dict[str, Any]:
            made: dict[str, Any] = ok(client.post("/v1/complaints", json=receive_body(), headers=clerk), 201)
            return made

        received = new()
        add("complaint", centre, received["id"], slip=received["slip_no"])
        sent = new()
        cid = sent["id"]
        ok(client.post(f"/v1/complaints/{cid}/classify", json={"classification": "refused_to_do"}, headers=clerk))
        ok(client.post(f"/v1/complaints/{cid}/sign", json={}, headers=officer))
        ok(client.post(f"/v1/complaints/{cid}/sign", json={}, headers=leader))
        dispatch = {"departments": [DEPARTMENT], "supervisor": f"sup@{centre}"}
        ok(client.post(f"/v1/complaints/{cid}/dispatch", json=dispatch, headers=leader))
        add("complaint", centre, cid, dispatched=True, slip=sent["slip_no"])
        done = new()
        cid = done["id"]
        for verb, body in (
            ("classify", {"classification": "general"}),
            ("resolve", {"result": "当场办结"}),
            ("feedback", {"method": "phone"}),
        ):
            ok(client.post(f"/v1/complaints/{cid}/{verb}", json=body, headers=clerk))
        add("complaint", centre, cid, slip=done["slip_no"])
        ref = f"R-{centre}"
        hot = ok(
            client.post(
                "/v1/complaints",
                json=hotline_body(ref, centre=centre, received_at="2025-09-26T09:00:00+08:00"),
                headers=auth(Role.hotline),
            ),
            201,
        )
        add("complaint", centre, hot["id"], slip=hot["slip_no"])
        add("ref", centre, ref)
        person = {"person": {"name": "李四", "phone": "13900001111"}, "service": "办理居住证"}
        task = ok(client.post("/v1/callbacks/proactive", json=person, headers=clerk), 201)
        add("proactive", centre, task["complaint_id"])
        order = {"unit": centre, "finding": {"kind": "free_text", "text": "窗口服务"}, "complaint_id": cid}
        add("order", centre, ok(client.post("/v1/orders", json=order, headers=leader), 201)["id"])
        case = {"title": f"案例{centre}", "complaint_ids": [cid]}
        add("case", centre, ok(client.post("/v1/cases", json=case, headers=officer), 201)["id"])
    entry = ok(
        client.post(
            "/v1/knowledge", json={"question": "怎么办？", "answer": "这样办。"}, headers=auth(Role.window_clerk)
        ),
        201,
    )["id"]
    ok(client.post(f"/v1/knowledge/{entry}/publish", headers=auth(Role.duty_leader)))
    client.app.state.container.catch_up()  # type: ignore[attr-defined]
    return things, by_kind, entry


def sign_in(client: TestClient) -> dict[tuple[str, str], tuple[str, str]]:
    """A local account for every role at both centres, signed in through the console's login."""
    store = client.app.state.container.accounts  # type: ignore[attr-defined]
    sessions = {}
    for role, centre in PRINCIPALS:
        username = f"{role}.{centre}"
        department = DEPARTMENT if role == "department" else None
        store.add(
            username=username, name="范围", roles=[Role(role)], password=PASSWORD, department=department, centre=centre
        )
        r = client.post("/v1/auth/login", json={"username": username, "password": PASSWORD})
        assert r.status_code == 200, r.text
        sessions[(role, centre)] = (r.cookies["yousu_session"], r.cookies["yousu_csrf"])
        client.cookies.clear()
    return sessions


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    db = tmp_path_factory.mktemp("scope") / "yousu.db"
    with client_for(f"sqlite:///{db}", SettableClock(FRIDAY), store_timeout=60.0) as client:
        things, by_kind, entry = seed(client)
        sessions = sign_in(client)
        schema = ok(client.get("/openapi.json"))
        complaints = [t for t in things if t.kind == "complaint"]
        yield World(client, things, by_kind, complaints, entry, sessions, schema)


# ---------------------------------------------------------------------------------------- walking the schema


def operations(schema: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in schema["paths"].items():
        for method, op in item.items():
            yield method.upper(), path, op


def body_fields(schema: dict[str, Any], op: dict[str, Any]) -> set[str]:
    content = (op.get("requestBody") or {}).get("content", {}).get("application/json")
    if not content:
        return set()
    ref = content["schema"].get("$ref", "")
    return set(schema["components"]["schemas"][ref.split("/")[-1]].get("properties", {})) if ref else set()


class Caller:
    """One principal, by bearer token or by console session (with the CSRF header on writes)."""

    def __init__(self, world: World, principal: tuple[str, str], via: str) -> None:
        self.world, self.principal, self.via = world, principal, via

    def request(self, method: str, url: str, **kw: Any) -> Any:
        client = self.world.client
        if self.via == "bearer":
            hdrs = headers(self.principal)
        else:
            session, csrf = self.world.sessions[self.principal]
            hdrs = {"Cookie": f"yousu_session={session}; yousu_csrf={csrf}", "X-CSRF-Token": csrf}
        client.cookies.clear()
        return client.request(method, url, headers=hdrs, **kw)


def unseen(world: World, principal: tuple[str, str]) -> list[Thing]:
    return [t for t in world.things if not sees(principal, t)]


def leaks(world: World, principal: tuple[str, str], text: str) -> list[Thing]:
    return [t for t in unseen(world, principal) if t.text in text]


def visible_of(world: World, principal: tuple[str, str], kind: str) -> list[str]:
    return [t.text for t in world.things if t.kind == kind and sees(principal, t)]


def foreign_of(world: World, principal: tuple[str, str], kind: str) -> list[str]:
    return [t.text for t in unseen(world, principal) if t.kind == kind]


def unknown_of(kind: str) -> str:
    return {"slip": "YS-jiefang-20250926-99999", "ref": "R-nowhere", "centre": "nowhere"}.get(kind, str(uuid4()))


def fill(path: str, values: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path)


def answer(r: Any) -> tuple[int, str | None]:
    code = r.json().get("code") if r.headers.get("content-type", "").endswith("json") and r.content else None
    return r.status_code, code


def test_every_route_declares_its_scope(world: World) -> None:
    undeclared = [f"{m} {p}" for m, p, op in operations(world.schema) if "x-scope" not in op]
    assert undeclared == [], f"declare these routes' scope in api.scope.ROUTE_SCOPES: {undeclared}"


def test_every_route_taking_ids_has_an_example(world: World) -> None:
    missing = []
    for method, path, op in operations(world.schema):
        key = f"{method} {path}"
        fields = body_fields(world.schema, op)
        if method == "POST" and fields and "{" in path and key not in BODIES:
            missing.append(key)
        for name in fields:
            if ID_NAME.search(name) and (key, name) not in NOT_IDS and name not in BODY_IDS.get(key, {}):
                missing.append(f"{key}: {name}")
        for param in op.get("parameters", []):
            if param["in"] == "path" and param["name"] not in PATH_KINDS:
                missing.append(f"{key}: path {param['name']}")
            if param["in"] == "query" and param.get("required") and param["name"] not in REQUIRED:
                missing.append(f"{key}: query {param['name']}")
    assert missing == [], f"give these an example in this test: {missing}"


def the_data_is_there(world: World) -> None:
    # the walk would prove nothing if the district saw nothing: the liaison sees both centres' complaints
    r = Caller(world, ("liaison", D), "bearer").request("GET", "/v1/ledger?limit=1000")
    text = r.text
    assert all(t.text in text for t in world.complaint_rows)


@pytest.mark.parametrize("via", ["bearer", "session"])
@pytest.mark.parametrize("principal", PRINCIPALS, ids=lambda p: f"{p}")
def test_no_route_answers_with_what_the_caller_may_not_see(world: World, principal: tuple[str, str], via: str) -> None:
    """Every GET, with its lists' centre filters and path ids set to every visible thing: nothing unseen leaks."""
    the_data_is_there(world)
    caller = Caller(world, principal, via)
    found: list[str] = []
    for method, path, op in operations(world.schema):
        if method != "GET" or path in ("/openapi.json",):
            continue
        params = op.get("parameters", [])
        query = {p["name"]: REQUIRED[p["name"]] for p in params if p["in"] == "query" and p.get("required")}
        if query.get("complaint_id") == "complaint":
            query["complaint_id"] = world.complaint_rows[0].text
        names = {p["name"] for p in params if p["in"] == "query"}
        variants = [dict(query)]
        for name, values in (
            ("centre", CENTRES),
            ("unit", CENTRES),
            ("series", ("all", f"centre:{D}", f"centre:{S}", "category:market_regulation")),
            ("complaint_id", [t.text for t in world.complaint_rows]),
            ("external_ref", [f"R-{c}" for c in CENTRES]),
        ):
            if name in names:
                variants += [{**query, name: v} for v in values]
        path_params = [p["name"] for p in params if p["in"] == "path"]
        urls = [path]
        if path_params:
            urls = []
            for name in path_params:
                kind = PATH_KINDS[name]
                own = [world.entry] if kind == "entry" else visible_of(world, principal, kind)
                urls += [fill(path, {name: v}) for v in own]
        for url in urls:
            for q in variants:
                r = caller.request("GET", url, params=q)
                assert r.status_code < 500, f"{url} {q}: {r.text}"
                if r.status_code < 300:
                    found += [f"{url} {q} → {t.kind} of {t.centre}" for t in leaks(world, principal, r.text)]
    assert found == []


@pytest.mark.parametrize("via", ["bearer", "session"])
@pytest.mark.parametrize("principal", PRINCIPALS, ids=lambda p: f"{p}")
def test_another_centres_id_is_answered_as_an_unknown_one(world: World, principal: tuple[str, str], via: str) -> None:
    """In the path or in the body, another centre's id gets exactly the answer of an id that does not exist, never
    2xx, and nothing is recorded."""
    caller = Caller(world, principal, via)
    container = world.client.app.state.container  # type: ignore[attr-defined]
    wrong: list[str] = []

    def compare(method: str, url: str, unknown_url: str, body: Any, unknown_body: Any, what: str) -> None:
        before = container.complaints.max_notification_id()
        theirs = caller.request(method, url, **({"json": body} if body is not None else {}))
        ours = caller.request(method, unknown_url, **({"json": unknown_body} if unknown_body is not None else {}))
        if theirs.status_code < 300 or answer(theirs) != answer(ours):
            wrong.append(f"{method} {what}: {answer(theirs)} for another centre's, {answer(ours)} for an unknown id")
        if container.complaints.max_notification_id() != before:
            wrong.append(f"{method} {what}: recorded something")

    for method, path, op in operations(world.schema):
        key = f"{method} {path}"
        params = op.get("parameters", [])
        path_params = [p["name"] for p in params if p["in"] == "path"]
        body = BODIES.get(key)
        # the path's own visible thing (the entry for knowledge), for routes whose body carries the ids
        own = {
            name: (
                [world.entry]
                if PATH_KINDS[name] == "entry"
                else visible_of(world, principal, PATH_KINDS[name]) or [unknown_of(PATH_KINDS[name])]
            )[0]
            for name in path_params
        }
        for name in path_params:
            kind = PATH_KINDS[name]
            theirs = foreign_of(world, principal, kind)
            if kind == "complaint":
                theirs += foreign_of(world, principal, "proactive")
            for value in theirs:
                filled = _body(body, BODY_IDS.get(key, {}), own_values(world, principal))
                compare(
                    method,
                    fill(path, {**own, name: value}),
                    fill(path, {**own, name: unknown_of(kind)}),
                    filled,
                    filled,
                    f"{path} [{name}]",
                )
        for field, kind in BODY_IDS.get(key, {}).items():
            theirs = foreign_centres(principal) if kind == "centre" else foreign_of(world, principal, kind)
            for value in theirs:
                base = own_values(world, principal)
                url = fill(path, own)
                compare(
                    method,
                    url,
                    url,
                    _body(body, BODY_IDS[key], {**base, field: value}),
                    _body(body, BODY_IDS[key], {**base, field: unknown_of(kind)}),
                    f"{path} [{field}]",
                )
        if key in SELECTORS:
            name, unknown = SELECTORS[key]
            for centre in foreign_centres(principal):
                value = f"centre:{centre}" if name == "series" else centre
                query = {"centre": D, "from": "2025-09-01", "to": "2025-09-20"} if "review" in path else {}
                compare(
                    "GET",
                    f"{path}?{_q({**query, name: value})}",
                    f"{path}?{_q({**query, name: unknown})}",
                    None,
                    None,
                    f"{path} [{name}]",
                )
    assert wrong == []


def foreign_centres(principal: tuple[str, str]) -> list[str]:
    return [c for c in CENTRES if c not in SEES[principal]]


def own_values(world: World, principal: tuple[str, str]) -> dict[str, str]:
    """Body ids set to something the caller sees (or to nothing known, for one who sees none)."""
    mine = visible_of(world, principal, "complaint")
    centre = next((c for c in CENTRES if c in SEES[principal]), D)
    return {"complaint": mine[0] if mine else str(uuid4()), "centre": centre}


def _body(body: dict[str, Any] | None, ids: dict[str, str], values: dict[str, str]) -> dict[str, Any] | None:
    if body is None:
        return None
    out = dict(body)
    for field, kind in ids.items():
        value = values.get(field, values.get(kind, ""))
        out[field] = [value] if isinstance(body.get(field), list) else value
    return out


def _q(params: dict[str, str]) -> str:
    return "&".join(f"{k}={v}" for k, v in params.items())


# ---------------------------------------------------------------------------------------- the session is the account


@pytest.mark.parametrize("role", ["window_clerk", "duty_leader", "duty_officer", "callback_agent"])
def test_the_console_session_and_the_token_of_one_street_centre_account_answer_alike(world: World, role: str) -> None:
    """Signed in at the console and calling with a token of the same account (same sub, roles, centre): every list
    answers the same, and /v1/auth/me shows the centre."""
    principal = (role, S)
    session = Caller(world, principal, "session")
    me = session.request("GET", "/v1/auth/me").json()
    assert (me["centre"], me["department"], me["scope"]) == (S, None, f"centre:{S}")
    token = mint_token(
        secret=SECRET,
        sub=me["sub"],  # the account's own id ("local:<username>")
        name="范围",
        roles=[Role(role)],
        department=None,
        centre=S,
        now=datetime.now(tz=CST),
    )
    client = world.client
    compared = 0
    for method, path, op in operations(world.schema):
        if (
            method != "GET"
            or "{" in path
            or path == "/openapi.json"
            or any(p.get("required") for p in op.get("parameters", []))
        ):
            continue
        by_cookie = session.request("GET", path)
        client.cookies.clear()
        by_token = client.get(path, headers={"Authorization": f"Bearer {token}"})
        assert by_cookie.status_code == by_token.status_code, path
        if by_cookie.status_code == 200 and by_cookie.headers["content-type"].startswith("application/json"):
            assert by_cookie.json() == by_token.json(), path
            compared += 1
    assert compared >= 5


def test_a_street_centre_login_is_held_to_its_centre(world: World) -> None:
    clerk = Caller(world, ("window_clerk", S), "session")
    ledger = clerk.request("GET", "/v1/worklist").json()
    assert ledger["queue"] or ledger["intake"] is not None
    r = Caller(world, ("duty_leader", S), "session").request("GET", "/v1/ledger?limit=1000")
    centres = {row["centre"] for row in r.json()["items"]}
    assert centres == {S}


# ---------------------------------------------------------------------------------------- the property


@dataclass
class Pool:
    client: TestClient
    made: list[tuple[str, str, str]]  # (id, centre, state): received | dispatched | fed_back


@pytest.fixture(scope="module")
def pool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pool]:
    db = tmp_path_factory.mktemp("scope-property") / "yousu.db"
    with client_for(f"sqlite:///{db}", SettableClock(FRIDAY), store_timeout=60.0) as client:
        yield Pool(client, [])


def make(client: TestClient, centre: str, state: str) -> str:
    clerk = headers(("window_clerk", centre))
    cid: str = ok(client.post("/v1/complaints", json=receive_body(), headers=clerk), 201)["id"]
    if state == "dispatched":
        ok(client.post(f"/v1/complaints/{cid}/classify", json={"classification": "refused_to_do"}, headers=clerk))
        # signed and dispatched by the district hall, which signs for the street centre (signed_by)
        ok(client.post(f"/v1/complaints/{cid}/sign", json={}, headers=headers(("duty_officer", D))))
        leader = headers(("duty_leader", D))
        ok(client.post(f"/v1/complaints/{cid}/sign", json={}, headers=leader))
        body = {"departments": [DEPARTMENT], "supervisor": "sup-1"}
        ok(client.post(f"/v1/complaints/{cid}/dispatch", json=body, headers=leader))
    if state == "fed_back":
        for verb, body in (
            ("classify", {"classification": "general"}),
            ("resolve", {"result": "当场办结"}),
            ("feedback", {"method": "phone"}),
        ):
            ok(client.post(f"/v1/complaints/{cid}/{verb}", json=body, headers=clerk))
    return cid


def reference(principal: tuple[str, str], made: list[tuple[str, str, str]], state: str | None = None) -> set[str]:
    """The reference filter, from the rule alone."""
    return {
        cid
        for cid, centre, s in made
        if (state is None or s == state) and sees(principal, Thing("complaint", centre, cid, s == "dispatched"))
    }


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    principal=st.sampled_from(PRINCIPALS),
    batch=st.lists(
        st.tuples(st.sampled_from(CENTRES), st.sampled_from(["received", "dispatched", "fed_back"])), max_size=3
    ),
)
def test_every_list_is_exactly_the_reference_filter(
    pool: Pool, principal: tuple[str, str], batch: list[tuple[str, str]]
) -> None:
    client = pool.client
    for centre, state in batch:
        pool.made.append((make(client, centre, state), centre, state))
    client.app.state.container.catch_up()  # type: ignore[attr-defined]
    hdrs = headers(principal)
    r = client.get("/v1/ledger", params={"limit": 1000}, headers=hdrs)
    if r.status_code == 200:
        assert {row["id"] for row in r.json()["items"]} == reference(principal, pool.made)
        assert r.json()["total"] == len(reference(principal, pool.made))
    r = client.get("/v1/callbacks/queue", params={"limit": 1000}, headers=hdrs)
    if r.status_code == 200:
        due = reference(principal, pool.made, "fed_back")
        assert {row["complaint_id"] for row in r.json()["items"]} == due
        summary = ok(client.get("/v1/callbacks/summary", headers=hdrs))
        assert summary["counts"]["due"].get("open", 0) == len(due)
    if principal[0] == "department":
        rows = ok(client.get("/v1/worklist", params={"open_only": "false", "limit": 1000}, headers=hdrs))["dispatched"]
        assert {row["id"] for row in rows} == reference(principal, pool.made)
    if principal[0] == "window_clerk":
        # the clerk's queue: their centre's open 反馈 and 回访 clocks — of these, only a fed-back complaint has one
        queue = ok(client.get("/v1/worklist", params={"limit": 1000}, headers=hdrs))["queue"]
        assert {row["complaint_id"] for row in queue} == reference(principal, pool.made, "fed_back")


def test_after_tells_a_centre_nothing_of_positions_beyond_its_scope(world: World) -> None:
    """?after= past the newest notification: the street centre's answer is the newest one's (no 422 telling how
    many events exist); a district-wide caller, for whom nothing is out of scope, still gets the 422."""
    client = world.client
    newest = client.app.state.container.complaints.max_notification_id()  # type: ignore[attr-defined]
    for principal in (("duty_leader", S), ("duty_officer", S), ("window_clerk", D)):
        at = ok(client.get(f"/v1/ledger?after={newest}", headers=headers(principal)))
        beyond = ok(client.get(f"/v1/ledger?after={newest + 1000}", headers=headers(principal)))
        assert beyond == at
    # the district hall's duty officer signs for the street centres: district-wide, as the liaison
    for principal in (("liaison", S), ("duty_officer", D)):
        r = client.get(f"/v1/ledger?after={newest + 1000}", headers=headers(principal))
        assert (r.status_code, r.json()["code"]) == (422, "invalid_query")


@pytest.mark.postgres
def test_orders_deliveries_and_call_backs_are_held_to_the_centre_on_postgresql(pg_url: str) -> None:
    with client_for(pg_url, SettableClock(FRIDAY), store_timeout=60.0) as client:
        made: dict[str, tuple[str, str]] = {}
        for centre in CENTRES:
            cid = make(client, centre, "fed_back")
            order = {"unit": centre, "finding": {"kind": "free_text", "text": "窗口服务"}, "complaint_id": cid}
            made[centre] = (
                cid,
                ok(client.post("/v1/orders", json=order, headers=headers(("duty_leader", centre))), 201)["id"],
            )
        client.app.state.container.catch_up()  # type: ignore[attr-defined]
        for principal in (("duty_leader", S), ("duty_officer", D), ("liaison", S)):
            hdrs = headers(principal)
            orders = {row["id"] for row in ok(client.get("/v1/orders", headers=hdrs))["items"]}
            assert orders == {made[c][1] for c in CENTRES if c in SEES[principal]}
            if principal[0] != "duty_officer":
                assert ok(client.get("/v1/deliveries", headers=hdrs)) == []  # no hotline work orders here
            due = (
                ok(client.get("/v1/callbacks/summary", headers=hdrs))["counts"]["due"]
                if principal[0] != "liaison"
                else {}
            )
            if due:
                assert due == {"open": sum(1 for c in CENTRES if c in SEES[principal])}
