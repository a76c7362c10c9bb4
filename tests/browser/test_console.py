"""The staff console in a real browser against a real `yousu serve`: sign-in, intake, refusals, dashboard."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.conftest import Hall, shot, sign_in, sign_out
from tests.support import receive_body

CST = timezone(timedelta(hours=8))


def pick(page: Page, select: str, option: str) -> None:
    """Choose ``option`` in the Element Plus select marked ``data-test=select``."""
    page.locator(f"[data-test={select}]").click()
    page.locator(".el-select-dropdown__item:visible", has_text=option).first.click()


def test_clerk_signs_in_and_records_a_complaint(page: Page, hall: Hall) -> None:
    sign_in(page, hall, "clerk")
    expect(page).to_have_url(re.compile(r"/intake$"))
    expect(page.locator("[data-test=menu]")).to_contain_text("受理")
    expect(page.locator("[data-test=menu]")).not_to_contain_text("统计")  # not the clerk's to use
    page.locator("[data-test=content] textarea, textarea[data-test=content]").first.fill("营业执照变更被拖延两周")
    pick(page, "category", "市场监管")
    page.locator("input[data-test=name], [data-test=name] input").first.fill("张三丰")
    page.locator("input[data-test=phone], [data-test=phone] input").first.fill("13812345678")
    shot(page, "intake-filled")
    page.get_by_role("button", name="受理", exact=True).click()
    expect(page.locator(".el-message--success")).to_contain_text("已受理，受理单号")
    row = page.locator("[data-test=today] .el-table__body tr").first
    expect(row).to_contain_text("已受理")
    slip = row.locator("a").inner_text().strip()
    shot(page, "intake-today")
    # the 受理单 is printed at intake: the form offers it for the complaint just received
    expect(page.locator("[data-test=received]")).to_contain_text(slip)
    expect(page.locator("[data-test=print-new-slip]")).to_have_attribute(
        "href", re.compile(r"/complaints/[0-9a-f-]{36}/slip$")
    )

    # the complaint is really in the store, recorded by this clerk
    link = row.locator("a").get_attribute("href")
    assert link is not None
    complaint_id = link.rsplit("/", 1)[1]
    with hall.api() as api:
        got = api.get(f"/v1/complaints/{complaint_id}", headers=hall.bearer("duty_leader")).json()
        history = api.get(f"/v1/complaints/{complaint_id}/history", headers=hall.bearer("duty_leader")).json()
    assert got["slip_no"] == slip
    assert got["content"] == "营业执照变更被拖延两周"
    assert got["complainant"]["phone"] == "13812345678"
    assert history["events"][0]["actor"]["id"] == "local:clerk"

    # the complaint's page: state and the version slider
    row.locator("a").click()
    expect(page.locator("[data-test=status]")).to_have_text("已受理")
    shot(page, "complaint-detail")


def test_refused_submission_shows_the_apis_chinese_detail(page: Page, hall: Hall) -> None:
    sign_in(page, hall, "clerk")
    page.locator("[data-test=content] textarea, textarea[data-test=content]").first.fill("噪音扰民")
    pick(page, "category", "其他")
    page.locator("input[data-test=name], [data-test=name] input").first.fill("李四")
    page.locator("input[data-test=phone], [data-test=phone] input").first.fill("电话不对")
    page.get_by_role("button", name="受理", exact=True).click()
    error = page.locator("[data-test=error]")
    expect(error).to_contain_text("以下字段无效：诉求人电话")
    expect(error).to_contain_text("电话号码格式不正确")
    # … and next to the field it names
    expect(page.locator("[data-test=phone-item] .el-form-item__error")).to_have_text("电话号码格式不正确")
    shot(page, "intake-refused")


def test_a_department_sees_the_apis_refusal_for_another_departments_complaint(page: Page, hall: Hall) -> None:
    with hall.api() as api:
        cid = api.post("/v1/complaints", json=receive_body(), headers=hall.bearer("window_clerk")).json()["id"]
    sign_in(page, hall, "dept")
    expect(page).to_have_url(re.compile(r"/department$"))
    expect(page.locator("[data-test=department-list]")).to_be_visible()
    expect(page.locator("[data-test=error]")).to_have_count(0)  # the worklist is the department's own
    page.get_by_placeholder("诉求编号").fill(cid)
    page.get_by_role("button", name="按编号办结").click()
    # not dispatched to this department: the API's own Chinese detail, not a generic message
    expect(page.locator("[data-test=error]")).to_contain_text("未找到该诉求")


def test_dashboard_numbers_equal_the_metrics_api(page: Page, hall: Hall) -> None:
    with hall.api() as api:
        last = 0
        for n in range(3):
            r = api.post(
                "/v1/complaints", json=receive_body(content=f"统计用诉求 {n}"), headers=hall.bearer("window_clerk")
            )
            assert r.status_code == 201, r.text
            last = r.json()["notification_id"]
        # a general complaint resolved on the spot meets its response clock, so the rates are not all 0 / 0
        cid = r.json()["id"]
        c = api.post(
            f"/v1/complaints/{cid}/classify", json={"classification": "general"}, headers=hall.bearer("window_clerk")
        )
        assert c.status_code == 200, c.text
        resolved = api.post(
            f"/v1/complaints/{cid}/resolve", json={"result": "当场办结"}, headers=hall.bearer("window_clerk")
        )
        assert resolved.status_code == 200, resolved.text
        last = resolved.json()["notification_id"]
        today = datetime.now(CST).date()
        params = {"from": f"{today.year}-01-01", "to": today.isoformat(), "after": last}
        group = api.get("/v1/metrics", params=params, headers=hall.bearer("analyst")).json()["groups"][0]
        expected = group["rates"]
    sign_in(page, hall, "analyst")
    expect(page).to_have_url(re.compile(r"/ledger$"))
    shot(page, "ledger")
    page.goto(f"{hall.url}/dashboard")
    for key in ("response", "closure", "satisfaction", "on_time_closure"):
        r = expected[key]
        card = page.locator(f"[data-test=rate-{key}]")
        expect(card.locator("[data-test=rate-fraction]")).to_have_text(f"{r['numerator']} / {r['denominator']}")
        value = "—" if r["rate"] is None else f"{r['rate'] * 100:.1f}%"
        expect(card.locator("[data-test=rate-value]")).to_have_text(value)
    assert group["counts"]["received"] >= 3
    assert expected["response"]["numerator"] >= 1
    expect(page.locator("[data-test=chart] canvas")).to_have_count(1)
    shot(page, "dashboard")


def test_duty_pages_render(page: Page, hall: Hall) -> None:
    sign_in(page, hall, "leader")
    expect(page).to_have_url(re.compile(r"/sign$"))
    shot(page, "sign")
    page.goto(f"{hall.url}/dispatch")
    expect(page.locator("[data-test=dispatch-list]")).to_be_visible()
    shot(page, "dispatch")
    page.goto(f"{hall.url}/inbox")
    expect(page.locator("[data-test=inbox]")).to_be_visible()
    shot(page, "inbox")


def test_officer_signs_with_an_opinion(page: Page, hall: Hall) -> None:
    with hall.api() as api:
        clerk = hall.bearer("window_clerk")
        cid = api.post("/v1/complaints", json=receive_body(content="拆迁补偿长期未落实"), headers=clerk).json()["id"]
        c = api.post(
            f"/v1/complaints/{cid}/classify",
            json={"classification": "hard_to_do", "reason": "涉及多部门"},
            headers=clerk,
        )
        assert c.status_code == 200, c.text
        slip = c.json()["slip_no"]
        # wait until the views include the classification, as the page reads the ledger
        caught = api.get("/v1/ledger", params={"after": c.json()["notification_id"]}, headers=hall.bearer("analyst"))
        assert caught.status_code == 200
    sign_in(page, hall, "officer")
    expect(page).to_have_url(re.compile(r"/sign$"))
    row = page.locator("[data-test=sign-list] .el-table__body tr", has_text=slip)
    row.get_by_role("button", name="签字").click()
    page.locator("textarea[data-test=opinion], [data-test=opinion] textarea").first.fill("同意，请带班领导审定")
    shot(page, "sign-dialog")
    page.locator("[data-test=do-sign]").click()
    expect(page.locator(".el-message--success")).to_contain_text("已签字")
    with hall.api() as api:
        got = api.get(f"/v1/complaints/{cid}", headers=hall.bearer("duty_leader")).json()
        history = api.get(f"/v1/complaints/{cid}/history", headers=hall.bearer("duty_leader")).json()
    assert got["status"] == "officer_signed"
    assert history["events"][-1]["payload"].get("opinion") == "同意，请带班领导审定"
    assert history["events"][-1]["actor"]["id"] == "local:officer"


def test_a_signer_holding_both_roles_signs_as_the_officer_the_complaint_waits_for(page: Page, hall: Hall) -> None:
    with hall.api() as api:
        clerk = hall.bearer("window_clerk")
        cid = api.post("/v1/complaints", json=receive_body(content="公租房维修无人处理"), headers=clerk).json()["id"]
        c = api.post(f"/v1/complaints/{cid}/classify", json={"classification": "refused_to_do"}, headers=clerk)
        assert c.status_code == 200, c.text
        slip = c.json()["slip_no"]
        api.get("/v1/ledger", params={"after": c.json()["notification_id"]}, headers=hall.bearer("analyst"))
    sign_in(page, hall, "both")
    page.goto(f"{hall.url}/sign")
    row = page.locator("[data-test=sign-list] .el-table__body tr", has_text=slip)
    row.get_by_role("button", name="签字").click()
    expect(page.locator("[data-test=sign-as]")).to_contain_text("值班人员")
    page.locator("[data-test=do-sign]").click()
    expect(page.locator(".el-message--success")).to_contain_text("已签字")
    with hall.api() as api:
        got = api.get(f"/v1/complaints/{cid}", headers=hall.bearer("duty_leader")).json()
        history = api.get(f"/v1/complaints/{cid}/history", headers=hall.bearer("duty_leader")).json()
    assert got["status"] == "officer_signed"  # without `as` the API would refuse a token holding both roles
    signer = history["events"][-1]["actor"]
    assert (signer["id"], signer["role"]) == ("local:both", "duty_officer")


def test_complaint_page_shows_a_past_version_and_the_timeline(page: Page, hall: Hall) -> None:
    with hall.api() as api:
        clerk = hall.bearer("window_clerk")
        cid = api.post("/v1/complaints", json=receive_body(content="窗口排队过久"), headers=clerk).json()["id"]
        c = api.post(f"/v1/complaints/{cid}/classify", json={"classification": "general"}, headers=clerk)
        assert c.json()["version"] == 2
    sign_in(page, hall, "leader")
    page.goto(f"{hall.url}/complaints/{cid}?version=1")
    expect(page.locator("[data-test=status]")).to_have_text("已受理")
    expect(page.get_by_text("历史版本 1 / 2")).to_be_visible()
    # the slider says when that version was the complaint's state, in Beijing time
    expect(page.locator("[data-test=as-of]")).to_have_text(
        re.compile(r"^1 / 2（\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} 时）$")
    )
    timeline = page.locator("[data-test=timeline] .el-timeline-item")
    expect(timeline).to_have_count(2)
    shot(page, "complaint-version-1")
    timeline.nth(1).locator("a, .el-link").first.click()
    expect(page.locator("[data-test=status]")).to_have_text("已分类")
    expect(page).not_to_have_url(re.compile(r"version="))


def test_leader_dispatches_with_a_deadline_preview_and_the_department_resolves(page: Page, hall: Hall) -> None:
    with hall.api() as api:
        clerk = hall.bearer("window_clerk")
        cid = api.post("/v1/complaints", json=receive_body(content="食品经营许可迟迟不批"), headers=clerk).json()["id"]
        api.post(f"/v1/complaints/{cid}/classify", json={"classification": "cannot_do"}, headers=clerk)
        officer, leader = hall.bearer("duty_officer", "钱值班"), hall.bearer("duty_leader", "赵带班")  # two people
        api.post(f"/v1/complaints/{cid}/sign", json={"opinion": "同意"}, headers=officer)
        signed = api.post(f"/v1/complaints/{cid}/sign", json={"opinion": "转市场监管"}, headers=leader)
        assert signed.json()["status"] == "signed", signed.text
        slip = signed.json()["slip_no"]
        api.get("/v1/ledger", params={"after": signed.json()["notification_id"]}, headers=hall.bearer("analyst"))
    sign_in(page, hall, "leader")
    page.goto(f"{hall.url}/dispatch")
    page.locator("[data-test=dispatch-list] .el-table__body tr", has_text=slip).get_by_role(
        "button", name="转办"
    ).click()
    dialog = page.locator(".el-dialog")
    dialog.locator(".el-select").first.click()
    page.locator(".el-select-dropdown__item:visible", has_text="市场监管").first.click()
    dialog.locator(".el-dialog__title").click()  # close the dropdown
    dialog.locator("input[data-test=supervisor], [data-test=supervisor] input").first.fill(
        "local:supervisor"
    )  # a user id (sub), not a name
    expect(page.locator("[data-test=due-preview]")).to_contain_text("1 个工作日")
    shot(page, "dispatch-dialog")
    dialog.get_by_role("button", name="转办").click()
    expect(page.locator(".el-message--success")).to_contain_text("已转办，办结时限")
    with hall.api() as api:
        got = api.get(f"/v1/complaints/{cid}", headers=hall.bearer("duty_leader")).json()
    assert (got["status"], got["departments"], got["supervisor"]) == ("dispatched", ["market"], "local:supervisor")

    # the department handler resolves it by number; 办不了 needs its legal basis
    sign_out(page)
    sign_in(page, hall, "dept")
    page.get_by_placeholder("诉求编号").fill(cid)
    page.get_by_role("button", name="按编号办结").click()
    dialog = page.locator(".el-dialog")
    dialog.locator("textarea").first.fill("依法不予许可，已告知申请人")
    dialog.get_by_role("button", name="办结").click()
    expect(dialog.locator("[data-test=error]")).to_be_visible()  # the API's refusal without a legal basis
    dialog.locator("textarea").nth(1).fill("《食品经营许可管理办法》第十三条")
    dialog.get_by_role("button", name="办结").click()
    expect(page.locator(".el-message--success")).to_contain_text("已办结")
    with hall.api() as api:
        got = api.get(f"/v1/complaints/{cid}", headers=hall.bearer("duty_leader")).json()
    assert (got["status"], got["legal_basis"]) == ("resolved", "《食品经营许可管理办法》第十三条")


def test_ledger_exports_csv_with_the_session_cookie(page: Page, hall: Hall) -> None:
    with hall.api() as api:
        r = api.post("/v1/complaints", json=receive_body(content="导出用诉求"), headers=hall.bearer("window_clerk"))
        api.get("/v1/ledger", params={"after": r.json()["notification_id"]}, headers=hall.bearer("analyst"))
    sign_in(page, hall, "analyst")
    page.goto(f"{hall.url}/ledger")
    with page.expect_download() as info:
        page.locator("[data-test=export-csv]").click()
    text = Path(info.value.path()).read_text(encoding="utf-8-sig")
    lines = text.splitlines()
    assert lines[0].startswith("受理单号,受理时间,受理渠道")  # the ledger's Chinese headings
    assert len(lines) >= 2
