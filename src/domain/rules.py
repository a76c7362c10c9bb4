"""Deadline rules: which limit applies to which clock (all configurable, docs/design.md §1–§2)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from types import MappingProxyType

from domain.calendar import Deadline, WorkingCalendar
from domain.values import Classification


class ClockKind(Enum):
    """The clocks every complaint runs against."""

    response = "response"  # 接诉响应
    resolution = "resolution"  # 限时办结
    feedback = "feedback"  # 及时反馈
    callback = "callback"  # 回访
    rectification = "rectification"  # 限期整改
    pause = "pause"  # 中止: how long the resolution clock may stay paused (round = the pause's number)


CLOCK_LABELS: dict[ClockKind, str] = {
    ClockKind.response: "接诉响应时限",
    ClockKind.resolution: "办结时限",
    ClockKind.feedback: "反馈时限",
    ClockKind.callback: "回访时限",
    ClockKind.rectification: "整改时限",
    ClockKind.pause: "中止期限",
}

DEFAULT_RESOLUTION_LIMITS: Mapping[Classification, int] = MappingProxyType(
    {
        Classification.general: 0,  # answered the same working day
        Classification.cannot_do: 1,  # 办不了
        Classification.refused_to_do: 2,  # 不给办
        Classification.hard_to_do: 5,  # 很难办
    }
)


@dataclass(frozen=True)
class Limits:
    """Working-day limits per clock; ``0`` means close of business of the same working day."""

    resolution: Mapping[Classification, int] = field(default_factory=lambda: DEFAULT_RESOLUTION_LIMITS)
    response: int = 0
    feedback: int = 1
    callback: int = 3
    rectification: int = 5
    pause: int = 10  # 中止: a pause longer than this escalates like a missed deadline
    return_window: int = 1  # 退单: a department returns within this many working days after dispatch
    max_extensions: int = 1  # 延期: approved extensions per complaint

    def __post_init__(self) -> None:
        missing = set(Classification) - set(self.resolution)
        if missing:
            msg = f"resolution limits missing for {sorted(c.value for c in missing)}"
            raise ValueError(msg)
        values = [
            *self.resolution.values(),
            self.response,
            self.feedback,
            self.callback,
            self.rectification,
            self.pause,
            self.return_window,
            self.max_extensions,
        ]
        if any(v < 0 for v in values):
            msg = "limits must be >= 0 working days"
            raise ValueError(msg)


DEFAULT_LIMITS = Limits()  # the district's defaults; each YOUSU_LIMIT_* setting starts from these


def deadline_for(
    clock: ClockKind,
    start: datetime,
    calendar: WorkingCalendar,
    limits: Limits,
    classification: Classification | None = None,
) -> Deadline:
    """The due instant of ``clock`` started at ``start``."""
    if clock is ClockKind.resolution:
        if classification is None:
            msg = "the resolution clock needs a classification"
            raise ValueError(msg)
        days = limits.resolution[classification]
    else:
        days = {
            ClockKind.response: limits.response,
            ClockKind.feedback: limits.feedback,
            ClockKind.callback: limits.callback,
            ClockKind.rectification: limits.rectification,
            ClockKind.pause: limits.pause,
        }[clock]
    return calendar.add_working_days(start, days)
