"""The duty leader's 待决定 and the department's 退单 in a real browser against a real `yousu serve`
(issue 17 point 3): a department returns a complaint, a second 退单 is refused with the API's Chinese
detail, and the duty leader re-dispatches it from the 待决定 panel of the 转办 page."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import Hall, shot, sign_in
from tests.support import receive_body

# el-input puts data-test on the native textarea
TEXT = "textarea[data-test=handling-text], [data-test=handling-text] textarea"


def ok(r: httpx.Response) -> dict:  # type: ignore[type-arg]
    assert r.status_code in (200, 201), r.text
    return r.json()  # type: ignore[no-any-return]


@pytest.fixture
def second_page(browser: Browser) -> Iterator[Page]:
    """Another browser context (another person's workstation)."""
    ctx = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN", timezone_id="Asia/Shanghai")
    p = ctx.new_page()
    p.set_default_timeout(15_000)
    yield p
    ctx.close()


def dispatched_to_market(hall: Hall, api: httpx.Client, content: str) -> tuple[str, str]:
    """A 很难办 complaint signed and dispatched to the market department; its id and 受理单号."""
    clerk = hall.bearer("window_clerk")
    made = ok(api.post("/v1/complaints", json=receive_body(content=content), headers=clerk))
    cid = made["id"]
    ok(api.post(f"/v1/complaints/{cid}/classify", json={"classification": "hard_to_do"}, headers=clerk))
    ok(api.post(f"/v1/complaints/{cid}/sign", json={}, headers=hall.bearer("duty_officer", "钱值班")))
    ok(api.post(f"/v1/complaints/{cid}/sign", json={}, headers=hall.bearer("duty_leader", "赵带班")))
    body = {"departments": ["market"], "supervisor": "local:supervisor"}
    ok(api.post(f"/v1/complaints/{cid}/dispatch", json=body, headers=hall.bearer("duty_leader")))
    return cid, made["slip_no"]


def wait_for(page: Page, probe: object, tries: int = 100) -> None:
    """Poll ``probe()`` (the views follow the events asynchronously) until it is true."""
    for _ in range(tries):
        if probe():  # type: ignore[operator]
            return
        page.wait_for_timeout(100)
    pytest.fail("the views did not catch up")


def test_department_returns_refusal_shows_detail_and_leader_redispatches(
    page: Page, second_page: Page, hall: Hall
) -> None:
    with hall.api() as api:
        cid, slip = dispatched_to_market(hall, api, "夜市摊位占道经营，应由城管处理")
        departments = ok(api.get("/v1/reference", headers=hall.bearer("duty_leader")))["departments"]
        dept_token = hall.bearer("department", department="market")
        wait_for(
            page,
            lambda: any(r["id"] == cid for r in ok(api.get("/v1/worklist", headers=dept_token))["dispatched"]),
        )
    other = next(d for d in departments if d["code"] != "market")
    market = next(d["name"] for d in departments if d["code"] == "market")

    # the department: 退单 from its worklist
    sign_in(page, hall, "dept")
    page.goto(f"{hall.url}/department")
    row = page.locator("[data-test=department-list] .el-table__body tr", has_text=slip)
    row.locator("[data-test=handle-return]").click()
    dialog = page.locator("[data-test=handling-dialog]")
    dialog.locator(TEXT).first.fill("占道经营属城管职责，不属本部门")
    dialog.locator("[data-test=handling-submit]").click()
    expect(page.locator(".el-message--success").first).to_contain_text("已退单")

    # a second 退单 while the first waits for the duty leader: the API's Chinese detail in the dialog
    page.goto(f"{hall.url}/complaints/{cid}")
    handling = page.locator("[data-test=handling]")
    expect(handling).to_contain_text("退单待决定")
    handling.locator("[data-test=handle-return]").click()
    dialog = page.locator("[data-test=handling-dialog]")
    dialog.locator(TEXT).first.fill("再次退单")
    dialog.locator("[data-test=handling-submit]").click()
    expect(dialog.locator("[data-test=error]")).to_contain_text("退单待带班领导处理（改派或坚持交办）")
    shot(page, "department-second-return-refused")

    # the duty leader: 待决定 on the 转办 page → 改派 to another department
    sign_in(second_page, hall, "leader")
    second_page.goto(f"{hall.url}/dispatch")
    decision = second_page.locator("[data-test=decision-list] .el-table__body tr", has_text=slip)
    expect(decision.locator("[data-test=pending]")).to_have_text("退单")
    expect(decision.locator("[data-test=pending]")).to_be_visible()
    expect(decision).to_contain_text(market)
    shot(second_page, "leader-decisions")
    decision.locator("[data-test=decide-redispatch]").click()
    dialog = second_page.locator("[data-test=handling-dialog]")
    dialog.locator("[data-test=departments]").click()
    second_page.locator(".el-select-dropdown__item:visible", has_text=other["name"]).first.click()
    dialog.locator(TEXT).first.fill("请城管部门办理")
    dialog.locator("[data-test=handling-submit]").click()
    expect(second_page.locator(".el-message--success").first).to_contain_text("已改派，办结时限")
    expect(second_page.locator("[data-test=decision-list] .el-table__body tr", has_text=slip)).to_have_count(0)
    shot(second_page, "leader-redispatched")

    with hall.api() as api:
        after = ok(api.get(f"/v1/complaints/{cid}", headers=hall.bearer("duty_leader")))
    assert after["departments"] == [other["code"]]
    assert after["pending_return"] is None
    assert after["returns"] == 1
    assert after["supervisor"] == "local:supervisor"  # 督办专人 left empty: the original one stays
