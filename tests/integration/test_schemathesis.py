"""schemathesis against the app's own OpenAPI schema, in-process, on a real SQLite file.

Every operation gets a bounded number of generated requests — valid ones (positive) and ones
that break the schema (negative) — as a window clerk, the commands also as a duty leader, the
reads also as a liaison. Path ids are random or those of complaints seeded at every stage of the
workflow, and half the valid bodies carry real reference codes, so the requests also get past
validation to the workflow (2xx, 409, 412 ...). No response may be a 5xx; every response must
use a documented status code and content type and match its documented schema; schema-violating
bodies, path ids and headers must be refused.

(schemathesis' own ``from_fixture`` pytest loader does not run under pytest 9, so its
strategies are driven with Hypothesis directly: one pytest item per operation, role and mode.)
"""

from __future__ import annotations

import collections
import contextlib
import functools
from collections.abc import AsyncIterator, Iterator
from typing import Any, cast
from uuid import UUID

import hypothesis
import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from hypothesis import strategies as st
from schemathesis import Case, GenerationMode
from schemathesis.core.parameters import ParameterLocation

from application.complaints import ComplaintsApp
from application.reference import load_reference
from domain.values import Actor, Channel, Classification, Complainant, ComplainantType, Role
from tests.support import auth, settings_for
from yousu.server import build_http_app, close_container

MAX_EXAMPLES = 25
REFERENCE = load_reference(settings_for("memory://").reference_file)

bounded = hypothesis.settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,  # the same cases every run: a failure is reproducible, never flaky
    database=None,
    phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],  # no shrinking: keep the run bounded
)


def _takes_input(operation: dict[str, Any]) -> bool:
    """A body, or a parameter other than the Authorization header (which the tests fix)."""
    params = [x for x in operation.get("parameters", []) if (x["in"], x["name"].lower()) != ("header", "authorization")]
    return bool(params or operation.get("requestBody"))


@functools.cache
def schema_paths() -> dict[str, Any]:
    """The app's OpenAPI paths, read once from an app on the in-memory store (making the document costs
    seconds: each xdist worker collects this module)."""
    app = build_http_app(settings_for("memory://"))
    try:
        paths: dict[str, Any] = app.openapi()["paths"]
    finally:
        app.state.container.guard.close()
    return paths


def operations() -> list[tuple[str, str, bool]]:
    """Every operation of the app's schema, and whether it takes input (only then can schemathesis make a
    schema-violating request)."""
    return [(m.upper(), p, _takes_input(op)) for p, ops in schema_paths().items() for m, op in ops.items()]


OPERATIONS = operations()


def cases(roles_for: dict[str, list[str]]) -> list[Any]:
    """(method, path, role, mode) for every operation; negative only where there is input to break."""
    return [
        pytest.param(m, p, role, mode, id=f"{role} {m} {p} {mode}")
        for m, p, takes_input in OPERATIONS
        for role in roles_for[m]
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
        if takes_input or mode is GenerationMode.POSITIVE
    ]


CASES = cases({"GET": ["window_clerk", "liaison"], "POST": ["window_clerk", "duty_leader"]})

CLERK = Actor("c1", "窗口甲", Role.window_clerk)
OFFICER = Actor("o1", "值班乙", Role.duty_officer)
LEADER = Actor("l1", "带班丙", Role.duty_leader)


def seed(app: ComplaintsApp) -> list[str]:
    """Complaints at every stage, for the generated requests to meet."""

    def received() -> UUID:
        return app.receive(
            channel=Channel.window,
            content="材料被退回",
            category="housing",
            complainant=Complainant(ComplainantType.person, "李四", "13900001111"),
            actor=CLERK,
        ).id

    def classified(kind: Classification) -> UUID:
        cid = received()
        app.classify(cid, classification=kind, reason="", actor=CLERK)
        return cid

    def officer_signed() -> UUID:
        cid = classified(Classification.refused_to_do)
        app.sign(cid, opinion="同意", actor=OFFICER)
        return cid

    def signed() -> UUID:
        cid = officer_signed()
        app.sign(cid, opinion="同意", actor=LEADER)
        return cid

    def dispatched() -> UUID:
        cid = signed()
        app.dispatch(cid, departments=["housing"], supervisor="督办甲", instructions="", actor=LEADER)
        return cid

    def resolved() -> UUID:
        cid = classified(Classification.general)
        app.resolve(cid, result="已办理", legal_basis=None, actor=CLERK)
        return cid

    def fed_back() -> UUID:
        cid = resolved()
        app.feed_back(cid, method="phone", summary="", actor=CLERK)
        return cid

    ids = [
        received(),
        classified(Classification.general),
        classified(Classification.hard_to_do),
        officer_signed(),
        signed(),
        dispatched(),
        resolved(),
        fed_back(),
    ]
    return [str(i) for i in ids]


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    db = tmp_path_factory.mktemp("schemathesis") / "yousu.db"
    # refused sign-ins answered at once: generated log-ins soon use up the throttle, and the tarpit's second per
    # refusal (tested in test_auth_http.py) would make one operation take half a minute
    app = build_http_app(settings_for(f"sqlite:///{db}", login_tarpit_seconds=0))
    # schemathesis runs the ASGI lifespan around every call, and the app's lifespan closes the store
    # at its end (as `yousu serve` must): here the module owns the app's lifetime instead
    app.router.lifespan_context = _module_owned
    yield app
    close_container(app.state.container)


@contextlib.asynccontextmanager
async def _module_owned(_app: FastAPI) -> AsyncIterator[None]:
    yield


@pytest.fixture(scope="module")
def seeded(api: FastAPI) -> list[str]:
    return seed(api.state.container.complaints)


@pytest.fixture(scope="module")
def api_schema(api: FastAPI) -> Any:
    return schemathesis.openapi.from_asgi("/openapi.json", api)


def negative_data_rejection_outside_query(ctx: Any, response: Any, case: Case[Any]) -> bool | None:
    """schemathesis' ``negative_data_rejection``, except for mutated query parameters.

    FastAPI/pydantic parse query values laxly — a number is a Unix timestamp for a date-time, the
    last of repeated values wins — which accepts values the schema describes more narrowly. That
    is harmless; invalid bodies, path ids and headers must still be refused.
    """
    meta = case.meta
    if meta is not None and meta.generation.mode.is_negative:
        data = meta.phase.data
        locations = {m.parameter_location for m in data.mutations} | {data.parameter_location}
        if ParameterLocation.QUERY in locations:
            return None
    result: bool | None = schemathesis.checks.negative_data_rejection(ctx, response, case)
    return result


# Schema-valid data can still be refused by rules JSON Schema does not express (reference codes,
# the ID checksum, the workflow state): a 4xx for it is by design, so that check is off.
EXCLUDED = [schemathesis.checks.positive_data_acceptance, schemathesis.checks.negative_data_rejection]
ADDED: list[Any] = [negative_data_rejection_outside_query]


def plausible(case: Case[Any], category: str, departments: list[str], complaint: str | None = None) -> Case[Any]:
    """Real reference codes, a well-formed phone, a seeded complaint as 并单 master and no stale If-Match,
    so a valid body can reach the workflow."""
    body = case.body
    if isinstance(body, dict):
        if "master_id" in body and complaint is not None:
            body["master_id"] = complaint
        if "category" in body:
            body["category"] = category
        complainant = body.get("complainant")
        if isinstance(complainant, dict):
            complainant["phone"] = "13812345678"
            complainant.pop("id_number", None)
        if "departments" in body:
            body["departments"] = cast(Any, departments)
    if case.headers:
        case.headers.pop("If-Match", None)
    return case


def on_seeded(case: Case[Any], complaint: str) -> Case[Any]:
    """``case`` on the seeded complaint ``complaint``."""
    if case.path_parameters is not None:
        case.path_parameters["complaint_id"] = complaint
    return case


def strategy_for(
    operation: Any, mode: GenerationMode, headers: dict[str, str], seeded: list[str]
) -> st.SearchStrategy[Case[Any]]:
    """Negative: schemathesis' own. Positive: a third as generated, a third on seeded complaints,
    a third on seeded complaints with plausible codes."""
    generated: st.SearchStrategy[Case[Any]] = operation.as_strategy(generation_mode=mode, headers=headers)
    if mode is GenerationMode.NEGATIVE:
        return generated
    real = generated
    if "{complaint_id}" in operation.path:
        # the generated case with a seeded complaint's id (one strategy: asking schemathesis for a new strategy
        # per seeded id and example cost ~50 ms an example)
        real = st.builds(on_seeded, generated, st.sampled_from(seeded))
    with_codes = st.builds(
        plausible,
        real,
        st.sampled_from(sorted(REFERENCE.categories)),
        st.lists(st.sampled_from(sorted(REFERENCE.departments)), min_size=1, max_size=3, unique=True),
        st.sampled_from(seeded),
    )
    return st.one_of(generated, real, with_codes)


@pytest.mark.parametrize(("method", "path", "role", "mode"), CASES)
def test_operation_conforms_to_schema(
    api_schema: Any, seeded: list[str], method: str, path: str, role: str, mode: GenerationMode
) -> None:
    headers = auth(role)  # fixed: never generated, never made invalid
    statuses: collections.Counter[int] = collections.Counter()

    @given(case=strategy_for(api_schema[path][method], mode, headers, seeded))
    @bounded
    def check(case: Case[Any]) -> None:
        assert case.headers is not None
        assert case.headers["Authorization"] == headers["Authorization"]
        # headers= tells schemathesis the token is ours (valid): it then also probes without it and with a bad one
        response = case.call_and_validate(headers=headers, excluded_checks=EXCLUDED, additional_checks=ADDED)
        statuses[response.status_code] += 1

    check()
    assert statuses, "schemathesis generated no request"
    assert max(statuses) < 500, statuses
    if mode is GenerationMode.POSITIVE:
        # the generated requests got past validation: to the seeded complaints, to an accepted intake
        if "{complaint_id}" in path:
            assert set(statuses) - {404, 422}, statuses
        if (role, method, path) == ("window_clerk", "POST", "/v1/complaints"):
            assert statuses[201], statuses


def test_every_operation_is_exercised(api_schema: Any) -> None:
    found = {(op.ok().method.upper(), op.ok().path) for op in api_schema.get_all_operations()}
    assert found == {(c.values[0], c.values[1]) for c in CASES}
    assert {("POST", "/v1/complaints"), ("GET", "/v1/complaints/{complaint_id}/history")} <= found


def test_undecodable_body_is_422_not_400(api: FastAPI) -> None:
    """Found by schemathesis: a body that is not UTF-8 got an undocumented 400; it is invalid input (422)."""
    with TestClient(api, raise_server_exceptions=False) as client:
        r = client.post(
            "/v1/complaints",
            content=b'{"channel": "\xff\xfe"}',
            headers={**auth("window_clerk"), "Content-Type": "application/json"},
        )
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "invalid_input"
    assert r.json()["errors"][0]["field"] == "body"


# ----------------------------------------------------------------------------- extremes (issue 11)
# schemathesis' generators seldom send what an outside probe sends first: NUL and other control
# characters in text, integers past 64 bits, dates in year 1 or 9999. These cases put such values
# into the query parameters of every operation (by the type the schema declares) and into intake
# bodies, on top of schemathesis' own generated requests. None may be a 500; a refusal is a problem.

EXTREME_TEXT = ["\x00", "a\x00b", "\x1b[31m", "\x7f", "住建\x00", "\r\n"]
EXTREME_INTEGERS = [10**20, -(10**20), 2**63, 2**63 - 1, -(2**63)]
EXTREME_DAYS = ["0001-01-01", "9999-12-31", "1969-12-31", "2200-01-01"]
EXTREME_INSTANTS = [
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-14:00",
    "9999-12-31T10:00+08:00",
    "1900-01-01T00:00:00+08:00",
]


def _kinds(schema: dict[str, Any]) -> set[tuple[str, str]]:
    """(type, format) of a parameter's schema, through ``anyOf`` (nullable parameters)."""
    found = {(str(schema.get("type", "")), str(schema.get("format", "")))}
    for alternative in schema.get("anyOf", []):
        found |= _kinds(alternative)
    return found


def extremes_for(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Extreme values of the parameter's declared type (text that is not a number is schemathesis' job)."""
    kinds = _kinds(schema)
    if any(t == "integer" for t, _ in kinds):
        return st.sampled_from(EXTREME_INTEGERS)
    if any(f == "date" for _, f in kinds):
        return st.sampled_from(EXTREME_DAYS)
    if any(f == "date-time" for _, f in kinds):
        return st.sampled_from(EXTREME_INSTANTS)
    return st.sampled_from(EXTREME_TEXT)


def query_operations() -> list[Any]:
    """Every operation taking query parameters, with their schemas."""
    found = []
    for path, ops in schema_paths().items():
        for method, op in ops.items():
            query = [p for p in op.get("parameters", []) if p["in"] == "query"]
            params = {p["name"]: p["schema"] for p in query}
            required = {p["name"] for p in query if p.get("required")}
            if params:
                found.append(pytest.param(method.upper(), path, params, required, id=f"{method.upper()} {path}"))
    return found


def extreme_query(params: dict[str, dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    """One parameter set to an extreme of its type (one at a time: a second refused value would hide it)."""
    return st.sampled_from(sorted(params)).flatmap(lambda k: st.fixed_dictionaries({k: extremes_for(params[k])}))


def assert_no_500(response: Any) -> None:
    """No 5xx; a refusal is application/problem+json."""
    assert response.status_code < 500, (response.status_code, response.text)
    if response.status_code >= 400:
        assert response.headers["content-type"][0].startswith("application/problem+json"), response.headers


@pytest.mark.parametrize(("method", "path", "params", "required"), query_operations())
def test_extreme_query_values_are_never_500(
    api_schema: Any, seeded: list[str], method: str, path: str, params: dict[str, dict[str, Any]], required: set[str]
) -> None:
    headers = auth("liaison")  # reads the views, the audit trail and every complaint
    operation = api_schema[path][method]
    path_parameters = {"complaint_id": seeded[-1]} if "{complaint_id}" in path else None

    @given(query=extreme_query(params), data=st.data())
    @bounded
    def check(query: dict[str, Any], data: st.DataObject) -> None:
        case = data.draw(operation.as_strategy(headers=headers, query=query, path_parameters=path_parameters))
        # only the extremes (and what is required): another generated value refused first would hide them
        case.query = {k: v for k, v in (case.query or {}).items() if k in query or k in required}
        assert_no_500(case.call(headers=headers))

    check()


def poisoned(case: Case[Any], field: str, value: Any) -> Case[Any]:
    """An intake body with one field (``complainant.name`` for nested ones) set to an extreme value."""
    body = case.body
    if isinstance(body, dict):
        target, _, leaf = field.rpartition(".")
        holder = body.get(target) if target else body
        if isinstance(holder, dict):
            holder[leaf] = value
    return case


INTAKE_FIELDS = ["content", "category", "external_ref", "complainant.name", "complainant.enterprise_name"]


@pytest.mark.parametrize("role", ["window_clerk", "hotline"])
def test_extreme_intake_bodies_are_never_500(api_schema: Any, role: str) -> None:
    headers = auth(role)
    operation = api_schema["/v1/complaints"]["POST"]
    text = st.builds(
        poisoned, operation.as_strategy(headers=headers), st.sampled_from(INTAKE_FIELDS), st.sampled_from(EXTREME_TEXT)
    )
    instants = st.builds(
        poisoned,
        operation.as_strategy(headers=headers),
        st.just("received_at"),
        st.sampled_from(EXTREME_INSTANTS + EXTREME_DAYS),
    )
    statuses: collections.Counter[int] = collections.Counter()

    @given(case=st.one_of(text, instants))
    @bounded
    def check(case: Case[Any]) -> None:
        response = case.call(headers=headers)
        statuses[response.status_code] += 1
        assert_no_500(response)

    check()
    assert statuses[422], statuses  # the extremes were refused as invalid input, not just waved through
