"""Every console page opened by every role that may open it (issue 24 point 6), in a real browser against a real
`yousu serve`: each page must load without a console error, a page error, a refused or failed API request or an
error alert, and is kept as a screenshot (tests/browser/artifacts/pages/<role>/<page>.png).

Which pages a role may open is stated twice: literally below (:data:`EXPECTED`, written from the rule: each page
names the actions that open it — README "Console (工作台)", the permission matrix under "Roles and permissions" —
and complaint pages are open to every account that reads state), and derived at run time from the console's own
menu (console/src/router/menu.ts) and the account's `actions` from `/v1/auth/me`. The two must agree.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page, Response, expect

from domain.values import Role
from tests.browser.conftest import ARTIFACTS, PASSWORD, Hall, assert_no_errors, sign_in, watch
from tests.e2e.conftest import REPO
from tests.support import auth, receive_body

MENU_TS = REPO / "console" / "src" / "router" / "menu.ts"
ROUTER_TS = REPO / "console" / "src" / "router" / "index.ts"
COMPLAINT = "/complaints/{id}"
SLIP = "/complaints/{id}/slip"
# open to everybody signed in: 查找诉求 and the complaint pages (every role reads state)
EVERYONE = ["/complaints", COMPLAINT, SLIP, "/knowledge", "/cases"]

# the account each role signs in as (the session's accounts, tests/browser/conftest.py, and this module's own)
ACCOUNTS = {
    "window_clerk": "clerk",
    "duty_officer": "officer",
    "duty_leader": "leader",
    "department": "dept",
    "supervisor": "supervisor",
    "liaison": "liaison",
    "analyst": "analyst",
    "hotline": "ep_hotline",
    "admin": "ep_admin",
    "callback_agent": "ep_agent",
}

# the pages each role may open, written from the rule (menu entry → the actions that open it):
# 受理 classify; 待签 sign_officer/sign_leader; 转办 dispatch; 部门待办 resolve (the clerk resolves general ones);
# 收件箱 read_inbox; 纪检联络 read_liaison_inbox; 工作台账 read_ledger; 统计 and 高频事项 read_views;
# 预测与潮汐 read_forecast; 整改通知 read_orders; 回访中心 assign_callback/record_callback; 知识库 read_knowledge;
# 指导案例 read_cases; 值班表导入 import_roster; 账号管理 manage_accounts
EXPECTED: dict[str, list[str]] = {
    "window_clerk": ["/intake", "/department", "/ledger", "/callbacks", *EVERYONE],
    "duty_officer": ["/sign", "/ledger", "/dashboard", "/topics", "/forecast", "/orders", "/callbacks", *EVERYONE],
    "duty_leader": [
        "/sign",
        "/dispatch",
        "/inbox",
        "/ledger",
        "/dashboard",
        "/topics",
        "/forecast",
        "/orders",
        "/callbacks",
        *EVERYONE,
    ],
    "department": ["/department", "/orders", *EVERYONE],
    "supervisor": ["/inbox", "/ledger", "/dashboard", "/topics", "/orders", *EVERYONE],
    "liaison": ["/liaison", "/ledger", "/dashboard", "/topics", "/orders", *EVERYONE],
    "analyst": ["/ledger", "/dashboard", "/topics", "/forecast", "/orders", *EVERYONE],
    "hotline": ["/callbacks", *EVERYONE],
    "admin": [
        "/liaison",
        "/ledger",
        "/dashboard",
        "/topics",
        "/forecast",
        "/orders",
        "/roster",
        "/accounts",
        *EVERYONE,
    ],
    "callback_agent": ["/callbacks", *EVERYONE],
}
# the roles of the code (domain.values.Role but the policy engine, which never signs in) — each has its row
ROLES = sorted(EXPECTED)


def ok(r: httpx.Response) -> dict:  # type: ignore[type-arg]
    assert r.status_code in (200, 201), r.text
    return r.json()  # type: ignore[no-any-return]


def menu_rule() -> dict[str, list[str]]:
    """The console's menu: each page path and the actions that open it (console/src/router/menu.ts)."""
    found = re.findall(r'\{ path: "(/[a-z]+)", title: "[^"]+", actions: \[([^\]]*)\] \}', MENU_TS.read_text())
    return {path: re.findall(r'"(\w+)"', actions) for path, actions in found}


def console_routes() -> list[str]:
    """The layout's pages (console/src/router/index.ts), as `/path`, with `:id` as `{id}`."""
    found = re.findall(r'\{ path: "([a-z:/]+)", component:', ROUTER_TS.read_text())
    return ["/" + p.lstrip("/").replace(":id", "{id}") for p in found if p != "/login"]


def derived(actions: list[str]) -> list[str]:
    """The pages `actions` open by the console's rule (src/router/menu.ts `mayOpen`)."""
    rule = menu_rule()
    pages = []
    for path in console_routes():
        if path.startswith("/complaints/"):
            if "read_state" in actions:
                pages.append(path)
        elif path not in rule or set(rule[path]) & set(actions):
            pages.append(path)
    return pages


def test_every_role_of_the_code_and_every_console_page_is_covered() -> None:
    assert sorted(r.value for r in Role if r is not Role.system) == ROLES
    assert menu_rule(), "menu.ts no longer parses: update menu_rule()"
    routes = console_routes()
    assert sorted(routes) == sorted({p for pages in EXPECTED.values() for p in pages})


@pytest.fixture(scope="module")
def complaint(hall: Hall) -> str:
    """The module's own accounts (made through the administrator's API) and one complaint every role sees, taken a long way: 很难办, signed, dispatched to
    the market department, 会商, a named handler, resolved, fed back and rated 差评 (a 整改 round open) — so that
    the complaint page shows its fuller panels. API setup, not the steps under test."""
    admin = auth("admin", name="测试管理员")
    with hall.api() as api:
        for username, name, role in (
            ("ep_admin", "冯总管", "admin"),
            ("ep_agent", "陈回访员", "callback_agent"),
            ("ep_hotline", "热线对接", "hotline"),
        ):
            account = {"username": username, "name": name, "roles": [role], "centre": "district", "password": PASSWORD}
            ok(api.post("/v1/accounts", json=account, headers=admin))
    clerk = auth("window_clerk", name="王小明")
    leader = auth("duty_leader", name="赵带班")
    dept = auth("department", name="孙经办", department="market")
    with hall.api() as api:
        cid = ok(
            api.post("/v1/complaints", json=receive_body(content="每页巡检：个体户登记材料反复退回"), headers=clerk)
        )["id"]
        ok(api.post(f"/v1/complaints/{cid}/classify", json={"classification": "hard_to_do"}, headers=clerk))
        ok(
            api.post(
                f"/v1/complaints/{cid}/sign", json={"opinion": "同意"}, headers=auth("duty_officer", name="钱值班")
            )
        )
        ok(api.post(f"/v1/complaints/{cid}/sign", json={"opinion": "转市场监管"}, headers=leader))
        body = {"departments": ["market"], "supervisor": "local:supervisor"}
        ok(api.post(f"/v1/complaints/{cid}/dispatch", json=body, headers=leader))
        ok(api.post(f"/v1/complaints/{cid}/consult", json={"conclusion": "市场监管牵头办理"}, headers=leader))
        handler = {"handler_id": "local:dept", "handler_name": "孙经办"}
        ok(api.post(f"/v1/complaints/{cid}/handler", json=handler, headers=dept))
        ok(api.post(f"/v1/complaints/{cid}/resolve", json={"result": "已一次性告知补正材料"}, headers=dept))
        ok(api.post(f"/v1/complaints/{cid}/feedback", json={"method": "电话"}, headers=clerk))
        last = ok(api.post(f"/v1/complaints/{cid}/callback", json={"rating": 2}, headers=clerk))
        ok(api.get("/v1/ledger", params={"after": last["notification_id"], "limit": 1}, headers=auth("analyst")))
    return str(cid)


@pytest.fixture
def workstation(browser: Browser) -> Iterator[tuple[Page, list[str]]]:
    """One browser context (one role's workstation), watched for page errors, console errors and failed requests."""
    ctx = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN", timezone_id="Asia/Shanghai")
    page = ctx.new_page()
    page.set_default_timeout(20_000)
    errors = watch(page)
    yield page, errors
    ctx.close()
    assert_no_errors(errors)


def loaded(page: Page, path: str) -> None:
    """Wait until the page at ``path`` has drawn its content and its requests have settled."""
    if path == SLIP:
        page.locator("[data-test=slip-no]").wait_for()
    else:
        page.locator(".el-main .el-card").first.wait_for()
    page.wait_for_load_state("networkidle")
    expect(page.locator(".el-loading-mask:visible")).to_have_count(0)


@pytest.mark.parametrize("role", ROLES)
def test_every_page_the_role_may_open_loads_without_errors(
    role: str, hall: Hall, complaint: str, workstation: tuple[Page, list[str]]
) -> None:
    page, errors = workstation
    sign_in(page, hall, ACCOUNTS[role])
    # after signing in, no API request of a page the role may open is refused or fails
    refused: list[str] = []

    def answered(r: Response) -> None:
        if "/v1/" in r.url and r.status >= 400:
            refused.append(f"{r.status} {r.request.method} {r.url} (on {page.url})")

    page.on("response", answered)
    me = page.request.get(f"{hall.url}/v1/auth/me")
    assert me.ok, me.text()
    actions = me.json()["actions"]
    assert role in me.json()["roles"]
    assert sorted(derived(actions)) == sorted(EXPECTED[role]), "the console's rule and the written rule disagree"

    # the side menu offers exactly the menu pages, plus 查找诉求
    titles = {"/complaints": "查找诉求", **menu_titles()}
    shown = [t.strip() for t in page.locator("[data-test=menu] .el-menu-item").all_inner_texts()]
    assert sorted(shown) == sorted(titles[p] for p in EXPECTED[role] if p in titles)

    for path in EXPECTED[role]:
        url = path.format(id=complaint)
        page.goto(f"{hall.url}{url}")
        loaded(page, path)
        assert page.url.split("?")[0] == f"{hall.url}{url}", f"{role} was sent from {url} to {page.url}"
        expect(page.locator("[data-test=error]")).to_have_count(0)
        name = {"/complaints/{id}": "complaint", SLIP: "complaint-slip"}.get(path, path.strip("/"))
        folder = ARTIFACTS / "pages" / role
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
    assert refused == [], refused
    assert_no_errors(errors)


def menu_titles() -> dict[str, str]:
    """Each menu page's title (console/src/router/menu.ts)."""
    return dict(re.findall(r'\{ path: "(/[a-z]+)", title: "([^"]+)", actions:', MENU_TS.read_text()))
