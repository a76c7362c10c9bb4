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
