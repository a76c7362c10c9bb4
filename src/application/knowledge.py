"""知识库 commands: load → act → save, on the complaints' own event store (same cipher, same backups).

Knowledge entries are aggregates of their own topic beside the complaints (like the slip book): the
complaint projections and the audit chain select complaint events by topic and never see them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from application.errors import ComplaintNotFound, ConcurrentChange, VersionMismatch
from application.store import Store, store_errors
from domain.knowledge import KnowledgeEntry


class KnowledgeNotFound(ComplaintNotFound):
    """No knowledge entry has this id (or this revision)."""

    code = "knowledge_not_found"
    detail = "未找到该知识条目"


@dataclass(frozen=True)
class EntryFields:
    """What staff type into an entry."""

    question: str
    answer: str
    policy_basis: str
    departments: Sequence[str]
    tags: Sequence[str]
    sources: Sequence[str]


class KnowledgeService:
    """Drafting, revising, publishing, retiring and using knowledge entries."""

    def __init__(self, store: Store) -> None:
        self.app = store

    def get(self, entry_id: UUID, *, version: int | None = None) -> KnowledgeEntry:
        """The entry now, or at aggregate ``version``."""
        with store_errors():
            try:
                entry: object = self.app.repository.get(entry_id, version=version)
            except AggregateNotFoundError:
                raise KnowledgeNotFound from None
        if not isinstance(entry, KnowledgeEntry):
            raise KnowledgeNotFound
        return entry

    def _save(self, entry: KnowledgeEntry) -> KnowledgeEntry:
        try:
            with store_errors():
                self.app.save(entry)
        except IntegrityError:
            raise ConcurrentChange from None
        return entry

    def draft(self, fields: EntryFields, *, actor_id: str, actor_role: str) -> KnowledgeEntry:
        """起草."""
        entry = KnowledgeEntry.draft(
            **_kw(fields), actor_id=actor_id, actor_role=actor_role, now=self.app.clock.now(), entry_id=uuid4()
        )
        return self._save(entry)

    def revise(
        self, entry_id: UUID, fields: EntryFields, *, actor_id: str, actor_role: str, expected: int | None = None
    ) -> KnowledgeEntry:
        """修订."""
        entry = self._load(entry_id, expected)
        entry.revise(**_kw(fields), actor_id=actor_id, actor_role=actor_role, now=self.app.clock.now())
        return self._save(entry)

    def publish(self, entry_id: UUID, *, actor_id: str, actor_role: str, expected: int | None = None) -> KnowledgeEntry:
        """审核发布."""
        entry = self._load(entry_id, expected)
        entry.publish(actor_id=actor_id, actor_role=actor_role, now=self.app.clock.now())
        return self._save(entry)

    def retire(
        self, entry_id: UUID, *, reason: str, actor_id: str, actor_role: str, expected: int | None = None
    ) -> KnowledgeEntry:
        """停用."""
        entry = self._load(entry_id, expected)
        entry.retire(reason=reason, actor_id=actor_id, actor_role=actor_role, now=self.app.clock.now())
        return self._save(entry)

    def use(self, entry_id: UUID, *, complaint_id: UUID, actor_id: str, actor_role: str) -> KnowledgeEntry:
        """采用: the complaint must exist; the entry must be published."""
        self.app.get(complaint_id)  # 404 for an unknown complaint
        entry = self._load(entry_id, None)
        entry.use(complaint_id=complaint_id, actor_id=actor_id, actor_role=actor_role, now=self.app.clock.now())
        return self._save(entry)

    def _load(self, entry_id: UUID, expected: int | None) -> KnowledgeEntry:
        entry = self.get(entry_id)
        if expected is not None and expected != entry.version:
            raise VersionMismatch(expected, entry.version)
        return entry


def _kw(fields: EntryFields) -> dict[str, Any]:
    return {
        "question": fields.question,
        "answer": fields.answer,
        "policy_basis": fields.policy_basis,
        "departments": list(fields.departments),
        "tags": list(fields.tags),
        "sources": list(fields.sources),
    }


def aggregate_ids(app: Store, topics: Sequence[str], page: int = 1_000) -> list[UUID]:
    """Ids of the aggregates whose creation events have one of ``topics`` (a scan of the notification log)."""
    ids: list[UUID] = []
    start = 1
    with store_errors():
        while True:
            found = app.recorder.select_notifications(start, page, topics=topics)
            ids.extend(UUID(str(n.originator_id)) for n in found)
            if len(found) < page:
                return ids
            start = found[-1].id + 1
