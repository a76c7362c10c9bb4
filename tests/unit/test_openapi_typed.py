"""Every answer of the API is typed in its OpenAPI document: the console's types are generated from it, so a
free-form object there would be an untyped ``Record<string, unknown>`` in the console, and a route without a
response model an ``unknown``. The only open objects are the few listed in ``OPEN``, each with its reason."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from yousu.cli import openapi_document

# Fields whose value is open by design. Each one names why no model can list its keys.
OPEN = {
    # 办理记录: an event's own fields, which differ with each of the ~40 kinds of event (受理, 转办, 延期 …) and
    # grow when an event gains a field; the history page shows them as a generic key/value list.
    "HistoryItem.payload",
    # 账号审计: the fields of an account event (created, roles changed, password reset …), one shape per kind,
    # shown as a generic key/value list as well.
    "AccountEventOut.details",
}
JSON_TYPES = ("application/json", "application/problem+json")


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("openapi") / "openapi.json"
    openapi_document(out=Path(out))  # what `npm run gen:api` reads
    loaded: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return loaded


def untyped(schema: Any, where: str) -> Iterator[str]:
    """The places under ``schema`` that admit any value or any object."""
    if not isinstance(schema, dict) or "$ref" in schema:
        return
    for key in ("anyOf", "oneOf", "allOf"):
        for i, part in enumerate(schema.get(key, [])):
            yield from untyped(part, f"{where}|{key}{i}")
    if not any(k in schema for k in ("type", "anyOf", "oneOf", "allOf", "const", "enum")):
        yield f"{where}: any value"
        return
    if schema.get("type") == "object":
        extra = schema.get("additionalProperties")
        if extra is True or extra == {} or (extra is None and not schema.get("properties")):
            if where not in OPEN:
                yield f"{where}: free-form object"
        elif isinstance(extra, dict):
            yield from untyped(extra, f"{where}{{}}")
        for name, field in schema.get("properties", {}).items():
            yield from untyped(field, f"{where}.{name}")
    if schema.get("type") == "array":
        yield from untyped(schema.get("items", {}), f"{where}[]")


def operations(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield f"{method.upper()} {path}", operation


def test_no_component_schema_is_free_form(document: dict[str, Any]) -> None:
    found = [p for name, s in document["components"]["schemas"].items() for p in untyped(s, name)]
    assert found == []


def test_every_json_answer_has_a_typed_schema(document: dict[str, Any]) -> None:
    found = []
    for name, operation in operations(document):
        for status, response in operation.get("responses", {}).items():
            for media, content in response.get("content", {}).items():
                if media in JSON_TYPES:
                    found += untyped(content.get("schema", {}), f"{name} {status} {media}")
    assert found == []


def test_every_success_declares_its_body(document: dict[str, Any]) -> None:
    """A 2xx answer names its body (JSON with a schema, a file type), or is 204 without one."""
    missing = []
    for name, operation in operations(document):
        for status, response in operation.get("responses", {}).items():
            if not status.startswith("2") or status == "204":
                continue
            content = response.get("content", {})
            if not content or ("application/json" in content and not content["application/json"].get("schema")):
                missing.append(f"{name} {status}")
    assert missing == []


# answers whose error status carries the route's own body, not a problem: readiness and the chain check report
# what they found in the same shape as when all is well
OWN_BODY = {"GET /readyz 503": "Readiness", "GET /v1/audit/verify 409": "VerifyReport"}


def test_errors_are_problem_json_with_their_schema(document: dict[str, Any]) -> None:
    """Refusals are sent as application/problem+json: the document says so, with the Problem schema."""
    wrong = []
    for name, operation in operations(document):
        for status, response in operation.get("responses", {}).items():
            if f"{name} {status}" in OWN_BODY:
                own = response["content"]["application/json"]["schema"]
                assert own == {"$ref": f"#/components/schemas/{OWN_BODY[f'{name} {status}']}"}
            elif status.startswith(("4", "5")):
                schema = response.get("content", {}).get("application/problem+json", {}).get("schema")
                if schema != {"$ref": "#/components/schemas/Problem"}:
                    wrong.append(f"{name} {status}")
    assert wrong == []


def test_the_open_fields_are_still_there(document: dict[str, Any]) -> None:
    """An allowance for a field that no longer exists (or got typed) is removed, not kept."""
    schemas = document["components"]["schemas"]
    for place in OPEN:
        model, field = place.split(".")
        assert schemas[model]["properties"][field].get("additionalProperties") is True, place
