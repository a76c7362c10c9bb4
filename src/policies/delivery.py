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

    id: int  # the queue's id column (the escalation's or the message's notification id)
    target: str  # the webhook URL, or the outbox's endpoint name
    attempts: int
    payload: str


@dataclass(frozen=True)
class Queue:
    """An outbox's two tables: what to deliver (``key`` = id column, target column) and every attempt.

    ``group``/``seq``: deliver in order within a group (a work order): only the oldest undelivered row
    of its group is ever due, so a message is never posted before the one it follows is acknowledged.
    """

    table: Table
    log: Table
    id: str
    target: str
    group: str | None = None
    seq: str | None = None


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


def backlog(views: ViewDB, table: Table = DELIVERIES) -> int:
    """Deliveries queued and not yet acknowledged with a 2xx (0 where the outbox never created its tables)."""
    try:
        with views.transaction(write=False) as tx:
            rows = tx.query(f"SELECT COUNT(*) FROM {table.name} WHERE NOT delivered")  # noqa: S608 — fixed table name
    except Exception as exc:
        if missing_table(exc):
            return 0
        raise
    return int(rows[0][0])


def missing_table(exc: Exception) -> bool:
    """The error a query gets from a table no outbox created yet (none configured so far)."""
    text = str(exc).lower()
    return "no such table" in text or "does not exist" in text


def create_tables(views: ViewDB, *tables: Table) -> None:
    """An outbox's tables, created if missing (serialised with the views' DDL on PostgreSQL)."""
    with views.transaction() as tx:
        if tx.is_postgres:  # CREATE … IF NOT EXISTS races against itself in another process
            tx.execute("SELECT pg_advisory_xact_lock(?)", [SETUP_LOCK])
        for table in tables:
            for statement in table.ddl(tx.dialect):
                tx.execute(statement)


class Outbox:
    """At-least-once delivery of queued rows: leased, posted outside any transaction, every attempt logged.

    Subclasses fill the queue (``enqueue``) and say how a row is posted (``request``), where (``url``)
    and when a failed one is tried again (``retry_at``). Nothing is ever given up: the backoff is capped.
    """

    queue: Queue

    def __init__(self, views: ViewDB, *, timeout: float = 5.0, base: float = 5.0, cap: float = 3600.0) -> None:
        self.views = views
        self.timeout = timeout
        self.base = base
        self.cap = cap
        self.client = httpx.Client(timeout=timeout)
        create_tables(views, self.queue.table, self.queue.log, CURSOR)

    def deliver(self, now: datetime, limit: int = 100) -> int:
        """Attempt due deliveries; each attempt is logged, failures are rescheduled with backoff.

        No transaction is open while posting: the due rows are leased first (their next attempt moved
        past the time the posts can take, committed), posted, then the results recorded in a second
        short transaction. A lessee that dies leaves its rows to be retried when the lease expires.
        """
        leased = self.lease(now, limit)
        results = [(row, *self._post(row)) for row in leased]
        self.record(now, results)
        return len(leased)

    def lease(self, now: datetime, limit: int = 100) -> list[Leased]:
        """Take up to ``limit`` due rows for this process until the lease expires (committed at once)."""
        q = self.queue
        name = q.table.name
        ordered = ""
        if q.group is not None and q.seq is not None:
            ordered = (
                f" AND NOT EXISTS (SELECT 1 FROM {name} p WHERE p.{q.group} = d.{q.group}"  # noqa: S608 — fixed table and column names
                f" AND p.{q.target} = d.{q.target} AND NOT p.delivered AND p.{q.seq} < d.{q.seq})"
            )
        with self.views.transaction() as tx:
            lock = " FOR UPDATE SKIP LOCKED" if tx.is_postgres else ""
            due = tx.query(
                f"SELECT d.{q.id}, d.{q.target}, d.attempts, d.payload FROM {name} d "  # noqa: S608 — fixed table and column names, values bound
                f"WHERE NOT d.delivered AND d.next_attempt_at <= ?{ordered} "
                f"ORDER BY d.next_attempt_at, d.{q.id} LIMIT ?{lock}",
                [now, limit],
            )
            # every post may take the full timeout; the margin covers recording the results
            until = now + timedelta(seconds=self.timeout * len(due) + LEASE_MARGIN_SECONDS)
            for key, target, _, _ in due:
                tx.execute(
                    f"UPDATE {name} SET next_attempt_at = ? WHERE {q.id} = ? AND {q.target} = ?",  # noqa: S608 — fixed table and column names, values bound
                    [until, key, target],
                )
        return [Leased(int(key), str(target), int(attempts), str(payload)) for key, target, attempts, payload in due]

    def record(self, now: datetime, results: list[tuple[Leased, int | None, str | None]]) -> None:
        """Log each attempt and mark it delivered or reschedule it, in one short transaction."""
        q = self.queue
        with self.views.transaction() as tx:
            for row, status, error in results:
                attempt = row.attempts + 1
                ok = status is not None and 200 <= status < 300
                tx.insert_ignore(q.log, [(row.id, row.target, attempt, now, status, error)])
                # only if no other lessee recorded this row since (its lease expired under us)
                tx.execute(
                    f"UPDATE {q.table.name} SET delivered = ?, attempts = ?, next_attempt_at = ? "  # noqa: S608 — fixed table and column names, values bound
                    f"WHERE {q.id} = ? AND {q.target} = ? AND attempts = ? AND NOT delivered",
                    [ok, attempt, now if ok else self.retry_at(row, attempt, now), row.id, row.target, row.attempts],
                )
                if not ok:
                    log.warning("delivery_failed", outbox=q.table.name, id=row.id, attempt=attempt, status=status)

    def retry_at(self, row: Leased, attempt: int, now: datetime) -> datetime:
        """When a failed row is tried again."""
        del row
        return now + backoff(attempt, self.base, self.cap)

    def url(self, row: Leased) -> str:
        """Where the row is posted."""
        return row.target

    def request(self, row: Leased) -> tuple[bytes, dict[str, str]]:
        """The body and headers of the row's POST."""
        return row.payload.encode(), {"Content-Type": "application/json"}

    def _post(self, row: Leased) -> tuple[int | None, str | None]:
        try:
            body, headers = self.request(row)
            r = self.client.post(self.url(row), content=body, headers=headers)
        except httpx.HTTPError as exc:
            return None, type(exc).__name__
        except Exception as exc:  # a message that cannot be rendered stays queued, logged, retried
            log.exception("delivery_render_failed", outbox=self.queue.table.name, id=row.id)
            return None, type(exc).__name__
        return r.status_code, None if r.is_success else f"HTTP {r.status_code}"

    def log_rows(self) -> list[dict[str, Any]]:
        """The delivery log, oldest first."""
        q = self.queue
        with self.views.transaction(write=False) as tx:
            rows = tx.query(
                f"SELECT {q.id}, {q.target}, attempt, attempted_at, http_status, error FROM {q.log.name} "  # noqa: S608 — fixed table names, values bound
                f"ORDER BY {q.id}, {q.target}, attempt"
            )
        keys = (q.id, q.target, "attempt", "attempted_at", "http_status", "error")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    def close(self) -> None:
        """Close the HTTP client."""
        self.client.close()


class Deliverer(Outbox):
    """Queues inbox rows for the matching webhooks and delivers what is due."""

    queue = Queue(DELIVERIES, DELIVERY_LOG, "escalation_id", "webhook")

    def __init__(
        self, views: ViewDB, calendar: WorkingCalendar, webhooks: list[Webhook], *, timeout: float = 5.0
    ) -> None:
        self.calendar = calendar
        self.webhooks = webhooks
        super().__init__(views, timeout=timeout)

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

    def retry_at(self, row: Leased, attempt: int, now: datetime) -> datetime:
        """Backoff, then (for a webhook to people) the next business instant."""
        at = super().retry_at(row, attempt, now)
        hook = next((h for h in self.webhooks if h.url == row.target), None)
        return next_business_instant(at, self.calendar) if hook is not None and hook.business_hours else at

    def request(self, row: Leased) -> tuple[bytes, dict[str, str]]:
        """The notice as posted, keyed by its escalation for the receiver's idempotency."""
        return row.payload.encode(), {"Content-Type": "application/json", "Idempotency-Key": f"escalation-{row.id}"}


def _iso(value: Any) -> str | None:
    instant = as_datetime(value)
    return instant.isoformat() if instant is not None else None
