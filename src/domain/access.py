"""Audited reads: every read of a history or of personal information is itself recorded."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.values import Actor


class AccessRecord(Aggregate):
    """One read, recorded once and never changed (one small aggregate per read: no contention)."""

    class Recorded(Aggregate.Created):
        """Who read which complaint, when, through which endpoint."""

        reader: Actor
        complaint_id: UUID
        endpoint: str
        personal_info: bool
        read_at: datetime

    def __init__(
        self, reader: Actor, complaint_id: UUID, endpoint: str, personal_info: bool, read_at: datetime
    ) -> None:
        self.reader = reader
        self.complaint_id = complaint_id
        self.endpoint = endpoint
        self.personal_info = personal_info
        self.read_at = read_at

    @classmethod
    def record(
        cls, *, record_id: UUID, reader: Actor, complaint_id: UUID, endpoint: str, personal_info: bool, now: datetime
    ) -> Any:
        """Record one read, as ``record_id`` (given by the application: the domain makes no ids)."""
        return cls._create(
            cls.Recorded,
            id=record_id,
            reader=reader,
            complaint_id=complaint_id,
            endpoint=endpoint,
            personal_info=personal_info,
            read_at=now,
            timestamp=now,
        )


class AnchorLog(Aggregate):
    """The chain of anchors: each commits to the heads of every complaint and to the anchor before."""

    class Started(Aggregate.Created):
        """The log's first event."""

    class Anchored(Aggregate.Event):
        """The heads changed since the previous anchor, and the digest of all heads."""

        number: int
        anchored_at: datetime
        position: int  # the newest notification id covered
        changed: dict[str, list[Any]]  # complaint id → [version, chain hash]
        complaints: int
        digest: str
        prev_digest: str

        def apply(self, aggregate: Any) -> None:
            aggregate.anchors += 1
            aggregate.last_digest = self.digest
            aggregate.last_position = self.position

    def __init__(self) -> None:
        self.anchors = 0
        self.last_digest = ""
        self.last_position = 0

    @classmethod
    def start(cls, log_id: UUID, *, now: datetime) -> AnchorLog:
        """Open the anchor log."""
        return cls._create(cls.Started, id=log_id, timestamp=now)

    def anchor(
        self,
        *,
        now: datetime,
        position: int,
        changed: dict[str, list[Any]],
        complaints: int,
        digest: str,
    ) -> None:
        """Append an anchor."""
        self.trigger_event(
            self.Anchored,
            timestamp=now,
            number=self.anchors + 1,
            anchored_at=now,
            position=position,
            changed=changed,
            complaints=complaints,
            digest=digest,
            prev_digest=self.last_digest,
        )
