"""The call-back centre's commands: assign a due (or spot-check) call-back, record attempts; an answered
due call records the complaint's 回访 in the same transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from application.complaints import ComplaintsApp, store_errors
from application.errors import ConcurrentChange
from domain import errors
from domain.callbacks import CallbackPolicy, CallbackTask, CallKind, Outcome, spot_checked, task_id
from domain.complaint import Complaint
from domain.values import Actor, Status


class CallbackNotDue(errors.NotAllowedInState):
    code = "callback_not_due"
    detail = "该诉求当前没有待回访或抽查回访"


@dataclass(frozen=True)
class CallbackResult:
    """What assign and attempt answer."""

    complaint_id: UUID
    kind: str
    state: str
    assignee: str | None
    attempts: int
    next_try_at: datetime | None
    complaint_status: str
    notification_id: int | None


class CallbacksService:
    """Call-back tasks stored beside the complaints; the policy says when a person is unreachable."""

    def __init__(self, complaints: ComplaintsApp, policy: CallbackPolicy | None = None) -> None:
        self.app = complaints
        self.policy = policy or CallbackPolicy()

    def assign(self, complaint_id: UUID, *, agent: str, actor: Actor) -> CallbackResult:
        """分派 the complaint's current call-back to ``agent``."""
        now = self.app.clock.now()
        task, status = self._task(complaint_id, actor, now)
        task.assign(agent=agent, actor=actor, now=now)
        return self._save(task, status, None)

    def attempt(
        self,
        complaint_id: UUID,
        *,
        outcome: Outcome,
        rating: int | None,
        comment: str,
        finding: str,
        actor: Actor,
    ) -> CallbackResult:
        """Record one call. Answered with a rating on a due call-back: the complaint's 回访 is recorded with it."""
        now = self.app.clock.now()
        task, status = self._task(complaint_id, actor, now)
        task.attempt(
            outcome=outcome,
            rating=rating,
            comment=comment,
            finding=finding,
            actor=actor,
            now=now,
            calendar=self.app.calendar,
        )
        complaint: Complaint | None = None
        if outcome is Outcome.answered and task.kind is CallKind.due and rating is not None:
            complaint = self.app.get(complaint_id)
            # the complaint's own rule (Complaint.call_back), saved atomically with the attempt
            complaint.call_back(
                rating=rating, comment=comment, actor=actor, now=now, calendar=self.app.calendar, limits=self.app.limits
            )
            status = complaint.status
        return self._save(task, status, complaint)

    # ------------------------------------------------------------------ internals

    def _task(self, complaint_id: UUID, actor: Actor, now: datetime) -> tuple[CallbackTask, Status]:
        complaint = self.app.get(complaint_id)
        if complaint.status is Status.fed_back:
            kind = CallKind.due
        elif complaint.status is Status.closed and spot_checked(complaint_id, self.policy.spot_share):
            kind = CallKind.spot_check
        else:
            raise CallbackNotDue
        tid = task_id(complaint_id, kind, complaint.rectification_round)
        with store_errors():
            try:
                task: object = self.app.repository.get(tid)
            except AggregateNotFoundError:
                task = CallbackTask.open(
                    complaint_id=complaint_id,
                    kind=kind,
                    round_=complaint.rectification_round,
                    policy=self.policy,
                    actor=actor,
                    now=now,
                )
        assert isinstance(task, CallbackTask)  # noqa: S101 — the id space is the tasks'
        return task, complaint.status

    def _save(self, task: CallbackTask, status: Status, complaint: Complaint | None) -> CallbackResult:
        try:
            with store_errors():
                recordings = self.app.save(task, complaint) if complaint is not None else self.app.save(task)
        except IntegrityError:
            self.app._evict(task.id)
            self.app._evict(task.complaint_id)
            raise ConcurrentChange from None
        return CallbackResult(
            complaint_id=task.complaint_id,
            kind=task.kind.value,
            state=task.state.value,
            assignee=task.assignee,
            attempts=task.attempts,
            next_try_at=task.next_try_at,
            complaint_status=status.value,
            notification_id=recordings[-1].notification.id if recordings else None,
        )
