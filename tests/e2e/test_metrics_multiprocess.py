"""Several `yousu serve` processes sharing PROMETHEUS_MULTIPROC_DIR: one scrape of either sums them all."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from domain.values import Role
from tests.e2e.conftest import REPO, Server, yousu_executable
from tests.support import CIPHER_KEY, SECRET, auth

REFERENCE = "/v1/reference"


def reference_requests(server: Server) -> float:
    """The scrape's count of answered GET /v1/reference (no token on the scrape)."""
    r = httpx.get(f"{server.base_url}/metrics", timeout=10)
    assert r.status_code == 200
    for family in text_string_to_metric_families(r.text):
        for s in family.samples:
            if s.name == "yousu_http_requests_total" and s.labels == {
                "method": "GET",
                "route": REFERENCE,
                "status": "200",
            }:
                return s.value
    return 0.0


def test_one_scrape_sums_two_processes(tmp_path: Path, server_factory: Callable[..., Server]) -> None:
    shared = tmp_path / "prometheus"
    shared.mkdir()
    database = f"sqlite:///{tmp_path / 'yousu.db'}"
    env = {"PROMETHEUS_MULTIPROC_DIR": str(shared), "YOUSU_BACKGROUND": "false"}
    first = server_factory(database, **env)
    second = server_factory(database, **env)
    assert first.process.pid != second.process.pid
    headers = auth(Role.analyst)
    for server, times in ((first, 3), (second, 2)):
        for _ in range(times):
            assert httpx.get(f"{server.base_url}{REFERENCE}", headers=headers, timeout=10).status_code == 200
    assert reference_requests(first) == 5
    assert reference_requests(second) == 5
    assert len(list(shared.glob("counter_*.db"))) >= 2  # each process wrote its own file


def test_without_the_directory_each_process_counts_alone(tmp_path: Path, server_factory: Callable[..., Server]) -> None:
    database = f"sqlite:///{tmp_path / 'yousu.db'}"
    first = server_factory(database, YOUSU_BACKGROUND="false")
    second = server_factory(database, YOUSU_BACKGROUND="false")
    headers = auth(Role.analyst)
    for server, times in ((first, 3), (second, 2)):
        for _ in range(times):
            assert httpx.get(f"{server.base_url}{REFERENCE}", headers=headers, timeout=10).status_code == 200
    assert reference_requests(first) == 3
    assert reference_requests(second) == 2


def test_a_missing_directory_stops_the_start(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "YOUSU_DATABASE_URL": f"sqlite:///{tmp_path / 'yousu.db'}",
        "YOUSU_AUTH_SECRET": SECRET,
        "YOUSU_CIPHER_KEY": CIPHER_KEY,
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "absent"),
    }
    done = subprocess.run(
        [str(yousu_executable()), "serve", "--port", "1"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert "PROMETHEUS_MULTIPROC_DIR" in done.stderr
    assert not (tmp_path / "absent").exists()
