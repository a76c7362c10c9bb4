"""`yousu roster import FILE` and `yousu roster show` as real processes on a real SQLite store."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.test_processes import _home, clean_env, yousu
from tests.integration.test_api_roster import GOOD
from tests.support import SECRET


def test_import_then_show_and_a_bad_file_imports_nothing(tmp_path: Path) -> None:
    home = _home(tmp_path)
    env = clean_env(YOUSU_HOME=str(home), YOUSU_AUTH_SECRET=SECRET)
    bad = tmp_path / "bad.csv"
    bad.write_text(GOOD + "\n2025-12-06,jiefang,李值班,off-li,张带班,lead-zhang\n", encoding="gb18030")
    refused = yousu("roster", "import", str(bad), cwd=tmp_path, env=env)
    assert refused.returncode == 1, refused.stderr
    assert "第 5 行" in refused.stderr
    assert "未导入" in refused.stderr
    none = yousu("roster", "show", "--centre", "jiefang", "--month", "2025-12", cwd=tmp_path, env=env)
    assert none.returncode == 1

    good = tmp_path / "roster.csv"
    good.write_text(GOOD, encoding="utf-8")
    done = yousu("roster", "import", str(good), cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    assert "2025-12 jiefang: 2 天" in done.stdout
    shown = yousu("roster", "show", "--centre", "jiefang", "--month", "2025-12", cwd=tmp_path, env=env)
    assert shown.returncode == 0, shown.stderr
    assert "2025-12-01" in shown.stdout
    assert "张带班" in shown.stdout
    assert "lead-zhang" in shown.stdout
