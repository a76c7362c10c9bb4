"""The projection benchmark runs end to end with tiny sizes (figures are not checked, only produced)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import create_pg_database, drop_pg_database

ROOT = Path(__file__).resolve().parents[2]
TINY = ["--events", "1500", "--wave", "150", "--complaints", "2000", "--days", "40"]
TINY += ["--lag-commands", "15", "--lag-rate", "100", "--metrics-repeat", "1"]


@pytest.fixture
def metrics_pg_url() -> Iterator[str]:
    """A second database for the seeded metrics."""
    url = create_pg_database("yousu_bench_smoke")
    try:
        yield url
    finally:
        drop_pg_database(url)


def run_bench(database_url: str, metrics_url: str) -> str:
    cmd = [sys.executable, "bench/projections.py", *TINY, "--database-url", database_url]
    cmd += ["--metrics-database-url", metrics_url]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def check_figures(out: str) -> None:
    assert "rebuild:" in out
    assert "events/s" in out
    assert "raw read+deserialise" in out
    assert "write-to-visible lag" in out
    assert "p99" in out
    assert "metrics query at 2,000 complaints" in out
    assert "p95" in out


@pytest.mark.postgres
def test_bench_runs_on_postgres(pg_url: str, metrics_pg_url: str) -> None:
    check_figures(run_bench(pg_url, metrics_pg_url))


def test_bench_runs_on_sqlite(tmp_path: Path) -> None:
    check_figures(run_bench(f"sqlite:///{tmp_path / 'bench.db'}", f"sqlite:///{tmp_path / 'metrics.db'}"))


def test_sweep_bench_smoke(pg_url: str) -> None:
    cmd = [sys.executable, "bench/sweep.py", "--database-url", pg_url, "--open", "2000", "--due", "3", "--repeat", "3"]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "find due clocks among" in done.stdout
    assert "6 escalations raised for 3 candidates" in done.stdout


def test_commands_bench_smoke(tmp_path: Path) -> None:
    """bench/commands.py against a real `yousu serve` on SQLite: every kind measured, none failing."""
    cmd = [sys.executable, "bench/commands.py", "--database-url", f"sqlite:///{tmp_path / 'bench.db'}"]
    cmd += ["--clients", "1,4", "--workers", "1,2", "--requests", "4"]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    rows = [line.split("|")[1:-1] for line in done.stdout.splitlines() if line.startswith("| ")]
    measured = {(r[0].strip(), r[1].strip()) for r in rows[1:] if r[2].strip() == "1"}
    kinds = ["healthz", "receive", "classify", "sign", "dispatch", "resolve", "read", "history"]
    assert measured == {(k, c) for k in kinds for c in ("1", "4")}
    assert all(r[7].strip().startswith("0/") or r[7].strip() == "—" for r in rows[1:]), done.stdout
    assert "refused" in done.stdout, "two workers on the SQLite default are refused, and the table says so"
