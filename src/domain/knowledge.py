"""The KnowledgeEntry aggregate (知识库条目): drafted by staff, reviewed and published by the duty leader,
revised (every version kept), retired. A revision of a published entry is a new draft; the published
text stays the answer until the leader publishes the revision."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain import errors

MAX_FIELD = 10_000
MAX_TAGS = 20


class KnowledgeStatus(Enum):
    """Where an entry stands."""

    draft = "draft"
    published = "published"
    retired = "retired"


KNOWLEDGE_STATUS_LABELS = {
    KnowledgeStatus.draft: "草稿",
    KnowledgeStatus.published: "已发布",
    KnowledgeStatus.retired: "已停用",
}


class NotPublishable(errors.NotAllowedInState):
    """Nothing new to publish (no draft since the last publication) or the entry is retired."""

    code = "knowledge_nothing_to_publish"
    detail = "没有待发布的草稿（或条目已停用）"


class KnowledgeRetired(errors.NotAllowedInState):
    """A retired entry is not changed any more."""

    code = "knowledge_retired"
    detail = "条目已停用，不能再修改"


class KnowledgeNotPublished(errors.NotAllowedInState):
    """Only a published entry can be used in an answer."""

    code = "knowledge_not_published"
    detail = "条目尚未发布，不能用于答复"


@dataclass(frozen=True)
class Content:
    """One version's text: the question, the agreed answer (答复口径), its policy basis, where it applies."""

    question: str
    answer: str
    policy_basis: str
    departments: tuple[str, ...]
    tags: tuple[str, ...]
    sources: tuple[str, ...]  # slip numbers or documents the entry was drawn from


def _text(field: str, value: str, *, required: bool = True) -> str:
    value = value.strip()
    if required and not value:
        raise errors.InvalidInput(field, f"{field} 不能为空")
    if len(value) > MAX_FIELD:
        raise errors.InvalidInput(field, f"{field} 过长（最多 {MAX_FIELD} 字）")
    return value


def _codes(field: str, values: Sequence[str]) -> list[str]:
    out = sorted({v.strip() for v in values if v.strip()})
    if len(out) > MAX_TAGS or any(len(v) > 64 for v in out):
        raise errors.InvalidInput(field, f"{field} 最多 {MAX_TAGS} 项，每项不超过 64 字")
    return out


def _aware(now: datetime) -> None:
    if now.tzinfo is None:
        raise errors.InvalidInput("now", "now 必须带时区偏移")


class KnowledgeEntry(Aggregate):
    """A knowledge entry and all of its versions (``versions[n-1]`` is revision n)."""

    class Event(Aggregate.Event):
        """Who did it (user id and role) and when, in business time."""

        actor_id: str
        actor_role: str
        occurred_at: datetime

    class Drafted(Event, Aggregate.Created):
        """起草: the first version."""

        question: str
        answer: str
        policy_basis: str
        departments: list[str]
        tags: list[str]
        sources: list[str]

        def apply(self, aggregate: Any) -> None:
            e: KnowledgeEntry = aggregate
            e.versions = [_content(self)]
            e.published_revision = None
            e.retired = False
            e.drafted_by = self.actor_id
            e.updated_at = self.occurred_at
            e.published_at = None
            e.uses = 0

    class Revised(Event):
        """修订: a new version (the entry's earlier versions stay readable)."""

        question: str
        answer: str
        policy_basis: str
        departments: list[str]
        tags: list[str]
        sources: list[str]

        def apply(self, aggregate: Any) -> None:
            e: KnowledgeEntry = aggregate
            e.versions = [*e.versions, _content(self)]
            e.updated_at = self.occurred_at

    class Published(Event):
        """审核发布 by the duty leader: ``revision`` becomes the answer staff see."""

        revision: int

        def apply(self, aggregate: Any) -> None:
            e: KnowledgeEntry = aggregate
            e.published_revision = self.revision
            e.published_at = self.occurred_at
            e.updated_at = self.occurred_at

    class Retired(Event):
        """停用: no longer offered; kept for the record."""

        reason: str

        def apply(self, aggregate: Any) -> None:
            e: KnowledgeEntry = aggregate
            e.retired = True
            e.updated_at = self.occurred_at

    class Used(Event):
        """采用: a member of staff answered a complaint with the published text."""

        complaint_id: UUID
        revision: int

        def apply(self, aggregate: Any) -> None:
            e: KnowledgeEntry = aggregate
            e.uses += 1

    def __init__(self) -> None:
        self.versions: list[Content] = []
        self.published_revision: int | None = None
        self.retired = False
        self.drafted_by = ""
        self.updated_at = datetime(1970, 1, 1, tzinfo=UTC)  # placeholder until Drafted applies
        self.published_at: datetime | None = None
        self.uses = 0

    @classmethod
    def draft(  # noqa: PLR0913 — the entry's six fields, who, when and its id
        cls,
        *,
        question: str,
        answer: str,
        policy_basis: str,
        departments: Sequence[str],
        tags: Sequence[str],
        sources: Sequence[str],
        actor_id: str,
        actor_role: str,
        now: datetime,
        entry_id: UUID,
    ) -> KnowledgeEntry:
        """起草 a new entry, as ``entry_id`` (given by the application: the domain makes no ids)."""
        _aware(now)
        entry: KnowledgeEntry = cls._create(
            cls.Drafted,
            id=entry_id,
            timestamp=now,
            actor_id=actor_id,
            actor_role=actor_role,
            occurred_at=now,
            **_fields(question, answer, policy_basis, departments, tags, sources),
        )
        return entry

    def revise(
        self,
        *,
        question: str,
        answer: str,
        policy_basis: str,
        departments: Sequence[str],
        tags: Sequence[str],
        sources: Sequence[str],
        actor_id: str,
        actor_role: str,
        now: datetime,
    ) -> None:
        """修订: record a new version (a draft until published)."""
        _aware(now)
        if self.retired:
            raise KnowledgeRetired
        fields = _fields(question, answer, policy_basis, departments, tags, sources)
        self.trigger_event(
            self.Revised, timestamp=now, actor_id=actor_id, actor_role=actor_role, occurred_at=now, **fields
        )

    def publish(self, *, actor_id: str, actor_role: str, now: datetime) -> None:
        """审核发布 the newest version."""
        _aware(now)
        if self.retired or self.published_revision == len(self.versions):
            raise NotPublishable
        self.trigger_event(
            self.Published,
            timestamp=now,
            actor_id=actor_id,
            actor_role=actor_role,
            occurred_at=now,
            revision=len(self.versions),
        )

    def retire(self, *, reason: str, actor_id: str, actor_role: str, now: datetime) -> None:
        """停用 the entry."""
        _aware(now)
        if self.retired:
            raise KnowledgeRetired
        self.trigger_event(
            self.Retired,
            timestamp=now,
            actor_id=actor_id,
            actor_role=actor_role,
            occurred_at=now,
            reason=_text("reason", reason),
        )

    def use(self, *, complaint_id: UUID, actor_id: str, actor_role: str, now: datetime) -> None:
        """采用: record that the published answer was given for ``complaint_id``."""
        _aware(now)
        if self.retired or self.published_revision is None:
            raise KnowledgeNotPublished
        self.trigger_event(
            self.Used,
            timestamp=now,
            actor_id=actor_id,
            actor_role=actor_role,
            occurred_at=now,
            complaint_id=complaint_id,
            revision=self.published_revision,
        )

    @property
    def status(self) -> KnowledgeStatus:
        """Retired, published (some revision is), or draft."""
        if self.retired:
            return KnowledgeStatus.retired
        return KnowledgeStatus.draft if self.published_revision is None else KnowledgeStatus.published

    @property
    def pending_revision(self) -> int | None:
        """The newest revision when it is not the published one (awaiting the leader)."""
        latest = len(self.versions)
        return None if self.published_revision == latest else latest


def _fields(
    question: str,
    answer: str,
    policy_basis: str,
    departments: Sequence[str],
    tags: Sequence[str],
    sources: Sequence[str],
) -> dict[str, Any]:
    return {
        "question": _text("question", question),
        "answer": _text("answer", answer),
        "policy_basis": _text("policy_basis", policy_basis, required=False),
        "departments": _codes("departments", departments),
        "tags": _codes("tags", tags),
        "sources": _codes("sources", sources),
    }


def _content(e: Any) -> Content:
    return Content(e.question, e.answer, e.policy_basis, tuple(e.departments), tuple(e.tags), tuple(e.sources))
