"""Real ``yousu`` processes: clean SIGTERM shutdown, one home wherever they run, no silent plaintext store."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from domain.values import Actor, Channel, Complainant, ComplainantType, Role
from tests.e2e.conftest import REPO, run_server, yousu_executable
from tests.support import CIPHER_KEY, SECRET
from yousu.settings import Settings
from yousu.wiring import build_complaints

CLERK = Actor(id="clerk-1", name="窗口", role=Role.window_clerk)


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without any YOUSU_* setting of the caller, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("YOUSU_")}
    env.update(extra)
    return env


def yousu(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run the CLI as a real process."""
    return subprocess.run(
        [str(yousu_executable()), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60, check=False
    )


@pytest.mark.parametrize("background", ["true", "false"])
def test_serve_exits_0_promptly_on_sigterm(database_url: str, tmp_path: Path, background: str) -> None:
    with run_server(database_url, tmp_path, YOUSU_BACKGROUND=background) as server:
        began = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        code = server.process.wait(timeout=15)
        took = time.monotonic() - began
        assert code == 0, server.stderr()
        assert took < 10, f"shutdown took {took:.1f}s"
        assert '"shutdown_complete"' in server.stderr()  # the lifespan closed pools and threads


def _home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    (home / "ops").symlink_to(REPO / "ops")
    return home


def test_cli_from_another_directory_uses_the_homes_store(tmp_path: Path) -> None:
    home = _home(tmp_path)
    app = build_complaints(Settings(home=home, auth_secret=SECRET))  # the embedded default inside the home
    try:
        app.receive(
            channel=Channel.window,
            content="诉求内容",
            category="housing",
            complainant=Complainant(ComplainantType.person, "张三", "13812345678", None),
            actor=CLERK,
        )
    finally:
        app.close()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = yousu("audit", "verify", cwd=elsewhere, env=clean_env(YOUSU_HOME=str(home)))
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stderr.splitlines()[0] == f"store: sqlite:///{home / 'var' / 'yousu.db'}"
    assert "checked 1 complaints" in done.stdout
    assert "warning" not in done.stderr
    assert not (elsewhere / "var").exists()  # no second store, no new secrets beside the caller


def test_default_home_is_the_checkout_not_the_current_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("YOUSU_HOME", raising=False)
    monkeypatch.delenv("YOUSU_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    settings = Settings()
    assert settings.home == REPO
    assert settings.database_url == f"sqlite:///{REPO / 'var' / 'yousu.db'}"
    assert settings.calendar_dir == REPO / "ops" / "calendar"
    assert settings.reference_file == REPO / "ops" / "reference.toml"
    assert settings.cipher_key_file == REPO / "var" / "cipher-key"
    assert settings.auth_secret_file == REPO / "var" / "auth-secret"


def test_verify_on_an_empty_store_warns(tmp_path: Path) -> None:
    home = _home(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = yousu("audit", "verify", cwd=elsewhere, env=clean_env(YOUSU_HOME=str(home)))
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stderr.splitlines()[0].startswith("store: sqlite:///")
    assert "no complaints" in done.stderr
    assert "warning" in done.stderr


@pytest.mark.postgres
@pytest.mark.parametrize("command", [["sweep", "--once"], ["serve", "--port", "1"], ["audit", "verify"], ["status"]])
def test_postgres_without_a_key_refuses_to_start(pg_url: str, command: list[str]) -> None:
    done = yousu(*command, cwd=REPO, env=clean_env(YOUSU_DATABASE_URL=pg_url, YOUSU_AUTH_SECRET=SECRET))
    assert done.returncode != 0
    assert "YOUSU_CIPHER_KEY is not set" in done.stderr
    assert "YOUSU_ALLOW_PLAINTEXT" in done.stderr


@pytest.mark.postgres
def test_postgres_plaintext_when_allowed_warns_at_every_start(pg_url: str) -> None:
    env = clean_env(YOUSU_DATABASE_URL=pg_url, YOUSU_AUTH_SECRET=SECRET, YOUSU_ALLOW_PLAINTEXT="true")
    for _ in range(2):
        done = yousu("sweep", "--once", cwd=REPO, env=env)
        assert done.returncode == 0, done.stderr
        assert '"plaintext_store"' in done.stderr


@pytest.mark.postgres
def test_postgres_with_a_key_starts_without_warning(pg_url: str) -> None:
    done = yousu("sweep", "--once", cwd=REPO, env=clean_env(YOUSU_DATABASE_URL=pg_url, YOUSU_CIPHER_KEY=CIPHER_KEY))
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines()[0] == f"store: {pg_url}"
    assert "plaintext_store" not in done.stderr
