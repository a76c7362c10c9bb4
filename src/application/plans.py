"""潮汐预案 on the store: record a centre's accepted window plan (a revision when the period was accepted before),
and find the accepted plan of a centre and period."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from eventsourcing.application import AggregateNotFoundError

from application.store import Store, store_errors
from domain.plans import TidalPlan, plan_id
from domain.values import Actor


@dataclass(frozen=True)
class PlanRecord:
    """What an acceptance records, per day (``YYYY-MM-DD``): the most windows, the extra ones over normal, and
    per working hour (``HH``) the windows and the arrivals forecast."""

    windows: dict[str, int]
    extra: dict[str, int]
    hours: dict[str, dict[str, int]]
    arrivals: dict[str, dict[str, float]]


def accept_plan(
    store: Store,
    centre: str,
    start: date,
    end: date,
    record: PlanRecord,
    note: str,
    actor: Actor,
) -> tuple[TidalPlan, int | None]:
    """确认潮汐预案: the plan accepted (opened first when the period has none) and the notification id written."""
    now = store.clock.now()
    found = accepted_or_open(store, centre, start, end, now=now)
    found.accept(
        centre=centre,
        start=start,
        end=end,
        windows=record.windows,
        extra=record.extra,
        note=note,
        actor=actor,
        now=now,
        hours=record.hours,
        arrivals=record.arrivals,
    )
    with store_errors():
        recordings = store.save(found)
    return found, recordings[-1].notification.id if recordings else None


def accepted_or_open(store: Store, centre: str, start: date, end: date, *, now: datetime) -> TidalPlan:
    """The plan of the centre and period as stored, or a new one opened ``now`` (not saved yet)."""
    found = stored(store, centre, start, end)
    return found if found is not None else TidalPlan.open(centre, start, end, now=now)


def accepted_plan(store: Store, centre: str, start: date, end: date) -> TidalPlan | None:
    """The accepted plan of the centre and period (None: none was accepted)."""
    found = stored(store, centre, start, end)
    return found if found is not None and found.accepted_by is not None else None


def stored(store: Store, centre: str, start: date, end: date) -> TidalPlan | None:
    """The plan aggregate of the centre and period, if any."""
    try:
        found: object = store.repository.get(plan_id(centre, start, end))
    except AggregateNotFoundError:
        return None
    return found if isinstance(found, TidalPlan) else None  # the id space is the plans'
