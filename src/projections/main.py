"""Running the projections as a process or thread: build the runner for a database URL, follow until stopped."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path

from application.calendar_loader import load_calendar
from application.complaints import ComplaintsApp
from application.persistence import parse_database_url
from domain.calendar import WorkingCalendar
from projections.db import ViewDB
from projections.ledger import LedgerView
from projections.metrics import MetricsView
from projections.runner import DEFAULT_PAGE_SIZE, ProjectionRunner
from projections.sla import SlaView
from projections.view import View

log = logging.getLogger(__name__)

VIEW_NAMES = (LedgerView.name, SlaView.name, MetricsView.name)


def all_views(calendar: WorkingCalendar) -> list[View]:
    """Every view, in the order they are applied within a page."""
    return [LedgerView(calendar), SlaView(calendar), MetricsView(calendar)]


def build_runner(
    database_url: str,
    *,
    app: ComplaintsApp | None = None,
    calendar: WorkingCalendar | None = None,
    views: Sequence[View] | None = None,
    page_size: int = DEFAULT_PAGE_SIZE,
) -> ProjectionRunner:
    """A runner over the store and views at ``database_url``; pass ``app`` to reuse a configured one."""
    database = parse_database_url(database_url)
    if calendar is None:
        calendar = app.calendar if app is not None else load_calendar(Path("ops/calendar"))
    if app is None:
        app = ComplaintsApp(database.env, calendar=calendar)
    chosen = list(views) if views is not None else all_views(calendar)
    return ProjectionRunner(app, chosen, ViewDB(database), page_size=page_size)


def run_forever(
    database_url: str,
    stop: threading.Event,
    *,
    app: ComplaintsApp | None = None,
    calendar: WorkingCalendar | None = None,
    views: Sequence[View] | None = None,
    poll_interval: float = 0.05,
    page_size: int = DEFAULT_PAGE_SIZE,
) -> None:
    """Set the views up, catch up and follow new events until ``stop`` is set (retrying outages).

    ``views`` defaults to :func:`all_views`; pass more (e.g. the liaison inbox) to feed them too.
    """
    runner = build_runner(database_url, app=app, calendar=calendar, views=views, page_size=page_size)
    owns_app = app is None
    try:
        while not stop.is_set():
            try:
                runner.setup()
                break
            except Exception as exc:  # the database may not be up yet: keep trying
                log.warning("projections: setup failed (%s); retrying", type(exc).__name__)
                stop.wait(1.0)
        runner.follow(stop, poll_interval=poll_interval)
    finally:
        runner.db.close()
        if owns_app:
            runner.app.close()
