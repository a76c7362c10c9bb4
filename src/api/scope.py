"""Which complaints a caller may see at all (by centre, or by department): outside it a complaint is 404.

The permission matrix says *what* a role may do; the scope says *to which complaints*. Staff of a
centre see their centre's complaints only, department handlers only the complaints dispatched to their
department, district roles every centre. Outside the scope a complaint does not exist for the caller
(404, never 403: a 403 would confirm that the id or slip number is real).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from uuid import UUID

from fastapi import Depends

from api.auth import Principal
from api.deps import Caller, Complaints, Guard
from application.complaints import ComplaintsApp
from application.errors import ComplaintNotFound
from domain.centres import DEFAULT_CENTRE
from domain.complaint import Complaint
from domain.roster import SigningMode
from domain.values import Role

# Roles that work for the whole district: they see every centre whatever their token says.
DISTRICT_ROLES = frozenset({Role.liaison, Role.analyst, Role.admin, Role.hotline})


@dataclass(frozen=True)
class Scope:
    """``centre``: only that centre's complaints (None: every centre); ``department``: only those dispatched to it."""

    centre: str | None = None
    department: str | None = None

    @property
    def district(self) -> bool:
        """Sees every complaint of every centre."""
        return self.centre is None and self.department is None

    def sees(self, complaint: Complaint) -> bool:
        """Whether ``complaint`` is within the scope."""
        if self.department is not None:
            return self.department in complaint.departments
        return self.centre is None or complaint.centre == self.centre


def scope_of(who: Principal) -> Scope:
    """The caller's scope from roles and token ``centre``.

    District roles (liaison, analyst, admin, hotline), a duty leader of the district hall (token centre
    ``district`` or none) and a supervisor without a centre see every centre; a department handler sees
    the complaints dispatched to their department; everyone else (window clerk, duty officer, a street
    centre's duty leader or supervisor) sees their token's centre, the district hall when it names none.
    """
    roles = who.roles
    if roles & DISTRICT_ROLES:
        return Scope()
    if Role.duty_leader in roles and who.centre in (None, DEFAULT_CENTRE):
        return Scope()
    if roles == {Role.supervisor} and who.centre is None:
        return Scope()
    if roles == {Role.department}:
        return Scope(department=who.department)
    return Scope(centre=who.centre or DEFAULT_CENTRE)


def centre_filter(who: Principal, requested: str | None) -> str | None:
    """The ``centre`` a view query uses: a centre-bound caller is always held to their own centre."""
    scope = scope_of(who)
    return scope.centre if scope.centre is not None else requested


def leading_today(complaints: ComplaintsApp, who: Principal) -> list[str] | None:
    """The centres whose complaints wait for this duty leader's signature today (None: every centre).

    By role alone (``roles_only``) every centre of their scope; with rosters, the centres of their scope
    where today's roster names them leader or leader's substitute.
    """
    own = centre_filter(who, None)
    scope = [own] if own is not None else sorted(complaints.centres)
    if complaints.signing_mode is SigningMode.roles_only:
        return None if own is None else scope
    today = complaints.calendar.local_day(complaints.clock.now())
    out = []
    for centre in scope:
        duty = complaints.duty_on(centre, today)
        if duty is not None and any(p.sub == who.sub for p in duty.may_sign_as(Role.duty_leader)):
            out.append(centre)
    return out


def load_visible(complaints: ComplaintsApp, who: Principal, complaint_id: UUID) -> Complaint:
    """The complaint if the caller's scope includes it; else 404 exactly as for an unknown id."""
    complaint = complaints.get(complaint_id)
    if not scope_of(who).sees(complaint):
        raise ComplaintNotFound
    return complaint


def visible(complaint_id: UUID, who: Caller, complaints: Complaints, guard: Guard) -> Complaint:
    """Dependency: the complaint named in the path, within the caller's scope (404 otherwise)."""
    return guard.call(lambda: load_visible(complaints, who, complaint_id))


Visible = Annotated[Complaint, Depends(visible)]
