"""End-to-end fixtures: a real ``yousu serve`` process on a real database (PostgreSQL or SQLite)."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import create_pg_database, drop_pg_database
from tests.support import CIPHER_KEY, SECRET

REPO = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = float(os.environ.get("YOUSU_TEST_STARTUP_SECONDS", "60"))  # a busy 2-core machine starts slowly


def yousu_executable() -> Path:
    """The ``yousu`` script of the interpreter running the tests (the project's venv)."""
    beside = Path(sys.executable).with_name("yousu")
    return beside if beside.exists() else REPO / ".venv" / "bin" / "yousu"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Server:
    """A running ``yousu serve`` process."""

    base_url: str
    database_url: str
    process: subprocess.Popen[bytes]
    stderr_path: Path

    def stderr(self) -> str:
        """Everything the process wrote to stderr so far (its structlog JSON lines)."""
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def log_lines(self) -> list[dict[str, Any]]:
        """The JSON log lines (non-JSON lines are ignored)."""
        lines = []
        for raw in self.stderr().splitlines():
            with contextlib.suppress(ValueError):
                parsed = json.loads(raw)
                if isinstance(parsed, dict):
                    lines.append(parsed)
        return lines

    def request_log(self, request_id: str, timeout: float = 5.0) -> dict[str, Any]:
        """The request line with ``request_id`` (written just after the response is sent: wait a little)."""
        deadline = time.monotonic() + timeout
        while True:
            found = [x for x in self.log_lines() if x.get("event") == "request" and x.get("request_id") == request_id]
            if found:
                assert len(found) == 1, f"one request line per request, got {found}"
                return found[0]
            if time.monotonic() > deadline:
                pytest.fail(f"no request log line with request_id={request_id}")
            time.sleep(0.05)


def _wait_healthy(proc: subprocess.Popen[bytes], base_url: str, stderr_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"yousu serve exited with {proc.returncode}:\n{stderr_path.read_text(errors='replace')}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base_url}/healthz", timeout=1.0).status_code == 200:
                return
        time.sleep(0.1)
    pytest.fail(f"yousu serve not healthy after {STARTUP_SECONDS}s:\n{stderr_path.read_text(errors='replace')}")


@contextlib.contextmanager
def run_server(database_url: str, workdir: Path, *, args: Sequence[str] = (), **env: str) -> Iterator[Server]:
    """Start ``yousu serve --port <free> [args]`` in the repository root; stop it afterwards.

    Its stderr (the JSON log) goes to a file in ``workdir``; it is printed when the process
    cannot start, and beside the failure of any test that used it.
    """
    port = free_port()
    stderr_path = workdir / f"yousu-serve-{port}.stderr"
    full_env = {
        **os.environ,
        "YOUSU_DATABASE_URL": database_url,
        "YOUSU_AUTH_SECRET": SECRET,
        "YOUSU_CIPHER_KEY": CIPHER_KEY,
        "YOUSU_LOG_LEVEL": "INFO",
        "YOUSU_SIGNING_MODE": "roles_only",  # these drills are not about rosters
        "YOUSU_CALENDAR_DIR": str(REPO / "ops" / "calendar"),
        "YOUSU_REFERENCE_FILE": str(REPO / "ops" / "reference.toml"),
        "PYTHONUNBUFFERED": "1",
        **env,
    }
    full_env.pop("YOUSU_FIXED_CLOCK", None)
    with stderr_path.open("wb") as err:
        proc = subprocess.Popen(
            [str(yousu_executable()), "serve", "--host", "127.0.0.1", "--port", str(port), *args],
            cwd=REPO,
            env=full_env,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(proc, base_url, stderr_path)
        yield Server(base_url=base_url, database_url=database_url, process=proc, stderr_path=stderr_path)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


SERVERS_KEY = pytest.StashKey[list[Server]]()
LOG_TAIL_LINES = 400


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """When a test using a server failed, show the server's stderr (its JSON log) with the failure."""
    report: pytest.TestReport = yield
    if report.failed:
        funcargs = getattr(item, "funcargs", {})
        servers = [v for v in funcargs.values() if isinstance(v, Server)] + item.stash.get(SERVERS_KEY, [])
        for s in servers:
            tail = "\n".join(s.stderr().splitlines()[-LOG_TAIL_LINES:])
            report.sections.append((f"stderr of yousu serve {s.base_url} ({report.when})", tail))
    return report


DATABASES = [
    pytest.param("postgresql", marks=pytest.mark.postgres, id="postgresql"),
    pytest.param("sqlite", id="sqlite"),
]


@pytest.fixture(scope="module", params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh database of each kind: a new PostgreSQL database, or a new SQLite file."""
    if request.param == "postgresql":
        url = create_pg_database("yousu_e2e")
        try:
            yield url
        finally:
            drop_pg_database(url)
    else:
        yield f"sqlite:///{tmp_path_factory.mktemp('e2e') / 'yousu.db'}"


@pytest.fixture(scope="module")
def server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A ``yousu serve`` process on ``database_url``, shared by one module's tests."""
    with run_server(database_url, tmp_path_factory.mktemp("serve")) as s:
        yield s


@pytest.fixture
def server_factory(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[..., Server]]:
    """Start servers with custom settings inside one test; all are stopped (and logged on failure) after it."""
    started = request.node.stash.setdefault(SERVERS_KEY, [])
    with contextlib.ExitStack() as stack:

        def start(database_url: str, **env: str) -> Server:
            s = stack.enter_context(run_server(database_url, tmp_path, **env))
            started.append(s)
            return s

        yield start
