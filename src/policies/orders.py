"""The orders' deadline policy: a pure ``decide_orders`` in the style of ``policies.deadlines.decide``,
and the sweeper pass that raises what it decides on the orders themselves."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import structlog

from application.errors import ConcurrentChange
from application.orders import OrdersService
from domain.calendar import WorkingCalendar
from domain.orders import OrderAlreadyEscalated
from domain.values import SYSTEM_ACTOR
from policies.deadlines import COPY_TO_LIAISON, OVERDUE
from projections.db import ViewDB
from projections.orders import due_orders
from projections.tracking import wait_until

log = structlog.get_logger("yousu.sweep.orders")
MAX_PER_SWEEP = 5_000


@dataclass(frozen=True)
class OrderRules:
    """Levels and recipients of an overdue order: level 1 the unit's leader, level 2 a copy to 纪检."""

    level2_after_working_days: int = 1
    level1_recipients: tuple[str, ...] = ("unit_leader",)
    level2_recipients: tuple[str, ...] = ("unit_leader", "liaison")


@dataclass(frozen=True)
class OrderClock:
    """One order's running round."""

    order_id: UUID
    round: int
    due_at: datetime
    escalated_levels: frozenset[int] = frozenset()
    reported: bool = False


@dataclass(frozen=True)
class OrderEscalation:
    """An escalation to raise on an order."""

    order_id: UUID
    round: int
    level: int
    due_at: datetime
    reason: str
    recipients: tuple[str, ...]


def decide_orders(
    clocks: Iterable[OrderClock], now: datetime, calendar: WorkingCalendar, rules: OrderRules | None = None
) -> list[OrderEscalation]:
    """Every escalation due at ``now`` not raised yet: level 1 past the deadline, level 2 N working days later."""
    rules = rules or OrderRules()
    out: list[OrderEscalation] = []
    for c in clocks:
        if c.reported or now <= c.due_at:
            continue
        if OVERDUE not in c.escalated_levels:
            out.append(
                OrderEscalation(
                    c.order_id,
                    c.round,
                    OVERDUE,
                    c.due_at,
                    f"整改通知第{c.round}轮已逾期，尚未报送整改报告",
                    rules.level1_recipients,
                )
            )
        level2 = calendar.add_working_days(c.due_at, rules.level2_after_working_days).due_at
        if COPY_TO_LIAISON not in c.escalated_levels and now > level2:
            out.append(
                OrderEscalation(
                    c.order_id,
                    c.round,
                    COPY_TO_LIAISON,
                    c.due_at,
                    f"整改通知第{c.round}轮逾期{rules.level2_after_working_days}个工作日仍未报送，抄送纪检",
                    rules.level2_recipients,
                )
            )
    return out


class OrderSweeper:
    """Finds overdue orders in the orders view, decides, and raises; each order keeps each level to one."""

    def __init__(self, orders: OrdersService, views: ViewDB, rules: OrderRules | None = None) -> None:
        self.orders = orders
        self.views = views
        self.rules = rules or OrderRules()

    def sweep(self) -> int:
        """One pass; returns how many escalations it raised."""
        app = self.orders.app
        now = app.clock.now()
        wait_until(self.views, app.max_notification_id(), timeout=5.0)
        raised = 0
        for due in due_orders(self.views, now, MAX_PER_SWEEP):
            order = self.orders.get(due.order_id)
            if not order.clock_running or order.due_at is None:
                continue
            clock = OrderClock(order.id, order.round, order.due_at, order.escalated_levels(order.round))
            for esc in decide_orders([clock], now, app.calendar, self.rules):
                try:
                    self.orders.escalate(
                        esc.order_id,
                        level=esc.level,
                        round_=esc.round,
                        due_at=esc.due_at,
                        reason=esc.reason,
                        recipients=list(esc.recipients),
                        actor=SYSTEM_ACTOR,
                    )
                    raised += 1
                except (OrderAlreadyEscalated, ConcurrentChange):
                    continue  # another sweeper raised it first
        if raised:
            log.info("order_escalations_raised", count=raised)
        return raised
