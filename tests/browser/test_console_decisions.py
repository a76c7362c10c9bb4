"""The duty leader's 待决定 and the department's 退单 in a real browser against a real `yousu serve`
(issue 17 point 3): a department returns a complaint, a second 退单 is refused with the API's Chinese
detail, and the duty leader re-dispatches it from the 待决定 panel of the 转办 page."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import Hall, assert_no_errors, shot, sign_in, watch
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
    errors = watch(p)
    yield p
    ctx.close()
    assert_no_errors(errors)


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


def signed_in(browser: Browser, hall: Hall, username: str) -> Page:
    """A fresh workstation signed in as ``username``."""
    ctx = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN", timezone_id="Asia/Shanghai")
    p = ctx.new_page()
    p.set_default_timeout(15_000)
    sign_in(p, hall, username)
    return p


def submit(page: Page, text: str) -> None:
    """Fill the handling dialog's text and send it."""
    dialog = page.locator("[data-test=handling-dialog]")
    dialog.locator(TEXT).first.fill(text)
    dialog.locator("[data-test=handling-submit]").click()


def test_extension_approved_clock_paused_and_resumed_and_a_duplicate_merged_by_slip_then_unmerged(
    browser: Browser, hall: Hall
) -> None:
    with hall.api() as api:
        cid, slip = dispatched_to_market(hall, api, "菜市场秤不准，多次反映未果")
        dup = ok(
            api.post("/v1/complaints", json=receive_body(content="菜市场秤不准"), headers=hall.bearer("window_clerk"))
        )
        leader_token = hall.bearer("duty_leader")
        before = ok(api.get(f"/v1/complaints/{cid}", headers=leader_token))
        dept_token = hall.bearer("department", department="market")
        wait_for_rows = lambda: any(  # noqa: E731
            r["id"] == cid for r in ok(api.get("/v1/worklist", headers=dept_token))["dispatched"]
        )
        dept = signed_in(browser, hall, "dept")
        wait_for(dept, wait_for_rows)
    leader = signed_in(browser, hall, "leader")
    clerk = signed_in(browser, hall, "clerk")

    # 申请延期 (3 working days) from the department's list, 批准 from the leader's 待决定
    dept.goto(f"{hall.url}/department")
    dept.locator("[data-test=department-list] .el-table__body tr", has_text=slip).locator(
        "[data-test=handle-extension]"
    ).click()
    dept.locator("[data-test=handling-dialog]").locator("[data-test=days] input, input[data-test=days]").first.fill("3")
    submit(dept, "需现场复核计量器具")
    expect(dept.locator(".el-message--success").first).to_contain_text("已申请延期")
    leader.goto(f"{hall.url}/dispatch")
    decision = leader.locator("[data-test=decision-list] .el-table__body tr", has_text=slip)
    expect(decision.locator("[data-test=pending]")).to_have_text("延期申请")
    decision.locator("[data-test=decide-approve_extension]").click()
    submit(leader, "同意")
    expect(leader.locator(".el-message--success").first).to_contain_text("已批准延期，办结时限")
    with hall.api() as api:
        extended = ok(api.get(f"/v1/complaints/{cid}", headers=leader_token))
    assert extended["extensions"] == 1
    assert extended["pending_extension_days"] is None
    assert extended["due_at"] > before["due_at"]

    # 中止计时 by the department on the complaint page; the window clerk resumes it when the materials arrive
    dept.goto(f"{hall.url}/complaints/{cid}")
    dept.locator("[data-test=handle-pause]").click()
    submit(dept, "等待诉求人补充购物小票")
    expect(dept.locator(".el-message--success").first).to_contain_text("已中止计时")
    expect(dept.locator("[data-test=handling]")).to_contain_text("中止计时")
    clerk.goto(f"{hall.url}/complaints/{cid}")
    clerk.locator("[data-test=handle-resume]").click()
    submit(clerk, "小票已补交")
    expect(clerk.locator(".el-message--success").first).to_contain_text("已恢复计时，办结时限")
    expect(clerk.locator("[data-test=handle-resume]")).to_have_count(0)

    # 并单 by the master's 受理单号, then 取消并单
    leader.goto(f"{hall.url}/complaints/{dup['id']}")
    leader.locator("[data-test=handle-merge]").click()
    leader.locator("[data-test=handling-dialog]").locator(
        "input[data-test=master], [data-test=master] input"
    ).first.fill(slip)
    submit(leader, "同一事项")
    expect(leader.locator(".el-message--success").first).to_contain_text("已并单")
    expect(leader.locator("[data-test=status]")).to_have_text("已并单")
    shot(leader, "leader-merged")
    with hall.api() as api:
        merged = ok(api.get(f"/v1/complaints/{dup['id']}", headers=leader_token))
    assert merged["merged_into"] == cid
    leader.locator("[data-test=handle-unmerge]").click()
    submit(leader, "并非同一事项")
    expect(leader.locator(".el-message--success").first).to_contain_text("已取消并单")
    expect(leader.locator("[data-test=handle-merge]")).to_be_visible()
    with hall.api() as api:
        unmerged = ok(api.get(f"/v1/complaints/{dup['id']}", headers=leader_token))
    assert unmerged["merged_into"] is None
    for p in (dept, leader, clerk):
        p.context.close()


def test_leader_insists_on_a_return_and_refuses_an_extension_from_the_decisions_panel(page: Page, hall: Hall) -> None:
    with hall.api() as api:
        cid, slip = dispatched_to_market(hall, api, "农贸市场噪音扰民")
        dept_token = hall.bearer("department", department="market")
        ok(api.post(f"/v1/complaints/{cid}/return", json={"reason": "噪音属生态环境部门"}, headers=dept_token))
    sign_in(page, hall, "leader")
    page.goto(f"{hall.url}/dispatch")
    decision = page.locator("[data-test=decision-list] .el-table__body tr", has_text=slip)
    expect(decision.locator("[data-test=pending]")).to_have_text("退单")
    decision.locator("[data-test=decide-insist]").click()
    submit(page, "市场内经营噪音由市场监管负责")
    expect(page.locator(".el-message--success").first).to_contain_text("已坚持交办")
    expect(decision).to_have_count(0)
    with hall.api() as api:
        ok(api.post(f"/v1/complaints/{cid}/extension", json={"days": 2, "reason": "需夜间检测"}, headers=dept_token))
        # the insisted department may not return it again: the API's detail, read by the department's page too
        again = api.post(f"/v1/complaints/{cid}/return", json={"reason": "再退"}, headers=dept_token)
        assert again.status_code == 409
    page.goto(f"{hall.url}/dispatch")
    decision = page.locator("[data-test=decision-list] .el-table__body tr", has_text=slip)
    expect(decision.locator("[data-test=pending]")).to_have_text("延期申请")
    decision.locator("[data-test=decide-refuse_extension]").click()
    page.locator("[data-test=handling-dialog] [data-test=handling-submit]").click()  # no reason: refused
    expect(page.locator("[data-test=handling-dialog] [data-test=error]")).to_contain_text(
        re.compile(r"[\u4e00-\u9fff]")
    )
    submit(page, "检测可在时限内完成")
    expect(page.locator(".el-message--success").first).to_contain_text("已不予延期")
    with hall.api() as api:
        after = ok(api.get(f"/v1/complaints/{cid}", headers=hall.bearer("duty_leader")))
    assert (after["pending_return"], after["pending_extension_days"], after["extensions"]) == (None, None, 0)
