"""满意度回访中心: the CallbackTask aggregate — one call-back of one complaint (due after feedback, or a
抽查 spot check of a closed one), or a 主动回访 of someone served at the window without complaining:
assigned to a call-back agent, attempts with a retry schedule, and after too many failed attempts 无法联系
(unreachable), which is never counted as satisfied. A call's finding can open a rectification order; the
task records which. Call-back agents are on record (``CallbackAgent``) before calls are assigned to them."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import Enum
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain import errors
from domain.calendar import WorkingCalendar
from domain.centres import check_centre
from domain.values import Actor, Complainant, ComplainantType, Role

TASK_NAMESPACE = uuid5(NAMESPACE_URL, "https://yousu.invalid/callback-task")
AGENT_NAMESPACE = uuid5(NAMESPACE_URL, "https://yousu.invalid/callback-agent")
PROACTIVE_REGISTRARS = (Role.window_clerk,)
SPOT_BUCKETS = 10_000
FIRST_RETRY = timedelta(hours=2)  # a missed call is tried again the same day …
OPENING = time(9)  # … then at opening on the next working day


class CallKind(Enum):
    """Why the call is made."""

    due = "due"  # 回访: the complaint was fed back and awaits its call-back
    spot_check = "spot_check"  # 抽查: a share of closed complaints is called again
    proactive = "proactive"  # 主动回访: someone served at the window, who did not complain, is asked (找意见)


class Outcome(Enum):
    """How one attempt went."""

    answered = "answered"  # 接通
    no_answer = "no_answer"  # 无人接听
    refused = "refused"  # 拒绝回访
    wrong_number = "wrong_number"  # 号码错误


OUTCOME_LABELS: dict[Outcome, str] = {
    Outcome.answered: "接通",
    Outcome.no_answer: "无人接听",
    Outcome.refused: "拒绝回访",
    Outcome.wrong_number: "号码错误",
}
FAILED = (Outcome.no_answer, Outcome.wrong_number)


class TaskState(Enum):
    """Where a call-back task stands."""

    open = "open"
    answered = "answered"
    refused = "refused"
    unreachable = "unreachable"  # 无法联系


TASK_STATE_LABELS: dict[TaskState, str] = {
    TaskState.open: "待回访",
    TaskState.answered: "已回访",
    TaskState.refused: "拒绝回访",
    TaskState.unreachable: "无法联系",
}


@dataclass(frozen=True)
class CallbackPolicy:
    """How many failed attempts make a person unreachable; what share of closed complaints is spot-checked."""

    max_attempts: int = 3
    spot_share: float = 0.05


def spot_bucket(complaint_id: UUID) -> int:
    """A stable bucket 0..9999 of the complaint id (SHA-256, so the same complaints on every machine)."""
    return int(hashlib.sha256(str(complaint_id).encode()).hexdigest()[:8], 16) % SPOT_BUCKETS


def spot_checked(complaint_id: UUID, share: float) -> bool:
    """Whether a closed complaint falls in the spot-checked share."""
    return spot_bucket(complaint_id) < round(share * SPOT_BUCKETS)


def task_id(complaint_id: UUID, kind: CallKind, round_: int) -> UUID:
    """One task per complaint, kind and rectification round (a re-fed-back complaint is called again)."""
    return uuid5(TASK_NAMESPACE, f"{complaint_id}:{kind.value}:{round_}")


class NotAssignee(errors.NotResponsibleDepartment):
    code = "not_assignee"
    detail = "该回访已分派给其他回访员"


class TaskFinished(errors.NotAllowedInState):
    code = "callback_task_finished"
    detail = "该回访任务已结束"


class RetryTooEarly(errors.NotAllowedInState):
    code = "callback_retry_too_early"
    detail = "未到重拨时间"


class AssigneeInvalid(errors.InvalidInput):
    def __init__(self) -> None:
        super().__init__("agent", "须指定回访员（其令牌的 sub）")


class NotCallbackAgent(errors.InvalidInput):
    code = "not_callback_agent"

    def __init__(self) -> None:
        super().__init__("agent", "被分派人不是回访员：只能分派给已登记的回访员（callback_agent 角色）")


class AgentRoleInvalid(errors.NotResponsibleDepartment):
    code = "agent_role_invalid"
    detail = "只有回访员（callback_agent）可以登记为回访员"


class RegistrarRoleInvalid(errors.NotResponsibleDepartment):
    code = "proactive_registrar_invalid"
    detail = "主动回访须由窗口工作人员登记其服务的群众"


class NoFinding(errors.NotAllowedInState):
    code = "callback_no_finding"
    detail = "该回访没有记录发现的问题，不能据此下发整改通知"


class FindingAlreadyReferred(errors.NotAllowedInState):
    code = "callback_finding_referred"
    detail = "该回访发现的问题已下发整改通知"


def agent_id(sub: str) -> UUID:
    """The call-back agent record of a token subject."""
    return uuid5(AGENT_NAMESPACE, sub)


class CallbackAgent(Aggregate):
    """登记回访员: a person acting as call-back agent is on record, so calls can be assigned to them."""

    class Enrolled(Aggregate.Created):
        """The agent's subject and name, recorded by the agent's own token."""

        actor: Actor
        occurred_at: datetime
        sub: str
        name: str

        def apply(self, aggregate: Any) -> None:
            a: CallbackAgent = aggregate
            a.sub = self.sub
            a.name = self.name

    def __init__(self) -> None:
        self.sub = ""
        self.name = ""

    @classmethod
    def enrol(cls, *, actor: Actor, now: datetime) -> CallbackAgent:
        """The caller, acting as call-back agent, puts themselves on record."""
        if now.tzinfo is None:
            raise errors.InvalidInput("now", "now 必须带时区偏移")
        if actor.role is not Role.callback_agent:
            raise AgentRoleInvalid
        return cls._create(
            cls.Enrolled,
            id=agent_id(actor.id),
            timestamp=now,
            actor=actor,
            occurred_at=now,
            sub=actor.id,
            name=actor.name,
        )


def next_try(now: datetime, failed_so_far: int, calendar: WorkingCalendar) -> datetime:
    """The retry schedule: two hours after the first failed attempt, then opening of the next working day."""
    if failed_so_far <= 1:
        return now + FIRST_RETRY
    day = calendar.local_day(now) + timedelta(days=1)
    while not calendar.is_working_day(day):
        day += timedelta(days=1)
    return datetime.combine(day, OPENING, tzinfo=calendar.zone)


class CallbackTask(Aggregate):
    """One call-back to make, attempt by attempt."""

    class Event(Aggregate.Event):
        """Every task event records who and when."""

        actor: Actor
        occurred_at: datetime

    class Opened(Event, Aggregate.Created):
        """The task exists (on its first assignment or attempt)."""

        complaint_id: str
        kind: str
        round: int
        max_attempts: int

        def apply(self, aggregate: Any) -> None:
            t: CallbackTask = aggregate
            t.complaint_id = UUID(self.complaint_id)
            t.kind = CallKind(self.kind)
            t.round = self.round
            t.max_attempts = self.max_attempts

    class Registered(Event, Aggregate.Created):
        """主动回访: a person served at the window (no complaint) is put in the call-back queue."""

        centre: str
        category: str
        service: str  # what they came for (事项), as the clerk noted it
        person: Complainant  # name and phone: personal information, stored only in the (encrypted) events
        max_attempts: int

        def apply(self, aggregate: Any) -> None:
            t: CallbackTask = aggregate
            t.complaint_id = None
            t.kind = CallKind.proactive
            t.round = 0
            t.max_attempts = self.max_attempts
            t.centre = self.centre
            t.category = self.category
            t.service = self.service
            t.person = self.person
            t.registered_at = self.occurred_at
            t.registered_by = self.actor

    class Referred(Event):
        """The call's finding became a rectification order (整改通知), issued in the same transaction."""

        order_id: str

        def apply(self, aggregate: Any) -> None:
            t: CallbackTask = aggregate
            t.order_id = UUID(self.order_id)

    class Assigned(Event):
        """分派 to a call-back agent."""

        agent: str

        def apply(self, aggregate: Any) -> None:
            t: CallbackTask = aggregate
            t.assignee = self.agent

    class Attempted(Event):
        """One call: its outcome, the rating when answered, a finding, and when to try again."""

        outcome: str
        rating: int | None
        comment: str
        finding: str
        attempt: int
        next_try_at: datetime | None
        state: str  # the task's state after this attempt

        def apply(self, aggregate: Any) -> None:
            t: CallbackTask = aggregate
            t.attempts = self.attempt
            if Outcome(self.outcome) in FAILED:
                t.failed += 1
            t.next_try_at = self.next_try_at
            t.state = TaskState(self.state)
            if self.rating is not None:
                t.rating = self.rating
            if self.finding:
                t.finding = self.finding

    def __init__(self) -> None:
        self.complaint_id: UUID | None = UUID(int=0)
        self.centre = ""
        self.category = ""
        self.service = ""
        self.person: Complainant | None = None
        self.registered_at: datetime | None = None
        self.registered_by: Actor | None = None
        self.order_id: UUID | None = None
        self.kind = CallKind.due
        self.round = 0
        self.max_attempts = 3
        self.assignee: str | None = None
        self.attempts = 0
        self.failed = 0
        self.next_try_at: datetime | None = None
        self.state = TaskState.open
        self.rating: int | None = None
        self.finding = ""

    @classmethod
    def open(
        cls, *, complaint_id: UUID, kind: CallKind, round_: int, policy: CallbackPolicy, actor: Actor, now: datetime
    ) -> CallbackTask:
        """A new task for the complaint's current call-back."""
        if now.tzinfo is None:
            raise errors.InvalidInput("now", "now 必须带时区偏移")
        return cls._create(
            cls.Opened,
            id=task_id(complaint_id, kind, round_),
            timestamp=now,
            actor=actor,
            occurred_at=now,
            complaint_id=str(complaint_id),
            kind=kind.value,
            round=round_,
            max_attempts=policy.max_attempts,
        )

    @classmethod
    def register(
        cls,
        *,
        centre: str,
        category: str,
        service: str,
        person: Complainant,
        policy: CallbackPolicy,
        actor: Actor,
        now: datetime,
        task_id_: UUID,
    ) -> CallbackTask:
        """主动回访: a window clerk registers someone they served (name optional, phone required)."""
        if now.tzinfo is None:
            raise errors.InvalidInput("now", "now 必须带时区偏移")
        if actor.role not in PROACTIVE_REGISTRARS:
            raise RegistrarRoleInvalid
        check_centre(centre)
        phone = person.phone.strip() if isinstance(person.phone, str) else ""
        if not 5 <= len(phone) <= 32 or not all(c.isdigit() or c in "+- " for c in phone):
            raise errors.InvalidInput("person.phone", "须填写可回访的电话号码")
        if len(person.name) > 100:
            raise errors.InvalidInput("person.name", "姓名过长（最多 100 字）")
        if not service.strip() or len(service) > 500:
            raise errors.InvalidInput("service", "须写明办理的事项（最多 500 字）")
        return cls._create(
            cls.Registered,
            id=task_id_,
            timestamp=now,
            actor=actor,
            occurred_at=now,
            centre=centre,
            category=category,
            service=service,
            person=Complainant(ComplainantType.person, person.name.strip(), phone),
            max_attempts=policy.max_attempts,
        )

    def assign(self, *, agent: str, actor: Actor, now: datetime, agent_on_record: bool) -> None:
        """分派 (again: a task may move to another agent while open) — only to a call-back agent on record."""
        if self.state is not TaskState.open:
            raise TaskFinished
        if not isinstance(agent, str) or not agent.strip() or len(agent) > 200:
            raise AssigneeInvalid
        if not agent_on_record:
            raise NotCallbackAgent
        self.trigger_event(self.Assigned, timestamp=now, actor=actor, occurred_at=now, agent=agent)

    def check_referable(self) -> None:
        """A call's finding may become one rectification order."""
        if not self.finding:
            raise NoFinding
        if self.order_id is not None:
            raise FindingAlreadyReferred

    def refer(self, *, order_id: UUID, actor: Actor, now: datetime) -> None:
        """The call's finding is issued as a rectification order (once)."""
        self.check_referable()
        self.trigger_event(self.Referred, timestamp=now, actor=actor, occurred_at=now, order_id=str(order_id))

    def attempt(
        self,
        *,
        outcome: Outcome,
        rating: int | None,
        comment: str,
        finding: str,
        actor: Actor,
        now: datetime,
        calendar: WorkingCalendar,
    ) -> TaskState:
        """Record one call; answered needs a rating 1–5; the last allowed failure makes the task unreachable."""
        if self.state is not TaskState.open:
            raise TaskFinished
        if self.assignee is not None and actor.id != self.assignee and actor.role is Role.callback_agent:
            raise NotAssignee
        if self.next_try_at is not None and now < self.next_try_at:
            at = self.next_try_at.astimezone(calendar.zone)
            raise RetryTooEarly(f"上次未接通，须于 {at:%Y-%m-%d %H:%M} 后再拨（重拨时间未到）")
        if outcome is Outcome.answered:
            if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
                raise errors.InvalidInput("rating", "接通的回访须有 1 至 5 的评价")
        elif rating is not None:
            raise errors.InvalidInput("rating", "未接通的回访不能有评价")
        failed = self.failed + (1 if outcome in FAILED else 0)
        next_at: datetime | None = None
        if outcome is Outcome.answered:
            state = TaskState.answered
        elif outcome is Outcome.refused:
            state = TaskState.refused
        elif failed >= self.max_attempts:
            state = TaskState.unreachable
        else:
            state = TaskState.open
            next_at = next_try(now, failed, calendar)
        self.trigger_event(
            self.Attempted,
            timestamp=now,
            actor=actor,
            occurred_at=now,
            outcome=outcome.value,
            rating=rating,
            comment=comment or "",
            finding=finding or "",
            attempt=self.attempts + 1,
            next_try_at=next_at,
            state=state.value,
        )
        return state
