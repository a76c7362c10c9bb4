"""The GuidanceCase aggregate (指导案例): drafted from resolved complaints with personal information already
stripped (the draft records what was replaced), revised, and published by the duty leader."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain import errors

MAX_FIELD = 20_000
MAX_STEPS = 50


class CaseAlreadyPublished(errors.NotAllowedInState):
    """A published case is not changed (a correction is a new case)."""

    code = "case_already_published"
    detail = "案例已发布，不能再修改"


@dataclass(frozen=True)
class CaseText:
    """A case's text: 标题, 问题详情, 处理办法, 步骤, 结论意见, 法律依据."""

    title: str
    details: str
    handling: str
    steps: tuple[str, ...]
    conclusion: str
    legal_basis: str


def _text(field: str, value: str, *, required: bool = True) -> str:
    value = value.strip()
    if required and not value:
        raise errors.InvalidInput(field, f"{field} 不能为空")
    if len(value) > MAX_FIELD:
        raise errors.InvalidInput(field, f"{field} 过长（最多 {MAX_FIELD} 字）")
    return value


def _fields(text: CaseText) -> dict[str, Any]:
    steps = [s.strip() for s in text.steps if s.strip()]
    if len(steps) > MAX_STEPS:
        raise errors.InvalidInput("steps", f"steps 最多 {MAX_STEPS} 步")
    return {
        "title": _text("title", text.title),
        "details": _text("details", text.details),
        "handling": _text("handling", text.handling),
        "steps": [_text("steps", s) for s in steps],
        "conclusion": _text("conclusion", text.conclusion, required=False),
        "legal_basis": _text("legal_basis", text.legal_basis, required=False),
    }


class GuidanceCase(Aggregate):
    """One guidance case; its text is always the redacted one."""

    class Event(Aggregate.Event):
        """Who did it and when, in business time."""

        actor_id: str
        actor_role: str
        occurred_at: datetime

    class Drafted(Event, Aggregate.Created):
        """起草 from resolved complaints, or from a matter that did not come through yousu (``source_note`` names
        where it came from: 12345 热线以外的诉求响应机制, 政务服务 好差评 …)."""

        source_ids: list[UUID]
        source_slips: list[str]
        title: str
        details: str
        handling: str
        steps: list[str]
        conclusion: str
        legal_basis: str
        replacements: list[dict[str, Any]]
        source_note: str = ""  # events drafted before this field read as "" (the class default)

        def apply(self, aggregate: Any) -> None:
            c: GuidanceCase = aggregate
            c.source_ids = list(self.source_ids)
            c.source_slips = list(self.source_slips)
            c.source_note = self.source_note
            c.drafted_by = self.actor_id
            c.text = _case_text(self)
            c.replacements = list(self.replacements)
            c.updated_at = self.occurred_at

    class Revised(Event):
        """修订 (the text given is redacted again before it is recorded)."""

        title: str
        details: str
        handling: str
        steps: list[str]
        conclusion: str
        legal_basis: str
        replacements: list[dict[str, Any]]

        def apply(self, aggregate: Any) -> None:
            c: GuidanceCase = aggregate
            c.text = _case_text(self)
            c.replacements = list(self.replacements)
            c.updated_at = self.occurred_at

    class Published(Event):
        """发布 by the duty leader."""

        def apply(self, aggregate: Any) -> None:
            c: GuidanceCase = aggregate
            c.published_at = self.occurred_at
            c.updated_at = self.occurred_at

    def __init__(self) -> None:
        self.source_ids: list[UUID] = []
        self.source_slips: list[str] = []
        self.source_note = ""  # 案例来源 of a case drawn from a matter outside yousu
        self.drafted_by = ""
        self.text = CaseText("", "", "", (), "", "")
        self.replacements: list[dict[str, Any]] = []
        self.updated_at = datetime(1970, 1, 1, tzinfo=UTC)  # placeholder until Drafted applies
        self.published_at: datetime | None = None

    @classmethod
    def draft(
        cls,
        *,
        source_ids: Sequence[UUID],
        source_slips: Sequence[str],
        text: CaseText,
        replacements: Sequence[dict[str, Any]],
        actor_id: str,
        actor_role: str,
        now: datetime,
        case_id: UUID,
        source_note: str = "",
    ) -> GuidanceCase:
        """起草, as ``case_id`` (given by the application: the domain makes no ids).

        A case is drawn from resolved complaints, or — 案例指导 draws on 有诉即办诉求响应机制及其他政务服务诉求响应
        机制 — from a matter that did not come through yousu, whose source is then named."""
        if not source_ids and not source_note.strip():
            raise errors.InvalidInput("complaint_ids", "须列出至少一件已办结的诉求，或写明案例来源")
        if not source_ids and not (text.details.strip() and text.handling.strip()):
            raise errors.InvalidInput("details", "不经本系统的案例须填写问题详情和处理办法")
        case: GuidanceCase = cls._create(
            cls.Drafted,
            id=case_id,
            timestamp=now,
            actor_id=actor_id,
            actor_role=actor_role,
            occurred_at=now,
            source_ids=list(source_ids),
            source_slips=list(source_slips),
            source_note=source_note.strip(),
            replacements=list(replacements),
            **_fields(text),
        )
        return case

    def revise(
        self, *, text: CaseText, replacements: Sequence[dict[str, Any]], actor_id: str, actor_role: str, now: datetime
    ) -> None:
        """修订 the draft."""
        if self.published_at is not None:
            raise CaseAlreadyPublished
        self.trigger_event(
            self.Revised,
            timestamp=now,
            actor_id=actor_id,
            actor_role=actor_role,
            occurred_at=now,
            replacements=list(replacements),
            **_fields(text),
        )

    def publish(self, *, actor_id: str, actor_role: str, now: datetime) -> None:
        """发布."""
        if self.published_at is not None:
            raise CaseAlreadyPublished
        self.trigger_event(self.Published, timestamp=now, actor_id=actor_id, actor_role=actor_role, occurred_at=now)

    @property
    def published(self) -> bool:
        """Whether the duty leader published it."""
        return self.published_at is not None


def _case_text(e: Any) -> CaseText:
    return CaseText(e.title, e.details, e.handling, tuple(e.steps), e.conclusion, e.legal_basis)
