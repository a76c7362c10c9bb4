"""The 12345 hotline outbox: every message of a hotline work order posted in order, at least once.

Fed by the ``hotline`` view (projections.hotline) through a cursor, never from inside a command's
transaction. The outbox tables are the policy's own (not a view: a rebuild must not forget what was
delivered). Each message is posted with ``Idempotency-Key: <message_id>`` (the receiver sees every
message once however often it is posted) and, when a secret is set, ``X-Yousu-Signature: sha256=<HMAC
of the body>``. Within a work order only the oldest unacknowledged message is ever due, so the hotline
receives them in order even across retries, several processes and restarts.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime
from typing import Any
from uuid import UUID

from application.store import Store
from policies.delivery import CURSOR, Leased, Outbox, Queue, create_tables, missing_table
from projections.db import Column, Table, ViewDB, as_datetime
from projections.db import ColumnType as T
from projections.hotline import HOTLINE_MESSAGES, message_id, render
from projections.ledger import LEDGER

ENDPOINT = "hotline"  # the one target; its URL comes from YOUSU_HOTLINE_URL when posting
CURSOR_NAME = "hotline"
SIGNATURE_HEADER = "X-Yousu-Signature"

HOTLINE_DELIVERIES = Table(
    "yousu_hotline_deliveries",
    (
        Column("notification_id", T.bigint),  # the event's, as in the hotline view
        Column("endpoint", T.text),
        Column("external_ref", T.text, nullable=False),
        Column("seq", T.integer, nullable=False),
        Column("previous_seq", T.integer, nullable=False),
        Column("type", T.text, nullable=False),
        Column("complaint_id", T.uuid, nullable=False),
        Column("delivered", T.boolean, nullable=False),
        Column("attempts", T.integer, nullable=False),
        Column("next_attempt_at", T.timestamp, nullable=False),
        Column("payload", T.text, nullable=False),  # what locates the event: the body is rendered when posted
    ),
    key=("notification_id", "endpoint"),
    indexes=(
        ("yousu_hotline_deliveries_due_idx", "(next_attempt_at) WHERE NOT delivered"),
        ("yousu_hotline_deliveries_ref_idx", "(external_ref, seq)"),
    ),
)
HOTLINE_DELIVERY_LOG = Table(
    "yousu_hotline_delivery_log",
    (
        Column("notification_id", T.bigint),
        Column("endpoint", T.text),
        Column("attempt", T.integer),
        Column("attempted_at", T.timestamp, nullable=False),
        Column("http_status", T.integer),
        Column("error", T.text),
    ),
    key=("notification_id", "endpoint", "attempt"),
)
QUEUE = Queue(HOTLINE_DELIVERIES, HOTLINE_DELIVERY_LOG, "notification_id", "endpoint", "external_ref", "seq")
MAX_ROUNDS = 50  # per run: each round posts the next message of every work order


def sign(secret: str, body: bytes) -> str:
    """The signature header's value: ``sha256=`` and the hex HMAC-SHA256 of the body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


# the defaults of YOUSU_HOTLINE_TIMEOUT, _BACKOFF and _BACKOFF_CAP: seconds per POST, first retry, longest wait
HOTLINE_TIMEOUT = 5.0
HOTLINE_BACKOFF = 5.0
HOTLINE_BACKOFF_CAP = 600.0


class HotlineOutbox(Outbox):
    """Work-order updates to the hotline's endpoint (YOUSU_HOTLINE_URL)."""

    queue = QUEUE

    def __init__(
        self,
        views: ViewDB,
        store: Store,
        url: str,
        *,
        secret: str | None = None,
        timeout: float = HOTLINE_TIMEOUT,
        base: float = HOTLINE_BACKOFF,
        cap: float = HOTLINE_BACKOFF_CAP,
    ) -> None:
        if not url.startswith(("http://", "https://")):
            msg = f"hotline url must be http(s): {url!r}"
            raise ValueError(msg)
        self.store = store
        self.endpoint_url = url
        self.secret = secret
        super().__init__(views, timeout=timeout, base=base, cap=cap)

    def run_once(self, now: datetime) -> int:
        """Enqueue new messages, then post rounds until nothing is due; returns the attempts made."""
        self.enqueue(now)
        total = 0
        for _ in range(MAX_ROUNDS):
            made = self.deliver(now)
            total += made
            if made == 0:
                break
        return total

    def enqueue(self, now: datetime) -> int:
        """The view's new messages → queued deliveries, with the cursor in the same transaction."""
        with self.views.transaction() as tx:
            found = tx.query(f"SELECT position FROM {CURSOR.name} WHERE name = ?", [CURSOR_NAME])  # noqa: S608 — fixed table name, values bound
            position = int(found[0][0]) if found else 0
            rows = tx.query(
                "SELECT notification_id, complaint_id, external_ref, seq, previous_seq, type"  # noqa: S608 — fixed table name, values bound
                f" FROM {HOTLINE_MESSAGES.name} WHERE notification_id > ? ORDER BY notification_id LIMIT 5000",
                [position],
            )
            queued = []
            for nid, cid, ref, seq, previous, kind in rows:
                where = json.dumps(
                    {"complaint_id": str(cid), "external_ref": ref, "seq": seq, "previous_seq": previous}
                )
                queued.append((nid, ENDPOINT, ref, seq, previous, kind, cid, False, 0, now, where))
                position = max(position, int(nid))
            tx.insert_ignore(HOTLINE_DELIVERIES, queued)
            tx.upsert(CURSOR, [(CURSOR_NAME, position)])
        return len(queued)

    def url(self, row: Leased) -> str:
        """Always the configured endpoint (a changed URL applies to what is still queued)."""
        del row
        return self.endpoint_url

    def request(self, row: Leased) -> tuple[bytes, dict[str, str]]:
        """The message rendered from its stored event, with its idempotency key and signature."""
        where = json.loads(row.payload)
        seq = int(where["seq"])
        complaint_id = UUID(where["complaint_id"])
        events = list(self.store.events.get(complaint_id, gt=seq - 1, lte=seq))
        person = self.store.get(complaint_id).complainant  # whose names are masked outside personal fields
        message = render(
            events[0],
            external_ref=where["external_ref"],
            previous_seq=int(where["previous_seq"]),
            names=[person.name, person.enterprise_name or ""],
            work_order_of=lambda cid: self.store.get(cid).external_ref,
        )
        if message is None:
            msg = f"event {type(events[0]).__name__} has no hotline message"
            raise LookupError(msg)
        body = json.dumps(message, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json; charset=utf-8", "Idempotency-Key": message["message_id"]}
        if self.secret:
            headers[SIGNATURE_HEADER] = sign(self.secret, body)
        return body, headers


# ------------------------------------------------------------------------------- reading and replaying


def ensure_tables(views: ViewDB) -> None:
    """The outbox's tables (for reading and replaying where no outbox ran yet)."""
    create_tables(views, HOTLINE_DELIVERIES, HOTLINE_DELIVERY_LOG, CURSOR)


def deliveries(
    views: ViewDB,
    *,
    external_ref: str | None = None,
    failed: bool = False,
    limit: int = 200,
    centre: str | None = None,
) -> list[dict[str, Any]]:
    """Queued and delivered messages with every attempt; ``failed``: only those whose last attempt failed;
    ``centre``: only the messages about that centre's complaints."""
    where, params = ["1 = 1"], []
    if centre is not None:
        where.append(f"d.complaint_id IN (SELECT id FROM {LEDGER.name} WHERE centre = ?)")  # noqa: S608 — fixed names, values bound
        params.append(centre)
    if external_ref is not None:
        where.append("d.external_ref = ?")
        params.append(external_ref)
    if failed:
        where.append("NOT d.delivered AND d.attempts > 0")
    try:
        with views.transaction(write=False) as tx:
            rows = tx.query(
                "SELECT d.notification_id, d.external_ref, d.seq, d.previous_seq, d.type, d.complaint_id, d.delivered,"  # noqa: S608 — fixed table names, filter values bound
                f" d.attempts, d.next_attempt_at FROM {HOTLINE_DELIVERIES.name} d WHERE {' AND '.join(where)}"
                " ORDER BY d.external_ref, d.seq LIMIT ?",
                [*params, limit],
            )
            ids = [int(r[0]) for r in rows]
            attempts: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
            if ids:
                marks = ", ".join("?" for _ in ids)
                for nid, attempt, at, status, error in tx.query(
                    "SELECT notification_id, attempt, attempted_at, http_status, error"  # noqa: S608 — fixed table name, values bound
                    f" FROM {HOTLINE_DELIVERY_LOG.name} WHERE notification_id IN ({marks})"
                    " ORDER BY notification_id, attempt",
                    ids,
                ):
                    attempts[int(nid)].append(
                        {
                            "attempt": int(attempt),
                            "attempted_at": as_datetime(at),
                            "http_status": status,
                            "error": error,
                        }
                    )
    except Exception as exc:
        if missing_table(exc):
            return []
        raise
    out = []
    for nid, ref, seq, previous, kind, cid, delivered, count, next_at in rows:
        tried = attempts[int(nid)]
        out.append(
            {
                "message_id": message_id(ref, int(seq)),
                "external_ref": ref,
                "seq": int(seq),
                "previous_seq": int(previous),
                "type": kind,
                "complaint_id": str(cid),
                "state": "delivered" if delivered else ("failing" if count else "queued"),
                "attempts": int(count),
                "next_attempt_at": None if delivered else as_datetime(next_at),
                "delivered_at": tried[-1]["attempted_at"] if delivered and tried else None,
                "attempt_log": tried,
            }
        )
    return out


def replay(views: ViewDB, external_ref: str, now: datetime) -> int:
    """Queue every message of one work order again, due now, in order, with their same idempotency keys."""
    ensure_tables(views)
    with views.transaction() as tx:
        return tx.execute(
            f"UPDATE {HOTLINE_DELIVERIES.name} SET delivered = ?, next_attempt_at = ? WHERE external_ref = ?",  # noqa: S608 — fixed table name, values bound
            [False, now, external_ref],
        )
