"""Escalation notices to webhooks — of complaints and of rectification orders — queued from the inbox view,
retried with backoff, every attempt logged.

Nothing is lost: a notice stays queued until a webhook answers 2xx (the backoff is capped, never
given up). Notices for people may wait for business hours (opening to close on working days);
the escalation itself is recorded at once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

import httpx
import structlog

from domain.calendar import WorkingCalendar
from projections.db import Column, Table, ViewDB, as_datetime
from projections.db import ColumnType as T
from projections.inbox import INBOX, UNIT_LEADER
from projections.runner import SETUP_LOCK

log = structlog.get_logger("yousu.delivery")

DELIVERIES = Table(
    "yousu_deliveries",
    (
        Column("escalation_id", T.bigint),  # the Escalated event's notification id
        Column("webhook", T.text),
        Column("delivered", T.boolean, nullable=False),
        Column("attempts", T.integer, nullable=False),
        Column("next_attempt_at", T.timestamp, nullable=False),
        Column("payload", T.text, nullable=False),
    ),
    key=("escalation_id", "webhook"),
    indexes=(("yousu_deliveries_due_idx", "(next_attempt_at) WHERE NOT delivered"),),
)
DELIVERY_LOG = Table(
    "yousu_delivery_log",
    (
        Column("escalation_id", T.bigint),
        Column("webhook", T.text),
        Column("attempt", T.integer),
        Column("attempted_at", T.timestamp, nullable=False),
        Column("http_status", T.integer),
        Column("error", T.text),
    ),
    key=("escalation_id", "webhook", "attempt"),
)
CURSOR = Table("yousu_delivery_cursor", (Column("name", T.text), Column("position", T.bigint)), key=("name",))


LEASE_MARGIN_SECONDS = 30.0


@dataclass(frozen=True)
class Leased:
    """A delivery taken by one process until its lease expires."""

    escalation_id: int
    url: str
    attempts: int
    payload: str


@dataclass(frozen=True)
class Webhook:
    """Where notices for some recipients go."""

    url: str
    recipients: frozenset[str] = frozenset({"liaison", "supervisor", "duty_leader", UNIT_LEADER})
    business_hours: bool = False


def parse_webhooks(value: str | None) -> list[Webhook]:
    """``YOUSU_WEBHOOKS``: a JSON list of {"url", "recipients"?, "business_hours"?}."""
    if not value:
        return []
    items = json.loads(value)
    if not isinstance(items, list):
        msg = "YOUSU_WEBHOOKS must be a JSON list"
        raise ValueError(msg)
    hooks = []
    for item in items:
        url = str(item["url"])
        if not url.startswith(("http://", "https://")):
            msg = f"webhook url must be http(s): {url!r}"
            raise ValueError(msg)
        recipients = frozenset(item.get("recipients") or Webhook.recipients)
        hooks.append(Webhook(url, recipients, bool(item.get("business_hours", False))))
    return hooks


def next_business_instant(at: datetime, calendar: WorkingCalendar, opening: time = time(9)) -> datetime:
    """``at`` when within opening..close of a working day, else the next opening."""
    local = at.astimezone(calendar.zone)
    day = local.date()
    if calendar.is_working_day(day) and opening <= local.time() < calendar.close_of_business:
        return at
    if calendar.is_working_day(day) and local.time() < opening:
        return datetime.combine(day, opening, tzinfo=calendar.zone)
    day += timedelta(days=1)
    while not calendar.is_working_day(day):
        day += timedelta(days=1)
    return datetime.combine(day, opening, tzinfo=calendar.zone)


def backoff(attempts: int, base: float = 5.0, cap: float = 3600.0) -> timedelta:
    """Exponential, capped: 5 s, 10 s, 20 s … at most an hour."""
    return timedelta(seconds=min(cap, base * 2 ** max(attempts - 1, 0)))


def backlog(views: ViewDB) -> int:
    """Deliveries queued and not yet acknowledged with a 2xx (0 where no webhook was ever configured)."""
    try:
        with views.transaction(write=False) as tx:
            rows = tx.query(f"SELECT COUNT(*) FROM {DELIVERIES.name} WHERE NOT delivered")  # noqa: S608 — fixed table name
    except Exception as exc:
        text = str(exc).lower()
        if "no such table" in text or "does not exist" in text:  # no Deliverer has created its tables
            return 0
        raise
    return int(rows[0][0])


class Deliverer:
    """Queues inbox rows for the matching webhooks and delivers what is due."""

    def __init__(
        self, views: ViewDB, calendar: WorkingCalendar, webhooks: list[Webhook], *, timeout: float = 5.0
    ) -> None:
        self.views = views
        self.calendar = calendar
        self.webhooks = webhooks
        self.timeout = timeout
        self.client = httpx.Client(timeout=timeout)
        with views.transaction() as tx:
            if tx.is_postgres:  # CREATE … IF NOT EXISTS races against itself in another process
                tx.execute("SELECT pg_advisory_xact_lock(?)", [SETUP_LOCK])
            for table in (DELIVERIES, DELIVERY_LOG, CURSOR):
                for statement in table.ddl(tx.dialect):
                    tx.execute(statement)

    def run_once(self, now: datetime) -> int:
        """Enqueue new escalations, then attempt every due delivery; returns the attempts made."""
        self.enqueue(now)
        return self.deliver(now)

    def enqueue(self, now: datetime) -> None:
        """New inbox rows → one queued delivery per matching webhook, with the cursor in the same transaction."""
        with self.views.transaction() as tx:
            found = tx.query(f"SELECT position FROM {CURSOR.name} WHERE name = ?", ["webhooks"])  # noqa: S608 — fixed table names, values bound
            position = int(found[0][0]) if found else 0
            rows = tx.query(
                "SELECT notification_id, complaint_id, order_id, unit, clock, round, level, due_at, escalated_at,"  # noqa: S608 — fixed table names, values bound
                f" reason, recipients FROM {INBOX.name} WHERE notification_id > ? ORDER BY notification_id LIMIT 1000",
                [position],
            )
            queued = []
            for nid, cid, oid, unit, clock, round_, level, due_at, escalated_at, reason, recipients in rows:
                roles = {r for r in str(recipients).split(",") if r}
                if UNIT_LEADER in roles:  # the unit's leader in the hall is the duty leader
                    roles.add("duty_leader")
                subject = {"complaint_id": str(cid)} if oid is None else {"order_id": str(oid), "unit": unit}
                payload = json.dumps(
                    {
                        "escalation_id": nid,
                        **subject,
                        "clock": clock,
                        "round": round_,
                        "level": level,
                        "due_at": _iso(due_at),
                        "escalated_at": _iso(escalated_at),
                        "reason": reason,
                        "recipients": sorted(roles),
                    },
                    ensure_ascii=False,
                )
                for hook in self.webhooks:
                    if hook.recipients & roles:
                        first = next_business_instant(now, self.calendar) if hook.business_hours else now
                        queued.append((nid, hook.url, False, 0, first, payload))
                position = max(position, int(nid))
            tx.insert_ignore(DELIVERIES, queued)
            tx.upsert(CURSOR, [("webhooks", position)])

    def deliver(self, now: datetime, limit: int = 100) -> int:
        """Attempt due deliveries; each attempt is logged, failures are rescheduled with backoff.

        No transaction is open while posting: the due rows are leased first (their next attempt moved
        past the time the posts can take, committed), posted, then the results recorded in a second
        short transaction. A lessee that dies leaves its rows to be retried when the lease expires.
        """
        leased = self.lease(now, limit)
        results = [(row, *self._post(row.url, row.payload, row.escalation_id)) for row in leased]
        self.record(now, results)
        return len(leased)

    def lease(self, now: datetime, limit: int = 100) -> list[Leased]:
        """Take up to ``limit`` due rows for this process until the lease expires (committed at once)."""
        with self.views.transaction() as tx:
            lock = " FOR UPDATE SKIP LOCKED" if tx.is_postgres else ""
            due = tx.query(
                f"SELECT escalation_id, webhook, attempts, payload FROM {DELIVERIES.name} "  # noqa: S608 — fixed table names, values bound
                f"WHERE NOT delivered AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?{lock}",
                [now, limit],
            )
            # every post may take the full timeout; the margin covers recording the results
            until = now + timedelta(seconds=self.timeout * len(due) + LEASE_MARGIN_SECONDS)
            for eid, url, _, _ in due:
                tx.execute(
                    f"UPDATE {DELIVERIES.name} SET next_attempt_at = ? "  # noqa: S608 — fixed table names, values bound
                    "WHERE escalation_id = ? AND webhook = ?",
                    [until, eid, url],
                )
        return [Leased(int(eid), str(url), int(attempts), str(payload)) for eid, url, attempts, payload in due]

    def record(self, now: datetime, results: list[tuple[Leased, int | None, str | None]]) -> None:
        """Log each attempt and mark it delivered or reschedule it, in one short transaction."""
        by_url = {h.url: h for h in self.webhooks}
        with self.views.transaction() as tx:
            for row, status, error in results:
                attempt = row.attempts + 1
                ok = status is not None and 200 <= status < 300
                tx.insert_ignore(DELIVERY_LOG, [(row.escalation_id, row.url, attempt, now, status, error)])
                hook = by_url.get(row.url)
                retry_at = now + backoff(attempt)
                if hook is not None and hook.business_hours:
                    retry_at = next_business_instant(retry_at, self.calendar)
                # only if no other lessee recorded this row since (its lease expired under us)
                tx.execute(
                    f"UPDATE {DELIVERIES.name} SET delivered = ?, attempts = ?, next_attempt_at = ? "  # noqa: S608 — fixed table names, values bound
                    "WHERE escalation_id = ? AND webhook = ? AND attempts = ? AND NOT delivered",
                    [ok, attempt, now if ok else retry_at, row.escalation_id, row.url, row.attempts],
                )
                if not ok:
                    log.warning("delivery_failed", escalation_id=row.escalation_id, attempt=attempt, status=status)

    def _post(self, url: str, payload: str, escalation_id: int) -> tuple[int | None, str | None]:
        try:
            r = self.client.post(
                url,
                content=payload.encode(),
                headers={"Content-Type": "application/json", "Idempotency-Key": f"escalation-{escalation_id}"},
            )
        except httpx.HTTPError as exc:
            return None, type(exc).__name__
        return r.status_code, None if r.is_success else f"HTTP {r.status_code}"

    def log_rows(self) -> list[dict[str, Any]]:
        """The delivery log, oldest first."""
        with self.views.transaction(write=False) as tx:
            rows = tx.query(
                f"SELECT escalation_id, webhook, attempt, attempted_at, http_status, error FROM {DELIVERY_LOG.name} "  # noqa: S608 — fixed table names, values bound
                "ORDER BY escalation_id, webhook, attempt"
            )
        keys = ("escalation_id", "webhook", "attempt", "attempted_at", "http_status", "error")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    def close(self) -> None:
        """Close the HTTP client."""
        self.client.close()


def _iso(value: Any) -> str | None:
    instant = as_datetime(value)
    return instant.isoformat() if instant is not None else None
