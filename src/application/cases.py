"""指导案例 commands: draft from resolved complaints (personal information stripped first), revise, publish."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from application.errors import ComplaintNotFound, ConcurrentChange, VersionMismatch
from application.redaction import Redactor
from application.store import Store, store_errors
from domain import errors
from domain.cases import CaseText, GuidanceCase
from domain.complaint import EVENT_LABELS, Complaint

MAX_SOURCES = 20


class CaseNotFound(ComplaintNotFound):
    """No guidance case has this id."""

    code = "case_not_found"
    detail = "未找到该指导案例"


class SourceNotResolved(errors.NotAllowedInState):
    """A case is drawn only from complaints already resolved."""

    code = "case_source_not_resolved"
    detail = "指导案例只能取材于已办结的诉求"


@dataclass(frozen=True)
class CaseDraft:
    """What staff give; empty fields are filled from the source complaints."""

    title: str
    details: str = ""
    handling: str = ""
    steps: Sequence[str] = ()
    conclusion: str = ""
    legal_basis: str = ""


class CasesService:
    """Guidance cases on the complaints' event store."""

    def __init__(self, store: Store) -> None:
        self.app = store

    def get(self, case_id: UUID) -> GuidanceCase:
        """The case now."""
        with store_errors():
            try:
                case: object = self.app.repository.get(case_id)
            except AggregateNotFoundError:
                raise CaseNotFound from None
        if not isinstance(case, GuidanceCase):
            raise CaseNotFound
        return case

    def _sources(self, ids: Sequence[UUID]) -> list[Complaint]:
        unique = list(dict.fromkeys(ids))
        if len(unique) > MAX_SOURCES:  # none at all: a case from outside yousu, whose source the domain requires
            raise errors.InvalidInput("complaint_ids", f"最多列出 {MAX_SOURCES} 件诉求")
        found = [self.app.get(cid) for cid in unique]  # 404 for an unknown one
        if any(c.resolved_at is None for c in found):
            raise SourceNotResolved
        return found

    @staticmethod
    def _redactor(sources: Sequence[Complaint]) -> Redactor:
        names = [c.complainant.name for c in sources]
        enterprises = [c.complainant.enterprise_name or "" for c in sources]
        return Redactor(names, enterprises)

    def _steps(self, sources: Sequence[Complaint]) -> list[str]:
        """The sources' handling steps by day — without their slip numbers (a published case must not lead back
        to a complaint); with several sources each step says which one (第 N 件)."""
        steps = []
        for n, c in enumerate(sources, 1):
            which = f"（第 {n} 件）" if len(sources) > 1 else ""
            for e in self.app.repository.event_store.get(c.id):
                if isinstance(e, Complaint.Event) and type(e).__name__ in EVENT_LABELS:
                    day = e.occurred_at.astimezone(self.app.calendar.zone).date().isoformat()
                    steps.append(f"{day} {EVENT_LABELS[type(e).__name__]}{which}")
        return steps

    def _text(self, given: CaseDraft, sources: Sequence[Complaint]) -> tuple[CaseText, list[dict[str, object]]]:
        redact = self._redactor(sources)
        text = CaseText(
            title=redact(given.title),
            details=redact(given.details or "\n".join(c.content for c in sources)),
            handling=redact(given.handling or "\n".join(c.result or "" for c in sources)),
            steps=tuple(redact.many(list(given.steps) or self._steps(sources))),
            conclusion=redact(given.conclusion),
            legal_basis=redact(given.legal_basis or "\n".join(c.legal_basis or "" for c in sources).strip()),
        )
        return text, [r.as_dict() for r in redact.replacements()]

    def _save(self, case: GuidanceCase) -> GuidanceCase:
        try:
            with store_errors():
                self.app.save(case)
        except IntegrityError:
            raise ConcurrentChange from None
        return case

    def draft(
        self,
        complaint_ids: Sequence[UUID],
        given: CaseDraft,
        *,
        actor_id: str,
        actor_role: str,
        source_note: str = "",
    ) -> GuidanceCase:
        """起草 from resolved complaints, or (no complaint ids) from a matter outside yousu named by ``source_note``."""
        with store_errors():
            sources = self._sources(complaint_ids)
            text, replaced = self._text(given, sources)
        case = GuidanceCase.draft(
            source_ids=[c.id for c in sources],
            source_slips=[c.slip_no for c in sources],
            source_note=source_note,
            text=text,
            replacements=replaced,
            actor_id=actor_id,
            actor_role=actor_role,
            now=self.app.clock.now(),
            case_id=uuid4(),
        )
        return self._save(case)

    def revise(
        self, case_id: UUID, given: CaseDraft, *, actor_id: str, actor_role: str, expected: int | None = None
    ) -> GuidanceCase:
        """修订 (redacted again with the sources' names)."""
        case = self._load(case_id, expected)
        with store_errors():
            text, replaced = self._text(given, [self.app.get(cid) for cid in case.source_ids])
        case.revise(
            text=text, replacements=replaced, actor_id=actor_id, actor_role=actor_role, now=self.app.clock.now()
        )
        return self._save(case)

    def publish(self, case_id: UUID, *, actor_id: str, actor_role: str, expected: int | None = None) -> GuidanceCase:
        """发布."""
        case = self._load(case_id, expected)
        case.publish(actor_id=actor_id, actor_role=actor_role, now=self.app.clock.now())
        return self._save(case)

    def _load(self, case_id: UUID, expected: int | None) -> GuidanceCase:
        case = self.get(case_id)
        if expected is not None and expected != case.version:
            raise VersionMismatch(expected, case.version)
        return case
