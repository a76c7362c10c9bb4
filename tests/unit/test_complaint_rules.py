"""The Complaint aggregate, given events → when a command → then new events, or a specific refusal."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, cast
from uuid import uuid4

import pytest

from application.calendar_loader import load_calendar
from application.complaints import new_salt
from domain import errors
from domain.centres import SigningCentre
from domain.complaint import Complaint
from domain.roster import DutyDay, Person, SigningMode
from domain.rules import DEFAULT_RESOLUTION_LIMITS, ClockKind, Limits, deadline_for
from domain.slips import SlipBook
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

CST = timezone(timedelta(hours=8))
T0 = datetime(2025, 9, 26, 10, 0, tzinfo=CST)  # Friday; the next working day is the 调休 Sunday
CALENDAR = load_calendar(Path(__file__).resolve().parents[2] / "ops" / "calendar")
LIMITS = Limits()

CLERK = Actor("clerk-1", "王窗口", Role.window_clerk)
OFFICER = Actor("officer-1", "李值班", Role.duty_officer)
LEADER = Actor("leader-1", "张带班", Role.duty_leader)
MARKET = Actor("dept-market-1", "赵市监", Role.department, department="market")
HOUSING = Actor("dept-housing-1", "钱住建", Role.department, department="housing")
TAX = Actor("dept-tax-1", "孙税务", Role.department, department="tax")
SUPERVISOR = Actor("sup-1", "周督办", Role.supervisor)
LIAISON = Actor("liaison-1", "吴纪检", Role.liaison)
SYSTEM = SYSTEM_ACTOR
OFFICER_2 = Actor("officer-2", "赵值班", Role.duty_officer)  # an officer, but not on the day's roster
LEADER_2 = Actor("leader-2", "钱带班", Role.duty_leader)
OFFICER_SUB = Actor("officer-sub", "孙替班", Role.duty_officer)
LEADER_SUB = Actor("leader-sub", "周替班", Role.duty_leader)
OFFICER_AS_LEADER = Actor("officer-1", "李值班", Role.duty_leader)  # the same person holding the other role
LEADER_SUB_AS_OFFICER = Actor("leader-sub", "周替班", Role.duty_officer)  # a leader's substitute, not an officer's
ROSTER = SigningMode.roster
ROLES_ONLY = SigningMode.roles_only
# T0's day at the district hall: 李值班 on duty, 张带班 leading, each with a named substitute
DUTY = DutyDay(
    date(2025, 9, 26),
    officers=(Person("officer-1", "李值班"),),
    leader=Person("leader-1", "张带班"),
    officer_substitutes=(Person("officer-sub", "孙替班"),),
    leader_substitutes=(Person("leader-sub", "周替班"),),
)

GENERAL = Classification.general
CANNOT = Classification.cannot_do  # 办不了
HARD = Classification.hard_to_do  # 很难办
REFUSED = Classification.refused_to_do  # 不给办
COMPLEX = (CANNOT, HARD, REFUSED)

PERSON = Complainant(ComplainantType.person, "陈群众", "13800000000")


# ---------------------------------------------------------------------------------------- steps


@dataclass(frozen=True)
class Step:
    """One command on the aggregate, with the actor it is issued by."""

    name: str
    actor: Actor
    run: Callable[[Complaint, datetime], None] = field(repr=False)

    def __call__(self, complaint: Complaint, now: datetime) -> None:
        self.run(complaint, now)


def classify(kind: Classification, actor: Actor = CLERK, reason: str = "按责分类") -> Step:
    return Step(
        f"classify:{kind.value}",
        actor,
        lambda c, now: c.classify(
            classification=kind, reason=reason, actor=actor, now=now, calendar=CALENDAR, limits=LIMITS
        ),
    )


def sign(
    actor: Actor, opinion: str = "同意", duty: DutyDay | None = None, mode: SigningMode = SigningMode.roles_only
) -> Step:
    return Step(
        f"sign:{actor.role.value}:{mode.value}",
        actor,
        lambda c, now: c.sign(opinion=opinion, actor=actor, now=now, duty=duty, mode=mode),
    )


def reclassify(kind: Any, reason: str = "现场无法解决，需部门协调", actor: Actor = CLERK) -> Step:
    return Step(
        f"reclassify:{getattr(kind, 'value', kind)}",
        actor,
        lambda c, now: c.reclassify(classification=kind, reason=reason, actor=actor, now=now),
    )


def dispatch(
    *departments: str,
    supervisor: str = "周督办",
    actor: Actor = LEADER,
    limits: Limits = LIMITS,
    acting_centre: str | None = None,
    signer: SigningCentre | None = None,
) -> Step:
    return Step(
        f"dispatch:{'+'.join(departments) or 'none'}",
        actor,
        lambda c, now: c.dispatch(
            departments=list(departments),
            supervisor=supervisor,
            instructions="限时办结",
            actor=actor,
            now=now,
            calendar=CALENDAR,
            limits=limits,
            acting_centre=acting_centre,
            signer=signer,
        ),
    )


def consult(
    actor: Actor = LEADER,
    conclusion: str = "会商一致，由市场监管牵头",
    participants: Sequence[str] = ("market", "housing"),
    duty: DutyDay | None = None,
    mode: SigningMode = SigningMode.roles_only,
) -> Step:
    return Step(
        f"consult:{actor.department or actor.role.value}:{mode.value}",
        actor,
        lambda c, now: c.consult(
            participants=list(participants), conclusion=conclusion, actor=actor, now=now, duty=duty, mode=mode
        ),
    )


def resolve(actor: Actor, legal_basis: str | None = None, result: str = "已依法办理") -> Step:
    return Step(
        f"resolve:{actor.department or actor.role.value}",
        actor,
        lambda c, now: c.resolve(
            result=result, legal_basis=legal_basis, actor=actor, now=now, calendar=CALENDAR, limits=LIMITS
        ),
    )


def feed_back(actor: Actor = CLERK, method: str = "phone") -> Step:
    return Step(
        "feed_back",
        actor,
        lambda c, now: c.feed_back(
            method=method, summary="电话告知办理结果", actor=actor, now=now, calendar=CALENDAR, limits=LIMITS
        ),
    )


def call_back(rating: Any, actor: Actor = CLERK) -> Step:
    return Step(
        f"call_back:{rating!r}",
        actor,
        lambda c, now: c.call_back(
            rating=rating, comment="回访", actor=actor, now=now, calendar=CALENDAR, limits=LIMITS
        ),
    )


HOTLINE = Actor("hotline-1", "孙热线", Role.hotline)


def withdraw(message_id: str | None = "w-1", reason: str = "群众撤诉") -> Step:
    return Step(
        "withdraw", HOTLINE, lambda c, now: c.withdraw(reason=reason, actor=HOTLINE, now=now, message_id=message_id)
    )


def supplement(message_id: str | None = "s-1", text: str = "补充材料照片", source: str = "hotline") -> Step:
    return Step(
        f"supplement:{source}",
        HOTLINE,
        lambda c, now: c.add_supplement(text=text, source=source, actor=HOTLINE, now=now, message_id=message_id),
    )


def escalate(
    clock: ClockKind = ClockKind.resolution, level: int = 1, actor: Actor = SYSTEM, round_: int | None = None
) -> Step:
    return Step(
        f"escalate:{clock.value}:{level}",
        actor,
        lambda c, now: c.escalate(
            clock=clock,
            level=level,
            due_at=now,
            reason="超过办结时限",
            recipients=["liaison-1"],
            actor=actor,
            now=now,
            round_=round_,
        ),
    )


# ---------------------------------------------------------------------------------------- given


def received(now: datetime = T0, **overrides: Any) -> Complaint:
    """A complaint received at the window."""
    kwargs: dict[str, Any] = {
        "slip_no": "YS2025092600001",
        "channel": Channel.window,
        "content": "营业执照变更被窗口拖延两周",
        "category": "market_regulation",
        "complainant": PERSON,
        "actor": CLERK,
        "now": now,
        "calendar": CALENDAR,
        "limits": LIMITS,
        "complaint_id": uuid4(),
        "salt": new_salt,
    }
    kwargs.update(overrides)
    return Complaint.receive(**kwargs)


def step_time(i: int) -> datetime:
    return T0 + timedelta(minutes=i + 1)


def history(steps: Sequence[Step]) -> list[Complaint.Event]:
    """The events the given steps record, in order."""
    complaint = received()
    for i, step in enumerate(steps):
        step(complaint, step_time(i))
    return [cast(Complaint.Event, e) for e in complaint.collect_events()]


def given(steps: Sequence[Step]) -> Complaint:
    """A complaint rebuilt from the events of ``steps`` alone (nothing pending)."""
    aggregate: Any = None
    for event in history(steps):
        aggregate = event.mutate(aggregate)
    assert isinstance(aggregate, Complaint)
    return aggregate


def now_after(steps: Sequence[Step]) -> datetime:
    return step_time(len(steps))


def signed(kind: Classification) -> list[Step]:
    return [classify(kind), sign(OFFICER), sign(LEADER)]


def dispatched(kind: Classification, *departments: str) -> list[Step]:
    return [*signed(kind), dispatch(*(departments or ("market",)))]


RESOLVED_GENERAL = [classify(GENERAL), resolve(CLERK)]
FED_BACK_GENERAL = [*RESOLVED_GENERAL, feed_back()]
CLOSED_GENERAL = [*FED_BACK_GENERAL, call_back(5)]
RECTIFYING_GENERAL = [*FED_BACK_GENERAL, call_back(1)]
MULTI = [*dispatched(REFUSED, "market", "housing"), consult()]
RECTIFYING_MULTI = [*MULTI, resolve(MARKET), feed_back(), call_back(2)]


# ---------------------------------------------------------------------------------------- 并单, 退单/改派, 延期, 中止


def master(steps: Sequence[Step] = (), at: datetime = T0 - timedelta(hours=1), **overrides: Any) -> Complaint:
    """Another complaint, received at ``at`` (an hour before the given one by default), after ``steps``."""
    overrides.setdefault("slip_no", "YS2025092600000")
    m = received(at, **overrides)
    for i, step in enumerate(steps):
        step(m, at + timedelta(seconds=i + 1))
    return m


def merge(into: Complaint | None, actor: Actor = LEADER, reason: str = "同一诉求人反映同一事项") -> Step:
    """并单 into ``into`` (None: into the complaint itself)."""
    return Step(
        "merge",
        actor,
        lambda c, now: c.merge_into(into if into is not None else c, reason=reason, actor=actor, now=now),
    )


def unmerge(actor: Actor = LEADER, reason: str = "经核实并非同一事项") -> Step:
    return Step("unmerge", actor, lambda c, now: c.unmerge(reason=reason, actor=actor, now=now))


def answer_from(m: Complaint, actor: Actor = SYSTEM) -> Step:
    return Step(
        "answer_from_master",
        actor,
        lambda c, now: c.answer_from_master(m, actor=actor, now=now, calendar=CALENDAR, limits=LIMITS),
    )


def return_(actor: Actor = MARKET, reason: str = "不属于本部门职责", later: timedelta = timedelta(0)) -> Step:
    return Step(
        f"return:{actor.department or actor.role.value}",
        actor,
        lambda c, now: c.return_complaint(
            reason=reason, actor=actor, now=now + later, calendar=CALENDAR, limits=LIMITS
        ),
    )


def insist(actor: Actor = LEADER, opinion: str = "属于本部门职责，须办理") -> Step:
    return Step("insist", actor, lambda c, now: c.insist_on_dispatch(opinion=opinion, actor=actor, now=now))


def redispatch(*departments: str, actor: Actor = LEADER, later: timedelta = timedelta(0)) -> Step:
    return Step(
        f"redispatch:{'+'.join(departments) or 'none'}",
        actor,
        lambda c, now: c.redispatch(
            departments=list(departments),
            supervisor=None,
            instructions="改派",
            actor=actor,
            now=now + later,
            calendar=CALENDAR,
            limits=LIMITS,
        ),
    )


def extend(
    days: Any = 2,
    actor: Actor = MARKET,
    reason: str = "需现场核查",
    later: timedelta = timedelta(0),
    limits: Limits = LIMITS,
) -> Step:
    return Step(
        f"extend:{days!r}",
        actor,
        lambda c, now: c.request_extension(days=days, reason=reason, actor=actor, now=now + later, limits=limits),
    )


def approve(actor: Actor = LEADER, limits: Limits = LIMITS) -> Step:
    return Step(
        "approve_extension",
        actor,
        lambda c, now: c.approve_extension(opinion="同意", actor=actor, now=now, calendar=CALENDAR, limits=limits),
    )


def refuse(actor: Actor = LEADER, reason: str = "时限内可以办结") -> Step:
    return Step("refuse_extension", actor, lambda c, now: c.refuse_extension(reason=reason, actor=actor, now=now))


def pause(actor: Actor = MARKET, reason: str = "等待群众补充营业执照原件", later: timedelta = timedelta(0)) -> Step:
    return Step(
        f"pause:{actor.department or actor.role.value}",
        actor,
        lambda c, now: c.pause_clock(reason=reason, actor=actor, now=now + later, calendar=CALENDAR, limits=LIMITS),
    )


def resume(actor: Actor = CLERK, later: timedelta = timedelta(0)) -> Step:
    return Step(
        f"resume:{actor.role.value}",
        actor,
        lambda c, now: c.resume_clock(actor=actor, now=now + later, calendar=CALENDAR, note="材料已补齐"),
    )


# 指定承办人: 赵市监 (MARKET) heads 市场监管 and names 孙经办, one of its 业务骨干; 周科员 is another of its accounts
MARKET_HANDLER = Actor("dept-market-2", "孙经办", Role.department, department="market")
MARKET_OTHER = Actor("dept-market-3", "周科员", Role.department, department="market")


def assign(
    handler: Actor = MARKET_HANDLER, actor: Actor = MARKET, department: str | None = None, name: str | None = None
) -> Step:
    """指定承办人 by ``actor`` as its department's 负责人 (for ``department``, by default the actor's own)."""
    return Step(
        f"assign:{actor.department or actor.role.value}",
        actor,
        lambda c, now: c.assign_handler(
            department=department or str(actor.department or ""),
            handler_id=handler.id,
            handler_name=handler.name if name is None else name,
            actor=actor,
            now=now,
        ),
    )


HOTLINE = Actor("hotline-1", "12345热线", Role.hotline)
OPEN_MASTER = master()
RESOLVED_MASTER = master([classify(GENERAL), resolve(CLERK)])
MERGED_MASTER = master([merge(master(at=T0 - timedelta(hours=2), slip_no="YS2025092500009"))])
LATER_MASTER = master(at=T0 + timedelta(seconds=30), slip_no="YS2025092600002")
OTHER_CENTRE_MASTER = master(centre="street_a")
# the same master later, resolved: its result answers the complaints merged into it
OPEN_MASTER_RESOLVED = master([classify(GENERAL), resolve(CLERK)], complaint_id=OPEN_MASTER.id)
MERGED = [merge(OPEN_MASTER)]
RETURNED = [*dispatched(REFUSED), return_()]
ASKED = [*dispatched(REFUSED), extend()]
PAUSED = [*dispatched(REFUSED), pause()]
# a 很难办 complaint dispatched to 市场监管, consulted, resolved, fed back and rated 2 (差评): round 1 is open
BAD_RATED = [*dispatched(HARD, "market"), consult(), resolve(MARKET), feed_back(), call_back(2)]
LATE = timedelta(days=5)  # past the return window and the 不给办 deadline (Monday 29 September)


# ---------------------------------------------------------------------------------------- allowed


@dataclass(frozen=True)
class Allowed:
    id: str
    given: list[Step]
    when: Step
    event: type[Complaint.Event]
    status: Status


ALLOWED = [
    # 按责分类
    Allowed("classify-general", [], classify(GENERAL), Complaint.Classified, Status.classified),
    *(Allowed(f"classify-{k.value}", [], classify(k), Complaint.Classified, Status.classified) for k in COMPLEX),
    # general: resolved on the spot by the window clerk, no signatures, no dispatch
    Allowed("general-resolved-on-the-spot", [classify(GENERAL)], resolve(CLERK), Complaint.Resolved, Status.resolved),
    # 审核签字: officer, then leader
    *(
        Allowed(f"officer-signs-{k.value}", [classify(k)], sign(OFFICER), Complaint.Signed, Status.officer_signed)
        for k in COMPLEX
    ),
    *(
        Allowed(f"leader-signs-after-officer-{k.value}", [classify(k), sign(OFFICER)], sign(LEADER), Complaint.Signed, Status.signed)
        for k in COMPLEX
    ),
    # 值班表: in roster mode the day's people or their named substitutes sign; by role alone, any holder
    Allowed("officer-on-roster-signs", [classify(HARD)], sign(OFFICER, duty=DUTY, mode=ROSTER), Complaint.Signed, Status.officer_signed),
    Allowed("officer-substitute-signs", [classify(HARD)], sign(OFFICER_SUB, duty=DUTY, mode=ROSTER), Complaint.Signed, Status.officer_signed),
    Allowed("leader-on-roster-signs", [classify(HARD), sign(OFFICER)], sign(LEADER, duty=DUTY, mode=ROSTER), Complaint.Signed, Status.signed),
    Allowed("leader-substitute-signs", [classify(HARD), sign(OFFICER)], sign(LEADER_SUB, duty=DUTY, mode=ROSTER), Complaint.Signed, Status.signed),
    Allowed("roles-only-any-officer-signs", [classify(HARD)], sign(OFFICER_2, duty=DUTY, mode=ROLES_ONLY), Complaint.Signed, Status.officer_signed),
    Allowed("roles-only-without-roster", [classify(HARD), sign(OFFICER_2)], sign(LEADER_2, duty=None, mode=ROLES_ONLY), Complaint.Signed, Status.signed),
    Allowed("two-different-people-sign", [classify(CANNOT), sign(OFFICER_2)], sign(LEADER), Complaint.Signed, Status.signed),
    # 改分类: general not solved on the spot, once, to a complex kind; then the complex flow
    *(
        Allowed(f"reclassify-general-to-{k.value}", [classify(GENERAL)], reclassify(k), Complaint.Reclassified, Status.classified)
        for k in COMPLEX
    ),
    Allowed("reclassify-after-escalation", [classify(GENERAL), escalate()], reclassify(HARD), Complaint.Reclassified, Status.classified),
    Allowed("escalate-the-new-resolution-clock-after-reclassification", [classify(GENERAL), escalate(), escalate(ClockKind.response), reclassify(HARD)], escalate(), Complaint.Escalated, Status.classified),
    Allowed("officer-signs-after-reclassification", [classify(GENERAL), reclassify(HARD)], sign(OFFICER), Complaint.Signed, Status.officer_signed),
    Allowed("dispatch-after-reclassification", [classify(GENERAL), reclassify(CANNOT), sign(OFFICER), sign(LEADER)], dispatch("market"), Complaint.Dispatched, Status.dispatched),
    # 转办 after both signatures
    *(
        Allowed(f"dispatch-{k.value}", signed(k), dispatch("market"), Complaint.Dispatched, Status.dispatched)
        for k in COMPLEX
    ),
    Allowed("dispatch-to-several", signed(REFUSED), dispatch("market", "housing", "tax"), Complaint.Dispatched, Status.dispatched),
    # 会商
    Allowed("consult-after-dispatch", dispatched(HARD), consult(), Complaint.Consulted, Status.consulted),
    Allowed("consult-twice", [*dispatched(HARD), consult()], consult(), Complaint.Consulted, Status.consulted),
    Allowed("consult-while-rectifying", RECTIFYING_MULTI, consult(), Complaint.Consulted, Status.rectifying),
    Allowed("consult-by-the-department", dispatched(HARD, "market"), consult(MARKET, participants=["market"]), Complaint.Consulted, Status.consulted),
    Allowed("consult-by-one-of-several", dispatched(REFUSED, "market", "housing"), consult(HOUSING), Complaint.Consulted, Status.consulted),
    Allowed("consult-with-more-than-the-departments", dispatched(REFUSED, "market", "housing"), consult(participants=["housing", "market", "tax"]), Complaint.Consulted, Status.consulted),
    Allowed("consult-by-the-days-leader", dispatched(HARD), consult(duty=DUTY, mode=ROSTER), Complaint.Consulted, Status.consulted),
    Allowed("consult-by-the-leaders-substitute", dispatched(HARD), consult(LEADER_SUB, duty=DUTY, mode=ROSTER), Complaint.Consulted, Status.consulted),
    Allowed("consult-by-a-department-without-roster", dispatched(HARD), consult(MARKET, participants=["market"], mode=ROSTER), Complaint.Consulted, Status.consulted),
    Allowed("consult-one-department-any-participants", dispatched(HARD, "market"), consult(participants=["tax"]), Complaint.Consulted, Status.consulted),
    # 限时办结
    Allowed("refused-to-do-one-department-no-consultation", dispatched(REFUSED), resolve(MARKET), Complaint.Resolved, Status.resolved),
    Allowed("cannot-do-with-legal-basis", dispatched(CANNOT), resolve(MARKET, legal_basis="《行政许可法》第十二条"), Complaint.Resolved, Status.resolved),
    Allowed("hard-to-do-after-consultation", [*dispatched(HARD), consult()], resolve(MARKET), Complaint.Resolved, Status.resolved),
    Allowed("several-departments-after-consultation", MULTI, resolve(HOUSING), Complaint.Resolved, Status.resolved),
    # 及时反馈, 回访
    Allowed("feed-back-after-resolved", RESOLVED_GENERAL, feed_back(), Complaint.FedBack, Status.fed_back),
    Allowed("feed-back-complex", [*dispatched(REFUSED), resolve(MARKET)], feed_back(), Complaint.FedBack, Status.fed_back),
    *(Allowed(f"call-back-{r}-closes", FED_BACK_GENERAL, call_back(r), Complaint.CalledBack, Status.closed) for r in (3, 4, 5)),
    *(Allowed(f"call-back-{r}-rectifies", FED_BACK_GENERAL, call_back(r), Complaint.CalledBack, Status.rectifying) for r in (1, 2)),
    # rectification round: resolved, fed back and called back again
    Allowed("rectifying-general-resolved-again", RECTIFYING_GENERAL, resolve(CLERK), Complaint.Resolved, Status.resolved),
    Allowed("rectifying-complex-resolved-again", RECTIFYING_MULTI, resolve(HOUSING), Complaint.Resolved, Status.resolved),
    Allowed("rectified-fed-back-again", [*RECTIFYING_GENERAL, resolve(CLERK)], feed_back(), Complaint.FedBack, Status.fed_back),
    Allowed("rectified-called-back-again", [*RECTIFYING_GENERAL, resolve(CLERK), feed_back()], call_back(4), Complaint.CalledBack, Status.closed),
    # 升级督办 by the system, in any state
    Allowed("escalate-received", [], escalate(ClockKind.response), Complaint.Escalated, Status.received),
    Allowed("escalate-dispatched", dispatched(CANNOT), escalate(), Complaint.Escalated, Status.dispatched),
    Allowed("escalate-next-level", [escalate(level=1)], escalate(level=2), Complaint.Escalated, Status.received),
    Allowed("escalate-level-zero-bad-rating-notice", RECTIFYING_GENERAL, escalate(ClockKind.rectification, level=0), Complaint.Escalated, Status.rectifying),
    Allowed("escalate-other-clock", [escalate(ClockKind.response)], escalate(ClockKind.resolution), Complaint.Escalated, Status.received),
    # 12345 热线: 撤诉 in every open state, 补充诉求/材料 while open
    Allowed("withdraw-received", [], withdraw(), Complaint.Withdrawn, Status.withdrawn),
    Allowed("withdraw-dispatched", dispatched(CANNOT), withdraw(), Complaint.Withdrawn, Status.withdrawn),
    Allowed("withdraw-rectifying", RECTIFYING_GENERAL, withdraw(), Complaint.Withdrawn, Status.withdrawn),
    Allowed("supplement-received", [], supplement(), Complaint.SupplementAdded, Status.received),
    Allowed("supplement-at-the-window", dispatched(HARD), supplement(None, source="window"), Complaint.SupplementAdded, Status.dispatched),
    Allowed("escalate-same-key-new-round", [*RECTIFYING_GENERAL[:-1], escalate(ClockKind.callback), call_back(1)], escalate(ClockKind.callback), Complaint.Escalated, Status.rectifying),
    # 并单: into an earlier open complaint; answered with the master's result once it is resolved
    Allowed("merge-received-into-earlier-open", [], merge(OPEN_MASTER), Complaint.Merged, Status.merged),
    Allowed("merge-dispatched-into-earlier-open", dispatched(REFUSED), merge(OPEN_MASTER), Complaint.Merged, Status.merged),
    Allowed("unmerge-returns-to-where-it-stood", [*dispatched(REFUSED), merge(OPEN_MASTER)], unmerge(), Complaint.Unmerged, Status.dispatched),
    Allowed("unmerge-before-classified", MERGED, unmerge(), Complaint.Unmerged, Status.received),
    Allowed("merged-answered-by-resolved-master", MERGED, answer_from(OPEN_MASTER_RESOLVED), Complaint.AnsweredByMaster, Status.resolved),
    Allowed("merged-answered-then-fed-back", [*MERGED, answer_from(OPEN_MASTER_RESOLVED)], feed_back(), Complaint.FedBack, Status.fed_back),
    # the person may still add to, or withdraw, a merged duplicate (it then waits for no answer)
    Allowed("supplement-merged-duplicate", MERGED, supplement(), Complaint.SupplementAdded, Status.merged),
    Allowed("withdraw-merged-duplicate", MERGED, withdraw(), Complaint.Withdrawn, Status.withdrawn),
    # 退单 / 改派
    Allowed("department-returns-within-window", dispatched(REFUSED), return_(), Complaint.Returned, Status.dispatched),
    Allowed("leader-redispatches", RETURNED, redispatch("housing"), Complaint.Redispatched, Status.dispatched),
    Allowed("leader-insists", RETURNED, insist(), Complaint.ReturnInsisted, Status.dispatched),
    Allowed("new-department-returns-after-redispatch", [*RETURNED, redispatch("housing")], return_(HOUSING), Complaint.Returned, Status.dispatched),
    Allowed("resolve-after-insisted", [*RETURNED, insist()], resolve(MARKET), Complaint.Resolved, Status.resolved),
    # 延期
    Allowed("department-asks-extension", dispatched(REFUSED), extend(), Complaint.ExtensionRequested, Status.dispatched),
    Allowed("leader-approves-extension", ASKED, approve(), Complaint.ExtensionApproved, Status.dispatched),
    Allowed("leader-refuses-extension", ASKED, refuse(), Complaint.ExtensionRefused, Status.dispatched),
    Allowed("ask-again-after-refusal", [*ASKED, refuse()], extend(), Complaint.ExtensionRequested, Status.dispatched),
    # 中止
    Allowed("department-pauses", dispatched(REFUSED), pause(), Complaint.ClockPaused, Status.dispatched),
    Allowed("clerk-resumes", PAUSED, resume(), Complaint.ClockResumed, Status.dispatched),
    Allowed("hotline-supplement-resumes", PAUSED, resume(HOTLINE), Complaint.ClockResumed, Status.dispatched),
    Allowed("pause-again-after-resume", [*PAUSED, resume()], pause(), Complaint.ClockPaused, Status.dispatched),
    Allowed("escalate-a-long-pause", PAUSED, escalate(ClockKind.pause, round_=1), Complaint.Escalated, Status.dispatched),
    # 指定承办人: the department's 负责人 names a handler while it handles the complaint; the handler or the assigner resolves
    Allowed("assign-handler-dispatched", dispatched(REFUSED), assign(), Complaint.HandlerAssigned, Status.dispatched),
    Allowed("assign-handler-consulted", [*dispatched(HARD), consult()], assign(), Complaint.HandlerAssigned, Status.consulted),
    Allowed("assign-handler-rectifying", RECTIFYING_MULTI, assign(), Complaint.HandlerAssigned, Status.rectifying),
    Allowed("assign-handler-again", [*dispatched(REFUSED), assign()], assign(MARKET_OTHER), Complaint.HandlerAssigned, Status.dispatched),
    Allowed("assigned-handler-resolves", [*dispatched(REFUSED), assign()], resolve(MARKET_HANDLER), Complaint.Resolved, Status.resolved),
    Allowed("assigner-resolves", [*dispatched(REFUSED), assign()], resolve(MARKET), Complaint.Resolved, Status.resolved),
    Allowed("unassigned-department-resolves", [*MULTI, assign()], resolve(HOUSING), Complaint.Resolved, Status.resolved),
    Allowed("escalate-resolution-afresh-after-redispatch", [*dispatched(REFUSED), escalate(), return_(), redispatch("housing")], escalate(), Complaint.Escalated, Status.dispatched),
]  # fmt: skip


def test_a_supplement_on_a_paused_complaint_resumes_its_clock() -> None:
    """中止 waits for the person's materials: the supplement bringing them records two events, in this order."""
    complaint = given(PAUSED)
    version, due_at = complaint.version, complaint.due_at
    assert due_at is not None
    now = now_after(PAUSED) + timedelta(hours=2)  # 2 working hours paused (a Friday morning)

    complaint.add_supplement(
        text="补充材料照片", source="hotline", actor=HOTLINE, now=now, message_id="s-9", calendar=CALENDAR
    )

    events = complaint.collect_events()
    assert [type(e) for e in events] == [Complaint.SupplementAdded, Complaint.ClockResumed]
    assert [e.originator_version for e in events] == [version + 1, version + 2]
    resumed = events[1]
    assert isinstance(resumed, Complaint.ClockResumed)
    assert resumed.actor == HOTLINE
    assert resumed.source == "hotline"
    assert resumed.occurred_at == now
    assert resumed.paused_seconds == CALENDAR.working_seconds_between(now_after(PAUSED[:-1]), now)
    assert complaint.paused_at is None
    assert complaint.status is Status.dispatched
    # a retry of the same message records nothing more
    complaint.add_supplement(
        text="补充材料照片", source="hotline", actor=HOTLINE, now=now, message_id="s-9", calendar=CALENDAR
    )
    assert complaint.collect_events() == []


def test_a_supplement_on_a_running_clock_records_one_event() -> None:
    complaint = given(dispatched(REFUSED))
    complaint.add_supplement(
        text="补充材料照片",
        source="hotline",
        actor=HOTLINE,
        now=now_after(dispatched(REFUSED)),
        message_id="s-9",
        calendar=CALENDAR,
    )
    assert [type(e) for e in complaint.collect_events()] == [Complaint.SupplementAdded]


@pytest.mark.parametrize("case", ALLOWED, ids=[c.id for c in ALLOWED])
def test_allowed(case: Allowed) -> None:
    complaint = given(case.given)
    version = complaint.version
    now = now_after(case.given)

    case.when(complaint, now)

    events = complaint.collect_events()
    assert [type(e) for e in events] == [case.event]
    event = events[0]
    assert isinstance(event, Complaint.Event)
    assert event.actor == case.when.actor
    assert event.occurred_at == now
    assert event.originator_version == version + 1
    assert complaint.version == version + 1
    assert complaint.status is case.status


def on_the_spot(actor: Actor = CLERK, result: str = "当场告知办理流程并代为填表") -> Step:
    """当场答复 of a general question at the window."""
    return Step(
        "answer_on_the_spot",
        actor,
        lambda c, now: c.answer_on_the_spot(result=result, actor=actor, now=now, calendar=CALENDAR, limits=LIMITS),
    )


def appeal(actor: Actor = MARKET, reason: str = "群众诉求超出法定办理范围，已依法答复") -> Step:
    """差评申诉 by whoever resolved the round."""
    return Step("appeal", actor, lambda c, now: c.appeal_rating(reason=reason, actor=actor, now=now))


def decide(upheld: bool, actor: Actor = LEADER, opinion: str = "经核实") -> Step:
    """申诉审核 by the duty leader."""
    return Step("decide", actor, lambda c, now: c.decide_appeal(upheld=upheld, opinion=opinion, actor=actor, now=now))


# ---------------------------------------------------------------------------------------- refused


@dataclass(frozen=True)
class Refused:
    id: str
    given: list[Step]
    when: Step
    error: type[errors.ComplaintError]
    code: str


REFUSED_CASES = [
    # 分类
    Refused("classify-twice", [classify(GENERAL)], classify(HARD), errors.AlreadyClassified, "already_classified"),
    # 签字
    Refused("sign-before-classified", [], sign(OFFICER), errors.NotClassified, "not_classified"),
    Refused("sign-general", [classify(GENERAL)], sign(OFFICER), errors.SignatureNotNeeded, "signature_not_needed"),
    Refused("leader-signs-first", [classify(HARD)], sign(LEADER), errors.OfficerSignatureMissing, "officer_signature_missing"),
    *(
        Refused(f"{a.role.value}-cannot-sign", [classify(CANNOT)], sign(a), errors.SignerRoleInvalid, "signer_role_invalid")
        for a in (CLERK, MARKET, SUPERVISOR, LIAISON, SYSTEM)
    ),
    Refused("officer-signs-twice", [classify(HARD), sign(OFFICER)], sign(OFFICER), errors.AlreadySigned, "already_signed"),
    Refused("leader-signs-twice", signed(HARD), sign(LEADER), errors.AlreadySigned, "already_signed"),
    Refused("sign-after-dispatch", dispatched(HARD), sign(OFFICER), errors.AlreadyDispatched, "already_dispatched"),
    Refused("same-person-signs-twice-in-two-roles", [classify(HARD), sign(OFFICER)], sign(OFFICER_AS_LEADER), errors.SameSigner, "same_signer"),
    Refused("same-person-signs-twice-on-roster", [classify(HARD), sign(OFFICER)], sign(OFFICER_AS_LEADER, duty=DUTY, mode=ROSTER), errors.SameSigner, "same_signer"),
    Refused("no-roster-today-officer", [classify(HARD)], sign(OFFICER, duty=None, mode=ROSTER), errors.NoRosterToday, "no_roster_today"),
    Refused("no-roster-today-leader", [classify(HARD), sign(OFFICER)], sign(LEADER, duty=None, mode=ROSTER), errors.NoRosterToday, "no_roster_today"),
    Refused("officer-not-on-duty", [classify(HARD)], sign(OFFICER_2, duty=DUTY, mode=ROSTER), errors.NotOnDuty, "not_on_duty"),
    Refused("leader-not-on-duty", [classify(HARD), sign(OFFICER)], sign(LEADER_2, duty=DUTY, mode=ROSTER), errors.NotOnDuty, "not_on_duty"),
    Refused("leader-substitute-signs-as-officer", [classify(HARD)], sign(LEADER_SUB_AS_OFFICER, duty=DUTY, mode=ROSTER), errors.NotOnDuty, "not_on_duty"),
    Refused("roster-mode-still-needs-a-duty-role", [classify(HARD)], sign(CLERK, duty=DUTY, mode=ROSTER), errors.SignerRoleInvalid, "signer_role_invalid"),
    # 转办
    Refused("dispatch-before-classified", [], dispatch("market"), errors.NotClassified, "not_classified"),
    Refused("dispatch-general", [classify(GENERAL)], dispatch("market"), errors.DispatchNotNeeded, "dispatch_not_needed"),
    *(
        Refused(f"dispatch-{k.value}-without-signatures", [classify(k)], dispatch("market"), errors.OfficerSignatureMissing, "officer_signature_missing")
        for k in COMPLEX
    ),
    *(
        Refused(f"dispatch-{k.value}-without-leader", [classify(k), sign(OFFICER)], dispatch("market"), errors.LeaderSignatureMissing, "leader_signature_missing")
        for k in COMPLEX
    ),
    Refused("dispatch-twice", dispatched(CANNOT), dispatch("housing"), errors.AlreadyDispatched, "already_dispatched"),
    Refused("dispatch-by-a-street-centre-the-district-signs-for", signed(CANNOT), dispatch("market", acting_centre="jiefang", signer=SigningCentre("district", "区行政服务中心")), errors.NotSigningCentre, "not_signing_centre"),
    Refused("dispatch-no-department", signed(CANNOT), dispatch(), errors.InvalidInput, "invalid_input"),
    Refused("dispatch-blank-department", signed(CANNOT), dispatch("market", " "), errors.InvalidInput, "invalid_input"),
    Refused("dispatch-duplicate-department", signed(CANNOT), dispatch("market", "market"), errors.InvalidInput, "invalid_input"),
    Refused("dispatch-no-supervisor", signed(CANNOT), dispatch("market", supervisor="  "), errors.InvalidInput, "invalid_input"),
    # 会商
    Refused("consult-before-dispatch", signed(HARD), consult(), errors.NotDispatched, "not_dispatched"),
    Refused("consult-general", [classify(GENERAL)], consult(), errors.NotDispatched, "not_dispatched"),
    Refused("consult-after-resolved", [*MULTI, resolve(MARKET)], consult(), errors.AlreadyResolved, "already_resolved"),
    Refused("consult-after-closed", [*MULTI, resolve(MARKET), feed_back(), call_back(5)], consult(), errors.AlreadyClosed, "already_closed"),
    Refused("consult-blank-conclusion", dispatched(HARD), consult(conclusion=" "), errors.InvalidInput, "invalid_input"),
    *(
        Refused(f"consult-by-{a.department or a.role.value}", dispatched(HARD, "market", "housing"), consult(a), errors.ConsultantNotConcerned, "consultant_not_concerned")
        for a in (CLERK, OFFICER, SUPERVISOR, LIAISON, SYSTEM, TAX)
    ),
    Refused("consult-by-a-leader-not-on-duty", dispatched(HARD), consult(LEADER_2, duty=DUTY, mode=ROSTER), errors.NotOnDuty, "not_on_duty"),
    Refused("consult-by-a-leader-without-roster", dispatched(HARD), consult(duty=None, mode=ROSTER), errors.NoRosterToday, "no_roster_today"),
    Refused("consult-department-not-dispatched-to", dispatched(HARD, "market"), consult(HOUSING), errors.ConsultantNotConcerned, "consultant_not_concerned"),
    Refused("consult-without-every-department", dispatched(REFUSED, "market", "housing", "tax"), consult(), errors.ConsultParticipantsMissing, "consult_participants_missing"),
    Refused("consult-without-any-department", dispatched(REFUSED, "market", "housing"), consult(participants=[]), errors.ConsultParticipantsMissing, "consult_participants_missing"),
    Refused("consult-blank-participant", dispatched(HARD), consult(participants=["market", " "]), errors.InvalidInput, "invalid_input"),
    # 改分类
    Refused("reclassify-before-classified", [], reclassify(HARD), errors.NotClassified, "not_classified"),
    Refused("reclassify-twice", [classify(GENERAL), reclassify(HARD)], reclassify(CANNOT), errors.AlreadyReclassified, "already_reclassified"),
    Refused("reclassify-twice-after-dispatch", [classify(GENERAL), reclassify(CANNOT), sign(OFFICER), sign(LEADER), dispatch("market")], reclassify(HARD), errors.AlreadyReclassified, "already_reclassified"),
    *(
        Refused(f"reclassify-{k.value}", [classify(k)], reclassify(HARD if k is not HARD else CANNOT), errors.ReclassifyNotGeneral, "reclassify_not_general")
        for k in COMPLEX
    ),
    Refused("reclassify-after-resolved", RESOLVED_GENERAL, reclassify(HARD), errors.ReclassifyAfterResolved, "reclassify_after_resolved"),
    Refused("reclassify-when-fed-back", FED_BACK_GENERAL, reclassify(HARD), errors.ReclassifyAfterResolved, "reclassify_after_resolved"),
    Refused("reclassify-while-rectifying", RECTIFYING_GENERAL, reclassify(HARD), errors.ReclassifyAfterResolved, "reclassify_after_resolved"),
    Refused("reclassify-when-closed", CLOSED_GENERAL, reclassify(HARD), errors.ReclassifyAfterResolved, "reclassify_after_resolved"),
    Refused("reclassify-to-general", [classify(GENERAL)], reclassify(GENERAL), errors.InvalidInput, "invalid_input"),
    Refused("reclassify-to-a-string", [classify(GENERAL)], reclassify("hard_to_do"), errors.InvalidInput, "invalid_input"),
    Refused("reclassify-without-reason", [classify(GENERAL)], reclassify(HARD, reason="  "), errors.InvalidInput, "invalid_input"),
    # 办结
    Refused("resolve-before-classified", [], resolve(CLERK), errors.NotClassified, "not_classified"),
    Refused("general-resolved-by-department", [classify(GENERAL)], resolve(MARKET), errors.ResolverRoleInvalid, "resolver_role_invalid"),
    Refused("general-resolved-by-leader", [classify(GENERAL)], resolve(LEADER), errors.ResolverRoleInvalid, "resolver_role_invalid"),
    *(
        Refused(f"{k.value}-resolved-without-signatures", [classify(k)], resolve(MARKET, legal_basis="依据"), errors.OfficerSignatureMissing, "officer_signature_missing")
        for k in COMPLEX
    ),
    Refused("complex-resolved-without-leader", [classify(REFUSED), sign(OFFICER)], resolve(MARKET), errors.LeaderSignatureMissing, "leader_signature_missing"),
    Refused("complex-resolved-before-dispatch", signed(REFUSED), resolve(MARKET), errors.NotDispatched, "not_dispatched"),
    Refused("complex-resolved-by-clerk", dispatched(REFUSED), resolve(CLERK), errors.ResolverRoleInvalid, "resolver_role_invalid"),
    Refused("complex-resolved-by-supervisor", dispatched(REFUSED), resolve(SUPERVISOR), errors.ResolverRoleInvalid, "resolver_role_invalid"),
    Refused("department-not-dispatched-to", dispatched(REFUSED, "market"), resolve(HOUSING), errors.NotResponsibleDepartment, "not_responsible_department"),
    Refused("department-not-among-several", MULTI, resolve(TAX), errors.NotResponsibleDepartment, "not_responsible_department"),
    Refused("several-departments-without-consultation", dispatched(REFUSED, "market", "housing"), resolve(MARKET), errors.ConsultationRequired, "consultation_required"),
    Refused("hard-to-do-without-consultation", dispatched(HARD, "market"), resolve(MARKET), errors.ConsultationRequired, "consultation_required"),
    Refused("cannot-do-without-legal-basis", dispatched(CANNOT), resolve(MARKET), errors.LegalBasisRequired, "legal_basis_required"),
    Refused("cannot-do-blank-legal-basis", dispatched(CANNOT), resolve(MARKET, legal_basis="   "), errors.LegalBasisRequired, "legal_basis_required"),
    Refused("resolve-blank-result", RESOLVED_GENERAL[:1], resolve(CLERK, result=" "), errors.InvalidInput, "invalid_input"),
    Refused("resolve-twice", RESOLVED_GENERAL, resolve(CLERK), errors.AlreadyResolved, "already_resolved"),
    Refused("resolve-when-fed-back", FED_BACK_GENERAL, resolve(CLERK), errors.AlreadyResolved, "already_resolved"),
    Refused("resolve-when-closed", CLOSED_GENERAL, resolve(CLERK), errors.AlreadyClosed, "already_closed"),
    Refused("rectifying-resolved-by-other-department", RECTIFYING_MULTI, resolve(TAX), errors.NotResponsibleDepartment, "not_responsible_department"),
    Refused("rectifying-complex-resolved-by-clerk", RECTIFYING_MULTI, resolve(CLERK), errors.ResolverRoleInvalid, "resolver_role_invalid"),
    # 反馈
    Refused("feed-back-before-classified", [], feed_back(), errors.NotResolved, "not_resolved"),
    Refused("feed-back-before-resolved", dispatched(REFUSED), feed_back(), errors.NotResolved, "not_resolved"),
    Refused("feed-back-twice", FED_BACK_GENERAL, feed_back(), errors.NotAllowedInState, "not_allowed_in_state"),
    Refused("feed-back-when-closed", CLOSED_GENERAL, feed_back(), errors.AlreadyClosed, "already_closed"),
    Refused("feed-back-while-rectifying", RECTIFYING_GENERAL, feed_back(), errors.NotResolved, "not_resolved"),
    Refused("feed-back-blank-method", RESOLVED_GENERAL, feed_back(method=" "), errors.InvalidInput, "invalid_input"),
    # 回访
    Refused("call-back-before-fed-back", RESOLVED_GENERAL, call_back(5), errors.NotFedBack, "not_fed_back"),
    Refused("call-back-received", [], call_back(5), errors.NotFedBack, "not_fed_back"),
    Refused("call-back-while-rectifying", RECTIFYING_GENERAL, call_back(5), errors.NotFedBack, "not_fed_back"),
    Refused("call-back-when-closed", CLOSED_GENERAL, call_back(5), errors.AlreadyClosed, "already_closed"),
    *(
        Refused(f"call-back-rating-{r!r}", FED_BACK_GENERAL, call_back(r), errors.InvalidInput, "invalid_input")
        for r in (0, 6, -1, True, False, 3.0, "5", None)
    ),
    # 升级
    *(
        Refused(f"escalate-by-{a.role.value}", [], escalate(actor=a), errors.EscalationByPerson, "escalation_by_person")
        for a in (CLERK, LEADER, OFFICER, SUPERVISOR, LIAISON, MARKET)
    ),
    Refused("escalate-twice-same-key", [escalate()], escalate(), errors.AlreadyEscalated, "already_escalated"),
    Refused("escalate-twice-explicit-round", [escalate(round_=0)], escalate(), errors.AlreadyEscalated, "already_escalated"),
    Refused("escalate-twice-in-a-round", [*RECTIFYING_GENERAL, escalate(ClockKind.rectification)], escalate(ClockKind.rectification), errors.AlreadyEscalated, "already_escalated"),
    Refused("escalate-twice-after-reclassification", [classify(GENERAL), escalate(), reclassify(HARD), escalate()], escalate(), errors.AlreadyEscalated, "already_escalated"),
    Refused("escalate-response-again-after-reclassification", [classify(GENERAL), escalate(ClockKind.response), reclassify(HARD)], escalate(ClockKind.response), errors.AlreadyEscalated, "already_escalated"),
    Refused("escalate-negative-level", [], escalate(level=-1), errors.InvalidInput, "invalid_input"),
    # 撤诉 and 补充诉求/材料
    Refused("withdraw-closed", CLOSED_GENERAL, withdraw(), errors.AlreadyClosed, "already_closed"),
    Refused("withdraw-twice", [withdraw("w-1")], withdraw("w-2"), errors.AlreadyWithdrawn, "already_withdrawn"),
    Refused("withdraw-without-reason", [], withdraw(reason=" "), errors.InvalidInput, "invalid_input"),
    Refused("classify-withdrawn", [withdraw()], classify(GENERAL), errors.AlreadyWithdrawn, "already_withdrawn"),
    Refused("escalate-withdrawn", [withdraw()], escalate(ClockKind.response), errors.AlreadyWithdrawn, "already_withdrawn"),
    Refused("supplement-closed", CLOSED_GENERAL, supplement(), errors.AlreadyClosed, "already_closed"),
    Refused("supplement-withdrawn", [withdraw()], supplement(), errors.AlreadyWithdrawn, "already_withdrawn"),
    Refused("supplement-message-id-of-a-withdrawal", [supplement("x")], withdraw("x"), errors.MessageIdReused, "message_id_reused"),
    # 并单
    Refused("merge-into-self", [], merge(None), errors.MergeIntoSelf, "merge_into_self"),
    Refused("merge-into-resolved", [], merge(RESOLVED_MASTER), errors.MergeTargetClosed, "merge_target_closed"),
    Refused("merge-into-merged", [], merge(MERGED_MASTER), errors.MergeTargetMerged, "merge_target_merged"),
    Refused("merge-into-later", [], merge(LATER_MASTER), errors.MergeTargetLater, "merge_target_later"),
    Refused("merge-into-other-centre", [], merge(OTHER_CENTRE_MASTER), errors.MergeOtherCentre, "merge_other_centre"),
    Refused("merge-twice", MERGED, merge(OPEN_MASTER), errors.AlreadyMerged, "already_merged"),
    Refused("merge-resolved", RESOLVED_GENERAL, merge(OPEN_MASTER), errors.AlreadyResolved, "already_resolved"),
    Refused("merge-by-officer", [], merge(OPEN_MASTER, actor=OFFICER), errors.DecisionByLeader, "decision_by_leader"),
    Refused("merge-without-reason", [], merge(OPEN_MASTER, reason=" "), errors.InvalidInput, "invalid_input"),
    Refused("unmerge-not-merged", [], unmerge(), errors.NotMerged, "not_merged"),
    Refused("unmerge-by-clerk", MERGED, unmerge(actor=CLERK), errors.DecisionByLeader, "decision_by_leader"),
    Refused("unmerge-without-reason", MERGED, unmerge(reason=""), errors.InvalidInput, "invalid_input"),
    Refused("unmerge-after-answered", [*MERGED, answer_from(OPEN_MASTER_RESOLVED)], unmerge(), errors.MergedAlreadyAnswered, "merged_already_answered"),
    Refused("answer-before-master-resolved", MERGED, answer_from(OPEN_MASTER), errors.MasterNotResolved, "master_not_resolved"),
    Refused("answer-not-merged", [], answer_from(OPEN_MASTER_RESOLVED), errors.NotMerged, "not_merged"),
    Refused("answer-by-person", MERGED, answer_from(OPEN_MASTER_RESOLVED, actor=LEADER), errors.EscalationByPerson, "escalation_by_person"),
    Refused("classify-merged", MERGED, classify(GENERAL), errors.AlreadyMerged, "already_merged"),
    # a duplicate answered with its master's result is unclassified, but past classification
    Refused("classify-answered-duplicate", [*MERGED, answer_from(OPEN_MASTER_RESOLVED)], classify(GENERAL), errors.AlreadyResolved, "already_resolved"),
    Refused("classify-answered-duplicate-in-rectification", [*MERGED, answer_from(OPEN_MASTER_RESOLVED), feed_back(), call_back(1)], classify(HARD), errors.AlreadyResolved, "already_resolved"),
    Refused("insist-after-answered", [*RETURNED, merge(OPEN_MASTER), answer_from(OPEN_MASTER_RESOLVED)], insist(), errors.NoReturnPending, "no_return_pending"),
    Refused("approve-extension-after-answered", [*ASKED, merge(OPEN_MASTER), answer_from(OPEN_MASTER_RESOLVED)], approve(), errors.NoExtensionPending, "no_extension_pending"),
    Refused("answer-withdrawn-duplicate", [*MERGED, withdraw()], answer_from(OPEN_MASTER_RESOLVED), errors.NotMerged, "not_merged"),
    Refused("resolve-merged", [*dispatched(REFUSED), merge(OPEN_MASTER)], resolve(MARKET), errors.AlreadyMerged, "already_merged"),
    Refused("feed-back-merged", MERGED, feed_back(), errors.AlreadyMerged, "already_merged"),
    Refused("merge-while-paused", PAUSED, merge(OPEN_MASTER), errors.ClockPausedNow, "clock_paused"),
    Refused("redispatch-merged", [*RETURNED, merge(OPEN_MASTER)], redispatch("housing"), errors.AlreadyMerged, "already_merged"),
    Refused("insist-merged", [*RETURNED, merge(OPEN_MASTER)], insist(), errors.AlreadyMerged, "already_merged"),
    Refused("approve-extension-merged", [*ASKED, merge(OPEN_MASTER)], approve(), errors.AlreadyMerged, "already_merged"),
    # 退单 / 改派
    Refused("return-after-window", dispatched(REFUSED), return_(later=timedelta(days=3)), errors.ReturnWindowPassed, "return_window_passed"),
    Refused("return-before-dispatch", signed(REFUSED), return_(), errors.NotDispatched, "not_dispatched"),
    Refused("return-by-other-department", dispatched(REFUSED), return_(HOUSING), errors.NotResponsibleDepartment, "not_responsible_department"),
    Refused("return-by-clerk", dispatched(REFUSED), return_(CLERK), errors.ReturnNotAllowed, "return_not_allowed"),
    Refused("return-twice-pending", RETURNED, return_(), errors.ReturnPending, "return_pending"),
    Refused("return-after-insisted", [*RETURNED, insist()], return_(), errors.ReturnInsistedBefore, "return_insisted_before"),
    Refused("return-after-resolved", [*dispatched(REFUSED), resolve(MARKET)], return_(), errors.AlreadyResolved, "already_resolved"),
    Refused("return-while-paused", PAUSED, return_(), errors.ClockPausedNow, "clock_paused"),
    Refused("return-while-extension-pending", ASKED, return_(), errors.ExtensionPending, "extension_pending"),
    Refused("return-without-reason", dispatched(REFUSED), return_(reason=" "), errors.InvalidInput, "invalid_input"),
    Refused("resolve-while-return-pending", RETURNED, resolve(MARKET), errors.ReturnPending, "return_pending"),
    Refused("redispatch-without-return", dispatched(REFUSED), redispatch("housing"), errors.NoReturnPending, "no_return_pending"),
    Refused("redispatch-by-department", RETURNED, redispatch("housing", actor=MARKET), errors.DecisionByLeader, "decision_by_leader"),
    Refused("redispatch-to-nobody", RETURNED, redispatch(), errors.InvalidInput, "invalid_input"),
    Refused("insist-without-return", dispatched(REFUSED), insist(), errors.NoReturnPending, "no_return_pending"),
    Refused("insist-without-opinion", RETURNED, insist(opinion=""), errors.InvalidInput, "invalid_input"),
    # 延期
    Refused("extend-after-deadline", dispatched(REFUSED), extend(later=LATE), errors.ExtensionAfterDeadline, "extension_after_deadline"),
    Refused("extend-twice-pending", ASKED, extend(), errors.ExtensionPending, "extension_pending"),
    Refused("extend-beyond-limit", [*ASKED, approve()], extend(), errors.ExtensionLimitReached, "extension_limit_reached"),
    Refused("extend-none-allowed", dispatched(REFUSED), extend(limits=Limits(max_extensions=0)), errors.ExtensionLimitReached, "extension_limit_reached"),
    Refused("approve-beyond-limit", ASKED, approve(limits=Limits(max_extensions=0)), errors.ExtensionLimitReached, "extension_limit_reached"),
    Refused("extend-zero-days", dispatched(REFUSED), extend(0), errors.InvalidInput, "invalid_input"),
    Refused("extend-by-clerk", dispatched(REFUSED), extend(actor=CLERK), errors.ResolverRoleInvalid, "resolver_role_invalid"),
    Refused("extend-while-paused", PAUSED, extend(), errors.ClockPausedNow, "clock_paused"),
    Refused("approve-without-request", dispatched(REFUSED), approve(), errors.NoExtensionPending, "no_extension_pending"),
    Refused("refuse-without-request", dispatched(REFUSED), refuse(), errors.NoExtensionPending, "no_extension_pending"),
    Refused("approve-by-department", ASKED, approve(actor=MARKET), errors.DecisionByLeader, "decision_by_leader"),
    Refused("refuse-without-reason", ASKED, refuse(reason=" "), errors.InvalidInput, "invalid_input"),
    # 中止
    Refused("pause-twice", PAUSED, pause(), errors.ClockAlreadyPaused, "clock_already_paused"),
    Refused("pause-after-deadline", dispatched(REFUSED), pause(later=LATE), errors.PauseAfterDeadline, "pause_after_deadline"),
    Refused("pause-without-reason", dispatched(REFUSED), pause(reason=""), errors.InvalidInput, "invalid_input"),
    Refused("pause-general", [classify(GENERAL)], pause(), errors.NotDispatched, "not_dispatched"),
    Refused("resume-not-paused", dispatched(REFUSED), resume(), errors.ClockNotPaused, "clock_not_paused"),
    Refused("resume-by-department", PAUSED, resume(MARKET), errors.ResumeRoleInvalid, "resume_role_invalid"),
    Refused("resolve-while-paused", PAUSED, resolve(MARKET), errors.ClockPausedNow, "clock_paused"),
    # 当场答复, 差评申诉 (their own cases: test_appeal_and_on_the_spot.py)
    Refused("on-the-spot-complex", dispatched(HARD), on_the_spot(), errors.NotOnTheSpot, "not_on_the_spot"),
    Refused("appeal-before-bad-rating", dispatched(HARD), appeal(), errors.AppealNotOpen, "appeal_not_open"),
    Refused("appeal-by-clerk-of-complex", BAD_RATED, appeal(CLERK), errors.AppealRoleInvalid, "appeal_role_invalid"),
    Refused("appeal-twice", [*BAD_RATED, appeal()], appeal(), errors.AlreadyAppealed, "already_appealed"),
    Refused("decide-no-appeal", BAD_RATED, decide(True), errors.NoAppealPending, "no_appeal_pending"),
    # 指定承办人
    Refused("resolve-by-other-than-the-assigned", [*dispatched(REFUSED), assign()], resolve(MARKET_OTHER), errors.NotAssignedHandler, "not_assigned_handler"),
    Refused("resolve-by-the-handler-replaced", [*dispatched(REFUSED), assign(), assign(MARKET_OTHER)], resolve(MARKET_HANDLER), errors.NotAssignedHandler, "not_assigned_handler"),
    Refused("assign-by-clerk", dispatched(REFUSED), assign(actor=CLERK, department="market"), errors.ResolverRoleInvalid, "resolver_role_invalid"),
    Refused("assign-by-other-department", dispatched(REFUSED), assign(HOUSING, actor=HOUSING), errors.NotResponsibleDepartment, "not_responsible_department"),
    Refused("assign-for-another-department", MULTI, assign(HOUSING, department="housing"), errors.NotResponsibleDepartment, "not_responsible_department"),
    Refused("assign-before-dispatch", signed(REFUSED), assign(), errors.NotDispatched, "not_dispatched"),
    Refused("assign-after-resolved", [*dispatched(REFUSED), resolve(MARKET)], assign(), errors.AlreadyResolved, "already_resolved"),
    Refused("assign-without-name", dispatched(REFUSED), assign(name=" "), errors.InvalidInput, "invalid_input"),
]  # fmt: skip


@pytest.mark.parametrize("case", REFUSED_CASES, ids=[c.id for c in REFUSED_CASES])
def test_refused_records_nothing(case: Refused) -> None:
    complaint = given(case.given)
    version = complaint.version
    before = complaint.state()

    with pytest.raises(errors.ComplaintError) as info:
        case.when(complaint, now_after(case.given))

    assert type(info.value) is case.error
    assert info.value.code == case.code
    assert info.value.detail
    assert complaint.version == version
    assert complaint.collect_events() == []
    assert complaint.state() == before


def test_every_error_code_is_distinct_and_under_one_base() -> None:
    classes = [
        c
        for c in vars(errors).values()
        if isinstance(c, type) and issubclass(c, errors.ComplaintError) and c is not errors.ComplaintError
    ]
    assert len({c.code for c in classes}) == len(classes)
    refused_with = {case.error for case in REFUSED_CASES}
    # the roster import and the centre check at intake have their own tables (test_roster, test_centres)
    elsewhere = {c for c in classes if issubclass(c, errors.RosterRowInvalid)} | {errors.UnknownCentre}
    assert refused_with == set(classes) - elsewhere, "every refusal class has a refused-path case"


# ---------------------------------------------------------------------------------------- details of the rules


@pytest.mark.parametrize(
    ("kind", "due"),
    [
        (CANNOT, datetime(2025, 9, 28, 17, 30, tzinfo=CST)),  # 1 working day: the 调休 Sunday
        (REFUSED, datetime(2025, 9, 29, 17, 30, tzinfo=CST)),  # 2
        (HARD, datetime(2025, 10, 10, 17, 30, tzinfo=CST)),  # 5, across National Day
    ],
)
def test_dispatch_fixes_due_at_from_classification_and_calendar(kind: Classification, due: datetime) -> None:
    complaint = given(signed(kind))
    now = now_after(signed(kind))
    dispatch("market", "housing")(complaint, now)
    [event] = complaint.collect_events()
    assert isinstance(event, Complaint.Dispatched)
    assert event.due_at == due
    assert event.due_at == deadline_for(ClockKind.resolution, now, CALENDAR, LIMITS, kind).due_at
    assert not event.due_provisional
    assert event.departments == ["market", "housing"]
    assert event.supervisor == "周督办"
    assert (complaint.due_at, complaint.dispatched_at, complaint.departments) == (due, now, ("market", "housing"))
    assert complaint.needs_consultation


def test_dispatch_uses_the_configured_limits() -> None:
    limits = Limits(resolution={**DEFAULT_RESOLUTION_LIMITS, CANNOT: 3})
    complaint = given(signed(CANNOT))
    dispatch("market", limits=limits)(complaint, now_after(signed(CANNOT)))
    assert complaint.due_at == datetime(2025, 9, 30, 17, 30, tzinfo=CST)


def test_dispatch_into_a_year_without_data_is_provisional() -> None:
    uncovered = max(CALENDAR.schedules) + 1  # derived from the loaded data: the year after the last one
    assert not CALENDAR.has_year(uncovered)
    december = datetime(uncovered - 1, 12, 28, 10, 0, tzinfo=CST)  # 5 working days cannot end before 1 January
    complaint = received(now=december)
    for i, step in enumerate(signed(HARD)):
        step(complaint, december + timedelta(minutes=i))
    dispatch("market")(complaint, december + timedelta(hours=1))
    assert complaint.due_provisional
    assert complaint.due_at is not None
    assert complaint.due_at.date().year == uncovered


def test_general_is_due_the_same_working_day() -> None:
    complaint = given([classify(GENERAL)])
    assert complaint.due_at == datetime(2025, 9, 26, 17, 30, tzinfo=CST)
    late = received(now=datetime(2025, 9, 26, 18, 0, tzinfo=CST))
    classify(GENERAL)(late, datetime(2025, 9, 26, 18, 5, tzinfo=CST))
    assert late.due_at == datetime(2025, 9, 28, 17, 30, tzinfo=CST)


def test_complex_classification_has_no_due_until_dispatch() -> None:
    complaint = given(signed(HARD))
    assert complaint.due_at is None
    assert complaint.status is Status.signed
    assert complaint.officer_signature == OFFICER
    assert complaint.leader_signature == LEADER


def test_cannot_do_records_the_legal_basis() -> None:
    complaint = given([*dispatched(CANNOT), resolve(MARKET, legal_basis="《行政许可法》第十二条")])
    assert complaint.legal_basis == "《行政许可法》第十二条"
    assert complaint.resolved_by == MARKET
    assert complaint.feedback_due_at == datetime(2025, 9, 28, 17, 30, tzinfo=CST)


@pytest.mark.parametrize("rating", [1, 2])
def test_bad_rating_opens_a_rectification_round(rating: int) -> None:
    complaint = given(FED_BACK_GENERAL)
    now = now_after(FED_BACK_GENERAL)
    call_back(rating)(complaint, now)
    [event] = complaint.collect_events()
    assert isinstance(event, Complaint.CalledBack)
    assert event.rectification_due_at == deadline_for(ClockKind.rectification, now, CALENDAR, LIMITS).due_at
    assert event.rectification_due_at == datetime(2025, 10, 10, 17, 30, tzinfo=CST)
    assert complaint.status is Status.rectifying
    assert complaint.rectification_round == 1
    assert complaint.rectification_due_at == event.rectification_due_at
    assert complaint.is_open


@pytest.mark.parametrize("rating", [3, 4, 5])
def test_satisfied_rating_closes(rating: int) -> None:
    complaint = given([*FED_BACK_GENERAL, call_back(rating)])
    assert complaint.status is Status.closed
    assert complaint.rectification_round == 0
    assert complaint.rectification_due_at is None
    assert complaint.rating == rating
    assert not complaint.is_open


def test_rectification_rounds_repeat_until_satisfied() -> None:
    steps = [
        *RECTIFYING_MULTI,  # round 1 after a 2
        consult(),
        resolve(HOUSING),
        feed_back(),
        call_back(1),  # round 2
        resolve(MARKET),
        feed_back(),
        call_back(4),
    ]
    events = history(steps)
    complaint = given(steps)
    assert complaint.status is Status.closed
    assert complaint.ratings == (2, 1, 4)
    assert complaint.rectification_round == 2
    assert [type(e).__name__ for e in events].count("Resolved") == 3
    assert complaint.first_resolved_at == step_time(len(MULTI))  # the first round's resolution
    assert complaint.resolved_by == MARKET


def test_escalation_key_is_clock_level_and_round() -> None:
    steps = [
        escalate(ClockKind.resolution, 1),
        escalate(ClockKind.resolution, 2),
        escalate(ClockKind.response, 1),
        *FED_BACK_GENERAL,
        call_back(1),
        escalate(ClockKind.resolution, 1),
    ]
    complaint = given(steps)
    assert complaint.escalations == (
        (ClockKind.resolution, 1, 0),
        (ClockKind.resolution, 2, 0),
        (ClockKind.response, 1, 0),
        (ClockKind.resolution, 1, 1),
    )
    escalated = [e for e in history(steps) if isinstance(e, Complaint.Escalated)]
    assert [e.round for e in escalated] == [0, 0, 0, 1]
    assert all(e.actor == SYSTEM and e.recipients == ["liaison-1"] for e in escalated)


def test_every_event_records_actor_and_business_time() -> None:
    steps = [
        *dispatched(HARD, "market", "housing"),
        consult(),
        escalate(),
        resolve(HOUSING),
        feed_back(),
        call_back(2),
        resolve(MARKET),
        feed_back(),
        call_back(5),
    ]
    events = history(steps)
    assert [type(e).__name__ for e in events] == [
        "Received",
        "Classified",
        "Signed",
        "Signed",
        "Dispatched",
        "Consulted",
        "Escalated",
        "Resolved",
        "FedBack",
        "CalledBack",
        "Resolved",
        "FedBack",
        "CalledBack",
    ]
    assert events[0].actor == CLERK
    assert events[0].occurred_at == T0
    for i, (event, step) in enumerate(zip(events[1:], steps, strict=True)):
        assert isinstance(event, Complaint.Event)
        assert event.actor == step.actor
        assert (event.actor.id, event.actor.name, event.actor.role) == (step.actor.id, step.actor.name, step.actor.role)
        assert event.occurred_at == step_time(i)
        assert event.occurred_at.tzinfo is not None


# ---------------------------------------------------------------------------------------- intake


def test_receive_records_the_slip_and_response_clock() -> None:
    complaint = received()
    [event] = complaint.collect_events()
    assert isinstance(event, Complaint.Received)
    assert (event.actor, event.occurred_at, event.received_at) == (CLERK, T0, T0)
    assert event.slip_no == "YS2025092600001"
    assert event.response_due_at == datetime(2025, 9, 26, 17, 30, tzinfo=CST)
    assert not event.response_due_provisional
    assert complaint.status is Status.received
    assert complaint.version == 1


def test_hotline_receipt_keeps_the_original_time() -> None:
    original = datetime(2025, 9, 25, 20, 0, tzinfo=CST)  # Thursday evening, after close
    complaint = received(
        channel=Channel.hotline,
        external_ref="12345-0001",
        received_at=original,
        actor=Actor("hl", "12345", Role.hotline),
    )
    assert complaint.received_at == original
    assert complaint.registered_at == T0
    assert complaint.response_due_at == datetime(2025, 9, 26, 17, 30, tzinfo=CST)
    assert complaint.external_ref == "12345-0001"


NAIVE = datetime(2025, 9, 26, 10, 0)  # noqa: DTZ001 — naive on purpose: it must be refused

INVALID_INTAKE = [
    ("blank-content", {"content": "   "}, "content"),
    ("empty-content", {"content": ""}, "content"),
    ("too-long-content", {"content": "诉" * 10_001}, "content"),
    ("blank-category", {"category": " "}, "category"),
    ("blank-slip", {"slip_no": ""}, "slip_no"),
    ("blank-name", {"complainant": Complainant(ComplainantType.person, " ", "138")}, "complainant.name"),
    ("blank-phone", {"complainant": Complainant(ComplainantType.person, "陈", "")}, "complainant.phone"),
    (
        "enterprise-without-name",
        {"complainant": Complainant(ComplainantType.enterprise, "陈", "138")},
        "complainant.enterprise_name",
    ),
    ("hotline-without-external-ref", {"channel": Channel.hotline}, "external_ref"),
    ("naive-now", {"now": NAIVE}, "now"),
    ("naive-received-at", {"received_at": NAIVE}, "received_at"),
    ("received-in-the-future", {"received_at": T0 + timedelta(seconds=1)}, "received_at"),
]


@pytest.mark.parametrize(
    ("overrides", "field_name"), [c[1:] for c in INVALID_INTAKE], ids=[c[0] for c in INVALID_INTAKE]
)
def test_invalid_intake_raises_invalid_input(overrides: dict[str, Any], field_name: str) -> None:
    with pytest.raises(errors.InvalidInput) as info:
        received(**overrides)
    assert info.value.field == field_name
    assert info.value.code == "invalid_input"
    assert info.value.detail


def test_enterprise_with_name_is_received() -> None:
    enterprise = Complainant(ComplainantType.enterprise, "陈经理", "0571-1", enterprise_name="某某科技有限公司")
    assert received(complainant=enterprise).complainant == enterprise


COMMANDS_WITH_NAIVE_NOW = [
    ([], classify(GENERAL)),
    ([classify(HARD)], sign(OFFICER)),
    (signed(HARD), dispatch("market")),
    (dispatched(HARD), consult()),
    ([classify(GENERAL)], resolve(CLERK)),
    (RESOLVED_GENERAL, feed_back()),
    (FED_BACK_GENERAL, call_back(5)),
    ([], escalate()),
]


@pytest.mark.parametrize(("steps", "when"), COMMANDS_WITH_NAIVE_NOW, ids=[c[1].name for c in COMMANDS_WITH_NAIVE_NOW])
def test_naive_now_is_refused_and_records_nothing(steps: list[Step], when: Step) -> None:
    complaint = given(steps)
    version = complaint.version
    with pytest.raises(errors.InvalidInput) as info:
        when(complaint, NAIVE)
    assert info.value.field == "now"
    assert complaint.version == version
    assert complaint.collect_events() == []


@pytest.mark.parametrize(
    ("steps", "when", "field_name"),
    [
        (signed(CANNOT), dispatch(), "departments"),
        (signed(CANNOT), dispatch("market", "market"), "departments"),
        (signed(CANNOT), dispatch("market", supervisor=""), "supervisor"),
        (dispatched(HARD), consult(conclusion=""), "conclusion"),
        ([classify(GENERAL)], resolve(CLERK, result=""), "result"),
        (RESOLVED_GENERAL, feed_back(method=""), "method"),
        (FED_BACK_GENERAL, call_back(7), "rating"),
        ([], escalate(level=-1), "level"),
    ],
)
def test_invalid_command_input_names_its_field(steps: list[Step], when: Step, field_name: str) -> None:
    complaint = given(steps)
    with pytest.raises(errors.InvalidInput) as info:
        when(complaint, now_after(steps))
    assert info.value.field == field_name


# ---------------------------------------------------------------------------------------- slip book


def test_slip_numbers_are_ordered_within_the_day() -> None:
    book = SlipBook.open(T0.date(), now=T0)
    numbers = [book.issue(now=T0) for _ in range(12)]
    assert numbers[0] == "YS2025092600001"
    assert numbers[-1] == "YS2025092600012"
    assert numbers == sorted(numbers)
    assert len(set(numbers)) == len(numbers)
    assert book.version == 13  # opened + twelve issued


def test_slip_book_id_is_a_function_of_the_day() -> None:
    day = T0.date()
    assert SlipBook.id_for(day) == SlipBook.id_for(day)
    assert SlipBook.id_for(day) != SlipBook.id_for(day + timedelta(days=1))
    assert SlipBook.open(day, now=T0).id == SlipBook.id_for(day)
    later = SlipBook.open(day + timedelta(days=1), now=T0).issue(now=T0)
    assert later > SlipBook.open(day, now=T0).issue(now=T0)


# ---------------------------------------------------------------------------------------- signers, 会商, 改分类


def test_not_on_duty_names_who_is_on_duty() -> None:
    complaint = given([classify(HARD)])
    with pytest.raises(errors.NotOnDuty) as info:
        sign(OFFICER_2, duty=DUTY, mode=ROSTER)(complaint, now_after([classify(HARD)]))
    assert "李值班" in info.value.detail
    assert "孙替班" in info.value.detail  # the substitute may sign too
    assert "2025-09-26" in info.value.detail


def test_no_roster_today_says_what_to_do() -> None:
    complaint = given([classify(HARD)])
    with pytest.raises(errors.NoRosterToday) as info:
        sign(OFFICER, mode=ROSTER)(complaint, now_after([classify(HARD)]))
    assert "值班表" in info.value.detail
    assert "导入" in info.value.detail


def test_the_two_signatures_come_from_two_people() -> None:
    complaint = given(
        [classify(CANNOT), sign(OFFICER_SUB, duty=DUTY, mode=ROSTER), sign(LEADER_SUB, duty=DUTY, mode=ROSTER)]
    )
    assert complaint.officer_signature == OFFICER_SUB
    assert complaint.leader_signature == LEADER_SUB
    assert complaint.officer_signature.id != complaint.leader_signature.id


def test_consult_names_the_missing_departments() -> None:
    steps = dispatched(REFUSED, "market", "housing", "tax")
    complaint = given(steps)
    with pytest.raises(errors.ConsultParticipantsMissing) as info:
        consult(participants=["housing"])(complaint, now_after(steps))
    assert "market" in info.value.detail
    assert "tax" in info.value.detail
    assert "housing" not in info.value.detail


def test_a_consultation_keeps_each_participants_opinion() -> None:
    """很难办: 召集相关人员、部门集中研讨 — who took part, what each said, what they concluded."""
    steps = dispatched(HARD, "market", "housing")
    complaint = given(steps)
    now = now_after(steps)
    opinions = {"market": "属市场监管职责，可牵头", "housing": "涉及房屋用途变更，需配合出具意见", "tax": ""}
    with pytest.raises(errors.InvalidInput) as info:  # an opinion from someone who did not take part
        complaint.consult(
            participants=["market", "housing"],
            conclusion="市场监管牵头",
            opinions={**opinions, "tax": "无意见"},
            actor=LEADER,
            now=now,
            mode=SigningMode.roles_only,
        )
    assert info.value.detail == "意见须出自参会部门或人员，未参会：tax"
    assert complaint.collect_events() == []
    complaint.consult(
        participants=["market", "housing"],
        conclusion="市场监管牵头，住建配合",
        opinions=opinions,
        actor=LEADER,
        now=now,
        mode=SigningMode.roles_only,
    )
    [record] = complaint.consultation_log
    assert record.participants == ("market", "housing")
    assert record.opinions == (("market", "属市场监管职责，可牵头"), ("housing", "涉及房屋用途变更，需配合出具意见"))
    assert record.conclusion == "市场监管牵头，住建配合"


def test_reclassification_records_from_to_and_reason_and_drops_the_same_day_deadline() -> None:
    steps = [classify(GENERAL)]
    complaint = given(steps)
    assert complaint.due_at == datetime(2025, 9, 26, 17, 30, tzinfo=CST)
    now = now_after(steps)
    reclassify(HARD, reason="需住建、市监两部门协调")(complaint, now)
    [event] = complaint.collect_events()
    assert isinstance(event, Complaint.Reclassified)
    assert (event.from_classification, event.to_classification) == (GENERAL, HARD)
    assert event.reason == "需住建、市监两部门协调"
    assert (event.actor, event.occurred_at) == (CLERK, now)
    assert complaint.classification is HARD
    assert complaint.reclassified_from is GENERAL
    assert complaint.reclassification_reason == "需住建、市监两部门协调"
    assert complaint.due_at is None  # a complex kind's clock starts at dispatch
    assert complaint.status is Status.classified


def test_after_reclassification_the_complex_flow_applies() -> None:
    steps = [classify(GENERAL), reclassify(HARD)]
    with pytest.raises(errors.ResolverRoleInvalid):
        given([*steps, sign(OFFICER), sign(LEADER), dispatch("market")]).resolve(
            result="当场办结",
            legal_basis=None,
            actor=CLERK,
            now=T0 + timedelta(hours=1),
            calendar=CALENDAR,
            limits=LIMITS,
        )
    with pytest.raises(errors.OfficerSignatureMissing):
        resolve(CLERK)(given(steps), now_after(steps))  # no longer resolved on the spot: signatures first
    after = given(
        [
            *steps,
            sign(OFFICER),
            sign(LEADER),
            dispatch("market"),
            consult(MARKET, participants=["market"]),
            resolve(MARKET),
        ]
    )
    assert after.status is Status.resolved
    assert after.due_at == deadline_for(ClockKind.resolution, step_time(4), CALENDAR, LIMITS, HARD).due_at


def test_complaint_without_reclassification_has_none() -> None:
    assert given(RESOLVED_GENERAL).reclassified_from is None


def test_escalated_levels_restart_for_the_resolution_clock_after_reclassification() -> None:
    steps = [classify(GENERAL), escalate(level=1), escalate(level=2), escalate(ClockKind.response), reclassify(HARD)]
    complaint = given(steps)
    assert complaint.escalated_levels(ClockKind.resolution, 0) == frozenset()
    assert complaint.escalated_levels(ClockKind.response, 0) == {1}
    assert len(complaint.escalations) == 3
    assert given([*steps, escalate(level=1)]).escalated_levels(ClockKind.resolution, 0) == {1}
    assert given([classify(GENERAL), escalate(level=2)]).escalated_levels(ClockKind.resolution, 0) == {2}
