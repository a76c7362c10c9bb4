"""The 未诉先办 views (repeats, topics, knowledge), built together so the composition root adds them in one line."""

from __future__ import annotations

from domain.calendar import WorkingCalendar
from projections.repeats import REPEAT_WINDOW_DAYS, RepeatView
from projections.topics import TopicView
from projections.view import View


def insight_views(
    calendar: WorkingCalendar, *, person_key: bytes | None = None, window_days: int = REPEAT_WINDOW_DAYS
) -> list[View]:
    """The repeat and topic views."""
    return [RepeatView(calendar, person_key=person_key, window_days=window_days), TopicView(calendar)]
