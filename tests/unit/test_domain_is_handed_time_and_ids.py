"""Time, ids and randomness come in from outside the domain.

The domain and the policies read no wall clock and draw no randomness: the application hands them the instant
(``now``, from its injected clock), every new aggregate's id and the salts' source. The checks:

- statically, no module under src/domain or src/policies imports ``uuid4``, ``secrets``, ``random`` or ``time``,
  nor calls ``datetime.now``, ``date.today`` or eventsourcing's ``create_timestamp`` (the library's wall clock);
- by behaviour, every event an aggregate records carries, as its ``timestamp``, the ``now`` its command was
  handed — here instants far in the past, which no wall clock would give — for every aggregate of the domain;
- through the application, the events it records carry its clock's instant.
"""

from __future__ import annotations

import ast
import importlib
import inspect
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.domain import Aggregate

import domain
from application.clock import SettableClock
from application.complaints import ComplaintsApp, new_salt
from application.knowledge import EntryFields, KnowledgeService
from domain.access import AccessRecord, AnchorLog
from domain.accounts import AccountRecord
from domain.callbacks import CallbackAgent, CallbackPolicy, CallbackTask, CallKind, Outcome
from domain.cases import CaseText, GuidanceCase
from domain.complaint import Complaint
from domain.knowledge import KnowledgeEntry
from domain.orders import FindingKind, RectificationOrder
from domain.plans import TidalPlan
from domain.roster import DutyDay, DutyRoster, Person, SigningMode
from domain.slips import SlipBook
from domain.values import SYSTEM_ACTOR, Actor, Channel, Classification, Role
from tests.conftest import CST
from tests.unit.test_complaint_rules import (
    CALENDAR,
    CLERK,
    HARD,
    LEADER,
    MARKET,
    OFFICER,
    PERSON,
    Step,
    call_back,
    classify,
    consult,
    dispatch,
    feed_back,
    received,
    resolve,
    sign,
)

SRC = Path(__file__).resolve().parents[2] / "src"
PACKAGES = ("domain", "policies")

# ------------------------------------------------------------------------------------------ statically

BANNED_MODULES = frozenset({"secrets", "random", "time"})  # randomness, and the time module's clocks
BANNED_NAMES = frozenset({"uuid1", "uuid4", "urandom", "create_timestamp"})  # random ids, random bytes, wall clock
CLOCK_READS = frozenset({"now", "utcnow", "today"})  # read on the datetime or date class: the wall clock
DATE_CLASSES = frozenset({"datetime", "date"})


def _is_date_class(node: ast.expr) -> bool:
    """``datetime``/``date`` (imported from datetime) or ``datetime.datetime``/``datetime.date``."""
    if isinstance(node, ast.Name):
        return node.id in DATE_CLASSES
    return isinstance(node, ast.Attribute) and node.attr in DATE_CLASSES


def offences(source: str) -> list[str]:
    """Each line of ``source`` that reads the wall clock or randomness, with what it does."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [f"{node.lineno}: import {a.name}" for a in node.names if a.name.split(".")[0] in BANNED_MODULES]
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            if node.module.split(".")[0] in BANNED_MODULES:
                found.append(f"{node.lineno}: from {node.module} import …")
            found += [
                f"{node.lineno}: from {node.module} import {a.name}" for a in node.names if a.name in BANNED_NAMES
            ]
        elif isinstance(node, ast.Attribute):
            if node.attr in BANNED_NAMES or (node.attr in CLOCK_READS and _is_date_class(node.value)):
                found.append(f"{node.lineno}: {ast.unparse(node)}")
        elif isinstance(node, ast.Name) and node.id in BANNED_NAMES:
            found.append(f"{node.lineno}: {node.id}")
    return found


def offenders() -> list[str]:
    """Every offence under src/domain and src/policies, as ``path:line: what``."""
    listed: list[str] = []
    for package in PACKAGES:
        for path in sorted((SRC / package).rglob("*.py")):
            where = path.relative_to(SRC.parent).as_posix()
            listed += [f"{where}:{offence}" for offence in offences(path.read_text(encoding="utf-8"))]
    return listed


def test_domain_and_policies_read_no_clock_and_no_randomness() -> None:
    assert offenders() == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import time\n", ["1: import time"]),
        ("import random as r\n", ["1: import random"]),
        ("from secrets import token_hex\n", ["1: from secrets import …"]),
        ("from time import perf_counter\n", ["1: from time import …"]),
        ("from uuid import UUID, uuid4\n", ["1: from uuid import uuid4"]),
        ("import uuid\nx = uuid.uuid4()\n", ["2: uuid.uuid4"]),
        ("from datetime import datetime\nx = datetime.now()\n", ["2: datetime.now"]),
        ("import datetime\nx = datetime.datetime.utcnow()\n", ["2: datetime.datetime.utcnow"]),
        ("from datetime import date\nx = date.today()\n", ["2: date.today"]),
        ("f = dict(default=datetime.now)\n", ["1: datetime.now"]),
        ("t = Event.create_timestamp()\n", ["1: Event.create_timestamp"]),
    ],
)
def test_the_check_finds_each_kind_of_offence(source: str, expected: list[str]) -> None:
    assert offences(source) == expected


@pytest.mark.parametrize(
    "source",
    [
        "from datetime import datetime, time, timedelta\nx = time(9, 0)\n",  # datetime.time, a time of day
        "from uuid import NAMESPACE_URL, UUID, uuid5\nx = uuid5(NAMESPACE_URL, 'a')\n",  # derived, not random
        "now = self.app.clock.now()\n",  # the injected clock
        "def f(now: datetime) -> datetime:\n    return now\n",
    ],
)
def test_the_check_lets_handed_time_and_derived_ids_pass(source: str) -> None:
    assert offences(source) == []


# ------------------------------------------------------------------------------------------ by behaviour

MONDAY_10 = datetime(2025, 9, 29, 10, 0, tzinfo=CST)  # far in the past: no wall clock reads this
HOUR = timedelta(hours=1)


def instants(start: datetime = MONDAY_10) -> Iterator[datetime]:
    """Monday 10:00, 11:00, 12:00, …: each command handed its own instant."""
    at = start
    while True:
        yield at
        at += HOUR


Story = Callable[[Iterator[datetime]], tuple[Aggregate, list[datetime]]]
STORIES: dict[type[Aggregate], Story] = {}


def story(cls: type[Aggregate]) -> Callable[[Story], Story]:
    """Register a story of ``cls``: it returns the aggregate and the instants its commands were handed, in order."""

    def register(fn: Story) -> Story:
        STORIES[cls] = fn
        return fn

    return register


@story(Complaint)
def complaint_story(at: Iterator[datetime]) -> tuple[Aggregate, list[datetime]]:
    handed = [next(at)]
    complaint = received(now=handed[0])
    steps: list[Step] = [
        classify(HARD),
        sign(OFFICER),
        sign(LEADER),
        dispatch("market"),
        consult(participants=("market",)),
        resolve(MARKET),
        feed_back(),
        call_back(5),
    ]
    for step in steps:
        handed.append(next(at))
        step(complaint, handed[-1])
    return complaint, handed


@story(KnowledgeEntry)
def knowledge_story(at: Iterator[datetime]) -> tuple[Aggregate, list[datetime]]:
    fields: dict[str, Any] = {
        "question": "营业执照遗失怎么补办？",
        "answer": "携带身份证到市场监管窗口申请补领。",
        "policy_basis": "",
        "departments": ["market"],
        "tags": [],
        "sources": [],
    }
    handed = [next(at) for _ in range(5)]
    entry = KnowledgeEntry.draft(**fields, actor_id="c1", actor_role="window_clerk", now=handed[0], entry_id=uuid4())
    entry.revise(
        **{**fields, "answer": "携带身份证原件到市场监管窗口申请补领。"},
        actor_id="c1",
        actor_role="window_clerk",
        now=handed[1],
    )
    entry.publish(actor_id="l1", actor_role="duty_leader", now=handed[2])
    entry.use(complaint_id=uuid4(), actor_id="c1", actor_role="window_clerk", now=handed[3])
    entry.retire(reason="政策调整", actor_id="l1", actor_role="duty_leader", now=handed[4])
    return entry, handed


@story(RectificationOrder)
def order_story(at: Iterator[datetime]) -> tuple[Aggregate, list[datetime]]:
    handed = [next(at) for _ in range(8)]
    order = RectificationOrder.issue(
        unit="market",
        finding_kind=FindingKind.topic,
        finding_text="材料反复退回",
        working_days=5,
        actor=LEADER,
        now=handed[0],
        calendar=CALENDAR,
        order_id=uuid4(),
    )
    order.acknowledge(actor=MARKET, now=handed[1], unit_of_actor="market")
    order.report_done(report="已整改", actor=MARKET, now=handed[2], unit_of_actor="market")
    order.send_back(reason="整改不彻底", working_days=3, actor=LEADER, now=handed[3], calendar=CALENDAR)
    order.escalate(
        level=1, round_=2, due_at=handed[3], reason="逾期", recipients=["l1"], actor=SYSTEM_ACTOR, now=handed[4]
    )
    order.acknowledge(actor=MARKET, now=handed[5], unit_of_actor="market")
    order.report_done(report="已再次整改", actor=MARKET, now=handed[6], unit_of_actor="market")
    order.accept(comment="验收通过", actor=LEADER, now=handed[7])
    return order, handed


@story(GuidanceCase)
def case_story(at: Iterator[datetime]) -> tuple[Aggregate, list[datetime]]:
    text = CaseText("欠薪", "详情", "办法", ("一",), "结论", "依据")
    handed = [next(at) for _ in range(3)]
    case = GuidanceCase.draft(
        source_ids=[uuid4()],
        source_slips=["YS-district-20250929-00001"],
        text=text,
        replacements=[],
        actor_id="o1",
        actor_role="duty_officer",
        now=handed[0],
        case_id=uuid4(),
    )
    case.revise(text=text, replacements=[], actor_id="o1", actor_role="duty_officer", now=handed[1])
    case.publish(actor_id="l1", actor_role="duty_leader", now=handed[2])
    return case, handed


@story(AccessRecord)
def access_story(at: Iterator[datetime]) -> tuple[Aggregate, list[datetime]]:
    handed = [next(at)]
    record = AccessRecord.record(
        record_id=uuid4(), reader=CLERK, complaint_id=uuid4(), endpoint="history", personal_info=False, now=handed[0]
    )
    return record, handed


@story(AnchorLog)
def anchor_story(at: Iterator[datetime]) -> tuple[Aggregate, list[datetime]]:
    handed = [next(at) for _ in range(2)]
    log = AnchorLog.start(UUID(int=1), now=handed[0])
    log.anchor(now=handed[1], position=1, changed={}, complaints=0, digest="0" * 64)
    return log, handed


@story(AccountRecord)
def account_story(at: Iterator[datetime]) -> tuple[Aggregate, list[datetime]]:
    admin = Actor("admin-1", "管理员", Role.admin)
    handed = [next(at) for _ in range(5)]
    record = AccountRecord.open(
        username="wang", name="王窗口", roles=["window_clerk"], department=None, centre=None, actor=admin, now=handed[0]
    )
    record.disable(actor=admin, now=handed[1])
    record.enable(actor=admin, now=handed[2])
    record.change_roles(roles=["duty_officer"], department=None, centre="district", actor=admin, now=handed[3])
    record.password_set(actor=admin, now=handed[4], reset=True)
    return record, handed


@story(CallbackAgent)
def agent_story(at: Iterator[datetime]) -> tuple[Aggregate, list[datetime]]:
    handed = [next(at)]
    agent = CallbackAgent.enrol(actor=Actor("agent-1", "回访员", Role.callback_agent), now=handed[0])
    return agent, handed


@story(CallbackTask)
def task_story(at: Iterator[datetime]) -> tuple[Aggregate, list[datetime]]:
    agent = Actor("agent-1", "回访员", Role.callback_agent)
    handed = [next(at) for _ in range(4)]
    task = CallbackTask.open(
        complaint_id=uuid4(), kind=CallKind.due, round_=1, policy=CallbackPolicy(), actor=SYSTEM_ACTOR, now=handed[0]
    )
    task.assign(agent=agent.id, actor=LEADER, now=handed[1], agent_on_record=True)
    task.attempt(
        outcome=Outcome.answered,
        rating=2,
        comment="不满意",
        finding="窗口推诿",
        actor=agent,
        now=handed[2],
        calendar=CALENDAR,
    )
    task.refer(order_id=uuid4(), actor=LEADER, now=handed[3])
    return task, handed


@story(TidalPlan)
def plan_story(at: Iterator[datetime]) -> tuple[Aggregate, list[datetime]]:
    day = date(2025, 10, 9)
    handed = [next(at) for _ in range(3)]
    plan = TidalPlan.open("district", day, day, now=handed[0])
    for now in handed[1:]:
        plan.accept(centre="district", start=day, end=day, windows={}, extra={}, note="", actor=LEADER, now=now)
    return plan, handed


@story(DutyRoster)
def roster_story(at: Iterator[datetime]) -> tuple[Aggregate, list[datetime]]:
    duty = DutyDay(date(2025, 10, 9), officers=(Person("officer-1", "李值班"),), leader=Person("leader-1", "张带班"))
    handed = [next(at) for _ in range(2)]
    roster = DutyRoster.import_month(centre="district", month="2025-10", days=[duty], actor=LEADER, now=handed[0])
    roster.replace(days=[duty], actor=LEADER, now=handed[1])
    return roster, handed


@story(SlipBook)
def slip_story(at: Iterator[datetime]) -> tuple[Aggregate, list[datetime]]:
    handed = [next(at) for _ in range(3)]
    book = SlipBook.open(handed[0].date(), "district", now=handed[0])
    for now in handed[1:]:
        book.issue(now=now)
    return book, handed


def domain_aggregates() -> set[type[Aggregate]]:
    """Every aggregate class the domain defines (a new one needs its story here)."""
    found: set[type[Aggregate]] = set()
    for path in (SRC / "domain").rglob("*.py"):
        name = ".".join(path.relative_to(SRC).with_suffix("").parts).removesuffix(".__init__")
        imported = importlib.import_module(name)
        found |= {
            obj
            for obj in vars(imported).values()
            if inspect.isclass(obj)
            and issubclass(obj, Aggregate)
            and obj is not Aggregate
            and obj.__module__.startswith(domain.__name__)
        }
    return found


def test_every_domain_aggregate_has_a_story() -> None:
    assert {cls.__name__ for cls in domain_aggregates()} == {cls.__name__ for cls in STORIES}


@pytest.mark.parametrize("cls", list(STORIES), ids=lambda cls: cls.__name__)
def test_every_event_carries_the_instant_its_command_was_handed(cls: type[Aggregate]) -> None:
    aggregate, handed = STORIES[cls](instants())
    events = aggregate.collect_events()
    assert len(events) == len(handed)  # one event per command
    assert [e.timestamp for e in events] == handed


def test_a_complaint_is_salted_from_the_source_it_is_handed() -> None:
    drawn = iter(["salt-1", "salt-2"])
    complaint = received(now=MONDAY_10, salt=lambda: next(drawn))
    [event] = complaint.collect_events()
    assert event.personal_salts == {"complainant.name": "salt-1", "complainant.phone": "salt-2"}  # type: ignore[attr-defined]


def test_the_application_salt_is_fresh_random_hex() -> None:
    first, second = new_salt(), new_salt()
    assert first != second
    assert len(first) == 32
    assert int(first, 16) >= 0


# ------------------------------------------------------------------------------------------ through the application


def test_the_application_hands_its_clock_to_every_event_it_records() -> None:
    """Recorded through the application (in memory), each event carries the clock's instant at its command."""
    clock = SettableClock(MONDAY_10)
    app = ComplaintsApp(clock=clock, calendar=CALENDAR, signing_mode=SigningMode.roles_only)
    handed = [MONDAY_10]
    cid = app.receive(channel=Channel.window, content="窗口推诿", category="other", complainant=PERSON, actor=CLERK).id
    handed.append(clock.advance(HOUR))
    app.classify(cid, classification=Classification.general, reason="按责分类", actor=CLERK)
    handed.append(clock.advance(HOUR))
    app.resolve(cid, result="当场解答", legal_basis=None, actor=CLERK)
    assert [e.timestamp for e in app.events.get(cid)] == handed

    knowledge = KnowledgeService(app)
    entry_handed = [clock.advance(HOUR)]
    entry = knowledge.draft(
        EntryFields("营业执照遗失怎么补办？", "到市场监管窗口申请补领。", "", ["market"], [], []),
        actor_id="c1",
        actor_role="window_clerk",
    )
    entry_handed.append(clock.advance(HOUR))
    knowledge.publish(entry.id, actor_id="l1", actor_role="duty_leader")
    assert [e.timestamp for e in app.events.get(entry.id)] == entry_handed
