"""`yousu insights forecast` as a real process over a real SQLite store: by day, week and month."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from application.clock import SettableClock
from tests.e2e.conftest import REPO, yousu_executable
from tests.integration.test_api_forecast import NOW, seed_app
from tests.support import CIPHER_KEY, SECRET, settings_for
from yousu.wiring import build_complaints


def test_forecast_command_by_granularity(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'yousu.db'}"
    app = build_complaints(settings_for(url), SettableClock(NOW))
    seed_app(app)  # 5 … 25 Sep: four intakes a working day at ten (3 housing, 1 tax)
    app.close()
    env = {k: v for k, v in os.environ.items() if not k.startswith("YOUSU_")}
    env.update(
        YOUSU_DATABASE_URL=url,
        YOUSU_CIPHER_KEY=CIPHER_KEY,
        YOUSU_AUTH_SECRET=SECRET,
        YOUSU_HOME=str(REPO),
        YOUSU_FIXED_CLOCK=NOW.isoformat(),
    )

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        cmd = [str(yousu_executable()), "insights", "forecast", *args]
        return subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180, check=False)

    done = run("--granularity", "week", "--horizon-weeks", "2", "--no-backtest")
    assert done.returncode == 0, done.stderr[-2000:]
    body = json.loads(done.stdout)
    assert (body["granularity"], body["method"]) == ("week", "none")
    # 20 a whole week over 5 working days + 2 closed days at the floor weight 0.02; the next weeks' effective days
    assert [(p["label"], p["mean"]) for p in body["points"]] == [
        ("2025-W39", round(20 / 5.04 * 6.02, 2)),
        ("2025-W40", round(20 / 5.04 * 2.10, 2)),
    ]
    done = run("--granularity", "month")
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout)["notes"] == ["历史不足一个完整的月，无法预测"]
    done = run("--horizon-weeks", "1", "--no-backtest")
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout)["granularity"] == "day"
    assert len(json.loads(done.stdout)["points"]) == 7
    bad = run("--series", "nonsense")
    assert bad.returncode == 1
    assert "series" in bad.stderr
    bad = run("--granularity", "year")
    assert bad.returncode == 2  # the option's choices
