"""The thin runner of the deadline policy: find what is due in the SLA view, decide, raise ``Escalated``."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import structlog

from application.complaints import ComplaintsApp
from application.errors import ConcurrentChange
from domain.errors import AlreadyEscalated
from domain.rules import ClockKind
from domain.values import SYSTEM_ACTOR
from policies.deadlines import EscalationRules, OpenClock, decide
from projections import queries
from projections.db import ViewDB, as_datetime
from projections.sla import SLA

log = structlog.get_logger("yousu.sweep")
MAX_PER_SWEEP = 5_000


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
        self, complaints: ComplaintsApp, views: ViewDB, rules: EscalationRules | None = None, *, catch_up: float = 5.0
    ) -> None:
        self.app = complaints
        self.views = views
        self.rules = rules or EscalationRules()
        self.catch_up = catch_up
        self._corrected = False  # the calendar is loaded at start: one correction pass per process

    def candidates(self, now: datetime) -> list[tuple[UUID, ClockKind, int, datetime]]:
        """Open clocks past due (and open rectification rounds, for their 差评 notice) not yet at level 2.

        The partial index on open clocks' ``due_at`` makes this cost the number of due items.
        """
        with self.views.transaction(write=False) as tx:
            # two index-backed halves (an OR across them would scan every open clock)
            rows = tx.query(
                f"SELECT complaint_id, clock, round, due_at FROM {SLA.name} "  # noqa: S608 — fixed table name
                "WHERE met_at IS NULL AND due_at < ? AND escalation_level < 2 ORDER BY due_at LIMIT ?",
                [now, MAX_PER_SWEEP],
            )
            rows += tx.query(
                f"SELECT complaint_id, clock, round, due_at FROM {SLA.name} "  # noqa: S608 — fixed table name
                "WHERE met_at IS NULL AND clock = 'rectification' AND due_at >= ? AND escalation_level < 2 LIMIT ?",
                [now, MAX_PER_SWEEP],
            )
        out = []
        for cid, clock, round_, due in rows:
            due_at = as_datetime(due)
            assert due_at is not None  # noqa: S101 — due_at is NOT NULL
            out.append((cid if isinstance(cid, UUID) else UUID(str(cid)), ClockKind(clock), int(round_), due_at))
        return out

    def correct_provisional(self) -> int:
        """Recompute deadlines counted Monday–Friday for want of a calendar, now that one may be loaded."""
        with self.views.transaction(write=False) as tx:
            rows = tx.query(
                f"SELECT DISTINCT complaint_id FROM {SLA.name} WHERE met_at IS NULL AND due_provisional"  # noqa: S608
            )
        changed = 0
        for (cid,) in rows:
            try:
                changed += self.app.correct_deadlines(
                    cid if isinstance(cid, UUID) else UUID(str(cid)), actor=SYSTEM_ACTOR
                )
            except ConcurrentChange:
                continue  # another sweeper corrected it, or a command got there first: next start retries
        if changed:
            log.info("deadlines_corrected", count=changed)
            queries.wait_until(self.views, self.app.max_notification_id(), timeout=self.catch_up)
        return changed

    def sweep(self) -> SweepResult:
        """One pass: views caught up to the store, candidates found, escalations raised."""
        now = self.app.clock.now()
        queries.wait_until(self.views, self.app.max_notification_id(), timeout=self.catch_up)
        started = time.perf_counter()
        found = self.candidates(now)
        find_ms = (time.perf_counter() - started) * 1000
        if not self._corrected:
            self.correct_provisional()
            self._corrected = True
            found = self.candidates(now)  # corrected deadlines decide what is due
        raised = already = 0
        for cid, clock, round_, due_at in found:
            complaint = self.app.get(cid)
            levels = frozenset(lv for (k, lv, r) in complaint.escalations if k is clock and r == round_)
            open_clock = OpenClock(cid, clock, round_, due_at, levels)
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
                except (AlreadyEscalated, ConcurrentChange):
                    # another sweeper got there first: the aggregate keeps it to one
                    already += 1
        if raised:
            log.info("escalations_raised", count=raised, candidates=len(found))
        return SweepResult(len(found), raised, already, find_ms)
