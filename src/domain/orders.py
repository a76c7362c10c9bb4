"""限期整改通知: the RectificationOrder aggregate — issued to a unit about a finding, acknowledged,
reported on, then accepted or sent back for another round with a new working-day deadline."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from enum import Enum
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain import errors
from domain.calendar import WorkingCalendar
from domain.values import Actor, Role


class FindingKind(Enum):
    """What the order is about."""

    bad_rating_pattern = "bad_rating_pattern"  # 差评集中
    topic = "topic"  # 热点问题
    callback_finding = "callback_finding"  # 回访发现
    free_text = "free_text"  # 其他


FINDING_LABELS: dict[FindingKind, str] = {
    FindingKind.bad_rating_pattern: "差评集中",
    FindingKind.topic: "热点问题",
    FindingKind.callback_finding: "回访发现",
    FindingKind.free_text: "其他问题",
}


class OrderStatus(Enum):
    """Where an order stands; a function of its events."""

    issued = "issued"
    acknowledged = "acknowledged"
    reported = "reported"
    accepted = "accepted"


ORDER_STATUS_LABELS: dict[OrderStatus, str] = {
    OrderStatus.issued: "已下发",
    OrderStatus.acknowledged: "已签收",
    OrderStatus.reported: "已报告整改",
    OrderStatus.accepted: "已验收",
}

ORDER_EVENT_LABELS: dict[str, str] = {
    "Issued": "下发整改通知",
    "Acknowledged": "签收",
    "Reported": "报送整改报告",
    "Accepted": "验收通过",
    "Returned": "退回重新整改",
    "Escalated": "逾期升级",
}

ISSUER_ROLES = (Role.duty_leader, Role.liaison)
MAX_LIMIT_DAYS = 60


# ------------------------------------------------------------------------------------------ refusals


class NotOrderUnit(errors.NotResponsibleDepartment):
    code = "not_order_unit"
    detail = "该整改通知不是下发给您所在单位的"


class NotOrderIssuer(errors.NotResponsibleDepartment):
    code = "not_order_issuer"
    detail = "只有下发整改通知的带班领导或纪检联络员可以验收或退回"


class IssuerRoleInvalid(errors.NotResponsibleDepartment):
    code = "order_issuer_role_invalid"
    detail = "只有带班领导或纪检联络员可以下发整改通知"


class OrderAlreadyAcknowledged(errors.NotAllowedInState):
    code = "order_already_acknowledged"
    detail = "本轮整改通知已签收"


class OrderNotAcknowledged(errors.NotAllowedInState):
    code = "order_not_acknowledged"
    detail = "整改通知尚未签收，不能报送整改报告"


class OrderNotReported(errors.NotAllowedInState):
    code = "order_not_reported"
    detail = "尚未报送整改报告，不能验收或退回"


class OrderAlreadyReported(errors.NotAllowedInState):
    code = "order_already_reported"
    detail = "本轮整改报告已报送，等待验收"


class OrderClosed(errors.NotAllowedInState):
    code = "order_closed"
    detail = "整改通知已验收办结"


class OrderAlreadyEscalated(errors.AlreadyEscalated):
    code = "order_already_escalated"
    detail = "该整改通知本轮同一级别已升级"


def _text(field: str, value: str | None, *, max_len: int = 10_000) -> str:
    if value is None or not isinstance(value, str) or not value.strip():
        raise errors.InvalidInput(field, f"{field} 不能为空")
    if len(value) > max_len:
        raise errors.InvalidInput(field, f"{field} 过长（最多 {max_len} 字）")
    return value


def _aware(now: datetime) -> None:
    if now.tzinfo is None:
        raise errors.InvalidInput("now", "now 必须带时区偏移")


def _limit(days: int) -> int:
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_LIMIT_DAYS:
        raise errors.InvalidInput("working_days", f"整改时限须为 1 至 {MAX_LIMIT_DAYS} 个工作日")
    return days


class RectificationOrder(Aggregate):
    """One 限期整改通知, round by round until the issuer accepts the unit's report."""

    class Event(Aggregate.Event):
        """Every order event records who did it and when."""

        actor: Actor
        occurred_at: datetime

    class Issued(Event, Aggregate.Created):
        """下发 to a unit (department or centre code) about a finding, with a working-day deadline."""

        class_version = 2

        unit: str
        finding_kind: str
        finding_text: str
        complaint_id: str | None  # the complaint the finding came from, if any
        working_days: int
        due_at: datetime
        due_provisional: bool
        callback_task_id: str | None  # the call-back whose finding this is, if any

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Orders issued before call-back findings were linked."""
            state["callback_task_id"] = None

        def apply(self, aggregate: Any) -> None:
            o: RectificationOrder = aggregate
            o.callback_task_id = UUID(self.callback_task_id) if self.callback_task_id else None
            o.unit = self.unit
            o.finding_kind = FindingKind(self.finding_kind)
            o.finding_text = self.finding_text
            o.complaint_id = self.complaint_id
            o.issuer = self.actor
            o.issued_at = self.occurred_at
            o.working_days = self.working_days
            o.due_at = self.due_at
            o.round = 1
            o.status = OrderStatus.issued

    class Acknowledged(Event):
        """签收 by the unit."""

        def apply(self, aggregate: Any) -> None:
            o: RectificationOrder = aggregate
            o.status = OrderStatus.acknowledged
            o.acknowledged_at = self.occurred_at

    class Reported(Event):
        """整改报告: what the unit changed."""

        report: str
        on_time: bool

        def apply(self, aggregate: Any) -> None:
            o: RectificationOrder = aggregate
            o.status = OrderStatus.reported
            o.report = self.report
            o.reported_at = self.occurred_at
            o.rounds_on_time = (*o.rounds_on_time, self.on_time)

    class Accepted(Event):
        """验收通过: the order is done."""

        comment: str

        def apply(self, aggregate: Any) -> None:
            o: RectificationOrder = aggregate
            o.status = OrderStatus.accepted
            o.accepted_at = self.occurred_at

    class Returned(Event):
        """退回: the report does not suffice; a new round with a new deadline."""

        reason: str
        working_days: int
        due_at: datetime
        due_provisional: bool

        def apply(self, aggregate: Any) -> None:
            o: RectificationOrder = aggregate
            o.round += 1
            o.status = OrderStatus.issued
            o.due_at = self.due_at
            o.working_days = self.working_days
            o.acknowledged_at = None

    class Escalated(Event):
        """逾期升级, raised by the order sweeper (level 1 to the unit's leader, level 2 抄送纪检)."""

        level: int
        round: int
        due_at: datetime
        reason: str
        recipients: list[str]

        def apply(self, aggregate: Any) -> None:
            o: RectificationOrder = aggregate
            o.escalations = (*o.escalations, (self.level, self.round))

    def __init__(self) -> None:
        self.unit = ""
        self.finding_kind = FindingKind.free_text
        self.finding_text = ""
        self.complaint_id: str | None = None
        self.callback_task_id: UUID | None = None
        self.issuer: Actor | None = None
        self.issued_at: datetime | None = None
        self.working_days = 0
        self.due_at: datetime | None = None
        self.round = 0
        self.status = OrderStatus.issued
        self.acknowledged_at: datetime | None = None
        self.report = ""
        self.reported_at: datetime | None = None
        self.accepted_at: datetime | None = None
        self.rounds_on_time: tuple[bool, ...] = ()
        self.escalations: tuple[tuple[int, int], ...] = ()

    # ------------------------------------------------------------------ commands

    @classmethod
    def issue(  # noqa: PLR0913 — the notice has this many fields
        cls,
        *,
        unit: str,
        finding_kind: FindingKind,
        finding_text: str,
        working_days: int,
        actor: Actor,
        now: datetime,
        calendar: WorkingCalendar,
        order_id: UUID,
        known_units: Collection[str] | None = None,
        complaint_id: UUID | None = None,
        callback_task_id: UUID | None = None,
    ) -> RectificationOrder:
        """下发: by the duty leader or a liaison, to a known unit; due after ``working_days`` working days.

        ``order_id`` is given by the application: the domain makes no ids.
        """
        _aware(now)
        if actor.role not in ISSUER_ROLES:
            raise IssuerRoleInvalid
        _text("unit", unit, max_len=64)
        if known_units is not None and unit not in known_units:
            raise errors.InvalidInput("unit", f"未知的单位代码：{unit}（须为部门或服务中心代码）")
        if not isinstance(finding_kind, FindingKind):
            raise errors.InvalidInput("finding.kind", "问题类型无效")
        _text("finding.text", finding_text, max_len=4000)
        deadline = calendar.add_working_days(now, _limit(working_days))
        return cls._create(
            cls.Issued,
            id=order_id,
            timestamp=now,
            actor=actor,
            occurred_at=now,
            unit=unit,
            finding_kind=finding_kind.value,
            finding_text=finding_text,
            complaint_id=str(complaint_id) if complaint_id else None,
            working_days=working_days,
            due_at=deadline.due_at,
            due_provisional=deadline.provisional,
            callback_task_id=str(callback_task_id) if callback_task_id else None,
        )

    def acknowledge(self, *, actor: Actor, now: datetime, unit_of_actor: str | None) -> None:
        """签收 by the unit the order was issued to."""
        _aware(now)
        self._require_unit(unit_of_actor)
        if self.status is OrderStatus.accepted:
            raise OrderClosed
        if self.status is not OrderStatus.issued:
            raise OrderAlreadyAcknowledged
        self.trigger_event(self.Acknowledged, timestamp=now, actor=actor, occurred_at=now)

    def report_done(self, *, report: str, actor: Actor, now: datetime, unit_of_actor: str | None) -> None:
        """整改报告 by the unit, after acknowledging; on time when at or before the round's deadline."""
        _aware(now)
        self._require_unit(unit_of_actor)
        if self.status is OrderStatus.accepted:
            raise OrderClosed
        if self.status is OrderStatus.issued:
            raise OrderNotAcknowledged
        if self.status is OrderStatus.reported:
            raise OrderAlreadyReported
        _text("report", report)
        on_time = self.due_at is not None and now <= self.due_at
        self.trigger_event(self.Reported, timestamp=now, actor=actor, occurred_at=now, report=report, on_time=on_time)

    def accept(self, *, comment: str, actor: Actor, now: datetime) -> None:
        """验收 by the issuer (the same person) or a liaison."""
        _aware(now)
        self._require_issuer(actor)
        if self.status is OrderStatus.accepted:
            raise OrderClosed
        if self.status is not OrderStatus.reported:
            raise OrderNotReported
        self.trigger_event(self.Accepted, timestamp=now, actor=actor, occurred_at=now, comment=comment or "")

    def send_back(
        self, *, reason: str, working_days: int, actor: Actor, now: datetime, calendar: WorkingCalendar
    ) -> None:
        """退回: a new round, due ``working_days`` working days from now."""
        _aware(now)
        self._require_issuer(actor)
        if self.status is OrderStatus.accepted:
            raise OrderClosed
        if self.status is not OrderStatus.reported:
            raise OrderNotReported
        _text("reason", reason, max_len=4000)
        deadline = calendar.add_working_days(now, _limit(working_days))
        self.trigger_event(
            self.Returned,
            timestamp=now,
            actor=actor,
            occurred_at=now,
            reason=reason,
            working_days=working_days,
            due_at=deadline.due_at,
            due_provisional=deadline.provisional,
        )

    def escalate(
        self,
        *,
        level: int,
        round_: int,
        due_at: datetime,
        reason: str,
        recipients: list[str],
        actor: Actor,
        now: datetime,
    ) -> None:
        """逾期升级 (the system only), once per level and round."""
        _aware(now)
        if actor.role is not Role.system:
            raise errors.EscalationByPerson
        if (level, round_) in self.escalations:
            raise OrderAlreadyEscalated
        self.trigger_event(
            self.Escalated,
            timestamp=now,
            actor=actor,
            occurred_at=now,
            level=level,
            round=round_,
            due_at=due_at,
            reason=reason,
            recipients=recipients,
        )

    # ------------------------------------------------------------------ queries

    @property
    def is_open(self) -> bool:
        """Not yet accepted."""
        return self.status is not OrderStatus.accepted

    @property
    def clock_running(self) -> bool:
        """The round's deadline runs until the unit reports."""
        return self.status in (OrderStatus.issued, OrderStatus.acknowledged)

    def escalated_levels(self, round_: int) -> frozenset[int]:
        """Levels already raised in ``round_``."""
        return frozenset(lv for lv, r in self.escalations if r == round_)

    # ------------------------------------------------------------------ helpers

    def _require_unit(self, unit_of_actor: str | None) -> None:
        if unit_of_actor != self.unit:
            raise NotOrderUnit

    def _require_issuer(self, actor: Actor) -> None:
        issuer = self.issuer
        if issuer is None or (actor.id != issuer.id and actor.role is not Role.liaison):
            raise NotOrderIssuer
