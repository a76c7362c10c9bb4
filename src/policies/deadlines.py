"""The deadline policy: a pure ``decide`` from a complaint's open clocks, the instant and the calendar."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from domain.calendar import WorkingCalendar
from domain.rules import CLOCK_LABELS, ClockKind

NOTICE = 0  # a 差评 opens a rectification round: notice to the liaison at once (抄送纪检)
OVERDUE = 1  # the clock passed its due instant: supervisor and duty leader
COPY_TO_LIAISON = 2  # still unmet one working day later: a copy to discipline inspection


@dataclass(frozen=True)
class OpenClock:
    """One clock of one complaint as the deadlines view holds it."""

    complaint_id: UUID
    clock: ClockKind
    round: int
    due_at: datetime
    escalated_levels: frozenset[int] = frozenset()
    met: bool = False


@dataclass(frozen=True)
class EscalationRules:
    """Levels and recipients (docs/design.md §1: configuration with these defaults)."""

    level2_after_working_days: int = 1
    level1_recipients: tuple[str, ...] = ("supervisor", "duty_leader")
    level2_recipients: tuple[str, ...] = ("supervisor", "duty_leader", "liaison")
    rectification_recipients: tuple[str, ...] = ("supervisor", "duty_leader", "liaison")
    levels: frozenset[int] = frozenset({OVERDUE, COPY_TO_LIAISON})  # the overdue levels raised at all


@dataclass(frozen=True)
class Escalation:
    """An escalation to raise as an ``Escalated`` event."""

    complaint_id: UUID
    clock: ClockKind
    round: int
    level: int
    due_at: datetime
    reason: str
    recipients: tuple[str, ...] = field(default=())


def level2_at(due_at: datetime, calendar: WorkingCalendar, rules: EscalationRules) -> datetime:
    """When an unmet clock is copied to the liaison: N working days after its due instant."""
    return calendar.add_working_days(due_at, rules.level2_after_working_days).due_at


def decide(
    clocks: Iterable[OpenClock],
    now: datetime,
    calendar: WorkingCalendar,
    rules: EscalationRules | None = None,
) -> list[Escalation]:
    """Every escalation due at ``now`` that has not been raised yet (each clock, level and round once)."""
    rules = rules or EscalationRules()
    out: list[Escalation] = []
    for c in clocks:
        label = CLOCK_LABELS[c.clock]
        if c.clock is ClockKind.rectification and NOTICE not in c.escalated_levels:
            out.append(
                Escalation(
                    c.complaint_id,
                    c.clock,
                    c.round,
                    NOTICE,
                    c.due_at,
                    f"回访差评，启动第{c.round}轮限期整改，抄送纪检",
                    rules.rectification_recipients,
                )
            )
        if c.met or now <= c.due_at:
            continue
        if OVERDUE in rules.levels and OVERDUE not in c.escalated_levels:
            out.append(
                Escalation(
                    c.complaint_id,
                    c.clock,
                    c.round,
                    OVERDUE,
                    c.due_at,
                    f"{label}已过，尚未完成",
                    rules.level1_recipients,
                )
            )
        if (
            COPY_TO_LIAISON in rules.levels
            and COPY_TO_LIAISON not in c.escalated_levels
            and now > level2_at(c.due_at, calendar, rules)
        ):
            out.append(
                Escalation(
                    c.complaint_id,
                    c.clock,
                    c.round,
                    COPY_TO_LIAISON,
                    c.due_at,
                    f"{label}已过{rules.level2_after_working_days}个工作日仍未完成，抄送纪检",
                    rules.level2_recipients,
                )
            )
    return out
