"""潮汐预案: a centre's window plan for a period, accepted by the centre's duty leader (an event, so the
plan staff worked to is on record beside the complaints)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain import errors
from domain.centres import check_centre
from domain.values import Actor, Role

PLAN_NAMESPACE = uuid5(NAMESPACE_URL, "https://yousu.invalid/tidal-plan")
MAX_PLAN_DAYS = 183


class PlanAccepterInvalid(errors.NotResponsibleDepartment):
    code = "plan_accepter_invalid"
    detail = "潮汐预案须由服务中心的带班领导确认"


def plan_id(centre: str, start: date, end: date) -> UUID:
    """One plan per centre and period; a later acceptance of the same period revises it."""
    return uuid5(PLAN_NAMESPACE, f"{centre}:{start.isoformat()}:{end.isoformat()}")


class TidalPlan(Aggregate):
    """A centre's accepted window plan for ``start..end``."""

    class Opened(Aggregate.Created):
        """The plan's centre and period (recorded with its first acceptance)."""

        centre: str
        start: str
        end: str

        def apply(self, aggregate: Any) -> None:
            p: TidalPlan = aggregate
            p.centre = self.centre
            p.start = date.fromisoformat(self.start)
            p.end = date.fromisoformat(self.end)

    class Accepted(Aggregate.Event):
        """确认预案: the windows per day and per hour the leader accepted, the arrivals they were planned for,
        and a note."""

        class_version = 2

        actor: Actor
        occurred_at: datetime
        centre: str
        start: str
        end: str
        windows: dict[str, int]  # ISO day → the most windows any hour needs
        extra: dict[str, int]  # ISO day → windows to open beyond the normal number
        note: str
        hours: dict[str, dict[str, int]]  # ISO day → "HH" → windows planned for that hour
        arrivals: dict[str, dict[str, float]]  # ISO day → "HH" → the forecast arrivals the hour was planned for

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Plans accepted before hours were recorded: the day's windows stand for every hour."""
            state["hours"] = {}
            state["arrivals"] = {}

        def apply(self, aggregate: Any) -> None:
            p: TidalPlan = aggregate
            p.centre = self.centre
            p.start = date.fromisoformat(self.start)
            p.end = date.fromisoformat(self.end)
            p.windows = dict(self.windows)
            p.extra = dict(self.extra)
            p.hours = {d: dict(h) for d, h in self.hours.items()}
            p.arrivals = {d: dict(a) for d, a in self.arrivals.items()}
            p.note = self.note
            p.accepted_by = self.actor
            p.accepted_at = self.occurred_at
            p.revisions += 1

    def __init__(self) -> None:
        self.centre = ""
        self.start: date | None = None
        self.end: date | None = None
        self.windows: dict[str, int] = {}
        self.hours: dict[str, dict[str, int]] = {}
        self.arrivals: dict[str, dict[str, float]] = {}
        self.note = ""
        self.extra: dict[str, int] = {}
        self.accepted_by: Actor | None = None
        self.accepted_at: datetime | None = None
        self.revisions = 0

    @staticmethod
    def check(centre: str, start: date, end: date, actor: Actor) -> None:
        """Who and what may be accepted."""
        if actor.role is not Role.duty_leader:
            raise PlanAccepterInvalid
        check_centre(centre)
        if end < start:
            raise errors.InvalidInput("to", "to 不能早于 from")
        if (end - start).days >= MAX_PLAN_DAYS:
            raise errors.InvalidInput("to", f"预案期限最长 {MAX_PLAN_DAYS} 天")

    @classmethod
    def open(cls, centre: str, start: date, end: date, *, now: datetime) -> TidalPlan:
        """The plan of ``centre`` for ``start..end``, before its first acceptance."""
        check_centre(centre)
        return cls._create(
            cls.Opened,
            id=plan_id(centre, start, end),
            timestamp=now,
            centre=centre,
            start=start.isoformat(),
            end=end.isoformat(),
        )

    def accept(  # noqa: PLR0913 — the plan has this many fields
        self,
        *,
        centre: str,
        start: date,
        end: date,
        windows: dict[str, int],
        extra: dict[str, int],
        note: str,
        actor: Actor,
        now: datetime,
        hours: dict[str, dict[str, int]] | None = None,
        arrivals: dict[str, dict[str, float]] | None = None,
    ) -> None:
        """确认 (again: a revision)."""
        self.check(centre, start, end, actor)
        self.trigger_event(
            self.Accepted,
            timestamp=now,
            actor=actor,
            occurred_at=now,
            centre=centre,
            start=start.isoformat(),
            end=end.isoformat(),
            windows=windows,
            extra=extra,
            note=note or "",
            hours=hours or {},
            arrivals=arrivals or {},
        )

    def planned_windows(self, day: date, hour: int) -> int:
        """The windows planned for ``hour`` of ``day`` (the day's most, for plans accepted before hours were kept)."""
        key = day.isoformat()
        by_hour = self.hours.get(key)
        if by_hour is not None:
            return by_hour.get(f"{hour:02d}", 0)
        return self.windows.get(key, 0)
