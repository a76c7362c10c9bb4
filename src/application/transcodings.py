"""Transcodings for every type the complaint events carry (the default JSON transcoder knows none)."""

from __future__ import annotations

import dataclasses
from datetime import date
from enum import Enum
from typing import Any

from eventsourcing.persistence import JSONTranscoder, Transcoding

from domain.roster import DutyDay, Person
from domain.rules import ClockKind
from domain.values import Actor, Channel, Classification, Complainant, ComplainantType, Role, Status


class EnumAsValue(Transcoding):
    """An Enum member stored as its value, restored as the member (not a bare str)."""

    def __init__(self, enum_type: type[Enum]) -> None:
        self.type = enum_type
        self.name = f"enum:{enum_type.__name__}"

    def encode(self, obj: Any) -> Any:
        return obj.value

    def decode(self, data: Any) -> Any:
        return self.type(data)


class DataclassAsDict(Transcoding):
    """A frozen dataclass stored as a dict of its fields."""

    def __init__(self, cls: type[Any]) -> None:
        self.type = cls
        self.name = f"dc:{cls.__name__}"

    def encode(self, obj: Any) -> Any:
        return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}

    def decode(self, data: Any) -> Any:
        return self.type(**data)


class DateAsISO(Transcoding):
    """A calendar date as YYYY-MM-DD."""

    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


ENUMS: tuple[type[Enum], ...] = (Channel, Classification, Role, ComplainantType, Status, ClockKind)
DATACLASSES: tuple[type[Any], ...] = (Actor, Complainant, Person, DutyDay)


def register_domain_transcodings(transcoder: JSONTranscoder) -> None:
    """Register transcodings for the domain's enums, value objects and dates."""
    transcoder.register(DateAsISO())
    for enum_type in ENUMS:
        transcoder.register(EnumAsValue(enum_type))
    for cls in DATACLASSES:
        transcoder.register(DataclassAsDict(cls))
