"""How free text and knowledge entries are shown to a caller: the role checks the routes must not make by hand."""

from __future__ import annotations

from collections.abc import Callable

from api.auth import Principal
from api.permissions import Action, allowed
from projections.masking import mask_free_text


def _same(text: str) -> str:
    return text


def free_text_masker(principal: Principal) -> Callable[[str], str]:
    """Identity for roles with personal-information access; otherwise phones, ID numbers and e-mails masked."""
    return _same if allowed(Action.read_personal_info, principal.roles) else mask_free_text


def may_edit_knowledge(principal: Principal) -> bool:
    """Whether the caller drafts or publishes knowledge entries (and so may read unpublished revisions)."""
    return any(allowed(a, principal.roles) for a in (Action.draft_knowledge, Action.publish_knowledge))


def may_see_case_sources(principal: Principal) -> bool:
    """Whether the caller may see which complaints a guidance case was drawn from (liaisons only)."""
    return allowed(Action.read_case_sources, principal.roles) is not None


def may_read_case_drafts(principal: Principal) -> bool:
    """Whether the caller drafts or publishes guidance cases (and so may read unpublished ones)."""
    return any(allowed(a, principal.roles) for a in (Action.draft_case, Action.publish_case))
