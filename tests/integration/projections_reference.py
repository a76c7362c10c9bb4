"""Shared by the projection tests: drive random histories through ComplaintsApp, fold a reference, compare.

The reference is written here, independently of src/projections: the ledger comes from the aggregates
themselves, the clocks from a walk over the stored events, and every metric from a brute-force count
over the reference complaints.
"""

from __future__ import annotations

import contextlib
import random
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
from hypothesis import strategies as st

from application.calendar_loader import load_calendar
from application.clock import SettableClock
from application.complaints import ComplaintsApp
from application.persistence import parse_database_url
from domain.calendar import WorkingCalendar, YearSchedule
from domain.complaint import Complaint
from domain.errors import ComplaintError
from domain.roster import SigningMode
from domain.rules import ClockKind
from domain.values import (
    SYSTEM_ACTOR,
    Actor,
    Channel,
    Classification,
    Complainant,
    ComplainantType,
    Role,
    Status,
)
from projections.db import Table, ViewDB
from projections.ledger import LEDGER, LEDGER_DEPARTMENTS
from projections.metrics import METRICS_COUNTS, METRICS_DUE, METRICS_MONTHLY, METRICS_STATE, metrics
from projections.runner import ProjectionRunner
from projections.sla import SLA
from projections.view import View
from tests.readers import complaint_clocks
from yousu.wiring import all_views

CST = timezone(timedelta(hours=8))
START = datetime(2025, 9, 26, 10, 0, tzinfo=CST)  # a Friday before the National Day holiday
CALENDAR = load_calendar(Path(__file__).resolve().parents[2] / "ops" / "calendar")


def _with_new_holidays(calendar: WorkingCalendar, days: Iterable[date]) -> WorkingCalendar:
    """``calendar`` with ``days`` declared holidays afterwards (an amended schedule file)."""
    schedules = dict(calendar.schedules)
    for day in days:
        year = schedules.get(day.year, YearSchedule(day.year))
        schedules[day.year] = replace(year, holidays=year.holidays | {day}, workdays=year.workdays - {day})
    return replace(calendar, schedules=schedules)


# The calendars a 时限更正 may meet (DeadlineCorrected): an earlier close of business, days of newly
# announced holidays just after the start (the 调休 Sunday among them), and the shipped calendar again
# (which undoes earlier corrections).
CORRECTING_CALENDARS = (
    replace(CALENDAR, close_of_business=time(16, 30)),
    _with_new_holidays(CALENDAR, (START.date() + timedelta(days=n) for n in range(1, 10))),
    CALENDAR,
)

CLERK = Actor("clerk-1", "王窗口", Role.window_clerk)
OFFICER = Actor("officer-1", "李值班", Role.duty_officer)
LEADER = Actor("leader-1", "张带班", Role.duty_leader)
HOTLINE = Actor("hotline", "12345", Role.hotline)
DEPARTMENTS = ("market", "housing", "tax")
DEPT = {d: Actor(f"dept-{d}", f"{d} 经办人", Role.department, department=d) for d in DEPARTMENTS}
# 指定承办人: each department's 业务骨干, named by its 负责人 (DEPT) now and then
HANDLER = {d: Actor(f"dept-{d}-2", f"{d} 骨干", Role.department, department=d) for d in DEPARTMENTS}
CATEGORIES = ("housing", "tax", "other")
CHANNELS = (Channel.window, Channel.hotline, Channel.online)
CENTRES = ("district", "jiefang", "xinhua")
CLASSES = (Classification.general, Classification.cannot_do, Classification.hard_to_do, Classification.refused_to_do)


@dataclass(frozen=True)
class Person:
    """A complainant and the masked form the ledger must show."""

    complainant: Complainant
    masked: str


PEOPLE = (
    Person(Complainant(ComplainantType.person, "张三丰", "13812345678", "110101199003071234"), "张** 138****5678"),
    Person(Complainant(ComplainantType.person, "欧阳娜娜", "13900001111"), "欧*** 139****1111"),
    Person(
        Complainant(ComplainantType.enterprise, "李四海", "13712340000", None, "杭州云栖数据科技有限公司"),
        "杭州********** 李** 137****0000",
    ),
)
SECRETS = tuple(
    s
    for p in PEOPLE
    for s in (p.complainant.name, p.complainant.phone, p.complainant.id_number, p.complainant.enterprise_name)
    if s
)

# ------------------------------------------------------------------------------------ histories

Op = tuple[Any, ...]

RECEIVE = st.tuples(
    st.just("receive"),
    st.integers(0, len(CHANNELS) - 1),
    st.integers(0, len(CATEGORIES) - 1),
    st.integers(0, len(PEOPLE) - 1),
    st.integers(0, 60),
)
LATER_OPS = st.lists(
    st.one_of(
        RECEIVE,
        st.tuples(st.just("step"), st.integers(0, 40), st.integers(0, 10_000), st.integers(1, 9)),
        st.tuples(st.just("step"), st.integers(0, 40), st.integers(0, 10_000), st.integers(1, 9)),
        st.tuples(st.just("advance"), st.integers(1, 80)),
        st.tuples(
            st.just("escalate"), st.integers(0, 40), st.sampled_from(list(ClockKind)), st.integers(1, 2), st.booleans()
        ),
        st.tuples(st.just("project"), st.integers(1, 9), st.integers(1, 3)),
        st.tuples(st.just("correct"), st.integers(0, 40), st.integers(0, len(CORRECTING_CALENDARS) - 1)),
    ),
    min_size=5,
    max_size=40,
)
# A few complaints received first, so that most later steps move a lifecycle along.
OPS = st.builds(lambda first, later: [*first, *later], st.lists(RECEIVE, min_size=1, max_size=5), LATER_OPS)


def seeded_history(seed: int, complaints: int = 40, steps: int = 300) -> list[Op]:
    """A long pseudo-random history (deterministic per seed): dense lifecycles, rectification rounds included.

    ``check`` ops compare the views with the reference mid-way, where complaints stand in every state.
    """
    rnd = random.Random(seed)
    ops: list[Op] = []
    for _ in range(complaints):
        ops.append(("receive", rnd.randrange(3), rnd.randrange(3), rnd.randrange(len(PEOPLE)), rnd.randrange(60)))
    for i in range(steps):
        if i % 60 == 59:
            ops.append(("check",))
        r = rnd.random()
        if r < 0.84:
            ops.append(("step", rnd.randrange(complaints), rnd.randrange(10_000), rnd.randrange(1, 4)))
        elif r < 0.90:
            ops.append(("advance", rnd.randrange(1, 40)))
        elif r < 0.93:
            ops.append(("correct", rnd.randrange(complaints), rnd.randrange(len(CORRECTING_CALENDARS))))
        elif r < 0.97:
            ops.append(
                (
                    "escalate",
                    rnd.randrange(complaints),
                    rnd.choice(list(ClockKind)),
                    rnd.randrange(1, 3),
                    rnd.random() < 0.7,
                )
            )
        else:
            ops.append(("project", rnd.randrange(1, 50), rnd.randrange(1, 4)))
    return ops


@dataclass
class Driver:
    """Issues commands against an app; refused commands are part of the history too (they record nothing)."""

    app: ComplaintsApp
    clock: SettableClock
    ids: list[UUID] = field(default_factory=list)
    refs: int = 0

    def run(
        self, ops: Iterable[Op], runner: ProjectionRunner | None = None, check: Callable[[], None] | None = None
    ) -> None:
        """Apply every op; ``project`` ops run the runner for a few small pages, ``check`` ops call ``check``."""
        for op in ops:
            kind = op[0]
            if kind == "check":
                if check is not None:
                    check()
                continue
            try:
                if kind == "receive":
                    self.receive(op[1], op[2], op[3], op[4])
                elif kind == "step" and self.ids:
                    cid = self.ids[op[1] % len(self.ids)]
                    for n in range(op[3] if len(op) > 3 else 1):
                        self.step(cid, op[2] + 7 * n)
                elif kind == "advance":
                    self.clock.advance(timedelta(minutes=30 * op[1]))
                elif kind == "escalate" and self.ids:
                    self.escalate(self.ids[op[1] % len(self.ids)], op[2], op[3], overdue=op[4])
                elif kind == "correct" and self.ids:
                    self.correct(self.ids[op[1] % len(self.ids)], CORRECTING_CALENDARS[op[2]])
                elif kind == "project" and runner is not None:
                    runner.page_size = op[1]
                    runner.run_once(max_pages=op[2])
            except ComplaintError:
                pass

    def receive(self, channel: int, category: int, person: int, hours_ago: int) -> UUID:
        """一窗受理; hotline complaints carry an earlier original receipt time."""
        ch = CHANNELS[channel]
        kwargs: dict[str, Any] = {}
        actor = CLERK
        if ch is Channel.hotline:
            self.refs += 1
            kwargs = {
                "external_ref": f"R{self.refs}-{len(self.ids)}",
                "received_at": self.clock.now() - timedelta(hours=hours_ago),
            }
            actor = HOTLINE
        result = self.app.receive(
            channel=ch,
            content="楼道灯坏了很久无人修",
            category=CATEGORIES[category],
            complainant=PEOPLE[person].complainant,
            actor=actor,
            centre=CENTRES[(person + category) % len(CENTRES)],
            **kwargs,
        )
        self.ids.append(result.id)
        return result.id

    def step(self, cid: UUID, choice: int) -> None:  # noqa: PLR0912 — one branch per event type, as the fold it mirrors
        """The natural next command for the complaint's status (with a few deliberate refusals)."""
        app = self.app
        # Some commands take business time (30–90 minutes), so deadlines are met, missed and
        # sometimes met on the dot (deadlines are at 17:30).
        if choice % 5 == 0:
            self.clock.advance(timedelta(minutes=30 * (1 + choice % 3)))
        c = app.get(cid)
        if choice % 17 == 0 and c.status is not Status.fed_back:
            app.call_back(cid, rating=5, comment="", actor=CLERK)  # refused: wrong order
            return
        if self._handling(c, choice):
            return
        status = c.status
        if status is Status.received:
            app.classify(cid, classification=CLASSES[choice % 4], reason="按责分类", actor=CLERK)
        elif status is Status.classified:
            if c.classification is Classification.general and choice % 2 and c.channel is Channel.window:
                app.command(  # 当场答复: 办结 and 当面反馈 in one step
                    cid,
                    lambda x, now: x.answer_on_the_spot(
                        result="当场答复", actor=CLERK, now=now, calendar=app.calendar, limits=app.limits
                    ),
                )
            elif c.classification is Classification.general:
                app.resolve(cid, result="当场办结", legal_basis=None, actor=CLERK)
            else:
                app.sign(cid, opinion="同意", actor=OFFICER)
        elif status is Status.officer_signed:
            app.sign(cid, opinion="同意转办", actor=LEADER)
        elif status is Status.signed:
            n = 1 + (choice // 4) % 2
            first = (choice // 8) % len(DEPARTMENTS)
            depts = [DEPARTMENTS[(first + i) % len(DEPARTMENTS)] for i in range(n)]
            app.dispatch(cid, departments=depts, supervisor="周督办", instructions="限时办结", actor=LEADER)
        elif status in (Status.dispatched, Status.consulted, Status.rectifying):
            wants = choice % 3 == 0 or (status is Status.dispatched and c.needs_consultation)
            if wants and status is not Status.consulted and c.dispatched_at is not None:
                app.consult(cid, participants=list(c.departments), conclusion="会商一致", actor=LEADER)
            else:
                self._resolve(c)
        elif status is Status.resolved:
            app.feed_back(cid, method="电话", summary="已告知", actor=CLERK)
        elif status is Status.fed_back:
            app.call_back(cid, rating=1 + (choice // 5) % 5, comment="", actor=CLERK)

    def _handling(self, c: Complaint, choice: int) -> bool:  # noqa: PLR0911, PLR0912 — one branch per decision
        """并单, 退单/改派, 延期, 中止 now and then (some refused: after the window, the deadline, the limit)."""
        app, cid = self.app, c.id
        if c.status is Status.merged:
            assert c.merged_into is not None
            if app.get(c.merged_into).first_resolved_at is not None:
                app.answer_from_master(cid, actor=SYSTEM_ACTOR)
            elif choice % 2:
                app.unmerge(cid, reason="并非同一事项", actor=LEADER)
            return True
        if c.paused_at is not None:
            app.resume_clock(cid, note="材料到达", actor=CLERK if choice % 2 else HOTLINE)
            return True
        if c.pending_return is not None:
            if choice % 2:
                depts = [DEPARTMENTS[(DEPARTMENTS.index(c.pending_return) + 1) % len(DEPARTMENTS)]]
                app.redispatch(cid, departments=depts, supervisor=None, instructions="改派", actor=LEADER)
            else:
                app.insist_on_dispatch(cid, opinion="须办理", actor=LEADER)
            return True
        if c.pending_appeal is not None:  # 申诉审核
            upheld = bool(choice % 2)
            app.command(cid, lambda x, now: x.decide_appeal(upheld=upheld, opinion="审核", actor=LEADER, now=now))
            return True
        if c.status is Status.rectifying and choice % 3 == 1:  # 差评申诉 (refused when the round had one)
            complex_ = c.classification is not None and c.classification.is_complex and c.departments
            who = DEPT[c.departments[0]] if complex_ else CLERK
            app.command(cid, lambda x, now: x.appeal_rating(reason="已依法答复", actor=who, now=now))
            return True
        handling = c.status in (Status.dispatched, Status.consulted, Status.rectifying) and c.departments
        if handling and choice % 9 == 5:  # 指定承办人 by one department's 负责人 (again: the latest stands)
            code = c.departments[(choice // 9) % len(c.departments)]
            head, handler = DEPT[code], HANDLER[code]
            app.command(
                cid,
                lambda x, now: x.assign_handler(
                    department=code, handler_id=handler.id, handler_name=handler.name, actor=head, now=now
                ),
            )
            return True
        if c.pending_extension is not None:
            if choice % 2:
                app.approve_extension(cid, opinion="同意", actor=LEADER)
            else:
                app.refuse_extension(cid, reason="可按期办结", actor=LEADER)
            return True
        earlier = self.ids[: self.ids.index(cid)]
        if c.status in (Status.received, Status.classified, Status.dispatched) and choice % 19 == 4 and earlier:
            master = earlier[(choice // 19) % len(earlier)]
            app.merge(cid, master_id=master, reason="同一事项", actor=LEADER)  # refused unless open, same centre
            return True
        if c.status in (Status.dispatched, Status.consulted) and c.departments:
            dept = DEPT[c.departments[0]]
            if choice % 11 == 1:
                app.return_complaint(cid, reason="不属本部门职责", actor=dept)
                return True
            if choice % 13 == 2:
                app.request_extension(cid, days=1 + choice % 3, reason="需现场核查", actor=dept)
                return True
            if choice % 7 == 3:
                app.pause_clock(cid, reason="等待补充材料", actor=dept)
                return True
        return False

    def _resolve(self, c: Complaint) -> None:
        basis = "《某条例》第十条" if c.classification is Classification.cannot_do else None
        actor = CLERK if c.classification is Classification.general or not c.departments else DEPT[c.departments[0]]
        if actor.department in c.handlers:  # its handler resolves, under its 负责人's name
            actor = HANDLER[actor.department]
        self.app.resolve(c.id, result="已办理", legal_basis=basis, actor=actor)

    def correct(self, cid: UUID, calendar: WorkingCalendar) -> None:
        """时限更正 as the sweeper makes it, with the calendar the policy now has; later commands use the shipped one."""
        shipped = self.app.calendar
        self.app.calendar = calendar
        try:
            self.app.correct_deadlines(cid, actor=SYSTEM_ACTOR)
        finally:
            self.app.calendar = shipped

    def escalate(self, cid: UUID, clock: ClockKind, level: int, *, overdue: bool) -> None:
        """A policy's escalation: past a limit (due before now) or looking ahead (a 差评's rectification)."""
        now = self.clock.now()
        due = now - timedelta(hours=1) if overdue else now + timedelta(days=2)
        self.app.escalate(
            cid, clock=clock, level=level, due_at=due, reason="逾期", recipients=["liaison"], actor=SYSTEM_ACTOR
        )


# ------------------------------------------------------------------------------------ the store


def stored_events(app: ComplaintsApp) -> list[tuple[int, Complaint.Event]]:
    """Every complaint event in the store with its notification id."""
    out: list[tuple[int, Complaint.Event]] = []
    start = 1
    while True:
        page = app.recorder.select_notifications(start, 1000)
        if not page:
            return out
        for n in page:
            event = app.mapper.to_domain_event(n)
            if isinstance(event, Complaint.Event):
                out.append((n.id, event))
        start = page[-1].id + 1


def complaint_ids(events: Sequence[tuple[int, Complaint.Event]]) -> list[UUID]:
    """Every complaint received, in order."""
    return [e.originator_id for _, e in events if isinstance(e, Complaint.Received)]


# ------------------------------------------------------------------------------------ reference: ledger


def reference_ledger(app: ComplaintsApp, events: Sequence[tuple[int, Complaint.Event]]) -> dict[UUID, dict[str, Any]]:
    """The ledger as the aggregates see it; overdue from escalations raised after their due instant."""
    last: dict[UUID, int] = {}
    overdue: dict[UUID, int] = defaultdict(int)
    for nid, e in events:
        last[e.originator_id] = nid
        if isinstance(e, Complaint.Escalated) and e.due_at <= e.occurred_at:
            overdue[e.originator_id] = max(overdue[e.originator_id], e.level)
        elif isinstance(e, Complaint.Redispatched):  # 改派: the deadline restarts, earlier escalations no longer stand
            overdue[e.originator_id] = 0
    masks = {p.complainant: p.masked for p in PEOPLE}
    out = {}
    for cid in complaint_ids(events):
        c = app.get(cid)
        out[cid] = {
            "id": cid,
            "slip_no": c.slip_no,
            "received_at": c.received_at,
            "channel": c.channel.value,
            "complainant_type": c.complainant.type.value,
            "complainant_masked": masks[c.complainant],
            "category": c.category,
            "classification": c.classification.value if c.classification else None,
            "status": c.status.value,
            "departments": ",".join(c.departments),
            "supervisor": c.supervisor,
            "dispatched_at": c.dispatched_at,
            "due_at": c.due_at,
            "due_provisional": c.due_provisional,
            "overdue": overdue[cid] > 0,
            "overdue_level": overdue[cid],
            "resolved_at": c.resolved_at,
            "fed_back_at": c.fed_back_at,
            "called_back_at": c.called_back_at,
            "rating": c.rating,
            "rectification_rounds": c.rectification_round,
            "centre": c.centre,
            "received_by": c.received_by.id if c.received_by else "",
            "reclassified_from": c.reclassified_from.value if c.reclassified_from else None,
            "content_masked": c.content,  # the generated texts carry no numbers or names
            "classification_reason": c.classification_reason,
            "reclassification_reason": c.reclassification_reason,
            "officer_signer": c.officer_signature.name if c.officer_signature else None,
            "leader_signer": c.leader_signature.name if c.leader_signature else None,
            "officer_opinion": c.officer_opinion,  # the generated opinions carry no numbers or names
            "leader_opinion": c.leader_opinion,
            "received_by_name": c.received_by.name if c.received_by else "",
            "consulted_with": ",".join(c.consultation_log[-1].participants) if c.consultation_log else "",
            "consultation": c.consultation_log[-1].conclusion if c.consultation_log else "",
            "feedback_method": c.feedback_method,
            "result": c.result,
            "legal_basis": c.legal_basis,
            "merged_into": c.merged_into,
            "pending": "return"
            if c.pending_return
            else "extension"
            if c.pending_extension is not None
            else "appeal"
            if c.pending_appeal is not None
            else "",
            "returns": c.returns,
            "extensions": c.extensions,
            "paused": c.paused_at is not None,
            "handlers": ",".join(f"{d}:{c.handlers[d].handler_name}" for d in c.departments if d in c.handlers),
            # the latest 差评申诉: awaiting the duty leader, upheld or refused
            "appeal": ""
            if not c.appeals
            else "pending"
            if c.appeals[-1].upheld is None
            else "upheld"
            if c.appeals[-1].upheld
            else "refused",
            "last_version": c.version,
            "last_notification_id": last[cid],
        }
    return out


# ------------------------------------------------------------------------------------ reference: clocks


@dataclass
class RefClock:
    """One clock in the reference."""

    started_at: datetime
    due_at: datetime
    provisional: bool
    met_at: datetime | None = None
    level: int = 0
    centre: str = "district"
    paused_at: datetime | None = None


def reference_clocks(  # noqa: PLR0912 — one branch per event type, as the fold it mirrors
    events: Sequence[tuple[int, Complaint.Event]],
) -> dict[UUID, dict[tuple[str, int], RefClock]]:
    """Every complaint's clocks, walked from its events."""
    clocks: dict[UUID, dict[tuple[str, int], RefClock]] = defaultdict(dict)
    rounds: dict[UUID, int] = defaultdict(int)
    received: dict[UUID, datetime] = {}
    centres: dict[UUID, str] = {}

    def meet(cid: UUID, clock: str, rnd: int, at: datetime) -> None:
        c = clocks[cid].get((clock, rnd))
        if c is not None and c.met_at is None:
            c.met_at = at

    for _, e in events:
        cid, at, r = e.originator_id, e.occurred_at, rounds[e.originator_id]
        mine = clocks[cid]
        if isinstance(e, Complaint.Received):
            received[cid] = e.received_at
            centres[cid] = e.centre
            mine[("response", 0)] = RefClock(e.received_at, e.response_due_at, e.response_due_provisional)
        elif isinstance(e, Complaint.Classified) and e.due_at is not None:
            mine[("resolution", 0)] = RefClock(received[cid], e.due_at, e.due_provisional)
        elif isinstance(e, Complaint.Dispatched):
            meet(cid, "response", 0, at)
            mine[("resolution", 0)] = RefClock(at, e.due_at, e.due_provisional)
        elif isinstance(e, Complaint.Resolved):
            meet(cid, "response", 0, at)
            meet(cid, "resolution", 0, at)
            if r:
                meet(cid, "rectification", r, at)
            mine[("feedback", r)] = RefClock(at, e.feedback_due_at, e.feedback_due_provisional)
        elif isinstance(e, Complaint.FedBack):
            meet(cid, "feedback", r, at)
            mine[("callback", r)] = RefClock(at, e.callback_due_at, e.callback_due_provisional)
        elif isinstance(e, Complaint.CalledBack):
            meet(cid, "callback", r, at)
            if e.rating <= 2:
                rounds[cid] = r + 1
                assert e.rectification_due_at is not None
                mine[("rectification", r + 1)] = RefClock(at, e.rectification_due_at, e.rectification_due_provisional)
        elif isinstance(e, Complaint.Escalated):
            c = mine.get((e.clock.value, e.round))
            if c is not None:
                c.level = max(c.level, e.level)
        elif isinstance(e, Complaint.DeadlineCorrected):
            # 时限更正 moves an open clock's deadline; nothing else about the clock changes
            c = mine[(e.clock.value, e.round)]
            assert c.met_at is None, "only open clocks are corrected"
            assert c.due_at == e.previous_due_at
            c.due_at, c.provisional = e.due_at, e.provisional
        elif isinstance(e, Complaint.Merged):  # answered by the merge; its resolution is the master's
            meet(cid, "response", 0, at)
            meet(cid, "resolution", 0, at)
        elif isinstance(e, Complaint.Unmerged):  # the clocks it had open run again
            for name, due in (("response", e.response_due_at), ("resolution", e.due_at)):
                c = mine.get((name, 0))
                if c is not None and due is not None:
                    c.met_at, c.due_at = None, due
        elif isinstance(e, Complaint.AnsweredByMaster):
            mine[("feedback", r)] = RefClock(at, e.feedback_due_at, e.feedback_due_provisional)
        elif isinstance(e, Complaint.Redispatched):  # 改派: a new resolution clock from now
            mine[("resolution", 0)] = RefClock(at, e.due_at, e.due_provisional)
        elif isinstance(e, Complaint.ExtensionApproved):
            c = mine[("resolution", 0)]
            assert c.due_at == e.previous_due_at
            c.due_at, c.provisional = e.due_at, e.due_provisional
        elif isinstance(e, Complaint.ClockPaused):
            mine[("resolution", 0)].paused_at = at
            mine[("pause", e.round)] = RefClock(at, e.pause_due_at, e.pause_due_provisional)
        elif isinstance(e, Complaint.ClockResumed):
            c = mine[("resolution", 0)]
            assert c.due_at == e.previous_due_at
            c.due_at, c.provisional, c.paused_at = e.due_at, e.due_provisional, None
            meet(cid, "pause", e.round, at)
        for c in mine.values():
            c.centre = centres[cid]
    return clocks


def reference_sla_rows(
    clocks: dict[UUID, dict[tuple[str, int], RefClock]],
) -> dict[tuple[UUID, str, int], dict[str, Any]]:
    """The SLA table as the reference computes it."""
    out = {}
    for cid, mine in clocks.items():
        for (clock, rnd), c in mine.items():
            out[(cid, clock, rnd)] = {
                "complaint_id": cid,
                "clock": clock,
                "round": rnd,
                "started_at": c.started_at,
                "due_at": c.due_at,
                "due_provisional": c.provisional,
                "met_at": c.met_at,
                "escalation_level": c.level,
                "centre": c.centre,
                "paused_at": c.paused_at,
            }
    return out


# ------------------------------------------------------------------------------------ reference: metrics


@dataclass(frozen=True)
class Facts:
    """What a brute-force metric needs of one complaint."""

    day: date
    departments: tuple[str, ...]
    classification: str
    channel: str
    category: str
    centre: str
    response: RefClock
    resolution: RefClock | None
    callback: RefClock | None
    ratings: tuple[int, ...]
    returned_by: tuple[str, ...] = ()  # the department of every 退单
    original: RefClock | None = None  # the resolution clock as first set, before any 延期 or 中止
    appeals: int = 0
    appeals_upheld: int = 0


def reference_original(events: Sequence[tuple[int, Complaint.Event]]) -> dict[UUID, RefClock | None]:
    """按原时限: the limit 分类, 转办 and 改派 set; a 时限更正 moves it only while 延期 and 中止 have not."""
    original: dict[UUID, RefClock | None] = {}
    for _, e in events:
        cid = e.originator_id
        o = original.get(cid)
        if isinstance(e, Complaint.Classified | Complaint.Dispatched | Complaint.Redispatched):
            if e.due_at is not None:
                original[cid] = RefClock(e.occurred_at, e.due_at, e.due_provisional)
        elif isinstance(e, Complaint.Reclassified):
            original[cid] = None
        elif isinstance(e, Complaint.Resolved | Complaint.Merged) and o is not None and o.met_at is None:
            o.met_at = e.occurred_at
        elif isinstance(e, Complaint.Unmerged) and o is not None and e.due_at is not None:
            o.met_at, o.due_at = None, e.due_at
        elif (
            isinstance(e, Complaint.DeadlineCorrected)
            and e.clock is ClockKind.resolution
            and o is not None
            and o.due_at == e.previous_due_at
        ):
            o.due_at = e.due_at
    return original


def reference_appeals(events: Sequence[tuple[int, Complaint.Event]]) -> dict[UUID, list[tuple[int, bool | None]]]:
    """Each complaint's 差评申诉 as (round, upheld), None while undecided."""
    appeals: dict[UUID, list[tuple[int, bool | None]]] = defaultdict(list)
    for _, e in events:
        if isinstance(e, Complaint.RatingAppealed):
            appeals[e.originator_id].append((e.round, None))
        elif isinstance(e, Complaint.AppealDecided):
            appeals[e.originator_id][-1] = (e.round, e.upheld)
    return appeals


def set_aside(ratings: Sequence[int], appeals: Sequence[tuple[int, bool | None]]) -> tuple[int, ...]:
    """The ratings that count: the 差评 that opened round r leaves them when r's appeal was upheld."""
    bad = [i for i, r in enumerate(ratings) if r <= 2]
    gone = {bad[r - 1] for r, upheld in appeals if upheld}
    return tuple(r for i, r in enumerate(ratings) if i not in gone)


def reference_facts(
    events: Sequence[tuple[int, Complaint.Event]],
    clocks: dict[UUID, dict[tuple[str, int], RefClock]],
    calendar: WorkingCalendar,
) -> list[Facts]:
    """One Facts per complaint."""
    base: dict[UUID, dict[str, Any]] = {}
    ratings: dict[UUID, list[int]] = defaultdict(list)
    returns: dict[UUID, list[str]] = defaultdict(list)
    merged: dict[UUID, bool] = defaultdict(bool)
    original = reference_original(events)
    appeals = reference_appeals(events)
    for _, e in events:
        cid = e.originator_id
        if isinstance(e, Complaint.Received):
            base[cid] = {
                "day": e.received_at.astimezone(calendar.zone).date(),
                "channel": e.channel.value,
                "category": e.category,
                "centre": e.centre,
                "classification": "",
                "departments": (),
            }
        elif isinstance(e, Complaint.Classified):
            base[cid]["classification"] = e.classification.value
        elif isinstance(e, Complaint.Dispatched):
            base[cid]["departments"] = tuple(e.departments)
        elif isinstance(e, Complaint.Redispatched):  # counted under every department it was ever with
            known = base[cid]["departments"]
            base[cid]["departments"] = (*known, *(d for d in e.departments if d not in known))
        elif isinstance(e, Complaint.Returned):
            returns[cid].append(e.department)
        elif isinstance(e, Complaint.Merged | Complaint.Unmerged):
            merged[cid] = isinstance(e, Complaint.Merged)
        elif isinstance(e, Complaint.CalledBack):
            ratings[cid].append(e.rating)
    return [
        Facts(
            response=clocks[cid][("response", 0)],
            resolution=None if merged[cid] else clocks[cid].get(("resolution", 0)),
            callback=clocks[cid].get(("callback", 0)),
            ratings=set_aside(ratings[cid], appeals[cid]),
            returned_by=tuple(returns[cid]),
            original=None if merged[cid] else original.get(cid),
            appeals=len(appeals[cid]),
            appeals_upheld=sum(1 for _, upheld in appeals[cid] if upheld),
            **b,
        )
        for cid, b in base.items()
    ]


def _due(c: RefClock | None, now: datetime) -> bool:
    """In a denominator: met in time, or the deadline has passed."""
    if c is None:
        return False
    return (c.met_at is not None and c.met_at <= c.due_at) or now > c.due_at


def brute_force_metrics(
    facts: Sequence[Facts],
    from_: date,
    to: date,
    group_by: str | None,
    now: datetime,
    satisfied: Sequence[int] = (3, 4, 5),
) -> dict[str, dict[str, tuple[int, int]]]:
    """Every rate of every group by counting complaints one by one."""
    groups: dict[str, dict[str, list[int]]] = {}
    for f in facts:
        if not from_ <= f.day <= to:
            continue
        if group_by == "department":
            keys = list(f.departments) or [""]
        elif group_by == "month":
            keys = [f"{f.day:%Y-%m}"]
        elif group_by is None:
            keys = [""]
        else:
            keys = [getattr(f, group_by)]
        for key in keys:
            g = groups.setdefault(key, {n: [0, 0] for n in queries_rate_names()})
            g["response"][0] += int(f.response.met_at is not None and f.response.met_at <= f.response.due_at)
            g["response"][1] += int(_due(f.response, now))
            res = f.resolution
            g["closure"][0] += int(res is not None and res.met_at is not None)
            g["closure"][1] += int(_due(res, now))
            g["on_time_closure"][0] += int(res is not None and res.met_at is not None and res.met_at <= res.due_at)
            g["on_time_closure"][1] += int(_due(res, now))
            g["satisfaction"][0] += sum(1 for r in f.ratings if r in satisfied)
            g["satisfaction"][1] += len(f.ratings)
            g["bad_rating"][0] += sum(1 for r in f.ratings if r <= 2)
            g["bad_rating"][1] += len(f.ratings)
            cb = f.callback
            g["callback"][0] += int(cb is not None and cb.met_at is not None)
            g["callback"][1] += int(_due(cb, now))
            # 退单率: returns made by the department (all of them outside a department grouping) ÷ dispatched
            g["return"][0] += f.returned_by.count(key) if group_by == "department" else len(f.returned_by)
            g["return"][1] += int(bool(f.departments))
            o = f.original
            g["on_time_closure_original"][0] += int(o is not None and o.met_at is not None and o.met_at <= o.due_at)
            g["on_time_closure_original"][1] += int(_due(o, now))
            g["appeal_upheld"][0] += f.appeals_upheld
            g["appeal_upheld"][1] += f.appeals
    return {k: {n: (v[0], v[1]) for n, v in g.items()} for k, g in groups.items()}


def queries_rate_names() -> tuple[str, ...]:
    """The six rates, 退单率, 按原时限办结率 and 差评申诉成立率, by name (written out, not read from the view)."""
    return (
        "response",
        "closure",
        "on_time_closure",
        "satisfaction",
        "bad_rating",
        "callback",
        "return",
        "on_time_closure_original",
        "appeal_upheld",
    )


def view_metrics(
    db: ViewDB, from_: date, to: date, group_by: str | None, now: datetime, satisfied: Sequence[int] = (3, 4, 5)
) -> dict[str, dict[str, tuple[int, int]]]:
    """The same shape from the metrics view."""
    out = {}
    for g in metrics(db, from_, to, group_by, now, satisfied_levels=satisfied):
        out[g.group] = {n: (r.numerator, r.denominator) for n, r in g.rates.items()}
    return out


# ------------------------------------------------------------------------------------ reading views


def table_rows(db: ViewDB, table: Table) -> list[tuple[Any, ...]]:
    """Every row of a view table with Python values, sorted by key (for equality checks)."""
    cols = ", ".join(table.column_names)
    with db.transaction(write=False) as tx:
        rows = tx.load(table, tx.query(f"SELECT {cols} FROM {table.name}"))  # noqa: S608 — fixed table and column names, values bound
    key_idx = [table.column_names.index(k) for k in table.key]
    return sorted((tuple(r) for r in rows), key=lambda r: tuple(str(r[i]) for i in key_idx))


ALL_TABLES = (LEDGER, LEDGER_DEPARTMENTS, SLA, METRICS_STATE, METRICS_COUNTS, METRICS_MONTHLY, METRICS_DUE)


def snapshot(db: ViewDB) -> dict[str, list[tuple[Any, ...]]]:
    """Every view table's rows."""
    return {t.name: table_rows(db, t) for t in ALL_TABLES}


def as_dicts(table: Table, rows: Iterable[Sequence[Any]]) -> list[dict[str, Any]]:
    """Rows as dicts with booleans normalised."""
    bools = {c.name for c in table.columns if c.type.name == "boolean"}
    out = []
    for r in rows:
        d = dict(zip(table.column_names, r, strict=True))
        for b in bools:
            d[b] = bool(d[b])
        out.append(d)
    return out


def assert_views_match(app: ComplaintsApp, db: ViewDB, calendar: WorkingCalendar, nows: Sequence[datetime]) -> None:
    """Every view equals the reference; every metric equals its brute-force count; no clear PII anywhere."""
    events = stored_events(app)
    assert_ledger(app, db, events)
    clocks = reference_clocks(events)
    assert_clocks(db, calendar, clocks, nows)
    assert_metrics(db, calendar, reference_facts(events, clocks, calendar), nows)
    assert_no_clear_pii(db)


def assert_ledger(app: ComplaintsApp, db: ViewDB, events: Sequence[tuple[int, Complaint.Event]]) -> None:
    """The ledger equals the aggregates; the department index equals their departments."""
    ledger = {r["id"]: r for r in as_dicts(LEDGER, table_rows(db, LEDGER))}
    expected = reference_ledger(app, events)
    assert ledger.keys() == expected.keys()
    for cid, row in expected.items():
        assert ledger[cid] == row, cid
    dept_rows = {(d, c) for d, c in table_rows(db, LEDGER_DEPARTMENTS)}
    assert dept_rows == {(d, cid) for cid, r in expected.items() for d in r["departments"].split(",") if d}


def _state(c: RefClock, now: datetime, calendar: WorkingCalendar) -> tuple[str, float]:
    if c.met_at is None and c.paused_at is not None:
        return "paused", 0.0
    end = c.met_at if c.met_at is not None else now
    if c.met_at is not None and c.met_at <= c.due_at:
        return "met", 0.0
    if end > c.due_at:
        return "breached", round(calendar.working_hours_between(c.due_at, end), 2)
    return "pending", 0.0


def assert_clocks(
    db: ViewDB,
    calendar: WorkingCalendar,
    clocks: dict[UUID, dict[tuple[str, int], RefClock]],
    nows: Sequence[datetime],
) -> None:
    """The SLA table equals the reference clocks; their states at each instant agree."""
    sla = {(r["complaint_id"], r["clock"], r["round"]): r for r in as_dicts(SLA, table_rows(db, SLA))}
    assert sla == reference_sla_rows(clocks)
    for now in nows:
        for cid in list(clocks)[:25]:
            got = {
                (c["clock"], c["round"]): (c["state"], c["late_hours"])
                for c in complaint_clocks(db, cid, now, calendar)
            }
            assert got == {key: _state(c, now, calendar) for key, c in clocks[cid].items()}, cid


def assert_metrics(db: ViewDB, calendar: WorkingCalendar, facts: Sequence[Facts], nows: Sequence[datetime]) -> None:
    """Monthly rollups sum the daily counts; every rate of every grouping equals its brute-force count."""
    monthly: dict[tuple[Any, ...], list[int]] = {}
    for row in table_rows(db, METRICS_COUNTS):
        acc = monthly.setdefault((row[0].replace(day=1), *row[1:6]), [0] * (len(row) - 6))
        for i, v in enumerate(row[6:]):
            acc[i] += v
    assert {k: tuple(v) for k, v in monthly.items()} == {
        tuple(r[:6]): tuple(r[6:]) for r in table_rows(db, METRICS_MONTHLY)
    }
    days = sorted({f.day for f in facts})
    if not days:
        return
    first, last, mid = days[0], days[-1], days[len(days) // 2]
    ranges = [
        (first, last),
        (first, mid),
        (mid, last + timedelta(1)),
        (first.replace(day=1), last.replace(day=28) + timedelta(days=4)),  # whole months from the rollup
        (first - timedelta(days=45), last + timedelta(days=45)),  # whole months with ragged ends
    ]
    for from_, to in ranges:
        for group_by in (None, "department", "classification", "channel", "category", "month", "centre"):
            for now in nows:
                assert view_metrics(db, from_, to, group_by, now) == brute_force_metrics(
                    facts, from_, to, group_by, now
                ), (from_, to, group_by, now)
    satisfied = (4, 5)
    assert view_metrics(db, first, last, None, nows[-1], satisfied) == brute_force_metrics(
        facts, first, last, None, nows[-1], satisfied
    )


def assert_no_clear_pii(db: ViewDB) -> None:
    """No name, phone, ID number or enterprise name in clear in any view table."""
    for table in ALL_TABLES:
        for row in table_rows(db, table):
            for value in row:
                text = str(value)
                assert not any(secret in text for secret in SECRETS), (table.name, text)


# ------------------------------------------------------------------------------------ environments


def reset_postgres(url: str) -> None:
    """Drop every table (events and views) so the next example starts from an empty store."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")


def make_app(url: str, clock: SettableClock, calendar: WorkingCalendar = CALENDAR) -> ComplaintsApp:
    """A ComplaintsApp over ``url`` with the injected clock."""
    return ComplaintsApp(
        parse_database_url(url).env,
        clock=clock,
        calendar=calendar,
        centres=CENTRES,
        signing_mode=SigningMode.roles_only,
    )


def reference_views(calendar: WorkingCalendar) -> list[View]:
    """The views this reference checks: ledger, SLA, metrics (the inbox has its own tests)."""
    return [v for v in all_views(calendar) if v.name in ("ledger", "sla", "metrics")]


def make_runner(app: ComplaintsApp, url: str, page_size: int = 1000) -> ProjectionRunner:
    """A runner over every view."""
    runner = ProjectionRunner(app, reference_views(app.calendar), ViewDB.from_url(url), page_size=page_size)
    runner.setup()
    return runner


def close(app: ComplaintsApp, runner: ProjectionRunner) -> None:
    """Close the app's and the runner's connections."""
    runner.db.close()
    with contextlib.suppress(Exception):
        app.close()
