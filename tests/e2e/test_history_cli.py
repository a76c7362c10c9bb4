"""`yousu import history FILE` as a real process over a real SQLite file and PostgreSQL: imported once, the
same file again changes nothing, a file with a bad row imports nothing (exit 1, each refusal with its row
number), and the forecast command reads what was imported."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.e2e.conftest import REPO, yousu_executable
from tests.integration.test_api_forecast import NOW
from tests.integration.test_history_import import ledger_csv, slip
from tests.support import CIPHER_KEY, SECRET


def check_cli(url: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("YOUSU_")}
    env.update(
        YOUSU_DATABASE_URL=url,
        YOUSU_CIPHER_KEY=CIPHER_KEY,
        YOUSU_AUTH_SECRET=SECRET,
        YOUSU_HOME=str(REPO),
        YOUSU_FIXED_CLOCK=NOW.isoformat(),
    )

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        cmd = [str(yousu_executable()), *args]
        return subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180, check=False)

    # four weeks of 台账, five window arrivals a working day and two hotline work orders
    rows = []
    n = 0
    for d in range(1, 29):
        day = f"2025-08-{d:02d}"
        if NOW.replace(month=8, day=d).weekday() < 5:
            for i in range(7):
                n += 1
                rows.append(slip(f"D-{n:05d}", f"{day} {9 + i}:15", "窗口" if i < 5 else "12345热线", "区行政服务中心"))
    good = tmp_path / "台账2025年8月.csv"
    good.write_bytes(ledger_csv(rows))
    done = run("import", "history", str(good))
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"{len(rows)} 行，新导入 {len(rows)} 行，已导入过 0 行" in done.stdout
    again = run("import", "history", str(good))
    assert again.returncode == 0, again.stderr[-2000:]
    assert "此前已导入，未作改动" in again.stdout

    bad = tmp_path / "bad.csv"
    bad.write_bytes(
        ledger_csv(
            [
                slip("E-1", "2025-08-29 10:00", centre="district"),
                slip("E-2", "昨天上午", centre="district", category="天气"),
            ]
        )
    )
    refused = run("import", "history", str(bad))
    assert refused.returncode == 1
    assert "1 行不能导入，未导入任何行" in refused.stderr
    assert "第 3 行：未知的诉求类别「天气」；受理时间「昨天上午」须为 YYYY-MM-DD HH:MM" in refused.stderr

    forecast = run("insights", "forecast", "--series", "centre:district,channel:window", "--no-backtest")
    assert forecast.returncode == 0, forecast.stderr[-2000:]
    body = json.loads(forecast.stdout)
    assert body["history"]["from"] == "2025-08-01"  # E-1 (29 Aug) was not imported
    # the last eight Mondays: four in August with five window arrivals, four in September with none (nothing was
    # received since): median 2.5 — it would be 3.5 with the hotline work orders
    assert body["normal_by_weekday"]["0"] == 2.5


def test_import_history_command_on_sqlite(tmp_path: Path) -> None:
    check_cli(f"sqlite:///{tmp_path / 'yousu.db'}", tmp_path)


@pytest.mark.postgres
def test_import_history_command_on_postgres(pg_url: str, tmp_path: Path) -> None:
    check_cli(pg_url, tmp_path)
