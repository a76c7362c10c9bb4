"""The 未诉先办 benchmark runs end to end with tiny sizes on SQLite and PostgreSQL (figures produced, not judged)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_insights_bench_runs(kind: str, request: pytest.FixtureRequest) -> None:
    url = request.getfixturevalue("sqlite_url" if kind == "sqlite" else "pg_url")
    cmd = [sys.executable, "bench/insights.py", "--database-url", url, "--stored", "300", "--checks", "10"]
    cmd += ["--topics", "300", "--knowledge", "50", "--searches", "10"]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "repeat check at 300 stored" in done.stdout
    assert "p95" in done.stdout
    assert "pairwise precision" in done.stdout
    assert "knowledge search over 50 entries" in done.stdout
