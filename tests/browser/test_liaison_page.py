"""The liaison's 纪检联络 page in a real browser against a real `yousu serve`: this week's digest shows the
不给办 complaint that was rated 1 (差评), the 抄送纪检 inbox opens, the export links carry the same query, and
a window clerk is kept out (the page fixture fails a test on any page or console error)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import httpx
from playwright.sync_api import Page, expect

from tests.browser.conftest import Hall, shot, sign_in
from tests.support import receive_body

CST = timezone(timedelta(hours=8))


def ok(r: httpx.Response) -> dict:  # type: ignore[type-arg]
    assert r.status_code in (200, 201), r.text
    return r.json()  # type: ignore[no-any-return]


def rated_badly(hall: Hall) -> str:
    """A 不给办 complaint through to a 差评 call-back, by the API; its slip number once the views hold it."""
    clerk = hall.bearer("window_clerk")
    with hall.api() as api:
        made = ok(api.post("/v1/complaints", json=receive_body(content="窗口拒收材料不说明理由"), headers=clerk))
        cid = made["id"]
        ok(api.post(f"/v1/complaints/{cid}/classify", json={"classification": "refused_to_do"}, headers=clerk))
        ok(api.post(f"/v1/complaints/{cid}/sign", json={"opinion": "同意"}, headers=hall.bearer("duty_officer", "钱")))
        ok(api.post(f"/v1/complaints/{cid}/sign", json={"opinion": "同意"}, headers=hall.bearer("duty_leader", "赵")))
        body = {"departments": ["market"], "supervisor": "local:supervisor"}
        ok(api.post(f"/v1/complaints/{cid}/dispatch", json=body, headers=hall.bearer("duty_leader")))
        dept = hall.bearer("department", department="market")
        ok(api.post(f"/v1/complaints/{cid}/resolve", json={"result": "已说明依据并补正受理"}, headers=dept))
        ok(api.post(f"/v1/complaints/{cid}/feedback", json={"method": "phone"}, headers=clerk))
        last = ok(api.post(f"/v1/complaints/{cid}/callback", json={"rating": 1}, headers=clerk))
        ok(api.get("/v1/ledger", params={"after": last["notification_id"], "limit": 1}, headers=hall.bearer("analyst")))
    return str(made["slip_no"])


def test_liaison_reads_this_weeks_digest_and_the_inbox(page: Page, hall: Hall) -> None:
    slip = rated_badly(hall)
    today = datetime.now(tz=CST).date().isoformat()
    sign_in(page, hall, "liaison")
    page.locator(".el-menu-item", has_text="纪检联络").click()
    expect(page).to_have_url(re.compile(r"/liaison$"))
    expect(page.locator("[data-test=digest-title]")).to_contain_text("纪检联络周报")  # the last week that ended
    picker = page.locator("[data-test=digest-on] input").first
    picker.fill(today)
    picker.press("Enter")
    expect(page.locator("[data-test=digest-refused]")).to_contain_text(slip)
    expect(page.locator("[data-test=digest-bad-ratings]")).to_contain_text(slip)
    expect(page.locator("[data-test=digest-bad-ratings]")).to_contain_text("1 分")
    href = page.locator("[data-test=digest-csv]").get_attribute("href") or ""
    assert "format=csv" in href
    assert f"on={today}" in href
    shot(page, "liaison-digest")
    page.get_by_role("tab", name="抄送纪检").click()
    expect(page.locator("[data-test=liaison-inbox]")).to_be_visible()
    shot(page, "liaison-inbox")


def test_a_window_clerk_is_kept_out_of_the_liaison_page(page: Page, hall: Hall) -> None:
    sign_in(page, hall, "clerk")
    expect(page.locator(".el-menu-item", has_text="纪检联络")).to_have_count(0)
    page.goto(f"{hall.url}/liaison")
    expect(page).not_to_have_url(re.compile(r"/liaison$"))
