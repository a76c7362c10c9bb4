"""The four kinds of complaint through their whole lifecycles in the console (issue 24 point 6), in a real browser
against a real `yousu serve`, each step taken through the UI by the person whose step it is, signed in as them:

(a) 一般性问题 answered on the spot at the window (办结 and 当面反馈 in one step, no separate 反馈), then 回访;
(b) 办不了 received at a street centre, signed by the DISTRICT hall's duty officer and leader (a street centre's
    complex matters go to the district hall's leader of the day: the signing centre's default), dispatched,
    resolved with its legal basis, fed back, called back;
(c) 很难办 dispatched to two departments, each department's 负责人 naming a handler, a 会商 of both, the named handler
    resolving (the department's other staff refused);
(d) 不给办 rated 差评 on call-back → the department appeals → the duty leader upholds it; and another 不给办 rated 差评
    → 整改 (a 整改通知 issued to the department, 签收, 整改报告, 验收; the department resolves again in the
    rectification round) → 反馈 → 再回访.

The only API calls are setup no one does in the console's lifecycles: the accounts (`POST /v1/accounts`). Every page is watched: a
console error or a page error fails the test. Screenshots of the key steps go to tests/browser/artifacts/lifecycles/.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.browser.conftest import ARTIFACTS, PASSWORD, Hall, assert_no_errors, sign_in, watch
from tests.support import auth

# el-input puts data-test on the wrapper or on the native field
TEXT = "textarea[data-test=handling-text], [data-test=handling-text] textarea"

# this module's accounts (setup, not a user step): a street centre's window, two departments' 负责人 and 业务骨干
ACCOUNTS = [
    ("lc_jf_clerk", "解放窗口刘", ["window_clerk"], None, "jiefang"),
    ("lc_jf_leader", "解放带班孔", ["duty_leader"], None, "jiefang"),
    ("lc_mkt_head", "马科长", ["department"], "market", "district"),
    ("lc_mkt_staff", "牛骨干", ["department"], "market", "district"),
    ("lc_hs_head", "侯科长", ["department"], "housing", "district"),
    ("lc_hs_staff", "熊骨干", ["department"], "housing", "district"),
]


class Desks:
    """One browser context per person (their workstation), signed in once and reused by every lifecycle."""

    def __init__(self, browser: Browser, hall: Hall) -> None:
        self.browser, self.hall = browser, hall
        self.pages: dict[str, Page] = {}
        self.watched: list[list[str]] = []

    def __call__(self, username: str) -> Page:
        if username not in self.pages:
            ctx = self.browser.new_context(
                viewport={"width": 1366, "height": 768}, locale="zh-CN", timezone_id="Asia/Shanghai"
            )
            page = ctx.new_page()
            page.set_default_timeout(20_000)
            self.watched.append(watch(page))
            sign_in(page, self.hall, username)
            self.pages[username] = page
        return self.pages[username]

    def take_errors(self) -> list[str]:
        """The console and page errors seen since the last call."""
        out = [e for seen in self.watched for e in seen]
        for seen in self.watched:
            seen.clear()
        return out

    def close(self) -> None:
        for page in self.pages.values():
            page.context.close()


@pytest.fixture(scope="module")
def desks(browser: Browser, hall: Hall) -> Iterator[Desks]:
    admin = auth("admin", name="测试管理员")
    with httpx.Client(base_url=hall.url, timeout=30) as api:
        for username, name, roles, department, centre in ACCOUNTS:
            account = {"username": username, "name": name, "roles": roles, "centre": centre, "password": PASSWORD}
            if department:
                account["department"] = department
            made = api.post("/v1/accounts", json=account, headers=admin)
            assert made.status_code == 201, made.text
    d = Desks(browser, hall)
    yield d
    d.close()


@pytest.fixture
def at(desks: Desks) -> Iterator[Desks]:
    """The workstations; the test fails on any console or page error seen on any of them during it."""
    desks.take_errors()
    yield desks
    assert_no_errors(desks.take_errors())


def origin(page: Page) -> str:
    """The service's address, from the page's."""
    found = re.match(r"https?://[^/]+", page.url)
    assert found, page.url
    return found.group(0)


def shot(page: Page, name: str) -> None:
    folder = ARTIFACTS / "lifecycles"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def success(page: Page, text: str) -> None:
    """The step's success message; a refusal shown in its dialog instead fails with the API's detail."""
    done = page.locator(".el-message--success", has_text=text).first
    refused = page.locator(".el-dialog [data-test=error]:visible").first
    expect(done.or_(refused)).to_be_visible()
    if not done.is_visible() and refused.is_visible():
        pytest.fail(f"refused instead of {text}: {refused.inner_text()}")


STALE = "请刷新后重试"  # 412: the list's row was older than the complaint (the views follow a moment later)


def sent(page: Page, attempt: Callable[[], None], done_text: str, tries: int = 8) -> None:
    """Run ``attempt`` (open a list row's dialog, fill it, send it) until it is not answered "刷新后重试": a row of a
    list read from the views may be a moment older than the complaint, and a person then refreshes and sends again.
    A refusal of another kind stays shown in the dialog, for the caller to read."""
    for _ in range(tries):
        attempt()
        done = page.locator(".el-message--success", has_text=done_text).first
        refused = page.locator(".el-dialog:visible [data-test=error]").first
        expect(done.or_(refused)).to_be_visible()
        if done.is_visible() or STALE not in refused.inner_text():
            return
        page.locator(".el-dialog:visible .el-dialog__headerbtn").first.click()
        page.wait_for_timeout(500)
    pytest.fail(f"still {STALE} after {tries} tries")


def row_of(page: Page, path: str, table: str, slip: str, tries: int = 40) -> Locator:
    """The row of ``slip`` in the list ``table`` of the page at ``path`` (the lists read views, which follow the
    events a moment later: the page is reloaded until the row is there)."""
    page.goto(f"{origin(page)}{path}")
    row = page.locator(f"[data-test={table}] .el-table__body tr", has_text=slip)
    for _ in range(tries):
        page.wait_for_load_state("networkidle")
        if row.count():
            return row.first
        page.wait_for_timeout(250)
        page.reload()
    pytest.fail(f"{slip} never appeared on {path}")


def intake(page: Page, content: str, classification: str) -> tuple[str, str]:
    """受理 at the window through the intake form, then 分类 from 今日受理: the complaint's id and 受理单号."""
    page.goto(f"{origin(page)}/intake")
    page.locator("[data-test=category]").click()
    page.locator(".el-select-dropdown__item:visible", has_text="市场监管").first.click()
    page.locator("textarea[data-test=content], [data-test=content] textarea").first.fill(content)
    page.locator("input[data-test=name], [data-test=name] input").first.fill("张群众")
    page.locator("input[data-test=phone], [data-test=phone] input").first.fill("13812345679")
    page.locator("[data-test=submit]").click()
    message = page.locator(".el-message--success", has_text="已受理，受理单号").first
    expect(message).to_be_visible()
    slip = re.search(r"受理单号\s*(\S+)", message.inner_text())
    assert slip, message.inner_text()
    row = page.locator("[data-test=today] .el-table__body tr", has_text=slip.group(1))
    expect(row).to_contain_text("已受理")
    cid = (row.locator("a").first.get_attribute("href") or "").rsplit("/", 1)[-1]
    row.locator("[data-test=classify]").click()
    dialog = page.locator("[data-test=classify-dialog]")
    dialog.locator("[data-test=classification]").click()
    page.locator(".el-select-dropdown__item:visible", has_text=classification).first.click()
    dialog.locator("[data-test=do-classify]").click()
    success(page, "已分类")
    expect(row).to_contain_text(classification)
    return cid, slip.group(1)


def sign(page: Page, slip: str, opinion: str, as_role: str) -> None:
    """审核签字 from the 待签 page."""

    def attempt() -> None:
        row = row_of(page, "/sign", "sign-list", slip)
        row.locator("[data-test=sign]").click()
        expect(page.locator("[data-test=sign-as]")).to_contain_text(as_role)
        page.locator("textarea[data-test=opinion], [data-test=opinion] textarea").first.fill(opinion)
        page.locator("[data-test=do-sign]").click()

    sent(page, attempt, "已签字")
    success(page, "已签字")


def dispatch(page: Page, slip: str, departments: list[str]) -> None:
    """转办 from the 转办 page: the departments, and 周督办 picked by name as 督办专人."""

    def attempt() -> None:
        row = row_of(page, "/dispatch", "dispatch-list", slip)
        row.locator("[data-test=dispatch]").click()
        dialog = page.locator("[data-test=dispatch-dialog]")
        dialog.locator("[data-test=dispatch-departments]").click()
        for name in departments:
            page.locator(".el-select-dropdown__item:visible", has_text=name).first.click()
        dialog.locator(".el-dialog__title").click()
        dialog.locator("[data-test=supervisor] input").first.fill("周")
        page.locator("[data-test=person-option]:visible", has_text="周督办").first.click()
        expect(dialog.locator("[data-test=due-preview]")).to_be_visible()
        dialog.locator("[data-test=do-dispatch]").click()

    sent(page, attempt, "已转办，办结时限")
    success(page, "已转办，办结时限")


def resolve(page: Page, slip: str, result: str, basis: str | None = None) -> Locator:
    """办结 from the 部门待办 page; the dialog (its error shows there when refused)."""

    def attempt() -> None:
        row = row_of(page, "/department", "department-list", slip)
        row.locator("[data-test=resolve]").click()
        dialog = page.locator("[data-test=resolve-dialog]")
        dialog.locator("textarea[data-test=resolve-result], [data-test=resolve-result] textarea").first.fill(result)
        if basis:
            dialog.locator("textarea[data-test=resolve-basis], [data-test=resolve-basis] textarea").first.fill(basis)
        dialog.locator("[data-test=do-resolve]").click()

    sent(page, attempt, "已办结")
    return page.locator("[data-test=resolve-dialog]")


def complaint(page: Page, cid: str) -> None:
    page.goto(f"{origin(page)}/complaints/{cid}")
    page.locator("[data-test=status]").wait_for()


def step(page: Page, kind: str, text: str = "", **choose: str) -> None:
    """A step from the complaint page's 办理 panel: its dialog, the choices (radio labels), the text, sent."""
    page.locator(f"[data-test=handle-{kind}]").click()
    dialog = page.locator("[data-test=handling-dialog]")
    for field, label in choose.items():
        dialog.locator(f"[data-test={field}]").get_by_text(label, exact=True).click()
    if text:
        dialog.locator(TEXT).first.fill(text)
    dialog.locator("[data-test=handling-submit]").click()


def status_is(page: Page, cid: str, label: str, tries: int = 40) -> None:
    """The complaint page (reloaded until the state has it) shows the status ``label``."""
    complaint(page, cid)
    for _ in range(tries):
        if page.locator("[data-test=status]").inner_text().strip() == label:
            return
        page.wait_for_timeout(250)
        page.reload()
        page.locator("[data-test=status]").wait_for()
    expect(page.locator("[data-test=status]")).to_have_text(label)


def history(page: Page) -> list[str]:
    """The 办理轨迹 labels the people's steps wrote, oldest first (the duty leader reads the trail).

    升级督办 is left out: the escalation policy raises it on its own schedule — on a 差评, or when a clock passes
    at whatever hour the suite runs — so where (and whether yet) it stands among the steps is not the UI's to
    decide; the policy's own tests assert it."""
    page.locator("[data-test=timeline]").wait_for()
    items = page.locator("[data-test=timeline] .el-timeline-item").all_inner_texts()
    labels = [m.group(1) for t in items if (m := re.search(r"v\d+ (\S+)", t))]
    return [label for label in labels if label != "升级督办"]


def ledger_row(page: Page, slip: str) -> Locator:
    """The 工作台账 row of ``slip``, found with the search box."""
    page.goto(f"{origin(page)}/ledger")
    page.locator("input[data-test=filter-q], [data-test=filter-q] input").first.fill(slip)
    page.locator("[data-test=search]").click()
    row = page.locator("[data-test=ledger] .el-table__body tr", has_text=slip)
    expect(row).to_have_count(1)
    return row


def test_a_general_question_is_answered_on_the_spot_at_the_window_and_called_back(at: Desks) -> None:
    clerk = at("clerk")
    cid, slip = intake(clerk, "咨询个体工商户登记需要带哪些材料", "一般性问题")
    complaint(clerk, cid)
    expect(clerk.locator("[data-test=status]")).to_have_text("已分类")
    expect(clerk.locator("[data-test=handle-feedback]")).to_have_count(0)  # nothing to feed back before the answer
    step(clerk, "on_the_spot", "当场告知所需材料清单并协助填表")
    success(clerk, "已当场答复")
    # 办结 and 当面反馈 in one step: the complaint is fed back, and no separate 反馈 is offered
    expect(clerk.locator("[data-test=status]")).to_have_text("已反馈")
    expect(clerk.locator("[data-test=feedback]")).to_contain_text("当面")
    expect(clerk.locator("[data-test=handle-feedback]")).to_have_count(0)
    shot(clerk, "a-answered-on-the-spot")
    step(clerk, "callback", "群众表示满意", **{"callback-rating": "满意"})
    success(clerk, "已记录回访")
    expect(clerk.locator("[data-test=status]")).to_have_text("已回访")

    leader = at("leader")
    complaint(leader, cid)
    assert history(leader) == ["受理", "分类", "办结", "反馈", "回访"]
    row = ledger_row(clerk, slip)
    expect(row).to_contain_text("王小明")  # 受理人
    expect(row).to_contain_text("一般性问题")
    expect(row).to_contain_text("当场告知所需材料清单并协助填表")
    expect(row).to_contain_text("当面")
    expect(row.locator("td").nth(7)).to_have_text("已回访")
    shot(clerk, "a-ledger")


def test_cannot_do_at_a_street_centre_is_signed_by_the_district_hall(at: Desks) -> None:
    street = at("lc_jf_clerk")
    cid, slip = intake(street, "街道窗口：个体户要求代办跨区迁址登记", "办不了")
    assert slip.startswith("YS-jiefang-")  # the street centre's own numbering

    # the district hall's duty officer and duty leader sign it (复杂事项转交区行政服务中心当天带班领导处理)
    officer = at("officer")
    sign(officer, slip, "属区级事项，同意转办", "当天值班人员")
    leader = at("leader")
    row_of(leader, "/sign", "sign-list", slip)  # the district's leader has it to sign …
    street_leader = at("lc_jf_leader")  # … the street centre's own leader has not: the district signs for it
    street_leader.goto(f"{origin(street_leader)}/sign")
    street_leader.wait_for_load_state("networkidle")
    expect(street_leader.locator("[data-test=sign-list] .el-table__body tr", has_text=slip)).to_have_count(0)
    sign(leader, slip, "请市场监管局依法答复", "带班领导")
    status_is(leader, cid, "已审核签字")
    shot(leader, "b-signed-by-the-district")
    dispatch(leader, slip, ["市场监管"])

    dept = at("dept")
    resolve(dept, slip, "跨区迁址须向迁入地登记机关申请，已告知办理路径", "《市场主体登记管理条例》第二十七条")
    success(dept, "已办结")

    step_on = street
    complaint(step_on, cid)
    status_is(step_on, cid, "已办结")
    step(step_on, "feedback", "已电话告知办理路径", **{"feedback-method": "电话"})
    success(step_on, "已反馈")
    step(step_on, "callback", "群众认可答复", **{"callback-rating": "基本满意"})
    success(step_on, "已记录回访")
    expect(step_on.locator("[data-test=status]")).to_have_text("已回访")
    shot(step_on, "b-called-back")

    complaint(leader, cid)
    facts = leader.locator(".facts")
    expect(facts).to_contain_text("钱值班：属区级事项，同意转办")
    expect(facts).to_contain_text("赵带班：请市场监管局依法答复")
    expect(facts).to_contain_text("《市场主体登记管理条例》第二十七条")
    assert history(leader) == ["受理", "分类", "审核签字", "审核签字", "转办", "办结", "反馈", "回访"]
    row = ledger_row(leader, slip)
    expect(row).to_contain_text("解放窗口刘")  # 受理人: the street centre's clerk
    expect(row).to_contain_text("办不了")
    expect(row).to_contain_text("钱值班")
    expect(row).to_contain_text("赵带班")
    expect(row).to_contain_text("市场监管")
    expect(row).to_contain_text("电话")
    shot(leader, "b-ledger")


def assign(page: Page, cid: str, name: str, department: str, head: str) -> None:
    """指定承办人 by the department's 负责人 from the complaint page, picking the handler by name."""
    complaint(page, cid)
    page.locator("[data-test=handle-assign_handler]").click()
    dialog = page.locator("[data-test=handling-dialog]")
    dialog.locator("[data-test=handler] input").first.fill(name[0])
    page.locator("[data-test=person-option]:visible", has_text=name).first.click()
    expect(dialog.locator("input[data-test=handler-name], [data-test=handler-name] input").first).to_have_value(name)
    dialog.locator("[data-test=handling-submit]").click()
    success(page, "已指定承办人")
    expect(page.locator("[data-test=handlers]")).to_contain_text(f"{department}：{name}（{head}指定）")


def test_hard_to_do_with_a_consultation_of_two_departments_and_handlers_named_by_their_heads(at: Desks) -> None:
    clerk = at("clerk")
    cid, slip = intake(clerk, "商铺装修审批涉及市场与住建两家，来回跑了五趟", "很难办")
    sign(at("officer"), slip, "同意", "当天值班人员")
    leader = at("leader")
    sign(leader, slip, "市场监管、住建会商办理", "带班领导")
    dispatch(leader, slip, ["市场监管", "住建"])

    assign(at("lc_mkt_head"), cid, "牛骨干", "市场监管", "马科长")
    assign(at("lc_hs_head"), cid, "熊骨干", "住建", "侯科长")
    shot(at("lc_hs_head"), "c-handlers-named")

    # 会商: the duty leader records it; both departments are its participants
    complaint(leader, cid)
    leader.locator("[data-test=handle-consult]").click()
    participants = leader.locator("[data-test=handling-dialog] [data-test=participants]")
    expect(participants).to_contain_text("市场监管")
    expect(participants).to_contain_text("住建")
    leader.locator("[data-test=handling-dialog]").locator(TEXT).first.fill("市场监管牵头，住建同步出具意见")
    leader.locator("[data-test=handling-dialog] [data-test=handling-submit]").click()
    success(leader, "已记录会商")
    records = leader.locator("[data-test=consultations]")
    expect(records).to_contain_text("市场监管、住建")
    expect(records).to_contain_text("市场监管牵头，住建同步出具意见")
    expect(records).to_contain_text("赵带班")
    shot(leader, "c-consultation")

    # the market department's other staff may not resolve it: the named handler does
    dialog = resolve(at("dept"), slip, "已办结")
    expect(dialog.locator("[data-test=error]")).to_contain_text("牛骨干")
    dialog.locator(".el-dialog__headerbtn").click()
    staff = at("lc_mkt_staff")
    resolve(staff, slip, "两部门联合审批，已当场出具审批意见")
    success(staff, "已办结")
    status_is(staff, cid, "已办结")
    expect(staff.locator("[data-test=signed-off-by]")).to_have_text("马科长")  # the result carries the head's name
    expect(staff.locator("[data-test=handlers]")).to_contain_text("市场监管：牛骨干（马科长指定）")
    expect(staff.locator("[data-test=handlers]")).to_contain_text("住建：熊骨干（侯科长指定）")
    shot(staff, "c-resolved-by-the-handler")

    complaint(leader, cid)
    assert history(leader) == [
        "受理",
        "分类",
        "审核签字",
        "审核签字",
        "转办",
        "指定承办人",
        "指定承办人",
        "会商",
        "办结",
    ]
    row = ledger_row(leader, slip)
    expect(row).to_contain_text("很难办")
    expect(row).to_contain_text("市场监管牵头，住建同步出具意见")
    expect(row).to_contain_text("两部门联合审批，已当场出具审批意见")


def refused_to_do_rated_bad(at: Desks, content: str) -> tuple[str, str]:
    """不给办 through 受理/分类, both signatures, 转办 to 市场监管, 办结, 反馈 and a 不满意 call-back, in the UI."""
    clerk = at("clerk")
    cid, slip = intake(clerk, content, "不给办")
    sign(at("officer"), slip, "同意", "当天值班人员")
    leader = at("leader")
    sign(leader, slip, "请市场监管局核查", "带班领导")
    dispatch(leader, slip, ["市场监管"])
    dept = at("dept")
    resolve(dept, slip, "经核查，已依法一次性告知所缺材料")
    success(dept, "已办结")
    status_is(clerk, cid, "已办结")
    step(clerk, "feedback", "已电话告知核查结果", **{"feedback-method": "电话"})
    success(clerk, "已反馈")
    step(clerk, "callback", "群众仍认为被推诿", **{"callback-rating": "不满意"})
    success(clerk, "已记录回访")
    expect(clerk.locator("[data-test=status]")).to_have_text("整改中")  # 差评 opens a rectification round
    return cid, slip


def test_refused_to_do_rated_bad_appealed_by_the_department_and_upheld_by_the_district(at: Desks) -> None:
    cid, slip = refused_to_do_rated_bad(at, "窗口以材料不全为由拒绝受理食品经营许可")
    dept = at("dept")
    complaint(dept, cid)
    step(dept, "appeal", "群众所缺材料为法定必备，已依法一次性告知")
    success(dept, "已提交差评申诉")
    expect(dept.locator("[data-test=appeals]")).to_contain_text("待带班领导审核")

    leader = at("leader")

    def uphold() -> None:
        decision = row_of(leader, "/dispatch", "decision-list", slip)
        expect(decision.locator("[data-test=pending]")).to_have_text("差评申诉")
        decision.locator("[data-test=decide-uphold_appeal]").click()
        leader.locator("[data-test=handling-dialog]").locator(TEXT).first.fill("经核实已依法答复，差评不计入")
        leader.locator("[data-test=handling-dialog] [data-test=handling-submit]").click()

    sent(leader, uphold, "申诉成立")
    success(leader, "申诉成立")
    shot(leader, "d-appeal-upheld")
    status_is(leader, cid, "已回访")  # closed: nothing left to rectify
    expect(leader.locator("[data-test=appeals]")).to_contain_text(
        "成立（差评不计入）：经核实已依法答复，差评不计入（赵带班）"
    )
    assert history(leader) == [
        "受理",
        "分类",
        "审核签字",
        "审核签字",
        "转办",
        "办结",
        "反馈",
        "回访",
        "差评申诉",
        "申诉审核",
    ]
    row = ledger_row(leader, slip)
    expect(row).to_contain_text("不给办")
    expect(row.locator("td").nth(7)).to_have_text("已回访")


def test_refused_to_do_rated_bad_is_rectified_fed_back_and_called_back_again(at: Desks) -> None:
    cid, slip = refused_to_do_rated_bad(at, "窗口拒绝办理个体户名称变更")
    # 整改通知: the duty leader issues it to the department about this complaint
    leader = at("leader")
    finding = f"回访差评：{slip} 窗口拒绝办理，限期整改"
    leader.goto(f"{origin(leader)}/orders")
    leader.locator("[data-test=issue]").click()
    dialog = leader.locator("[data-test=order-dialog]")
    dialog.locator("[data-test=order-unit]").click()
    leader.locator(".el-select-dropdown__item:visible", has_text="市场监管").first.click()
    dialog.locator("[data-test=order-kind]").click()
    leader.locator(".el-select-dropdown__item:visible", has_text="回访发现").first.click()
    dialog.locator("textarea[data-test=order-text], [data-test=order-text] textarea").first.fill(finding)
    dialog.locator("input[data-test=order-complaint], [data-test=order-complaint] input").first.fill(cid)
    dialog.locator("[data-test=order-submit]").click()
    success(leader, "已下发，整改期限")

    # the department: 签收, then its 整改报告
    dept = at("dept")
    order = row_of(dept, "/orders", "orders", finding)
    expect(order.locator("[data-test=order-status]")).to_have_text("已下发")
    order.locator("[data-test=acknowledge]").click()
    dept.locator("[data-test=order-dialog] [data-test=order-submit]").click()
    success(dept, "已签收")
    expect(order.locator("[data-test=order-status]")).to_have_text("已签收")
    order.locator("[data-test=report]").click()
    report = dept.locator("[data-test=order-dialog]")
    report.locator("textarea[data-test=order-report], [data-test=order-report] textarea").first.fill(
        "已约谈窗口人员，上门指导办结名称变更"
    )
    report.locator("[data-test=order-submit]").click()
    success(dept, "已报送整改报告")
    expect(order.locator("[data-test=order-status]")).to_have_text("已报告整改")

    # the issuer accepts the report
    accepted = row_of(leader, "/orders", "orders", finding)
    accepted.locator("[data-test=accept]").click()
    leader.locator("[data-test=order-dialog] [data-test=order-submit]").click()
    success(leader, "已验收")
    expect(accepted.locator("[data-test=order-status]")).to_have_text("已验收")
    shot(leader, "d-rectification-order-accepted")

    # 整改 of the complaint: the department resolves again in the rectification round (部门待办 lists it 整改中)
    row = row_of(dept, "/department", "department-list", slip)
    expect(row).to_contain_text("整改中")
    shot(dept, "d-rectifying-in-the-worklist")
    resolve(dept, slip, "整改：已上门指导并当日办结名称变更")
    success(dept, "已办结")

    clerk = at("clerk")
    status_is(clerk, cid, "已办结")
    step(clerk, "feedback", "已当面告知整改结果", **{"feedback-method": "当面"})
    success(clerk, "已反馈")
    step(clerk, "callback", "群众对整改结果满意", **{"callback-rating": "非常满意"})  # 再回访
    success(clerk, "已记录回访")
    expect(clerk.locator("[data-test=status]")).to_have_text("已回访")
    expect(clerk.locator(".facts")).to_contain_text("非常满意")
    expect(clerk.locator(".facts")).to_contain_text("整改：已上门指导并当日办结名称变更")
    shot(clerk, "d-called-back-again")

    complaint(leader, cid)
    assert history(leader) == [
        "受理",
        "分类",
        "审核签字",
        "审核签字",
        "转办",
        "办结",
        "反馈",
        "回访",
        "办结",
        "反馈",
        "回访",
    ]
    row = ledger_row(leader, slip)
    expect(row).to_contain_text("整改：已上门指导并当日办结名称变更")
    expect(row.locator("td").nth(7)).to_have_text("已回访")
