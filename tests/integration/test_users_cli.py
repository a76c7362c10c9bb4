"""`yousu users add|passwd` against a real SQLite file."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from application.accounts import AccountStore, LoginFailed
from application.clock import SystemClock
from application.persistence import parse_database_url
from domain.values import Role
from yousu.cli import app

PASSWORD = "窗口密码-2025"


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """YOUSU_DATABASE_URL pointing at a fresh SQLite file."""
    u = f"sqlite:///{tmp_path / 'yousu.db'}"
    monkeypatch.setenv("YOUSU_DATABASE_URL", u)
    return u


def test_users_add_creates_an_account_that_signs_in(url: str) -> None:
    args = ["users", "add", "--name", "孙经办", "--username", "sun", "--role", "department"]
    args += ["--department", "market", "--centre", "城关便民服务中心", "--password", PASSWORD]
    out = CliRunner().invoke(app, args)
    assert out.exit_code == 0, out.output
    store = AccountStore(parse_database_url(url), SystemClock())
    account = store.authenticate("sun", PASSWORD)
    assert (account.name, account.roles, account.department, account.centre) == (
        "孙经办",
        (Role.department,),
        "market",
        "城关便民服务中心",
    )


def test_users_add_refuses_bad_input_with_the_field(url: str) -> None:
    runner = CliRunner()
    no_dept = runner.invoke(app, ["users", "add", "--name", "孙经办", "--role", "department", "--password", PASSWORD])
    assert no_dept.exit_code == 2
    assert "department" in no_dept.output
    bad_role = runner.invoke(app, ["users", "add", "--name", "孙经办", "--role", "boss", "--password", PASSWORD])
    assert bad_role.exit_code == 2
    assert "window_clerk" in bad_role.output


def test_users_passwd_replaces_the_password(url: str) -> None:
    runner = CliRunner()
    runner.invoke(app, ["users", "add", "--name", "li", "--role", "analyst", "--password", PASSWORD])
    out = runner.invoke(app, ["users", "passwd", "li", "--password", "另一个密码-0001"])
    assert out.exit_code == 0, out.output
    store = AccountStore(parse_database_url(url), SystemClock())
    with pytest.raises(LoginFailed):
        store.authenticate("li", PASSWORD)
    assert store.authenticate("li", "另一个密码-0001").username == "li"
