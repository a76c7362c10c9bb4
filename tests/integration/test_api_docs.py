"""/docs and /redoc work without internet; the schema declares the bearer scheme; /v1/reference lists the codes."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from domain.values import Role
from tests.support import auth, client_for

SHIPPED_REFERENCE = Path(__file__).resolve().parents[2] / "ops" / "reference.toml"


class Urls(HTMLParser):
    """Every URL an HTML page loads or links (src / href attributes), plus URLs inside inline scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [v for k, v in attrs if k in ("src", "href", "spec-url") and v]
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.urls += re.findall(r"""['"]((?:https?:)?//[^'"]+|/[^'"\s]*)['"]""", data)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    db = tmp_path_factory.mktemp("docs") / "yousu.db"
    with client_for(f"sqlite:///{db}") as c:
        yield c


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_doc_pages_load_only_local_assets(client: TestClient, page: str) -> None:
    r = client.get(page)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    parser = Urls()
    parser.feed(r.text)
    assert parser.urls, "the page loads nothing"
    assert "https://" not in r.text
    assert "http://" not in r.text
    for url in parser.urls:
        assert url.startswith("/"), url
        assert not url.startswith("//"), url
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert asset.content, url
    assert "/openapi.json" in parser.urls


def test_the_scripts_are_the_real_bundles(client: TestClient) -> None:
    swagger = client.get("/docs-assets/swagger-ui-bundle.js")
    redoc = client.get("/docs-assets/redoc.standalone.js")
    assert swagger.headers["content-type"].startswith(("application/javascript", "text/javascript"))
    assert "SwaggerUIBundle" in swagger.text
    assert "Redoc" in redoc.text
    assert len(swagger.content) > 500_000
    assert len(redoc.content) > 500_000


def test_schema_declares_the_bearer_scheme(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    schemes = schema["components"]["securitySchemes"]
    bearer = [s for s in schemes.values() if s["type"] == "http" and s.get("scheme", "").lower() == "bearer"]
    assert len(bearer) == 1
    name = next(k for k, v in schemes.items() if v is bearer[0])
    complaint = schema["paths"]["/v1/complaints"]["post"]
    assert {name: []} in complaint["security"]
    assert "security" not in schema["paths"]["/healthz"]["get"]
    # still our own 401 problem, not FastAPI's default answer
    r = client.get("/v1/reference")
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.headers["WWW-Authenticate"] == "Bearer"
    assert r.json()["code"] == "unauthenticated"


def test_docs_pages_are_not_in_the_schema(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert "/docs" not in paths
    assert "/redoc" not in paths
    assert "/v1/reference" in paths


def test_reference_lists_the_shipped_codes(client: TestClient) -> None:
    shipped = tomllib.loads(SHIPPED_REFERENCE.read_text(encoding="utf-8"))
    r = client.get("/v1/reference", headers=auth(Role.hotline))
    assert r.status_code == 200
    body = r.json()
    assert {d["code"]: d["name"] for d in body["departments"]} == shipped["departments"]
    assert {c["code"]: c["name"] for c in body["categories"]} == shipped["categories"]
    # codes the built-in defaults do not have: the shipped file is what is served
    assert {"code": "medical", "name": "医保"} in body["departments"]
    assert {"code": "enterprise_services", "name": "企业服务"} in body["categories"]
