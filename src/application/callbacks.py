"""The call-back centre's commands: agents put themselves on record; assign a due, spot-check or 主动回访
call-back (to an agent on record only), record attempts — an answered due call records the complaint's 回访
in the same transaction; register a 主动回访 contact; issue a call's finding as a rectification order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from application.accounts import AccountStore
from application.errors import ComplaintNotFound, ConcurrentChange
from application.orders import OrderResult, OrdersService
from application.store import Store, store_errors
from domain import errors
from domain.callbacks import (
    CallbackAgent,
    CallbackPolicy,
    CallbackTask,
    CallKind,
    Outcome,
    agent_id,
    spot_checked,
    task_id,
)
from domain.complaint import Complaint
from domain.orders import FindingKind, RectificationOrder
from domain.values import Actor, Complainant, Role, Status


class CallbackNotDue(errors.NotAllowedInState):
    code = "callback_not_due"
    detail = "该诉求当前没有待回访或抽查回访"


@dataclass(frozen=True)
class CallbackResult:
    """What assign and attempt answer (``complaint_id``: the complaint's, or a 主动回访's own id)."""

    complaint_id: UUID
    kind: str
    state: str
    assignee: str | None
    attempts: int
    next_try_at: datetime | None
    complaint_status: str | None  # None for a 主动回访 (no complaint)
    notification_id: int | None


class CallbacksService:
    """Call-back tasks stored beside the complaints; the policy says when a person is unreachable."""

    def __init__(
        self, store: Store, policy: CallbackPolicy | None = None, *, accounts: AccountStore | None = None
    ) -> None:
        self.app = store
        self.policy = policy or CallbackPolicy()
        self.accounts = accounts  # local accounts holding the call-back agent role are agents on record too

    def is_agent(self, sub: str) -> bool:
        """Whether ``sub`` is a call-back agent on record: enrolled, or a local account holding the role."""
        with store_errors():
            if agent_id(sub) in self.app.repository:
                return True
        if self.accounts is None or not sub.startswith("local:"):
            return False
        account = self.accounts.get(sub.removeprefix("local:"))
        return account is not None and Role.callback_agent in account.roles

    def enrol(self, *, actor: Actor) -> bool:
        """登记 the caller as call-back agent; False when already on record (nothing is recorded again)."""
        agent = CallbackAgent.enrol(actor=actor, now=self.app.clock.now())
        if self.is_agent(actor.id):
            return False
        try:
            with store_errors():
                self.app.save(agent)
        except IntegrityError:
            return False  # enrolled a moment ago by another request
        return True

    def assign(self, complaint_id: UUID, *, agent: str, actor: Actor) -> CallbackResult:
        """分派 the current call-back (of a complaint, or a 主动回访) to ``agent``, a call-back agent on record."""
        now = self.app.clock.now()
        task, status = self._task(complaint_id, actor, now)
        task.assign(agent=agent, actor=actor, now=now, agent_on_record=self.is_agent(agent))
        return self._save(task, status, None)

    def register_proactive(
        self, *, centre: str, category: str, service: str, person: Complainant, actor: Actor
    ) -> CallbackResult:
        """主动回访: queue a call to someone served at the window (no complaint)."""
        task = CallbackTask.register(
            centre=centre,
            category=category,
            service=service,
            person=person,
            policy=self.policy,
            actor=actor,
            now=self.app.clock.now(),
            task_id_=uuid4(),
        )
        return self._save(task, None, None)

    def proactive(self, task_id_: UUID) -> CallbackTask:
        """A 主动回访 task (404 for any other id)."""
        with store_errors():
            try:
                task: object = self.app.repository.get(task_id_)
            except AggregateNotFoundError:
                raise ComplaintNotFound("回访任务不存在") from None
        if not isinstance(task, CallbackTask) or task.kind is not CallKind.proactive:
            raise ComplaintNotFound("回访任务不存在")
        return task

    def refer(
        self,
        subject_id: UUID,
        *,
        kind: CallKind,
        unit: str,
        working_days: int,
        text: str | None,
        actor: Actor,
        known_units: set[str],
    ) -> tuple[OrderResult, UUID]:
        """The finding of a call (the subject's current call-back of ``kind``; a 主动回访's own) becomes a
        rectification order, the task recording which, in one transaction. Returns the order and the task id."""
        task = self._existing_task(subject_id, kind)
        task.check_referable()

        def link(order: RectificationOrder) -> CallbackTask:
            task.refer(order_id=order.id, actor=actor, now=self.app.clock.now())
            return task

        result = OrdersService(self.app).issue(
            unit=unit,
            finding_kind=FindingKind.callback_finding,
            finding_text=text or task.finding,
            working_days=working_days,
            actor=actor,
            known_units=known_units,
            complaint_id=task.complaint_id,
            callback_task_id=task.id,
            also=link,
        )
        return result, task.id

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

    def _existing_task(self, subject_id: UUID, kind: CallKind) -> CallbackTask:
        if kind is CallKind.proactive:
            return self.proactive(subject_id)
        r = self.app.get(subject_id).rectification_round
        # the call of this round, or of the one before (a 差评 call opened a new round)
        candidates = [task_id(subject_id, kind, r)] + ([task_id(subject_id, kind, r - 1)] if r > 0 else [])
        with store_errors():
            for candidate in candidates:
                try:
                    found: object = self.app.repository.get(candidate)
                except AggregateNotFoundError:
                    continue
                if isinstance(found, CallbackTask) and found.finding:
                    return found
        raise CallbackNotDue("该诉求没有记录了发现问题的此类回访")

    def _task(self, complaint_id: UUID, actor: Actor, now: datetime) -> tuple[CallbackTask, Status | None]:
        with store_errors():
            try:
                found: object = self.app.repository.get(complaint_id)
            except AggregateNotFoundError:
                raise ComplaintNotFound from None
        if isinstance(found, CallbackTask) and found.kind is CallKind.proactive:
            return found, None
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

    def _save(self, task: CallbackTask, status: Status | None, complaint: Complaint | None) -> CallbackResult:
        try:
            with store_errors():
                recordings = self.app.save(task, complaint) if complaint is not None else self.app.save(task)
        except IntegrityError:
            self.app.evict(task.id)
            if task.complaint_id is not None:
                self.app.evict(task.complaint_id)
            raise ConcurrentChange from None
        return CallbackResult(
            complaint_id=task.complaint_id or task.id,
            kind=task.kind.value,
            state=task.state.value,
            assignee=task.assignee,
            attempts=task.attempts,
            next_try_at=task.next_try_at,
            complaint_status=status.value if status is not None else None,
            notification_id=recordings[-1].notification.id if recordings else None,
        )
