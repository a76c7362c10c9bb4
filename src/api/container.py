"""What the HTTP layer needs, handed in by the composition root (yousu)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from api.auth import TokenVerifier
from api.guard import StoreGuard
from api.throttle import LoginGuard
from application.account_admin import AccountAdmin
from application.accounts import AccountStore
from application.audit import AuditService
from application.complaints import ComplaintsApp
from application.pdf_pool import PdfPool
from application.reference import Reference
from projections.db import ViewDB


@dataclass(frozen=True)
class ApiLimits:
    """What the HTTP layer refuses: bodies over ``max_body_bytes``; a hotline ``received_at`` further back than
    ``backdate`` (or ahead of the clock: the domain allows no skew)."""

    max_body_bytes: int = 1024 * 1024
    backdate: timedelta = timedelta(days=7)


@dataclass
class Container:
    """The service's parts: the application, token verifier, reference codes, store guard."""

    complaints: ComplaintsApp
    verifier: TokenVerifier
    reference: Reference
    guard: StoreGuard
    audit: AuditService
    views: ViewDB | None = None  # the read models (ledger, SLA, metrics, inbox)
    catch_up: Callable[[], object] | None = None  # apply pending events to the views now
    satisfied_ratings: tuple[int, ...] = (3, 4, 5)  # YOUSU_SATISFIED_RATINGS: what 满意率 counts as satisfied
    escalation_levels: tuple[int, ...] = (1, 2)  # YOUSU_ESCALATION_LEVELS: the overdue levels the sweeper raises
    # extra readiness facts (projection lag, sweeper state) contributed by other parts
    readiness: list[Callable[[], dict[str, Any]]] = field(default_factory=list)
    limits: ApiLimits = field(default_factory=ApiLimits)
    accounts: AccountStore | None = None  # local staff accounts (console sign-in); None: sign-in disabled
    account_admin: AccountAdmin | None = None  # audited account changes (with ``accounts``)
    login_guard: LoginGuard | None = None  # sign-in throttling and the bounded hashing pool
    session_lifetime: timedelta = timedelta(hours=12)  # of a console session (its cookie and token)
    cookie_secure: bool = False  # session cookies only over HTTPS
    # YOUSU_READ_DATABASE_URL: the hot standby's copy of the views, for reads that may lag (ledger, metrics)
    read_views: ViewDB | None = None
    pdf: PdfPool = field(default_factory=PdfPool)  # PDF rendering in worker processes, bounded in time
