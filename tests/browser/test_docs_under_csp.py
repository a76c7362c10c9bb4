"""/docs and /redoc work in a real browser under their Content-Security-Policy, with nothing from the internet."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage

from tests.e2e.conftest import run_server


def test_swagger_ui_and_redoc_render_every_operation_under_their_policy(browser: Browser, tmp_path: Path) -> None:
    with run_server(f"sqlite:///{tmp_path / 'yousu.db'}", tmp_path) as server:
        page = browser.new_page()
        page.set_default_timeout(60_000)
        refused: list[str] = []

        def note(message: ConsoleMessage) -> None:
            if "Content Security Policy" in message.text:
                refused.append(message.text)

        page.on("console", note)
        foreign: list[str] = []  # requests that reached another host (a blocked one never finishes)
        local = (server.base_url, f"blob:{server.base_url}", "data:")
        page.on("requestfinished", lambda r: foreign.append(r.url) if not r.url.startswith(local) else None)

        page.goto(f"{server.base_url}/docs")
        page.wait_for_selector(".opblock")
        assert page.locator(".opblock").count() > 50
        assert refused == [], refused  # Swagger UI's start-up script runs (allowed by its hash)

        page.goto(f"{server.base_url}/redoc")
        page.wait_for_selector("li[data-item-id]")
        assert page.locator("li[data-item-id]").count() > 50
        # ReDoc's only refusal is its "powered by" logo on a CDN: blocked, so nothing leaves the network
        assert [m for m in refused if "cdn.redoc.ly" not in m] == [], refused
        assert foreign == [], foreign
        page.close()


pytestmark = pytest.mark.browser
