"""The Store alone (issue #23 point 3): the one event store the applications share, under the name it always had.

A store written by ``ComplaintsApp`` is read by a bare ``Store`` (same tables, same notification log), and a
service given only the ``Store`` writes through it where ``ComplaintsApp`` reads it back.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from application.clock import SettableClock
from application.complaints import ComplaintsApp
from application.knowledge import EntryFields, KnowledgeService
from application.persistence import parse_database_url
from application.store import Store
from domain.knowledge import KnowledgeEntry
from domain.roster import SigningMode
from domain.values import Actor, Channel, Complainant, ComplainantType, Role

CST = timezone(timedelta(hours=8))
CLERK = Actor("c1", "窗口甲", Role.window_clerk)
PERSON = Complainant(ComplainantType.person, "赵六", "13700001111")
FIELDS = EntryFields(
    question="营业执照遗失怎么补办？",
    answer="携带身份证到政务服务大厅登记窗口办理。",
    policy_basis="市场主体登记管理条例",
    departments=["市场监管局"],
    tags=["营业执照"],
    sources=[],
)


@pytest.fixture(params=["postgresql", "sqlite"])
def env(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str]:
    url = request.getfixturevalue("pg_url") if request.param == "postgresql" else f"sqlite:///{tmp_path / 'y.db'}"
    return dict(parse_database_url(url).env)


def test_every_application_keeps_the_store_name() -> None:
    # the library names its tables and environment prefix after the application: one name, the one stored under
    assert Store.name == "complaints"
    assert ComplaintsApp.name == "complaints"


def test_a_store_alone_reads_what_complaints_recorded(env: dict[str, str]) -> None:
    clock = SettableClock(datetime(2026, 3, 2, 9, 0, tzinfo=CST))
    writer = ComplaintsApp(dict(env), clock=clock, signing_mode=SigningMode.roles_only)
    try:
        made = writer.receive(
            channel=Channel.window, content="噪音扰民", category="environment", complainant=PERSON, actor=CLERK
        )
        newest = writer.max_notification_id()
    finally:
        writer.close()

    store = Store(dict(env), clock=clock)
    try:
        assert store.get(made.id).slip_no == made.slip_no
        assert [e.type for e in store.history(made.id)] == ["Received"]
        assert store.max_notification_id() == newest == made.notification_id
        assert [n.originator_id for n in store.recorder.select_notifications(1, 10)] == [made.id]
    finally:
        store.close()


def test_a_service_given_the_store_alone_writes_through_it(env: dict[str, str]) -> None:
    clock = SettableClock(datetime(2026, 3, 2, 9, 0, tzinfo=CST))
    store = Store(dict(env), clock=clock)
    try:
        entry = KnowledgeService(store).draft(FIELDS, actor_id="k1", actor_role="knowledge_editor")
        assert store.max_notification_id() == 1
    finally:
        store.close()

    reader = ComplaintsApp(dict(env), clock=clock, signing_mode=SigningMode.roles_only)
    try:
        found = KnowledgeService(reader).get(entry.id)
        assert isinstance(found, KnowledgeEntry)
        assert [v.question for v in found.versions] == [FIELDS.question]
        assert found.version == 1
    finally:
        reader.close()
