"""The complaint's rule helpers: its constants, the input checks and the event seal."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from domain import errors
from domain.audit import chain_hash, hashed_payload
from domain.values import Status

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # placeholder until Received applies
SATISFIED_THRESHOLD = 3  # ratings 1 and 2 are 差评 and open a rectification round

SUPPLEMENT_SOURCES = ("hotline", "window")  # 12345 热线 or the window clerk

MAX_EXTENSION_DAYS = 30  # one request asks for at most this many working days
OPEN_FOR_HANDLING = frozenset({Status.dispatched, Status.consulted})  # with its departments, not yet resolved
MERGEABLE = frozenset(
    {Status.received, Status.classified, Status.officer_signed, Status.signed, Status.dispatched, Status.consulted}
)


def sealed(event_class: Any, complaint_id: UUID, version: int, **fields: Any) -> dict[str, Any]:
    """The event's fields plus its timestamp and ``row_hash`` over all of them.

    The timestamp is the event's ``occurred_at``, the instant the application's clock gave the command: the
    domain reads no clock of its own.
    """
    fields["timestamp"] = fields["occurred_at"]
    fields["row_hash"] = chain_hash(str(complaint_id), version, event_class.__name__, hashed_payload(fields))
    return fields


def check_aware(field: str, value: datetime) -> None:
    if value.tzinfo is None:
        raise errors.InvalidInput(field, f"{field} 必须带时区偏移")


def check_text(field: str, value: str | None, *, required: bool = True, max_len: int = 10_000) -> None:
    if value is None or not value.strip():
        if required:
            raise errors.InvalidInput(field, f"{field} 不能为空")
        return
    if len(value) > max_len:
        raise errors.InvalidInput(field, f"{field} 过长（最多 {max_len} 字）")
