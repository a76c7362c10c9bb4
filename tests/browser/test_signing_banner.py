"""A hall's first day (issue 24): with rosters (the default signing mode) and no roster for today, every page a
signer opens says why they cannot sign and what to do; once today's roster is imported, the banner is gone.

Its own `yousu serve` in roster mode (the shared hall signs by role alone), on a fresh PostgreSQL database.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from application.calendar_loader import load_calendar
from tests.browser.conftest import PASSWORD, Hall, assert_no_errors, ensure_console_built, shot, sign_in, watch
from tests.conftest import create_pg_database, drop_pg_database
from tests.e2e.conftest import REPO, run_server, yousu_executable
from tests.support import CIPHER_KEY, SECRET

CST = timezone(timedelta(hours=8))
DIST = REPO / "console" / "dist"


@pytest.fixture(scope="module")
def roster_hall(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hall]:
    ensure_console_built()
    url = create_pg_database("yousu_banner")
    env = {"YOUSU_SIGNING_MODE": "roster", "YOUSU_CONSOLE_DIR": str(DIST), "YOUSU_BACKGROUND": "true"}
    try:
        with run_server(url, tmp_path_factory.mktemp("banner"), **env) as server:
            hall = Hall(server, {**server_env(url), **env})
            for username, name, role in (("officer", "钱值班", "duty_officer"), ("admin", "冯管理", "admin")):
                cmd = [str(yousu_executable()), "users", "add", "--username", username, "--name", name]
                cmd += ["--role", role, "--centre", "district", "--password-stdin"]
                subprocess.run(
                    cmd, cwd=REPO, env=hall.env, check=True, capture_output=True, input=f"{PASSWORD}\n", text=True
                )
            yield hall
    finally:
        drop_pg_database(url)


def server_env(url: str) -> dict[str, str]:
    """The CLI's environment for the same store and secrets as the server (tests.e2e.conftest.run_server's)."""
    return {**os.environ, "YOUSU_DATABASE_URL": url, "YOUSU_AUTH_SECRET": SECRET, "YOUSU_CIPHER_KEY": CIPHER_KEY}


def test_a_signer_without_a_roster_today_is_told_why_and_what_to_do(page: Page, roster_hall: Hall) -> None:
    errors = watch(page)
    sign_in(page, roster_hall, "officer")
    banner = page.locator("[data-test=signing-blocked]")
    expect(banner).to_contain_text("没有值班表")
    expect(banner).to_contain_text("值班表导入")  # what to do: the administrator imports this month's roster
    for path in ("/sign", "/ledger"):  # on every page of the console
        page.goto(f"{roster_hall.url}{path}")
        expect(banner).to_be_visible()
    # the next working day's roster is missing too: said the day before, with what to do
    warning = page.locator("[data-test=roster-warning]")
    expect(warning).to_contain_text("区行政服务中心下一个工作日")
    expect(warning).to_contain_text("请联系管理员在“值班表导入”页面导入")
    shot(page, "signing-blocked-banner")

    today = datetime.now(tz=CST).date()
    calendar = load_calendar(Path(REPO / "ops" / "calendar"))
    if calendar.is_working_day(today):  # a roster names working days only: on a day off the banner stays
        csv = f"日期,中心,值班人员,值班人员工号,带班领导,带班领导工号\n{today.isoformat()},district,钱值班,local:officer,赵带班,l1\n"
        headers = {**roster_hall.bearer("admin"), "Content-Type": "text/csv"}
        with httpx.Client(base_url=roster_hall.url, timeout=30) as api:
            r = api.post("/v1/roster/import", content=csv.encode(), headers=headers)
            assert r.status_code == 200, r.text
        page.reload()
        page.wait_for_selector("[data-test=who]")
        expect(banner).to_have_count(0)
        expect(warning).to_be_visible()  # today's roster only: the next working day's is still missing
    assert_no_errors(errors)
