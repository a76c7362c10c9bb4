"""bench/console.py runs end to end on a tiny store (the 100,000-complaint figures are in the README)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.browser.conftest import ensure_chromium, ensure_console_built
from tests.e2e.conftest import REPO


def test_console_page_load_benchmark_smoke(tmp_path: Path) -> None:
    ensure_chromium()
    ensure_console_built()
    args = ["--complaints", "40", "--repeat", "2", "--db", str(tmp_path / "bench.db")]
    done = subprocess.run(
        [sys.executable, str(REPO / "bench" / "console.py"), *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = done.stdout
    assert "page load, navigation → content visible, 40 complaints" in out
    rows = {
        line.split()[0]: line.split()[1:]
        for line in out.splitlines()
        if line.split()[:1] in (["login"], ["ledger"], ["dashboard"], ["complaint"])
    }
    assert set(rows) == {"login", "ledger", "dashboard", "complaint"}
    for name, figures in rows.items():
        cold, median, worst, ratio = (float(x) for x in figures)
        assert cold > 0, (name, figures)  # milliseconds measured, not placeholders
        assert 0 < median <= worst, (name, figures)
        assert ratio > 0
    assert rows["login"][3] == "1.0"  # the anchor against itself
    assert "every load under 1 s:" in out
    # the figures only: no DEBUG lines from seeding (the group commit's) on either stream
    assert "debug" not in (out + done.stderr).lower(), (out + done.stderr)[-2000:]
