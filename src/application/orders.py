"""The orders service: 限期整改通知 stored beside the complaints, in the same event store."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, Recording

from application.errors import ComplaintNotFound, ConcurrentChange
from application.store import Store, store_errors
from domain.orders import FindingKind, RectificationOrder
from domain.values import Actor


class OrderNotFound(ComplaintNotFound):
    """No order with this id (the API answers 404)."""

    code = "order_not_found"
    detail = "整改通知不存在"


@dataclass(frozen=True)
class OrderResult:
    """What every order command answers."""

    id: UUID
    unit: str
    status: str
    round: int
    due_at: datetime | None
    version: int
    notification_id: int | None


class OrdersService:
    """Load → act → save for rectification orders, with the complaints' store, calendar and clock."""

    def __init__(self, store: Store) -> None:
        self.app = store

    def issue(
        self,
        *,
        unit: str,
        finding_kind: FindingKind,
        finding_text: str,
        working_days: int,
        actor: Actor,
        known_units: Collection[str] | None = None,
        complaint_id: UUID | None = None,
        callback_task_id: UUID | None = None,
        also: Callable[[RectificationOrder], Aggregate] | None = None,
    ) -> OrderResult:
        """下发整改通知; ``also`` records on what the order came from (given the new order) the event that links
        it, saved in the same transaction."""
        order = RectificationOrder.issue(
            unit=unit,
            finding_kind=finding_kind,
            finding_text=finding_text,
            working_days=working_days,
            actor=actor,
            now=self.app.clock.now(),
            calendar=self.app.calendar,
            known_units=known_units,
            order_id=uuid4(),
            complaint_id=complaint_id,
            callback_task_id=callback_task_id,
        )
        return self._save(order, *([also(order)] if also is not None else []))

    def acknowledge(self, order_id: UUID, *, actor: Actor, unit_of_actor: str | None) -> OrderResult:
        """签收."""
        return self._command(order_id, lambda o, now: o.acknowledge(actor=actor, now=now, unit_of_actor=unit_of_actor))

    def report(self, order_id: UUID, *, report: str, actor: Actor, unit_of_actor: str | None) -> OrderResult:
        """整改报告."""
        return self._command(
            order_id, lambda o, now: o.report_done(report=report, actor=actor, now=now, unit_of_actor=unit_of_actor)
        )

    def accept(self, order_id: UUID, *, comment: str, actor: Actor) -> OrderResult:
        """验收."""
        return self._command(order_id, lambda o, now: o.accept(comment=comment, actor=actor, now=now))

    def send_back(self, order_id: UUID, *, reason: str, working_days: int, actor: Actor) -> OrderResult:
        """退回, with a new round's deadline."""
        return self._command(
            order_id,
            lambda o, now: o.send_back(
                reason=reason, working_days=working_days, actor=actor, now=now, calendar=self.app.calendar
            ),
        )

    def escalate(
        self,
        order_id: UUID,
        *,
        level: int,
        round_: int,
        due_at: datetime,
        reason: str,
        recipients: list[str],
        actor: Actor,
    ) -> OrderResult:
        """逾期升级 (policies only)."""
        return self._command(
            order_id,
            lambda o, now: o.escalate(
                level=level, round_=round_, due_at=due_at, reason=reason, recipients=recipients, actor=actor, now=now
            ),
        )

    def get(self, order_id: UUID) -> RectificationOrder:
        """The order now."""
        with store_errors():
            try:
                order: object = self.app.repository.get(order_id)
            except AggregateNotFoundError:
                raise OrderNotFound from None
        if not isinstance(order, RectificationOrder):
            raise OrderNotFound
        return order

    def _command(self, order_id: UUID, act: Callable[[RectificationOrder, datetime], None]) -> OrderResult:
        order = self.get(order_id)
        act(order, self.app.clock.now())
        return self._save(order)

    def _save(self, order: RectificationOrder, *others: Aggregate) -> OrderResult:
        try:
            with store_errors():
                recordings: list[Recording[UUID]] = self.app.save(order, *others)
        except IntegrityError:
            self.app.evict(order.id)
            for other in others:
                self.app.evict(other.id)
            raise ConcurrentChange from None
        return OrderResult(
            id=order.id,
            unit=order.unit,
            status=order.status.value,
            round=order.round,
            due_at=order.due_at,
            version=order.version,
            notification_id=recordings[-1].notification.id if recordings else None,
        )
