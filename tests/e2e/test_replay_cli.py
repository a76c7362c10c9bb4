"""`yousu audit replay` takes a slip number and prints every field in full, in Beijing time (issue 10 point 7)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from application.clock import SettableClock
from domain.values import Actor, Channel, Complainant, ComplainantType, Role
from tests.e2e.test_processes import _home, clean_env, yousu
from tests.support import SECRET
from yousu.settings import Settings
from yousu.wiring import build_complaints

CST = timezone(timedelta(hours=8))
LONG = "窗口反映：" + "营业执照变更材料已齐全但被要求反复补正。" * 40  # far wider than any terminal


def test_replay_by_slip_number_in_beijing_time_without_truncation(tmp_path: Path) -> None:
    home = _home(tmp_path)
    clock = SettableClock(datetime(2025, 12, 1, 2, 5, tzinfo=UTC))  # 10:05 in Beijing
    app = build_complaints(Settings(home=home, auth_secret=SECRET), clock)
    try:
        result = app.receive(
            channel=Channel.window,
            content=LONG,
            category="market_regulation",
            complainant=Complainant(ComplainantType.person, "张三", "13812345678"),
            actor=Actor("clerk-1", "王窗口", Role.window_clerk),
            centre="jiefang",
        )
    finally:
        app.close()
    env = clean_env(YOUSU_HOME=str(home), YOUSU_AUTH_SECRET=SECRET, COLUMNS="80")
    done = yousu("audit", "replay", result.slip_no, cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert result.slip_no.startswith("YS-jiefang-20251201-")
    assert result.slip_no in out
    assert str(result.id) in out
    assert "业务时间 2025-12-01 10:05:00" in out  # Beijing time, not UTC
    assert LONG in out  # the whole content on one line
    assert "服务中心（centre）：jiefang" in out
    unknown = yousu("audit", "replay", "YS-jiefang-20251201-09999", cwd=tmp_path, env=env)
    assert unknown.returncode == 1
    bad = yousu("audit", "replay", "nonsense", cwd=tmp_path, env=env)
    assert bad.returncode == 2
