"""`yousu insights topics` as a real process over a real SQLite store seeded with the labelled corpus."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from application.clock import SystemClock
from application.knowledge import EntryFields, KnowledgeService
from application.persistence import parse_database_url
from domain.values import Actor, Channel, Complainant, ComplainantType, Role
from projections import knowledge as knowledge_view
from projections.db import ViewDB
from tests.corpus import generate
from tests.e2e.conftest import REPO, yousu_executable
from tests.support import CIPHER_KEY, SECRET, settings_for
from yousu.wiring import build_complaints

CLERK = Actor("c1", "窗口甲", Role.window_clerk)


def test_topics_command_prints_the_ranked_topics(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'yousu.db'}"
    app = build_complaints(settings_for(url), SystemClock())
    samples = [s for s in generate(150, seed=4) if s.category == "housing"]
    for i, s in enumerate(samples):
        app.receive(
            channel=Channel.window,
            content=s.content,
            category=s.category,
            complainant=Complainant(ComplainantType.person, "某某", f"1370000{i:04d}"),
            actor=CLERK,
        )
    app.close()
    env = {k: v for k, v in os.environ.items() if not k.startswith("YOUSU_")}
    env.update(YOUSU_DATABASE_URL=url, YOUSU_CIPHER_KEY=CIPHER_KEY, YOUSU_AUTH_SECRET=SECRET, YOUSU_HOME=str(REPO))
    cmd = [str(yousu_executable()), "insights", "topics", "--min-count", "3", "--json"]
    done = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    topics = json.loads(done.stdout)
    sizes: dict[str, int] = {}
    for s in samples:
        sizes[s.label] = sizes.get(s.label, 0) + 1
    expected = sorted((n for label, n in sizes.items() if not label.startswith("noise-") and n >= 3), reverse=True)
    assert [t["count"] for t in topics][: len(expected)] == expected
    assert all(t["category"] == "housing" for t in topics)
    table = subprocess.run(cmd[:-1], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert table.returncode == 0, table.stderr[-2000:]
    assert "高频事项" in table.stdout
    bad = subprocess.run(
        [*cmd[:3], "--from", "2025-13-01"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert bad.returncode == 2
    assert "--from" in bad.stderr


def test_reindex_rebuilds_the_knowledge_and_case_tables(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'yousu.db'}"
    app = build_complaints(settings_for(url), SystemClock())
    service = KnowledgeService(app)
    published = service.draft(
        EntryFields("暖气不热怎么办", "向供热公司报修", "", [], [], []), actor_id="c", actor_role="r"
    )
    service.publish(published.id, actor_id="l", actor_role="duty_leader")
    service.draft(EntryFields("电梯故障", "联系物业", "", [], [], []), actor_id="c", actor_role="r")
    app.close()
    env = {k: v for k, v in os.environ.items() if not k.startswith("YOUSU_")}
    env.update(YOUSU_DATABASE_URL=url, YOUSU_CIPHER_KEY=CIPHER_KEY, YOUSU_AUTH_SECRET=SECRET, YOUSU_HOME=str(REPO))
    done = subprocess.run(
        [str(yousu_executable()), "insights", "reindex"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "知识条目 2 条，指导案例 0 件" in done.stdout
    db = ViewDB(parse_database_url(url))
    try:
        assert [r["entry_id"] for r in knowledge_view.search(db, "暖气")] == [str(published.id)]
    finally:
        db.close()
