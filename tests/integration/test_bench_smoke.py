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


@pytest.mark.postgres
def test_commands_bench_smoke(pg_url: str) -> None:
    """bench/commands.py against a real `yousu serve` on PostgreSQL, driven by wrk (installed when missing):
    the trivial app's ceiling, /healthz and every kind measured, none failing, the targets judged."""
    cmd = [sys.executable, "bench/commands.py", "--database-url", pg_url, "--connections", "4", "--workers", "1"]
    cmd += ["--duration", "1", "--no-profile"]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    rows = [[c.strip() for c in line.split("|")[1:-1]] for line in done.stdout.splitlines() if line.startswith("| ")]
    measured = {(r[0], r[1]) for r in rows[1:] if r[2] == "1"}
    kinds = ["trivial FastAPI app", "healthz", "receive", "classify", "sign", "dispatch", "resolve"]
    kinds += ["feedback", "callback", "read"]
    assert measured == {(k, "4") for k in kinds}, done.stdout
    assert all(r[6].startswith("0/") for r in rows[1:]), done.stdout  # no errors
    assert all(int(r[6].split("/")[1]) > 0 for r in rows[1:]), done.stdout  # every row sent requests
    assert "targets (" in done.stdout


@pytest.mark.postgres
def test_login_flood_bench_smoke(pg_url: str) -> None:
    """bench/login_flood.py against a real `yousu serve` on PostgreSQL, tiny: both p50s and the ratio printed."""
    cmd = [sys.executable, "bench/login_flood.py", "--database-url", pg_url, "--seconds", "1", "--threads", "2"]
    cmd += ["--flood", "threads", "--defaults-only"]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    row = next(line for line in done.stdout.splitlines() if line.startswith("| defaults"))
    cells = [c.strip() for c in row.split("|")[1:-1]]
    quiet, flooded, ratio = float(cells[1]), float(cells[2]), float(cells[3])
    assert quiet > 0
    assert flooded > 0
    assert ratio == pytest.approx(flooded / quiet, rel=0.1)  # the printed p50s are rounded
    assert "401" in cells[5] or "429" in cells[5], row  # the flood was answered (refused), never let in
    assert "flooded p50 is" in done.stdout


@pytest.mark.postgres
def test_reads_bench_smoke(pg_url: str) -> None:
    """bench/reads.py seeds the ledger and the metrics, serves them and times the console's own requests."""
    cmd = [sys.executable, "bench/reads.py", "--database-url", pg_url, "--complaints", "3000", "--repeat", "2"]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "| request (3,000 complaints) |" in done.stdout
    assert "GET /v1/ledger: p50" in done.stdout
    assert "GET /v1/metrics: p50" in done.stdout
