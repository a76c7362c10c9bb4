"""The topic benchmark runs end to end with tiny sizes (figures produced, not judged)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_topics_bench_runs() -> None:
    cmd = [sys.executable, "bench/topics.py", "--regroup", "300", "--batch", "100", "--speed", "50", "--no-e5"]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    for expected in ("lexical (baseline)", "meaning (in use)", "held-out", "texts/s", "incremental regroup of 300"):
        assert expected in done.stdout, done.stdout
