"""Hash-linking of a complaint's events: each event commits to the one before (tamper evidence).

The canonical form is deliberately simple so that `ops/audit/verify_bundle.py`, which uses only the
standard library, computes the same digests from an exported bundle.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import date, datetime
from enum import Enum
from typing import Any
from uuid import UUID

GENESIS = "0" * 64
ENVELOPE = ("originator_id", "originator_version", "originator_topic", "row_hash")
# An upcaster lists here the fields it filled in for an event stored before they existed. The hash
# covers the event as it was recorded, so those fields (and this list) are left out of the payload.
UPCAST_DEFAULTS = "_upcast_defaults"


def plain(value: Any) -> Any:  # noqa: PLR0911 — one return per kind of value
    """JSON-ready form: enums by value, instants ISO 8601, dataclasses as dicts, tuples as lists."""
    if isinstance(value, Enum):
        return plain(value.value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def event_payload(event: Any) -> dict[str, Any]:
    """The hashed fields of an event: all but its id and version (hashed beside it), topic and own hash."""
    return fields_payload(vars(event))


def fields_payload(fields: dict[str, Any]) -> dict[str, Any]:
    """The hashed fields from an event's keyword arguments (as recorded: upcast defaults left out)."""
    skip = {*ENVELOPE, UPCAST_DEFAULTS, *fields.get(UPCAST_DEFAULTS, ())}
    return {k: plain(v) for k, v in sorted(fields.items()) if k not in skip}


def canonical(complaint_id: str, version: int, type_name: str, payload: dict[str, Any]) -> bytes:
    """Sorted-key compact UTF-8 JSON of one event."""
    doc = {"complaint_id": complaint_id, "version": version, "type": type_name, "payload": payload}
    return json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def chain_hash(complaint_id: str, version: int, type_name: str, payload: dict[str, Any]) -> str:
    """SHA-256 of the canonical event (its ``row_hash``); the payload's ``prev_hash`` links the chain."""
    return hashlib.sha256(canonical(complaint_id, version, type_name, payload)).hexdigest()


def event_hash(event: Any) -> str:
    """The hash recomputed from a domain event's content (equals its ``row_hash`` when untouched)."""
    return chain_hash(str(event.originator_id), event.originator_version, type(event).__name__, event_payload(event))
