"""The console's analysis and 未诉先办 pages in a real browser against a real `yousu serve`.

An analyst's dashboard shows exactly what GET /v1/metrics answers for the same filters (read with the
analyst's own session), every chart saves as an image; a duty leader publishes knowledge, issues a
rectification order, downloads and accepts the 潮汐 plan; a call-back agent records a call the duty
leader assigned. Refusals show the API's Chinese detail.
"""

from __future__ import annotations

import io
import re
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import openpyxl
import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import PASSWORD, Hall, shot, sign_in, sign_out
from tests.e2e.conftest import REPO, yousu_executable
from tests.support import hotline_body, receive_body

CST = timezone(timedelta(hours=8))
RATES = (
    "response",
    "closure",
    "satisfaction",
    "on_time_closure",
    "on_time_closure_original",
    "bad_rating",
    "appeal_upheld",
)


def pick(page: Page, select: str, option: str) -> None:
    """Choose ``option`` in the Element Plus select marked ``data-test=select``."""
    page.locator(f"[data-test={select}]").click()
    page.locator(".el-select-dropdown__item:visible", has_text=option).first.click()


def field(page: Page, name: str) -> Locator:
    """The text box marked ``data-test=name`` (Element Plus puts the attribute on the input itself)."""
    boxes = [f"input[data-test={name}]", f"textarea[data-test={name}]", f"[data-test={name}] input"]
    return page.locator(", ".join([*boxes, f"[data-test={name}] textarea"])).first


def rate_text(r: dict[str, Any]) -> str:
    """A rate as the console prints it: "80.0%（4 / 5）" (the rule, written out)."""
    value = "—" if r["rate"] is None else f"{r['rate'] * 100:.1f}%"
    return f"{value}（{r['numerator']} / {r['denominator']}）"


@pytest.fixture(scope="module")
def people(hall: Hall) -> None:
    """A district duty leader and a call-back agent, added with `yousu users add` to the running hall."""
    for username, name, role in (("lead2", "郑带班", "duty_leader"), ("caller", "冯回访", "callback_agent")):
        cmd = [str(yousu_executable()), "users", "add", "--username", username, "--name", name]
        cmd += ["--role", role, "--password-stdin"]
        subprocess.run(cmd, cwd=REPO, env=hall.env, check=True, capture_output=True, input=f"{PASSWORD}\n", text=True)


@contextmanager
def session(hall: Hall, username: str) -> Iterator[httpx.Client]:
    """An HTTP client signed in as ``username`` with the console's own cookie session."""
    with hall.api() as client:
        r = client.post("/v1/auth/login", json={"username": username, "password": PASSWORD})
        assert r.status_code == 200, r.text
        yield client


def save_as_image(page: Page, chart: str) -> tuple[str, bytes]:
    """Click the chart's 保存为图片 and return the downloaded file's name and bytes."""
    with page.expect_download() as info:
        page.locator(f"[data-test={chart}] [data-test=save-image]").click()
    return info.value.suggested_filename, Path(info.value.path()).read_bytes()


def test_analyst_dashboard_equals_the_metrics_api_for_the_same_filters(page: Page, hall: Hall) -> None:
    with hall.api() as api:
        clerk, hotline = hall.bearer("window_clerk"), hall.bearer("hotline")
        ids = []
        for n in range(2):
            r = api.post("/v1/complaints", json=receive_body(content=f"看板用窗口诉求 {n}"), headers=clerk)
            assert r.status_code == 201, r.text
            ids.append(r.json()["id"])
        r = api.post("/v1/complaints", json=hotline_body("DASH-1", content="看板用热线诉求"), headers=hotline)
        assert r.status_code == 201, r.text
        # one window complaint answered on the spot, so the window rates are not all 0 / 0
        c = api.post(f"/v1/complaints/{ids[0]}/classify", json={"classification": "general"}, headers=clerk)
        assert c.status_code == 200, c.text
        done = api.post(f"/v1/complaints/{ids[0]}/resolve", json={"result": "当场办结"}, headers=clerk)
        assert done.status_code == 200, done.text
        order = api.post(
            "/v1/orders",
            json={"unit": "market", "finding": {"kind": "free_text", "text": "窗口答复口径不一"}, "working_days": 5},
            headers=hall.bearer("duty_leader", "赵带班"),
        )
        assert order.status_code == 201, order.text
        api.get("/v1/ledger", params={"after": done.json()["notification_id"]}, headers=hall.bearer("analyst"))

    sign_in(page, hall, "analyst")
    page.goto(f"{hall.url}/dashboard")
    expect(page.locator("[data-test=chart] canvas")).to_have_count(1)
    # change the filters: only the window channel, grouped by channel (the charts follow)
    pick(page, "group-by", "按渠道")
    pick(page, "filter-channel", "窗口")

    today = datetime.now(CST).date()
    params = {"from": f"{today.year}-01-01", "to": today.isoformat(), "channel": "window"}
    with session(hall, "analyst") as mine:  # the analyst's own session: the same scope as the page's
        overall = mine.get("/v1/metrics", params=params).json()["groups"][0]
        grouped = mine.get("/v1/metrics", params={**params, "group_by": "channel"}).json()["groups"]
        orders = mine.get("/v1/orders", params={"from": params["from"], "to": params["to"], "limit": 1}).json()
    assert [g["group"] for g in grouped] == ["window"]
    assert overall["counts"]["received"] >= 2
    assert overall["rates"]["response"]["numerator"] >= 1

    for key in RATES:
        r = overall["rates"][key]
        card = page.locator(f"[data-test=rate-{key}]")
        expect(card.locator("[data-test=rate-fraction]")).to_have_text(f"{r['numerator']} / {r['denominator']}")
        expect(card.locator("[data-test=rate-value]")).to_have_text(rate_text(r).split("（")[0])
    rows = page.locator("[data-test=group-table] .el-table__body tr")
    expect(rows).to_have_count(len(grouped))
    for i, g in enumerate(grouped):
        expect(rows.nth(i)).to_contain_text(g["label"])
        for key in RATES:
            expect(rows.nth(i).locator(f"[data-test=cell-{key}]")).to_have_text(rate_text(g["rates"][key]))
    on_time = orders["on_time_rate"]
    expect(page.locator("[data-test=rate-orders_on_time] [data-test=rate-fraction]")).to_have_text(
        f"{on_time['numerator']} / {on_time['denominator']}"
    )
    expect(page.locator("[data-test=rectifications] [data-test=rate-value]")).to_have_text(
        str(overall["counts"]["rectifications"])
    )
    for chart in ("chart", "chart-trend", "chart-overdue", "chart-bad", "chart-orders"):
        expect(page.locator(f"[data-test={chart}] canvas")).to_have_count(1)
    shot(page, "dashboard-filtered")

    # every chart saves as an image: 保存为图片 downloads a PNG named after the chart
    for chart, title in (("chart", "办理指标（按渠道）"), ("chart-overdue", "超期（按部门）")):
        name, png = save_as_image(page, chart)
        assert name == f"{title}.png"
        assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_analyst_reads_topics_repeats_and_the_forecast(page: Page, hall: Hall) -> None:
    with hall.api() as api:
        clerk = hall.bearer("window_clerk")
        last = 0
        made = []
        for n in range(3):
            r = api.post(
                "/v1/complaints",
                json=receive_body(content=f"小区电梯长期故障无人维修 第{n}次", category="housing"),
                headers=clerk,
            )
            assert r.status_code == 201, r.text
            last = r.json()["notification_id"]
            made.append(r.json())
        api.get("/v1/ledger", params={"after": last}, headers=hall.bearer("analyst"))
    sign_in(page, hall, "analyst")
    page.goto(f"{hall.url}/topics")
    today = datetime.now(CST).date()
    with session(hall, "analyst") as mine:
        q = {"from": (today - timedelta(days=29)).isoformat(), "to": today.isoformat()}
        rate = mine.get("/v1/insights/repeats", params=q).json()
        topics = mine.get("/v1/insights/topics", params={**q, "min_count": 2, "limit": 50}).json()["topics"]
    expect(page.locator("[data-test=repeat-rate] [data-test=rate-fraction]")).to_have_text(
        f"{rate['repeats']} / {rate['received']}"
    )
    expect(page.locator("[data-test=topic-count]")).to_have_text(str(len(topics)))
    assert topics, "three complaints about the same lift make a topic"
    expect(page.locator("[data-test=topics] .el-table__body tr").first).to_contain_text(topics[0]["title"])
    expect(page.locator("[data-test=chart-topics] canvas")).to_have_count(1)
    shot(page, "topics")
    # every member of the topic, in a dialog
    page.locator("[data-test=topic-members]").first.click()
    expect(page.locator("[data-test=members] .el-table__body tr")).to_have_count(min(topics[0]["count"], 20))
    shot(page, "topic-members")
    # a complaint's similar matters: the other two about the lift
    page.goto(f"{hall.url}/complaints/{made[0]['id']}")
    panel = page.locator("[data-test=similar]")
    for other in made[1:]:
        expect(panel).to_contain_text(other["slip_no"])
    shot(page, "similar-matters")

    page.goto(f"{hall.url}/forecast")
    with session(hall, "analyst") as mine:
        fc = mine.get("/v1/insights/forecast", params={"series": "all", "horizon_weeks": 8}).json()
    summary = page.locator("[data-test=forecast-summary]")
    expect(summary).to_contain_text(str(fc["history"]["days"]))
    mape = (fc["backtest"] or {}).get("mape")
    expect(page.locator("[data-test=mape]")).to_have_text("—" if mape is None else f"{mape:.1f}%")
    for note in fc["notes"]:
        expect(page.get_by_text(note).first).to_be_visible()
    expect(page.locator("[data-test=accept-plan]")).to_have_count(0)  # accepting is the duty leader's
    shot(page, "forecast")


def test_duty_leader_publishes_knowledge_issues_an_order_and_accepts_the_tidal_plan(
    page: Page, hall: Hall, people: None
) -> None:
    with hall.api() as api:
        drafted = api.post(
            "/v1/knowledge",
            json={"question": "营业执照遗失如何补办？", "answer": "登报声明后凭身份证到窗口补领。", "tags": ["执照"]},
            headers=hall.bearer("window_clerk"),
        )
        assert drafted.status_code == 201, drafted.text
        entry_id = drafted.json()["id"]

    sign_in(page, hall, "lead2")
    page.goto(f"{hall.url}/knowledge")
    page.get_by_placeholder("条目编号").fill(entry_id)
    page.get_by_role("button", name="打开").click()
    expect(page.locator("[data-test=kb-status]")).to_have_text("草稿")
    expect(page.locator("[data-test=kb-question]")).to_have_text("营业执照遗失如何补办？")
    page.locator("[data-test=kb-publish]").click()
    expect(page.locator(".el-message--success")).to_contain_text("已发布第 1 版")
    expect(page.locator("[data-test=kb-status]")).to_have_text("已发布")
    # publishing again: nothing new to publish — the API's refusal, in its own words
    page.locator("[data-test=kb-publish]").click()
    expect(page.locator("[data-test=kb-entry] [data-test=error]")).to_contain_text("没有待发布的草稿")
    shot(page, "knowledge-refused")
    page.locator("[data-test=kb-q]").fill("营业执照补办")
    page.locator("[data-test=kb-search]").click()
    expect(page.locator("[data-test=kb-results]")).to_contain_text("营业执照遗失如何补办")

    # 限期整改: the leader issues an order to a department
    page.goto(f"{hall.url}/orders")
    page.locator("[data-test=issue]").click()
    pick(page, "order-unit", "住建")
    field(page, "order-text").fill("物业维修答复超期")
    page.locator("[data-test=order-submit]").click()
    expect(page.locator(".el-message--success")).to_contain_text("已下发，整改期限")
    with hall.api() as api:
        listed = api.get("/v1/orders", params={"unit": "housing"}, headers=hall.bearer("analyst")).json()
    assert any(o["finding_text"] == "物业维修答复超期" and o["issuer_id"] == "local:lead2" for o in listed["items"])
    expect(page.locator("[data-test=orders]")).to_contain_text("物业维修答复超期")
    shot(page, "orders")

    # 潮汐 plan: download it as XLSX, then accept it
    page.goto(f"{hall.url}/forecast")
    page.get_by_role("tab", name="潮汐窗口预案").click()
    expect(page.locator("[data-test=plan-days]")).to_be_visible()
    with page.expect_download() as info:
        page.locator("[data-test=plan-xlsx]").click()
    assert info.value.suggested_filename.endswith(".xlsx")
    assert Path(info.value.path()).read_bytes()[:2] == b"PK"  # an OOXML (zip) workbook
    field(page, "plan-note").fill("同意，按预案增开窗口")
    page.locator("[data-test=accept-plan]").click()
    expect(page.locator(".el-message--success")).to_contain_text("已确认潮汐预案")
    shot(page, "tidal-plan")


def test_callback_agent_records_the_call_the_leader_assigned(page: Page, hall: Hall, people: None) -> None:
    with hall.api() as api:
        clerk = hall.bearer("window_clerk")
        cid = api.post("/v1/complaints", json=receive_body(content="窗口办事指引不清"), headers=clerk).json()["id"]
        assert api.post(f"/v1/complaints/{cid}/classify", json={"classification": "general"}, headers=clerk).is_success
        assert api.post(f"/v1/complaints/{cid}/resolve", json={"result": "当场讲解"}, headers=clerk).is_success
        fed = api.post(f"/v1/complaints/{cid}/feedback", json={"method": "当面"}, headers=clerk)
        assert fed.status_code == 200, fed.text
        slip = fed.json()["slip_no"]
        api.get("/v1/callbacks/queue", params={"after": fed.json()["notification_id"]}, headers=clerk)

    # the duty leader assigns the call-back to the agent
    sign_in(page, hall, "lead2")
    page.goto(f"{hall.url}/callbacks")
    row = page.locator("[data-test=callbacks] .el-table__body tr", has_text=slip)
    row.locator("[data-test=assign]").click()
    field(page, "agent").fill("冯回访")  # picked by name from the centre's call-back agents, as staff do
    page.locator(".el-autocomplete-suggestion [data-test=person-option]", has_text="冯回访").click()
    page.locator("[data-test=do-assign]").click()
    # the agent by name, as staff know them (the user id local:caller is for programs)
    expect(page.locator(".el-message--success")).to_contain_text("已分派给 冯回访")
    expect(row.locator("[data-test=assignee]")).to_have_text("冯回访")
    sign_out(page)

    sign_in(page, hall, "caller")
    expect(page).to_have_url(re.compile(r"/callbacks$"))
    row = page.locator("[data-test=callbacks] .el-table__body tr", has_text=slip)  # 只看分派给我的
    row.locator("[data-test=record]").click()
    expect(page.locator("[data-test=call-phone]")).to_have_text("13812345678")  # the agent may read the number
    field(page, "call-comment").fill("已接通，群众表示满意")
    page.locator("[data-test=do-record]").click()  # 接通 without a rating: refused
    expect(page.locator(".el-dialog [data-test=error]")).to_contain_text("接通的回访须有 1 至 5 的评价")
    shot(page, "callback-refused")
    page.locator("[data-test=rating]").get_by_text("满意", exact=True).click()
    page.locator("[data-test=do-record]").click()
    expect(page.locator(".el-message--success")).to_contain_text("已记录（已回访")
    with hall.api() as api:
        got = api.get(f"/v1/complaints/{cid}", headers=hall.bearer("duty_leader")).json()
        history = api.get(f"/v1/complaints/{cid}/history", headers=hall.bearer("duty_leader")).json()
    assert got["status"] == "closed"
    assert history["events"][-1]["actor"]["id"] == "local:caller"
    shot(page, "callbacks")


def test_proactive_call_back_agent_enrolment_and_a_finding_sent_as_an_order(
    page: Page, hall: Hall, people: None
) -> None:
    """The 回访中心's other commands through the console: the window registers someone it served for a 主动回访,
    an agent puts themself on record, the call's finding becomes a 限期整改通知 to the unit."""
    sign_in(page, hall, "clerk")
    page.goto(f"{hall.url}/callbacks")
    page.locator("[data-test=register-proactive]").click()
    field(page, "proactive-name").fill("陈主动")
    field(page, "proactive-phone").fill("13900001111")
    page.locator("[data-test=do-register]").click()  # no 办理事项: the API's refusal, nothing registered
    expect(page.locator(".el-dialog [data-test=error]")).to_contain_text("办理事项")
    field(page, "proactive-service").fill("个体工商户设立登记")
    page.locator("[data-test=do-register]").click()
    expect(page.locator(".el-message--success", has_text="已登记主动回访")).to_be_visible()
    row = page.locator("[data-test=callbacks] .el-table__body tr", has_text="主动回访").first
    expect(row).to_contain_text("陈*")  # masked in the queue
    row.locator("[data-test=record]").click()
    expect(page.locator("[data-test=call-phone]")).to_have_text("13900001111")  # the window may read the number
    page.locator("[data-test=rating]").get_by_text("不满意", exact=True).click()
    field(page, "call-comment").fill("反映窗口指引不清")
    page.get_by_placeholder("需整改的问题（可不填）").fill("登记窗口无办事指引")
    page.locator("[data-test=do-record]").click()
    expect(page.locator(".el-message--success", has_text="已记录")).to_be_visible()
    sign_out(page)

    sign_in(page, hall, "caller")
    page.locator("[data-test=enrol]").click()
    expect(page.locator(".el-message--success", has_text="回访员：冯回访")).to_be_visible()
    sign_out(page)

    sign_in(page, hall, "lead2")
    page.goto(f"{hall.url}/callbacks")
    page.locator("[data-test=kind]").get_by_text("主动回访").click()
    page.locator("[data-test=findings]").click()  # the calls made that found a problem
    row = page.locator("[data-test=callbacks] .el-table__body tr", has_text="主动回访").first
    row.locator("[data-test=refer]").click()
    pick(page, "refer-unit", "市场监管")
    page.locator("[data-test=do-refer]").click()
    expect(page.locator(".el-message--success", has_text="已下发限期整改通知")).to_be_visible()
    with session(hall, "lead2") as mine:
        orders = mine.get("/v1/orders").json()["items"]
    assert any(o["unit"] == "market" and "登记窗口无办事指引" in str(o) for o in orders)
    shot(page, "callbacks-proactive-order")


def test_ledger_filters_and_exports_the_filtered_rows(page: Page, hall: Hall) -> None:
    with hall.api() as api:
        r = api.post(
            "/v1/complaints",
            json=hotline_body("LEDGER-1", content="台账筛选用热线诉求"),
            headers=hall.bearer("hotline"),
        )
        assert r.status_code == 201, r.text
        api.get("/v1/ledger", params={"after": r.json()["notification_id"]}, headers=hall.bearer("analyst"))
    sign_in(page, hall, "analyst")
    page.goto(f"{hall.url}/ledger")
    pick(page, "filter-channel", "热线")
    page.locator("[data-test=search]").click()
    with session(hall, "analyst") as mine:
        expected = mine.get("/v1/ledger", params={"channel": "hotline", "limit": 20}).json()
    assert expected["total"] >= 1
    expect(page.locator(".el-pagination__total")).to_contain_text(f"共 {expected['total']} 条")
    rows = page.locator("[data-test=ledger] .el-table__body tr")
    expect(rows).to_have_count(len(expected["items"]))
    expect(rows.first).to_contain_text(expected["items"][0]["slip_no"])
    shot(page, "ledger-filtered")

    # the export carries the same filters: every row of the workbook is a hotline complaint
    with page.expect_download() as info:
        page.locator("[data-test=export-xlsx]").click()
    assert info.value.suggested_filename.endswith(".xlsx")
    book = openpyxl.load_workbook(io.BytesIO(Path(info.value.path()).read_bytes()), read_only=True)
    sheet = book.worksheets[0]
    table = [list(r) for r in sheet.iter_rows(values_only=True)]
    channel = table[0].index("受理渠道")
    assert len(table) - 1 == expected["total"]
    assert {row[channel] for row in table[1:]} == {"12345热线"}
    with page.expect_download() as info:
        page.locator("[data-test=export-csv]").click()
    lines = Path(info.value.path()).read_text(encoding="utf-8-sig").splitlines()
    assert len(lines) - 1 == expected["total"]


def test_duty_leader_drafts_a_guidance_case_sees_the_redaction_and_publishes_it(
    page: Page, hall: Hall, people: None
) -> None:
    with hall.api() as api:
        clerk = hall.bearer("window_clerk")
        body = receive_body(content="张三丰反映营业执照变更被拖延，电话13812345678")
        cid = api.post("/v1/complaints", json=body, headers=clerk).json()["id"]
        assert api.post(f"/v1/complaints/{cid}/classify", json={"classification": "general"}, headers=clerk).is_success
        done = api.post(f"/v1/complaints/{cid}/resolve", json={"result": "当场协调办结"}, headers=clerk)
        assert done.status_code == 200, done.text
    sign_in(page, hall, "lead2")
    page.goto(f"{hall.url}/cases")
    page.locator("[data-test=case-draft]").click()
    field(page, "case-ids").fill(cid)
    field(page, "case-form-title").fill("营业执照变更拖延的协调办结")
    page.locator("[data-test=case-save]").click()
    # the first draft of a process loads the word lists redaction uses: allow it time
    expect(page.locator("[data-test=case-status]")).to_have_text("草稿", timeout=60_000)
    details = page.locator("[data-test=case-details]")
    expect(details).to_contain_text("【当事人】")
    expect(details).not_to_contain_text("张三丰")
    expect(details).not_to_contain_text("13812345678")
    replaced = page.locator("[data-test=case-replacements]")
    expect(replaced).to_contain_text("张**")  # what was replaced, masked, for the drafter to check
    expect(replaced).to_contain_text("138****5678")
    shot(page, "case-draft")
    page.locator("[data-test=case-publish]").click()
    expect(page.locator(".el-message--success", has_text="已发布")).to_be_visible()
    expect(page.locator("[data-test=case-status]")).to_have_text("已发布")
    expect(page.locator("[data-test=case-results]")).to_contain_text("营业执照变更拖延的协调办结")
    href = page.locator("[data-test=case-print]").get_attribute("href")
    assert href is not None
    printable = page.request.get(f"{hall.url}{href}")  # the browser's own session cookie
    assert printable.status == 200
    assert "指导案例：营业执照变更拖延的协调办结" in printable.text()

    # a case from a matter that did not come through yousu: no complaint, its source named, the text written in full
    page.locator("[data-test=case-draft]").click()
    field(page, "case-form-title").fill("企业开办跨部门协同")
    page.locator("[data-test=case-save]").click()
    # the API's refusal, above the form and next to the field it names
    refusal = "须列出至少一件已办结的诉求，或写明案例来源"
    expect(page.locator(".el-dialog [data-test=error]")).to_contain_text(refusal)
    expect(page.locator("[data-test=case-ids-item] .el-form-item__error")).to_have_text(refusal)
    field(page, "case-source").fill("其他政务服务诉求响应机制：好差评回访")
    page.get_by_placeholder("不填则取诉求内容").fill("企业反映开办需往返多个窗口")
    page.get_by_placeholder("不填则取办结结果").fill("召集市场监管、税务会商，改为一窗受理")
    page.locator("[data-test=case-save]").click()
    expect(page.locator("[data-test=case-status]")).to_have_text("草稿")
    expect(page.locator("[data-test=case-source-shown]")).to_contain_text("其他政务服务诉求响应机制：好差评回访")


def test_department_acknowledges_and_reports_an_order_and_only_its_issuer_may_review_it(
    page: Page, hall: Hall, people: None
) -> None:
    with hall.api() as api:
        issued = api.post(
            "/v1/orders",
            json={"unit": "market", "finding": {"kind": "free_text", "text": "告知单缺少办理时限"}, "working_days": 3},
            headers=hall.bearer("liaison", "褚联络"),
        )
        assert issued.status_code == 201, issued.text
        order_id = issued.json()["id"]
        api.get("/v1/orders", params={"after": issued.json()["notification_id"]}, headers=hall.bearer("analyst"))

    sign_in(page, hall, "dept")
    page.goto(f"{hall.url}/orders")
    row = page.locator("[data-test=orders] .el-table__body tr", has_text="告知单缺少办理时限")
    dialog = page.locator(".el-dialog")
    # reporting before acknowledging: the API's refusal, in its words
    row.get_by_role("button", name="报送").click()
    field(page, "order-report").fill("已修改告知单模板")
    page.locator("[data-test=order-submit]").click()
    expect(dialog.locator("[data-test=error]")).to_contain_text("整改通知尚未签收，不能报送整改报告")
    shot(page, "order-refused")
    dialog.get_by_role("button", name="取消").click()
    row.get_by_role("button", name="签收").click()
    page.locator("[data-test=order-submit]").click()
    expect(row.locator("[data-test=order-status]")).to_have_text("已签收")
    row.get_by_role("button", name="报送").click()
    field(page, "order-report").fill("已修改告知单模板，写明法定时限")
    page.locator("[data-test=order-submit]").click()
    expect(row.locator("[data-test=order-status]")).to_have_text("已报告整改")
    sign_out(page)

    # a duty leader who did not issue it may not send it back
    sign_in(page, hall, "lead2")
    page.goto(f"{hall.url}/orders")
    row = page.locator("[data-test=orders] .el-table__body tr", has_text="告知单缺少办理时限")
    row.locator("[data-test=return]").click()
    field(page, "order-reason").fill("时限写错")
    page.locator("[data-test=order-submit]").click()
    expect(dialog.locator("[data-test=error]")).to_contain_text("只有下发整改通知的带班领导或纪检联络员可以验收或退回")
    with hall.api() as api:
        got = api.get("/v1/orders", params={"unit": "market", "limit": 200}, headers=hall.bearer("analyst")).json()
    mine = next(o for o in got["items"] if o["id"] == order_id)
    assert (mine["status"], mine["round"]) == ("reported", 1)
