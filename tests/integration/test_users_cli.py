"""`yousu users add|list|disable|enable|roles|passwd` and `yousu audit accounts` against a real SQLite file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from adapters.accounts import SqlAccountStore
from application.accounts import LoginFailed, Session
from application.clock import SystemClock
from application.persistence import parse_database_url
from domain.values import Role
from tests.support import CIPHER_KEY
from yousu.cli import app

PASSWORD = "窗口密码-2025-春季"
NEW_PASSWORD = "另一个密码-0001-夏"


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """YOUSU_DATABASE_URL pointing at a fresh SQLite file."""
    u = f"sqlite:///{tmp_path / 'yousu.db'}"
    monkeypatch.setenv("YOUSU_DATABASE_URL", u)
    monkeypatch.setenv("YOUSU_CIPHER_KEY", CIPHER_KEY)  # the audit trail is written: never the checkout's key
    return u


def run(args: list[str], stdin: str | None = None) -> tuple[int, str]:
    out = CliRunner().invoke(app, args, input=stdin)
    return out.exit_code, out.output


def add(username: str, *extra: str, password: str = PASSWORD) -> tuple[int, str]:
    return run(["users", "add", "--username", username, *extra, "--password-stdin"], f"{password}\n")


def store(url: str) -> SqlAccountStore:
    s = SqlAccountStore(parse_database_url(url), SystemClock())
    s.setup()  # the tables exist even when the command was refused before opening the store
    return s


def test_users_add_with_password_stdin_creates_an_account_that_signs_in(url: str) -> None:
    code, output = add(
        "sun", "--name", "孙经办", "--role", "department", "--department", "market", "--centre", "jiefang"
    )
    assert code == 0, output
    account = store(url).authenticate("sun", PASSWORD)
    assert (account.name, account.roles, account.department, account.centre) == (
        "孙经办",
        (Role.department,),
        "market",
        "jiefang",
    )


def test_users_add_asks_the_password_twice_and_refuses_a_mismatch(url: str) -> None:
    args = ["users", "add", "--username", "li", "--name", "李", "--role", "analyst"]
    mismatch = run(args, f"{PASSWORD}\n{PASSWORD}x\n")
    assert mismatch[0] == 2
    assert "两次输入的密码不一致" in mismatch[1]
    assert store(url).get("li") is None
    code, output = run(args, f"{PASSWORD}\n{PASSWORD}\n")
    assert code == 0, output
    assert PASSWORD not in output  # asked without echo
    assert store(url).authenticate("li", PASSWORD).username == "li"


@pytest.mark.parametrize("command", [["users", "add", "--name", "李", "--role", "analyst"], ["users", "passwd", "li"]])
def test_the_cli_never_accepts_a_password_option(url: str, command: list[str]) -> None:
    code, output = run([*command, "--password", PASSWORD])
    assert code == 2
    assert "No such option" in output
    assert store(url).get("li") is None


def test_users_add_refuses_bad_input_with_the_field_and_records_nothing(url: str) -> None:
    no_dept = add("sun", "--name", "孙经办", "--role", "department")
    assert no_dept[0] == 2
    assert "department" in no_dept[1]
    bad_role = add("sun", "--name", "孙经办", "--role", "boss")
    assert bad_role[0] == 2
    assert "window_clerk" in bad_role[1]
    # the README's earlier example: a centre that is not in ops/reference.toml
    unknown_centre = add("wangxm", "--name", "王小明", "--role", "window_clerk", "--centre", "城关便民服务中心")
    assert unknown_centre[0] == 2
    assert "服务中心代码 城关便民服务中心 不在代码表" in unknown_centre[1]
    unknown_dept = add("sun", "--name", "孙经办", "--role", "department", "--department", "nope")
    assert unknown_dept[0] == 2
    assert "部门代码 nope 不在代码表" in unknown_dept[1]
    weak = add("zhao", "--name", "赵", "--role", "analyst", password="123456")
    assert weak[0] == 2
    assert "密码至少 10 个字符" in weak[1]
    common = add("zhao", "--name", "赵", "--role", "analyst", password="1234567890")
    assert "密码过于常见" in common[1]
    assert store(url).list_accounts() == []
    assert run(["audit", "accounts"])[1].strip().endswith("没有账号变更记录（no account changes recorded）")


def test_readme_example_centre_exists() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert "--centre jiefang" in readme
    assert "城关便民服务中心" not in readme


def test_passwd_disable_enable_roles_list_and_the_audit_trail(url: str) -> None:
    assert add("li", "--name", "李分析", "--role", "analyst")[0] == 0
    s = store(url)
    s.authenticate("li", PASSWORD, Session("cli-s1", datetime.now(UTC) + timedelta(hours=1)))
    code, output = run(["users", "passwd", "li", "--password-stdin"], f"{NEW_PASSWORD}\n")
    assert code == 0, output
    assert s.is_revoked("cli-s1")  # every session ended with the password change
    with pytest.raises(LoginFailed):
        s.authenticate("li", PASSWORD)
    s.authenticate("li", NEW_PASSWORD, Session("cli-s2", datetime.now(UTC) + timedelta(hours=1)))
    assert run(["users", "disable", "li"])[0] == 0
    assert s.is_revoked("cli-s2")
    with pytest.raises(LoginFailed):
        s.authenticate("li", NEW_PASSWORD)
    listed = run(["users", "list"])[1]
    assert "li\t李分析\tanalyst\t-\t-\t停用 disabled" in listed
    assert run(["users", "enable", "li"])[0] == 0
    code, output = run(["users", "roles", "li", "--role", "duty_leader", "--centre", "xinhua"])
    assert code == 0, output
    assert s.authenticate("li", NEW_PASSWORD).roles == (Role.duty_leader,)
    assert "li\t李分析\tduty_leader\t-\txinhua\t启用 enabled" in run(["users", "list"])[1]
    code, trail = run(["audit", "accounts", "--username", "li"])
    assert code == 0, trail
    lines = [line for line in trail.splitlines() if line.startswith("[")]
    labels = [line.split()[3] for line in lines]
    assert labels == ["新建账号", "修改密码", "停用账号", "启用账号", "变更角色/单位"]
    assert all("链校验通过" in line for line in lines)
    assert PASSWORD not in trail
    assert NEW_PASSWORD not in trail
    assert "argon2" not in trail
