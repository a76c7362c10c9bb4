"""Hash-linking of a complaint's events: each event commits to the one before (tamper evidence).

The canonical form is deliberately simple so that `ops/audit/verify_bundle.py`, which uses only the
standard library, computes the same digests from an exported bundle.

Personal fields (the complainant's name, phone, ID number, enterprise name) are hashed as salted
commitments when the event carries ``personal_salts`` (format 2): a bundle can then ship the
commitments instead of the values and still verify offline, and a full-disclosure bundle ships
values plus salts. Events recorded before format 2 carry no salts; their hash covers the values in
clear, exactly as when they were written, so existing stores keep verifying.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
from collections.abc import Callable
from datetime import date, datetime
from enum import Enum
from typing import Any
from uuid import UUID

GENESIS = "0" * 64
SALTS = "personal_salts"
ENVELOPE = ("originator_id", "originator_version", "originator_topic", "row_hash", SALTS)
# personal fields, as (container field, sub-field) paths; a salt for each is keyed "container.sub"
PERSONAL_FIELDS = (
    ("complainant", "name"),
    ("complainant", "phone"),
    ("complainant", "id_number"),
    ("complainant", "enterprise_name"),
)
COMMITMENT_PREFIX = "sha256:"
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
    """An event's fields in clear: all but its id and version (hashed beside it), topic, own hash and salts."""
    return fields_payload(vars(event))


def fields_payload(fields: dict[str, Any]) -> dict[str, Any]:
    """The hashed fields from an event's keyword arguments (as recorded: upcast defaults left out)."""
    skip = {*ENVELOPE, UPCAST_DEFAULTS, *fields.get(UPCAST_DEFAULTS, ())}
    return {k: plain(v) for k, v in sorted(fields.items()) if k not in skip}


def event_salts(event: Any) -> dict[str, str] | None:
    """The event's personal-field salts (None: a format-1 event, or one without personal fields)."""
    salts = vars(event).get(SALTS)
    return dict(salts) if salts else None


def new_salts(fields: dict[str, Any], salt: Callable[[], str]) -> dict[str, str]:
    """A fresh salt from ``salt`` for each personal field present (not None) in ``fields``.

    ``salt`` is the caller's randomness (the application's ``new_salt``): the domain draws none of its own.
    """
    payload = fields_payload(fields)
    return {
        f"{outer}.{inner}": salt()
        for outer, inner in PERSONAL_FIELDS
        if isinstance(payload.get(outer), dict) and payload[outer].get(inner) is not None
    }


def commitment(salt: str, value: str) -> str:
    """The salted commitment to one personal value: ``sha256:`` + SHA-256 of ``salt:value``."""
    return COMMITMENT_PREFIX + hashlib.sha256(f"{salt}:{value}".encode()).hexdigest()


def committed(payload: dict[str, Any], salts: dict[str, str] | None) -> dict[str, Any]:
    """The payload with each salted personal value replaced by its commitment (what format 2 hashes)."""
    if not salts:
        return payload
    out = copy.deepcopy(payload)
    for key, salt in salts.items():
        outer, inner = key.split(".", 1)
        part = out.get(outer)
        if isinstance(part, dict) and part.get(inner) is not None:
            part[inner] = commitment(salt, str(part[inner]))
    return out


def hashed_payload(fields: dict[str, Any]) -> dict[str, Any]:
    """What ``row_hash`` commits to: the clear payload, personal values as commitments when salted."""
    return committed(fields_payload(fields), fields.get(SALTS))


def canonical(complaint_id: str, version: int, type_name: str, payload: dict[str, Any]) -> bytes:
    """Sorted-key compact UTF-8 JSON of one event."""
    doc = {"complaint_id": complaint_id, "version": version, "type": type_name, "payload": payload}
    return json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def chain_hash(complaint_id: str, version: int, type_name: str, payload: dict[str, Any]) -> str:
    """SHA-256 of the canonical event (its ``row_hash``); the payload's ``prev_hash`` links the chain."""
    return hashlib.sha256(canonical(complaint_id, version, type_name, payload)).hexdigest()


def event_hash(event: Any) -> str:
    """The hash recomputed from a domain event's content (equals its ``row_hash`` when untouched)."""
    return chain_hash(
        str(event.originator_id), event.originator_version, type(event).__name__, hashed_payload(vars(event))
    )
