"""One APIRouter per resource; ``ROUTERS`` is what the app includes, in this order."""

from __future__ import annotations

from fastapi import APIRouter

from api.routes import (
    accounts,
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
    liaison,
    people,
    reference,
    roster,
    views,
    worklist,
)

# FastAPI tries the routers in turn on every request: the probes (answered many times a minute) first,
# then the complaint commands and reads, the busiest of the staff's requests.
ROUTERS: tuple[APIRouter, ...] = (
    health.router,
    complaint_commands.router,
    complaint_handling.router,
    complaint_reads.router,
    calendar.router,
    reference.router,
    audit.router,
    views.router,
    inboxes.router,
    liaison.router,
    roster.router,
    worklist.router,
    insights.router,
    knowledge.router,
    cases.router,
    hotline.router,
    hotline.deliveries_router,
    accounts.router,
    people.router,
)
