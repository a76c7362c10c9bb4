"""知识库: draft, revise, publish, retire, search, suggest, and record an answer given from an entry."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from pydantic import Field

from api.auth import Principal
from api.deps import Caller, Code, Complaints, ContainerDep, ExpectedVersion, Guard, require, run_query
from api.permissions import Action
from api.problems import ApiProblem
from api.schemas import Line, Strict, Text
from api.schemas_answers import KnowledgeEntryOut, KnowledgeHits, KnowledgeUsage
from api.scope import check_visible
from api.text_presenters import free_text_masker, may_edit_knowledge
from api.write_through import SearchTable, Writer
from application.knowledge import EntryFields, KnowledgeService
from domain.knowledge import KNOWLEDGE_STATUS_LABELS, KnowledgeEntry
from domain.values import Role
from projections import knowledge as knowledge_view
from projections.db import ViewDB

router = APIRouter(prefix="/v1/knowledge", tags=["knowledge"])

Reader = Annotated[Role, Depends(require(Action.read_knowledge))]
Drafter = Annotated[Role, Depends(require(Action.draft_knowledge))]
Publisher = Annotated[Role, Depends(require(Action.publish_knowledge))]
User = Annotated[Role, Depends(require(Action.use_knowledge))]
InsightReader = Annotated[Role, Depends(require(Action.read_insights))]

Short = Annotated[Line, Field(max_length=64)]


class EntryIn(Strict):
    """One version of an entry: 问题, 答复口径, 政策依据, departments, tags, sources."""

    question: Annotated[Text, Field(min_length=1, max_length=2_000)]
    answer: Annotated[Text, Field(min_length=1)]
    policy_basis: Annotated[Text, Field(max_length=10_000)] = ""
    departments: Annotated[list[Short], Field(max_length=20, default_factory=list)]
    tags: Annotated[list[Short], Field(max_length=20, default_factory=list)]
    sources: Annotated[list[Short], Field(max_length=20, default_factory=list)]


class RetireIn(Strict):
    """Why the entry is retired."""

    reason: Annotated[Text, Field(min_length=1, max_length=2_000)]


class UsedIn(Strict):
    """The complaint answered with the entry's published text."""

    complaint_id: UUID


KnowledgeDB = Annotated[ViewDB, Depends(SearchTable(knowledge_view.create))]


def service(container: ContainerDep) -> KnowledgeService:
    """Knowledge commands on the complaints' store."""
    return KnowledgeService(container.complaints)


Service = Annotated[KnowledgeService, Depends(service)]


def _fields(body: EntryIn) -> EntryFields:
    return EntryFields(body.question, body.answer, body.policy_basis, body.departments, body.tags, body.sources)


def entry_out(entry: KnowledgeEntry, who: Principal, *, revision: int | None = None) -> dict[str, Any]:
    """An entry at ``revision`` (default: the published one; for editors the newest)."""
    editor = may_edit_knowledge(who)
    if revision is None:
        revision = len(entry.versions) if editor else entry.published_revision
    if revision is None or not 1 <= revision <= len(entry.versions):
        raise ApiProblem(404, "knowledge_not_found", "该条目没有这一版本（或尚未发布）", field="version")
    if not editor and revision != entry.published_revision:
        raise ApiProblem(404, "knowledge_not_found", "该版本未发布", field="version")
    shown = entry.versions[revision - 1]
    mask = free_text_masker(who)
    return {
        "id": str(entry.id),
        "version": entry.version,
        "status": entry.status.value,
        "status_label": KNOWLEDGE_STATUS_LABELS[entry.status],
        "revision": revision,
        "revisions": len(entry.versions),
        "published_revision": entry.published_revision,
        "pending_revision": entry.pending_revision,
        "question": mask(shown.question),
        "answer": mask(shown.answer),
        "policy_basis": mask(shown.policy_basis),
        "departments": list(shown.departments),
        "tags": list(shown.tags),
        "sources": list(shown.sources),
        "uses": entry.uses,
        "updated_at": entry.updated_at.isoformat(),
    }


def _newest(entry: KnowledgeEntry, who: Principal) -> dict[str, Any]:
    return entry_out(entry, who, revision=len(entry.versions))


def commands(
    knowledge: Service, db: KnowledgeDB, guard: Guard, who: Caller
) -> Writer[KnowledgeService, KnowledgeEntry]:
    """Entry commands, each written through to the search table and answered with the newest revision."""
    return Writer(knowledge, db, guard, who, knowledge_view.index_entry, _newest)


Commands = Annotated[Writer[KnowledgeService, KnowledgeEntry], Depends(commands)]


@router.post("", status_code=201, response_model=KnowledgeEntryOut)
def draft(body: EntryIn, role: Drafter, run: Commands) -> Any:
    """起草 a knowledge entry (a draft until the duty leader publishes it)."""
    return run(role, lambda kb, by: kb.draft(_fields(body), **by))


@router.get("", response_model=KnowledgeHits)
def search(
    *,
    _role: Reader,
    who: Caller,
    db: KnowledgeDB,
    guard: Guard,
    q: Annotated[Line, Query(min_length=1, max_length=200, description="检索词")],
    department: Code = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> dict[str, Any]:
    """Published entries ranked by BM25 over jieba words of the question, answer and tags."""
    found = run_query(guard, lambda: knowledge_view.search(db, q, limit=limit, department=department))
    return {"items": _listed(found, who)}


@router.get("/suggest", response_model=KnowledgeHits)
def suggest(
    *,
    _role: Reader,
    who: Caller,
    db: KnowledgeDB,
    guard: Guard,
    text: Annotated[str, Query(min_length=1, max_length=2_000, description="群众刚才说的话")],
    limit: Annotated[int, Query(ge=1, le=10)] = 3,
) -> dict[str, Any]:
    """The best published entries for what the person just said, by words and by meaning (an empty list when
    nothing matches)."""
    if any(ord(ch) < 32 and ch not in "\t\n\r" for ch in text):
        raise ApiProblem(422, "invalid_input", "text 不能包含控制字符", field="text")
    # nothing searchable said (emoji, punctuation): no suggestion, not an error
    found = guard.call(lambda: knowledge_view.suggest(db, text, limit=limit))
    return {"items": _listed(found, who)}


@router.get("/usage", response_model=KnowledgeUsage)
def usage(_role: InsightReader, db: KnowledgeDB, guard: Guard) -> dict[str, Any]:
    """知识库答复次数: answers recorded with POST /v1/knowledge/{id}/used."""
    return run_query(guard, lambda: knowledge_view.usage(db))


def _listed(found: list[dict[str, Any]], who: Principal) -> list[dict[str, Any]]:
    mask = free_text_masker(who)
    out = []
    for item in found:
        shown = {**item, "question": mask(item["question"]), "answer": mask(item["answer"])}
        shown["policy_basis"] = mask(item["policy_basis"])
        shown["updated_at"] = item["updated_at"].isoformat() if item["updated_at"] else None
        out.append(shown)
    return out


@router.get("/{entry_id}", response_model=KnowledgeEntryOut)
def read(
    entry_id: UUID,
    *,
    _role: Reader,
    who: Caller,
    knowledge: Service,
    guard: Guard,
    version: Annotated[int | None, Query(ge=1, le=100_000, description="修订版本号（1 起）")] = None,
) -> dict[str, Any]:
    """The entry's published text, or revision ``version`` (drafts only for those who draft or publish)."""
    entry = guard.call(lambda: knowledge.get(entry_id))
    return entry_out(entry, who, revision=version)


@router.post("/{entry_id}/revise", response_model=KnowledgeEntryOut)
def revise(entry_id: UUID, body: EntryIn, role: Drafter, run: Commands, expected: ExpectedVersion) -> Any:
    """修订: a new version, a draft until published; the published text stays until then."""
    return run(role, lambda kb, by: kb.revise(entry_id, _fields(body), **by, expected=expected))


@router.post("/{entry_id}/publish", response_model=KnowledgeEntryOut)
def publish(entry_id: UUID, role: Publisher, run: Commands, expected: ExpectedVersion) -> Any:
    """审核发布 the newest version (duty leader)."""
    return run(role, lambda kb, by: kb.publish(entry_id, **by, expected=expected))


@router.post("/{entry_id}/retire", response_model=KnowledgeEntryOut)
def retire(entry_id: UUID, body: RetireIn, role: Publisher, run: Commands, expected: ExpectedVersion) -> Any:
    """停用 (duty leader): no longer offered in search; kept with every version."""
    return run(role, lambda kb, by: kb.retire(entry_id, reason=body.reason, **by, expected=expected))


@router.post("/{entry_id}/used", response_model=KnowledgeEntryOut)
def used(
    entry_id: UUID, body: UsedIn, role: User, who: Caller, complaints: Complaints, guard: Guard, run: Commands
) -> Any:
    """采用: the published answer was given for ``complaint_id`` (counts toward 知识库答复次数); a complaint
    outside the caller's scope is answered as an unknown one."""
    guard.call(lambda: check_visible(complaints, who, [body.complaint_id]))
    return run(role, lambda kb, by: kb.use(entry_id, complaint_id=body.complaint_id, **by))
