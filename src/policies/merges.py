"""The merge policy (并单): once a master is resolved, its result answers every duplicate merged into it.

The duplicates are found in the ledger (a merged row whose master has a resolution); the aggregate
records ``AnsweredByMaster`` once per duplicate, after which each person's feedback and call-back
follow as for any resolved complaint. Chains resolve in turn: a duplicate of a duplicate is answered
on the pass after its own master was answered.
"""

from __future__ import annotations

import structlog

from application.complaints import ComplaintsApp
from application.errors import ConcurrentChange
from domain.errors import ComplaintError
from domain.values import SYSTEM_ACTOR
from projections.db import ViewDB
from projections.ledger import answerable_duplicates
from projections.tracking import wait_until

log = structlog.get_logger("yousu.merges")
MAX_PER_PASS = 1_000


class MergeAnswerer:
    """Records the master's result on each merged duplicate whose master is resolved."""

    def __init__(self, complaints: ComplaintsApp, views: ViewDB, *, catch_up: float = 5.0) -> None:
        self.app = complaints
        self.views = views
        self.catch_up = catch_up

    def run(self) -> int:
        """One pass; returns how many duplicates were answered."""
        wait_until(self.views, self.app.max_notification_id(), timeout=self.catch_up)
        answered = 0
        for duplicate_id in answerable_duplicates(self.views, MAX_PER_PASS):
            try:
                self.app.answer_from_master(duplicate_id, actor=SYSTEM_ACTOR)
                answered += 1
            except (ComplaintError, ConcurrentChange):
                continue  # unmerged or answered meanwhile, or another process got there first
        if answered:
            log.info("merged_duplicates_answered", count=answered)
        return answered
