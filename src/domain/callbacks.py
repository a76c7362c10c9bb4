"""满意度回访中心: the CallbackTask aggregate — one call-back of one complaint (due after feedback, or a
抽查 spot check of a closed one): assigned to a call-back agent, attempts with a retry schedule, and
after too many failed attempts 无法联系 (unreachable), which is never counted as satisfied."""

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
from domain.values import Actor, Role

TASK_NAMESPACE = uuid5(NAMESPACE_URL, "https://yousu.invalid/callback-task")
SPOT_BUCKETS = 10_000
FIRST_RETRY = timedelta(hours=2)  # a missed call is tried again the same day …
OPENING = time(9)  # … then at opening on the next working day


class CallKind(Enum):
    """Why the call is made."""

    due = "due"  # 回访: the complaint was fed back and awaits its call-back
    spot_check = "spot_check"  # 抽查: a share of closed complaints is called again


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


class AssigneeInvalid(errors.InvalidInput):
    def __init__(self) -> None:
        super().__init__("agent", "须指定回访员（其令牌的 sub）")


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
        self.complaint_id = UUID(int=0)
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
            actor=actor,
            occurred_at=now,
            complaint_id=str(complaint_id),
            kind=kind.value,
            round=round_,
            max_attempts=policy.max_attempts,
        )

    def assign(self, *, agent: str, actor: Actor, now: datetime) -> None:
        """分派 (again: a task may move to another agent while open)."""
        if self.state is not TaskState.open:
            raise TaskFinished
        if not isinstance(agent, str) or not agent.strip() or len(agent) > 200:
            raise AssigneeInvalid
        self.trigger_event(self.Assigned, actor=actor, occurred_at=now, agent=agent)

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
