"""The call-back queue and forecast benchmarks run end to end with tiny sizes (figures are produced, not checked)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_callbacks_bench_smoke(pg_url: str) -> None:
    cmd = [sys.executable, "bench/callbacks.py", "--database-url", pg_url, "--due", "2000", "--closed", "500"]
    done = subprocess.run([*cmd, "--repeat", "12"], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "call-back queue at 2,000 due" in done.stdout
    assert "p95" in done.stdout


def test_forecast_bench_smoke() -> None:
    cmd = [sys.executable, "bench/forecast.py", "--series", "4", "--workers", "1", "--history-days", "120"]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "forecasts for 4 series by day" in done.stdout
    assert "forecasts for 4 series by month" in done.stdout
    assert "['ets']" in done.stdout
