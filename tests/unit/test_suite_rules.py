"""The suite's own rules (tests/conftest.py): every test that uses PostgreSQL carries the postgres marker."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

SAMPLE = """
import pytest
from tests.conftest import create_pg_database, drop_pg_database


def test_with_the_fixture(pg_url):
    assert pg_url


@pytest.fixture(params=["sqlite", "postgresql"])
def kind(request):
    return request.param


def test_on_both(kind):
    assert kind


@pytest.fixture
def own_database():
    url = create_pg_database()
    yield url
    drop_pg_database(url)


def test_with_its_own_database(own_database):
    assert own_database


def test_without_postgres():
    assert True


def test_sneaking_in():
    make = create_pg_database  # not seen at collection: the check fails it when it runs
    drop_pg_database(make())
"""


def pytest_run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_sample.py").write_text(SAMPLE, encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.conftest", "-p", "no:cacheprovider", "-q", *args],
        cwd=tmp_path,
        env={"PYTHONPATH": f"{REPO / 'src'}:{REPO}", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_tests_reaching_postgres_are_marked_at_collection(tmp_path: Path) -> None:
    done = pytest_run(tmp_path, "--co", "-m", "postgres", "-o", "markers=postgres")
    selected = sorted(line for line in done.stdout.splitlines() if "::" in line)
    assert selected == [
        "test_sample.py::test_on_both[postgresql]",
        "test_sample.py::test_with_its_own_database",
        "test_sample.py::test_with_the_fixture",
    ], done.stdout + done.stderr


@pytest.mark.postgres
def test_an_unmarked_test_that_makes_a_database_fails(tmp_path: Path) -> None:
    done = pytest_run(tmp_path, "-k", "sneaking", "-o", "markers=postgres")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "test_sneaking_in uses PostgreSQL but lacks @pytest.mark.postgres" in done.stdout


def test_modules_with_a_server_and_the_tests_holding_many_connections_run_as_units() -> None:
    from tests.conftest import xdist_scope  # noqa: PLC0415 — the suite's own scheduling rule

    expected = {
        # a browser or end-to-end module, whole: its server (module or session fixture) starts once
        "tests/browser/test_console_day.py::test_a_day[chromium]": "tests/browser/test_console_day.py",
        "tests/e2e/test_hotline_e2e.py::test_outage[postgresql]": "tests/e2e/test_hotline_e2e.py",
        # the tests that start many processes against PostgreSQL: one unit, never side by side
        "tests/e2e/test_several_nodes.py::test_killed": "many-connections",
        "tests/e2e/test_startup_race.py::test_race": "many-connections",
        "tests/e2e/test_workers.py::test_two": "many-connections",
        "tests/integration/test_sweeper.py::test_racing_sweep_processes_raise_each_escalation_once": (
            "many-connections"
        ),
        # anything else alone
        "tests/integration/test_sweeper.py::test_racing_sweepers_raise_each_escalation_once": (
            "tests/integration/test_sweeper.py::test_racing_sweepers_raise_each_escalation_once"
        ),
        "tests/unit/test_calendar.py::test_x[a::b]": "tests/unit/test_calendar.py::test_x[a::b]",
    }
    assert {nodeid: xdist_scope(nodeid) for nodeid in expected} == expected


ONE_MODULE = """
import os
import pytest


@pytest.mark.parametrize("n", range(8))
def test_where(n):
    with open(os.environ["WHERE"], "a") as f:
        f.write(os.environ["PYTEST_XDIST_WORKER"] + "\\n")
"""


PYTEST = (sys.executable, "-m", "pytest", "-p", "tests.conftest", "-p", "no:cacheprovider", "-q")


def test_under_xdist_an_end_to_end_module_runs_whole_on_one_worker(tmp_path: Path) -> None:
    module = tmp_path / "tests" / "e2e" / "test_sample.py"
    module.parent.mkdir(parents=True)
    module.write_text(ONE_MODULE, encoding="utf-8")
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")  # the rootdir: ids start tests/e2e/
    where = tmp_path / "where.txt"
    done = subprocess.run(
        [*PYTEST, "-n", "2", "--dist", "loadgroup", "tests/e2e/test_sample.py"],
        cwd=tmp_path,
        env={"PYTHONPATH": f"{REPO / 'src'}:{REPO}", "PATH": "/usr/bin:/bin", "WHERE": str(where)},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    workers = where.read_text(encoding="utf-8").split()
    assert len(workers) == 8
    assert len(set(workers)) == 1, workers  # pytest 9.2 with xdist's own xdist_group marker: spread over both
