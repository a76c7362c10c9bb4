"""One APIRouter per resource; ``ROUTERS`` is what the app includes, in this order."""

from __future__ import annotations

from fastapi import APIRouter

from api.routes import (
    audit,
    calendar,
    cases,
    complaint_commands,
    complaint_handling,
    complaint_reads,
    health,
    hotline,
    inboxes,
    insights,
    knowledge,
    reference,
    roster,
    views,
    worklist,
)

ROUTERS: tuple[APIRouter, ...] = (
    complaint_commands.router,
    complaint_handling.router,
    complaint_reads.router,
    calendar.router,
    reference.router,
    audit.router,
    views.router,
    inboxes.router,
    roster.router,
    worklist.router,
    insights.router,
    knowledge.router,
    cases.router,
    hotline.router,
    hotline.deliveries_router,
    health.router,
)
