"""Browser tests: Debian chromium driven by Playwright against a real `yousu serve` serving console/dist.

Never downloads a browser. A missing chromium is installed from Debian (`apt-get install -y chromium`);
if that is impossible the tests fail (in CI a missing browser is a failure, never a skip).

Every page a test opens is watched (:func:`watch`): a page error (an uncaught exception, an unhandled
rejection) or a console error fails the test. The one console error allowed is the browser's own line for an
answer in the 4xx range ("Failed to load resource: … status of 403"): refusals are part of what the tests
drive, and the page shows them; a 5xx is never allowed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright, sync_playwright

from tests.conftest import create_pg_database, drop_pg_database
from tests.e2e.conftest import REPO, Server, run_server, yousu_executable
from tests.support import CIPHER_KEY, SECRET, auth

CONSOLE = REPO / "console"
DIST = CONSOLE / "dist"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
PASSWORD = "窗口密码-2025-春季"
USERS = {
    "clerk": ("王小明", ["window_clerk"], None),
    "analyst": ("李分析", ["analyst"], None),
    "leader": ("赵带班", ["duty_leader"], None),
    "officer": ("钱值班", ["duty_officer"], None),
    "dept": ("孙经办", ["department"], "market"),
    "supervisor": ("周督办", ["supervisor"], None),
    "both": ("吴双岗", ["duty_officer", "duty_leader"], None),  # holds both signer roles: must send `as`
    "liaison": ("郑联络", ["liaison"], None),
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test here is a browser test."""
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


def ensure_chromium() -> str:
    """Debian's chromium, installed with apt-get when missing; a failure (never a skip) when impossible."""
    found = shutil.which("chromium")
    if found is None:
        apt = shutil.which("apt-get")
        if apt is None:
            pytest.fail("chromium is missing and apt-get is unavailable: install Debian's chromium package")
        done = subprocess.run([apt, "install", "-y", "chromium"], capture_output=True, text=True, check=False)
        if done.returncode != 0:  # a fresh CI image has no package lists yet
            subprocess.run([apt, "update"], capture_output=True, check=False)
            done = subprocess.run([apt, "install", "-y", "chromium"], capture_output=True, text=True, check=False)
        found = shutil.which("chromium")
        if found is None:
            pytest.fail(f"apt-get install -y chromium failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return CHROMIUM if Path(CHROMIUM).exists() else found


def ensure_cjk_font() -> None:
    """A Chinese font, so that screenshots are legible (Debian's fonts-noto-cjk; the tests pass without)."""
    fc_list, apt = shutil.which("fc-list"), shutil.which("apt-get")
    if fc_list and subprocess.run([fc_list, ":lang=zh"], capture_output=True, text=True, check=False).stdout.strip():
        return
    if apt:
        subprocess.run([apt, "install", "-y", "fonts-noto-cjk"], capture_output=True, check=False)


def ensure_console_built() -> None:
    """console/dist exists (`make test` builds it first; build here when run on its own)."""
    if (DIST / "index.html").is_file():
        return
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail("console/dist is not built and npm is missing: run `npm ci && npm run build` in console/")
    for step in (["ci"], ["run", "build"]):
        done = subprocess.run([npm, *step], cwd=CONSOLE, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            pytest.fail(f"npm {' '.join(step)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")


@dataclass
class Hall:
    """A running service with the console and local accounts."""

    server: Server
    env: dict[str, str]
    tokens: dict[tuple[str, str, str | None], str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        """The service's base URL."""
        return self.server.base_url

    def bearer(self, role: str, name: str = "测试", department: str | None = None) -> dict[str, str]:
        """An Authorization header minted by the real CLI (`yousu token`), once per role, name and department:
        such a token is not an account session (nothing revokes it), so the same one serves every test."""
        key = (role, name, department)
        if key not in self.tokens:
            cmd = [str(yousu_executable()), "token", "--role", role, "--name", name]
            if department:
                cmd += ["--department", department]
            out = subprocess.run(cmd, cwd=REPO, env=self.env, capture_output=True, text=True, check=True)
            self.tokens[key] = out.stdout.strip().splitlines()[-1]
        return {"Authorization": f"Bearer {self.tokens[key]}"}

    def api(self) -> httpx.Client:
        """An HTTP client of the service."""
        return httpx.Client(base_url=self.url, timeout=10)


@pytest.fixture(scope="session")
def hall(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hall]:
    """`yousu serve` on a fresh PostgreSQL database, with accounts: the first made by `yousu users add` (as a hall
    makes its first), the others by the administrator through the API (as the account page does: one process
    start each would cost more than the accounts)."""
    ensure_console_built()
    url = create_pg_database("yousu_browser")
    env = {
        **os.environ,
        "YOUSU_DATABASE_URL": url,
        "YOUSU_AUTH_SECRET": SECRET,
        "YOUSU_CIPHER_KEY": CIPHER_KEY,
        "YOUSU_CONSOLE_DIR": str(DIST),
        "YOUSU_BACKGROUND": "true",  # projections inside serve, so the views follow without another process
        # (its pools: the suite's small ones, from tests/conftest.py through os.environ)
    }
    env.pop("YOUSU_FIXED_CLOCK", None)
    (first, (name, roles, department)), *others = USERS.items()
    try:
        cmd = [str(yousu_executable()), "users", "add", "--username", first, "--name", name]
        cmd += [x for r in roles for x in ("--role", r)] + (["--department", department] if department else [])
        cmd += ["--centre", "district", "--password-stdin"]  # the district hall (ops/reference.toml)
        subprocess.run(cmd, cwd=REPO, env=env, check=True, capture_output=True, input=f"{PASSWORD}\n", text=True)
        serve_env = {k: v for k, v in env.items() if k.startswith("YOUSU_") and k != "YOUSU_DATABASE_URL"}
        with run_server(url, tmp_path_factory.mktemp("browser"), **serve_env) as server:
            with httpx.Client(base_url=server.base_url, timeout=30) as api:
                for username, (name, roles, department) in others:
                    account = {"username": username, "name": name, "roles": roles, "centre": "district"}
                    made = api.post(
                        "/v1/accounts",
                        json={**account, "password": PASSWORD, **({"department": department} if department else {})},
                        headers=auth("admin", name="测试管理员"),
                    )
                    assert made.status_code == 201, made.text
            yield Hall(server, env)
    finally:
        drop_pg_database(url)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless Debian chromium (never a downloaded browser)."""
    executable = ensure_chromium()
    ensure_cjk_font()
    pw: Playwright
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


REFUSAL_LOGGED = re.compile(r"^Failed to load resource: the server responded with a status of 4\d\d\b")


def watch(page: Page) -> list[str]:
    """Collect ``page``'s page errors and console errors (but a refusal's 4xx resource line) as they happen."""
    errors: list[str] = []

    def logged(m: ConsoleMessage) -> None:
        if m.type == "error" and not REFUSAL_LOGGED.match(m.text):
            errors.append(f"console error at {page.url}: {m.text}")

    page.on("pageerror", lambda e: errors.append(f"page error at {page.url}: {e}"))
    page.on("console", logged)
    return errors


def assert_no_errors(errors: list[str]) -> None:
    """Fail the test when its watched page logged an error."""
    if errors:
        pytest.fail("the page logged errors:\n" + "\n".join(errors), pytrace=False)


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context at 1366×768 in Beijing time and Chinese, watched for page and console errors."""
    ctx = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN", timezone_id="Asia/Shanghai")
    p = ctx.new_page()
    p.set_default_timeout(15_000)
    errors = watch(p)
    yield p
    ctx.close()
    assert_no_errors(errors)


def shot(page: Page, name: str) -> None:
    """A screenshot into tests/browser/artifacts/ (gitignored)."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def sign_in(page: Page, hall: Hall, username: str) -> None:
    """Sign in through the login page."""
    page.goto(f"{hall.url}/login")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_selector("[data-test=who]")


def sign_out(page: Page) -> None:
    """Sign out through the header's button and wait for the login form.

    Navigating on at once would race the sign-out: a page loaded while the old session is still valid opens
    that account's home, whose requests the revocation then answers 401.
    """
    page.locator("[data-test=logout]").click()
    page.wait_for_url(re.compile(r"/login"))
    page.locator("input[name=username]").wait_for()
