"""The thin runner of the deadline policy: find what is due in the SLA view, decide, raise ``Escalated``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import structlog
from prometheus_client import Counter

from application.clock import stopwatch
from application.complaints import ComplaintsApp
from application.errors import ConcurrentChange
from domain.errors import AlreadyEscalated
from domain.values import SYSTEM_ACTOR
from policies.deadlines import EscalationRules, OpenClock, decide
from projections.db import ViewDB
from projections.sla import due_clocks, provisional_complaints
from projections.tracking import wait_until

log = structlog.get_logger("yousu.sweep")
MAX_PER_SWEEP = 5_000
ESCALATIONS_RAISED = Counter(
    "yousu_escalations_raised_total", "Escalations raised by the deadline sweeper", ["clock", "level"]
)


@dataclass(frozen=True)
class SweepResult:
    """What one sweep found and did."""

    candidates: int
    raised: int
    already: int
    find_ms: float


class Sweeper:
    """Runs ``decide`` over the clocks that may be due; the aggregate makes each escalation happen once."""

    def __init__(
        self,
        complaints: ComplaintsApp,
        views: ViewDB,
        rules: EscalationRules | None = None,
        *,
        catch_up: float = 5.0,
        timer: Callable[[], float] = stopwatch,
    ) -> None:
        """``timer`` measures how long the search for due clocks took (seconds; handed in, as the clock is)."""
        self.app = complaints
        self.timer = timer
        self.views = views
        self.rules = rules or EscalationRules()
        self.catch_up = catch_up
        self._corrected = False  # the calendar is loaded at start: one correction pass per process

    def correct_provisional(self) -> int:
        """Recompute deadlines counted Monday–Friday for want of a calendar, now that one may be loaded."""
        changed = 0
        for cid in provisional_complaints(self.views):
            try:
                changed += self.app.correct_deadlines(cid, actor=SYSTEM_ACTOR)
            except ConcurrentChange:
                continue  # another sweeper corrected it, or a command got there first: next start retries
        if changed:
            log.info("deadlines_corrected", count=changed)
            wait_until(self.views, self.app.max_notification_id(), timeout=self.catch_up)
        return changed

    def sweep(self) -> SweepResult:
        """One pass: views caught up to the store, candidates found, escalations raised."""
        now = self.app.clock.now()
        wait_until(self.views, self.app.max_notification_id(), timeout=self.catch_up)
        started = self.timer()
        found = due_clocks(self.views, now, MAX_PER_SWEEP)
        find_ms = (self.timer() - started) * 1000
        if not self._corrected:
            self.correct_provisional()
            self._corrected = True
            found = due_clocks(self.views, now, MAX_PER_SWEEP)  # corrected deadlines decide what is due
        raised = already = 0
        for due in found:
            cid = due.complaint_id
            complaint = self.app.get(cid)
            # the aggregate knows which escalations still stand (after 改分类 the resolution clock starts afresh)
            levels = complaint.escalated_levels(due.clock, due.round)
            open_clock = OpenClock(cid, due.clock, due.round, due.due_at, levels)
            for esc in decide([open_clock], now, self.app.calendar, self.rules):
                try:
                    self.app.escalate(
                        cid,
                        clock=esc.clock,
                        level=esc.level,
                        due_at=esc.due_at,
                        reason=esc.reason,
                        recipients=esc.recipients,
                        actor=SYSTEM_ACTOR,
                        round_=esc.round,
                    )
                    raised += 1
                    ESCALATIONS_RAISED.labels(esc.clock.value, str(esc.level)).inc()
                except (AlreadyEscalated, ConcurrentChange):
                    # another sweeper got there first: the aggregate keeps it to one
                    already += 1
        if raised:
            log.info("escalations_raised", count=raised, candidates=len(found))
        return SweepResult(len(found), raised, already, find_ms)
