"""mount_console: built files at `/`, client-side routes get index.html, API paths never do."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.console import mount_console
from tests.support import client_for, settings_for


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    """An app with one API route and a console built into tmp_path/dist."""
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><title>有诉即办</title>", encoding="utf-8")
    (dist / "assets" / "index-abc.js").write_text("console.log(1)", encoding="utf-8")
    (dist / "favicon.ico").write_bytes(b"ico")
    (tmp_path / "secret.txt").write_text("outside", encoding="utf-8")
    app = FastAPI()

    @app.get("/v1/ping")
    def ping() -> dict[str, str]:
        return {"pong": "yes"}

    mount_console(app, dist)
    return TestClient(app)


def test_client_side_routes_get_index_html_with_security_headers(client: TestClient) -> None:
    for path in ("/", "/intake", "/complaints/0b0c7d1e-0000-4000-8000-000000000000?version=2"):
        r = client.get(path)
        assert r.status_code == 200
        assert "有诉即办" in r.text
        assert "script-src 'self'" in r.headers["content-security-policy"]
        assert r.headers["cache-control"] == "no-cache"


def test_built_files_are_served(client: TestClient) -> None:
    assert client.get("/assets/index-abc.js").text == "console.log(1)"
    assert client.get("/favicon.ico").content == b"ico"


def test_api_paths_keep_their_routes_and_unknown_ones_are_404_problems(client: TestClient) -> None:
    assert client.get("/v1/ping").json() == {"pong": "yes"}
    r = client.get("/v1/nothing-here")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")


def test_files_outside_dist_are_never_served(client: TestClient) -> None:
    r = client.get("/..%2fsecret.txt")
    assert "outside" not in r.text


def test_an_unbuilt_console_is_refused_with_the_build_command(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="npm run build"):
        mount_console(FastAPI(), tmp_path / "missing")


def test_the_composition_root_mounts_the_console_after_every_api_route(tmp_path: Path) -> None:
    """build_http_app: YOUSU_CONSOLE_DIR served at `/`, every API route (auth included) still answered by the API."""
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "index.html").write_text("<!doctype html><title>有诉即办控制台</title>", encoding="utf-8")
    with client_for(f"sqlite:///{tmp_path / 'yousu.db'}", console_dir=dist) as c:
        assert "有诉即办控制台" in c.get("/ledger").text
        assert c.get("/healthz").status_code == 200
        me = c.get("/v1/auth/me")
        assert (me.status_code, me.json()["code"]) == (401, "unauthenticated")
        schema = c.get("/openapi.json").json()
        assert "/v1/auth/login" in schema["paths"]
        assert "/{path}" not in schema["paths"]  # the fallback is not an API operation


def test_a_relative_console_dir_is_under_the_home(tmp_path: Path) -> None:
    settings = settings_for(f"sqlite:///{tmp_path / 'yousu.db'}", home=tmp_path, console_dir=Path("web/dist"))
    assert settings.console_dir == tmp_path / "web" / "dist"
