"""The repeat and topic views are folds: following in small pages and rebuilding give the same rows."""

from __future__ import annotations

from typing import Any

import pytest

from application.clock import SystemClock
from domain.values import Actor, Channel, Classification, Complainant, ComplainantType, Role
from projections.db import ViewDB
from tests.corpus import generate
from tests.support import settings_for
from yousu.wiring import build_complaints, build_runner

CLERK = Actor("c1", "窗口甲", Role.window_clerk)
OFFICER = Actor("o1", "值班乙", Role.duty_officer)
LEADER = Actor("l1", "带班丙", Role.duty_leader)
TABLES = ("yousu_repeat_items", "yousu_repeat_persons", "yousu_repeat_links", "yousu_topic_items")


def snapshot(db: ViewDB) -> dict[str, list[tuple[Any, ...]]]:
    with db.transaction(write=False) as tx:
        return {t: sorted(tuple(str(v) for v in row) for row in tx.query(f"SELECT * FROM {t}")) for t in TABLES}  # noqa: S608 — fixed names


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_follow_then_rebuild_gives_the_same_rows(kind: str, request: pytest.FixtureRequest) -> None:
    url = request.getfixturevalue("sqlite_url" if kind == "sqlite" else "pg_url")
    settings = settings_for(url)
    app = build_complaints(settings, SystemClock())
    runner = build_runner(settings, app, page_size=7)
    runner.setup()
    try:
        for i, s in enumerate(generate(60, seed=21)):
            phone = f"1390000{i % 17:04d}"  # some people come back
            cid = app.receive(
                channel=Channel.window,
                content=s.content,
                category=s.category,
                complainant=Complainant(ComplainantType.person, "某某", phone),
                actor=CLERK,
            ).id
            if i % 5 == 0:
                app.classify(cid, classification=Classification.cannot_do, reason="", actor=CLERK)
                app.sign(cid, opinion="", actor=OFFICER)
                app.sign(cid, opinion="", actor=LEADER)
                app.dispatch(cid, departments=["housing"], supervisor="s", instructions="", actor=LEADER)
            if i % 9 == 0:
                runner.run_once()
        runner.run_once()
        followed = snapshot(runner.db)
        assert followed["yousu_repeat_links"], "the corpus has repeats"
        assert any(",housing," in " ".join(row) for row in followed["yousu_topic_items"])
        runner.rebuild_page_size = 11
        runner.rebuild(["repeats", "topics"])
        assert snapshot(runner.db) == followed
    finally:
        runner.db.close()
        app.close()
