"""Every HTML page carries a Content-Security-Policy and nosniff; every other answer nosniff.

The HTML routes are found, not listed: every operation of the schema that answers text/html, the two
documentation pages, and the console's pages (its index and a client-side route).
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from domain.values import Role
from tests.support import auth, client_for, receive_body

CLERK = auth(Role.window_clerk)
OFFICER = auth(Role.duty_officer)
LEADER = auth(Role.duty_leader)
ANALYST = auth(Role.analyst)
INDEX = '<!doctype html><html><head><script type="module" src="/assets/app.js"></script></head><body></body></html>'


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    dist = tmp_path_factory.mktemp("dist")
    (dist / "index.html").write_text(INDEX, encoding="utf-8")
    (dist / "assets").mkdir()
    (dist / "assets" / "app.js").write_text("console.log(1)", encoding="utf-8")
    db = tmp_path_factory.mktemp("db") / "yousu.db"
    with client_for(f"sqlite:///{db}", console_dir=Path(dist)) as c:
        yield c


def ok(r: Any, status: int = 200) -> dict[str, Any]:
    assert r.status_code == status, r.text
    out: dict[str, Any] = r.json()
    return out


def published_case(client: TestClient) -> str:
    made = ok(client.post("/v1/complaints", json=receive_body(), headers=CLERK), 201)
    ok(client.post(f"/v1/complaints/{made['id']}/classify", json={"classification": "general"}, headers=CLERK))
    ok(client.post(f"/v1/complaints/{made['id']}/resolve", json={"result": "已办结"}, headers=CLERK))
    case = ok(client.post("/v1/cases", json={"complaint_ids": [made["id"]], "title": "打印"}, headers=OFFICER), 201)
    ok(client.post(f"/v1/cases/{case['id']}/publish", headers=LEADER))
    return str(case["id"])


def html_pages(client: TestClient) -> list[str]:
    """Every page that answers HTML: from the schema, the documentation, the console."""
    schema = client.get("/openapi.json").json()
    case = published_case(client)
    pages = ["/docs", "/redoc", "/", "/complaints/new"]
    for path, item in schema["paths"].items():
        for method, op in item.items():
            content = op.get("responses", {}).get("200", {}).get("content", {})
            if method == "get" and "text/html" in content:
                pages.append(path.replace("{case_id}", case))
    return pages


def directives(policy: str) -> dict[str, list[str]]:
    out = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


def test_every_html_page_has_a_policy_and_nosniff(client: TestClient) -> None:
    pages = html_pages(client)
    assert any(p.endswith("/print") for p in pages), pages  # the printable case is found from the schema
    for page in pages:
        r = client.get(page, headers=ANALYST)
        assert r.status_code == 200, (page, r.status_code)
        assert r.headers["content-type"].startswith("text/html"), page
        assert r.headers.get("x-content-type-options") == "nosniff", page
        policy = directives(r.headers.get("content-security-policy", ""))
        assert policy, f"{page} has no Content-Security-Policy"
        assert policy.get("frame-ancestors") == ["'none'"], (page, policy)
        script = policy.get("script-src", policy.get("default-src"))
        assert script is not None, (page, policy)
        assert "'unsafe-inline'" not in script, (page, policy)
        assert "'unsafe-eval'" not in script, (page, policy)
        assert not [s for s in script if s.startswith("http") or s == "*"], (page, policy)  # no foreign scripts


def test_inline_scripts_of_the_docs_are_allowed_by_hash_and_assets_are_local(client: TestClient) -> None:
    for page in ("/docs", "/redoc"):
        r = client.get(page)
        script = directives(r.headers["content-security-policy"])["script-src"]
        for body in re.findall(r"<script>(.*?)</script>", r.text, re.DOTALL):
            digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
            assert f"'sha256-{digest}'" in script, page
        for src in re.findall(r'(?:src|href)="([^"]+)"', r.text):
            assert src.startswith("/"), (page, src)  # served here: works offline, allowed by 'self'
            assert client.get(src).status_code == 200, (page, src)


def test_the_console_keeps_its_own_policy(client: TestClient) -> None:
    policy = directives(client.get("/").headers["content-security-policy"])
    assert policy["script-src"] == ["'self'"]
    assert "'unsafe-inline'" in policy["style-src"]  # Element Plus sets inline styles


def test_the_print_page_runs_no_script(client: TestClient) -> None:
    case = published_case(client)
    policy = directives(client.get(f"/v1/cases/{case}/print", headers=ANALYST).headers["content-security-policy"])
    assert policy["default-src"] == ["'none'"]
    assert "script-src" not in policy


@pytest.mark.parametrize(
    ("path", "headers", "status"),
    [
        ("/openapi.json", {}, 200),
        ("/healthz", {}, 200),
        ("/docs-assets/swagger-ui-bundle.js", {}, 200),
        ("/assets/app.js", {}, 200),
        ("/v1/worklist", {}, 401),
        ("/v1/worklist?offset=-1", CLERK, 422),
        ("/v1/complaints/00000000-0000-0000-0000-000000000009", ANALYST, 404),
        ("/v1/nowhere", ANALYST, 404),
    ],
)
def test_every_other_answer_has_nosniff(client: TestClient, path: str, headers: dict[str, str], status: int) -> None:
    r = client.get(path, headers=headers)
    assert r.status_code == status, r.text
    assert r.headers.get("x-content-type-options") == "nosniff"
    if not r.headers["content-type"].startswith("text/html"):
        assert "content-security-policy" not in r.headers or path == "/"
