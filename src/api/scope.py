"""谁能看到什么: the one scope policy every route asks — which complaints, call-backs, cases, orders, topics,
forecasts, plans, deliveries and knowledge uses a caller may read and act on.

The permission matrix says *what* a role may do; the scope says *to which of them*. Staff of a centre see
their centre's, department handlers only what was dispatched (or issued) to their department, district
roles every centre. Outside the scope an object does not exist for the caller: 404 exactly as for an
unknown id (never 403, which would confirm that the id is real), absent from every list and count; an id
outside the scope named in a body is answered as an unknown id too.

Every route declares how the scope bounds it (``ROUTE_SCOPES``, shown as ``x-scope`` in the OpenAPI
schema); ``tests/integration/test_scope_every_route.py`` fails for a route that declares nothing.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from fastapi import FastAPI

from api.auth import Principal
from api.problems import ApiProblem
from application.accounts import Account
from application.complaints import ComplaintsApp
from application.errors import ComplaintNotFound
from application.store import Store
from domain.callbacks import CallbackTask, CallKind
from domain.cases import GuidanceCase
from domain.centres import DEFAULT_CENTRE
from domain.complaint import Complaint
from domain.orders import RectificationOrder
from domain.roster import SigningMode
from domain.values import Role
from projections import demand
from projections.callbacks import CALLBACKS
from projections.ledger import LEDGER
from projections.view import QueryError

# Roles that work for the whole district: they see every centre whatever their token says.
DISTRICT_ROLES = frozenset({Role.liaison, Role.analyst, Role.admin, Role.hotline})

Where = tuple[str, list[Any]]
"""A SQL condition with its bound values, for a projection query."""
EVERYTHING: Where = ("1 = 1", [])


@dataclass(frozen=True)
class Scope:
    """``centre``: only that centre's (None: every centre); ``department``: only what concerns it; ``sub``: who."""

    centre: str | None = None
    department: str | None = None
    sub: str | None = None

    @property
    def district(self) -> bool:
        """Sees every complaint of every centre."""
        return self.centre is None and self.department is None

    def sees(self, complaint: Complaint) -> bool:
        """Whether ``complaint`` is within the scope."""
        if self.department is not None:
            return self.department in complaint.departments
        return self.centre is None or complaint.centre == self.centre

    def sees_centre(self, centre: str) -> bool:
        """Whether what belongs to ``centre`` as a whole (a 主动回访, a forecast, a 潮汐 plan) is within the scope."""
        if self.department is not None:
            return False
        return self.centre is None or centre == self.centre


def scope_of(who: Principal) -> Scope:
    """The caller's scope from roles and token ``centre`` (a console session carries the account's centre).

    District roles (liaison, analyst, admin, hotline), a duty officer or duty leader of the district hall
    (token centre ``district`` or none) and a supervisor without a centre see every centre; a department
    handler sees the complaints dispatched to their department; everyone else (window clerk, call-back
    agent, a street centre's duty officer, duty leader or supervisor) sees their token's centre, the
    district hall when it names none.

    Why the district hall's duty officer sees every centre: street centres' complex complaints are signed by
    the district hall's roster of the day (the reference's ``signed_by``, by default every street centre), the
    officer first. Which centres the district signs for is configuration, so the narrowest rule that keeps the
    scope one centre or all of them (as every query takes it) is the one the district hall's duty leader,
    who signs second and dispatches, already has. Seeing is not signing: the signature is still checked
    against the signing centre's roster (``ComplaintsApp.sign``), so a complaint of a centre that signs for
    itself stays its own centre's to sign. A street centre's signers keep their own centre: they see what the
    district hall signs for them, but sign (and dispatch) only when their centre signs for itself.
    """
    roles = who.roles
    if roles & DISTRICT_ROLES:
        return Scope(sub=who.sub)
    if roles & {Role.duty_officer, Role.duty_leader} and who.centre in (None, DEFAULT_CENTRE):
        return Scope(sub=who.sub)
    if roles == {Role.supervisor} and who.centre is None:
        return Scope(sub=who.sub)
    if roles == {Role.department}:
        return Scope(department=who.department, sub=who.sub)
    return Scope(centre=who.centre or DEFAULT_CENTRE, sub=who.sub)


def visible_people(who: Principal, accounts: Iterable[Account], role: Role | None) -> list[Account]:
    """The enabled accounts of the caller's centre (every centre for a district scope) holding ``role``, by name.

    A department handler's scope holds no centre: they see their own department's handlers (whom its 负责人 may
    name as 承办人), of whatever centre, and nobody else."""
    scope = scope_of(who)
    return sorted(
        (
            a
            for a in accounts
            if not a.disabled
            and (role is None or role in a.roles)
            and Role.system not in a.roles
            and sees_account(scope, a)
        ),
        key=lambda a: (a.name, a.username),
    )


def sees_account(scope: Scope, account: Account) -> bool:
    """An account within the scope: a department's own handlers for a department, else those of the centres seen."""
    if scope.department is not None:
        return Role.department in account.roles and account.department == scope.department
    return scope.sees_centre(account.centre or DEFAULT_CENTRE)


def may_be_handler(account: Account | None, department: str) -> bool:
    """Whether ``account`` may be named 承办人 of ``department``: an enabled account of it holding the department
    role — exactly whom the department's 负责人 finds in ``GET /v1/people?role=department``."""
    return account is not None and not account.disabled and sees_account(Scope(department=department), account)


def scope_label(scope: Scope) -> str:
    """``district``, ``centre:<code>`` or ``department:<code>`` (what /v1/auth/me shows)."""
    if scope.department is not None:
        return f"department:{scope.department}"
    return "district" if scope.centre is None else f"centre:{scope.centre}"


def centre_filter(who: Principal, requested: str | None) -> str | None:
    """The ``centre`` a view query uses: a centre-bound caller is always held to their own centre."""
    scope = scope_of(who)
    return scope.centre if scope.centre is not None else requested


def held_to(who: Principal, centre: str, *, code: str, detail: str) -> str:
    """``centre`` if the caller's scope includes it; else 404 ``code`` (as for a centre with nothing there)."""
    if not scope_of(who).sees_centre(centre):
        raise ApiProblem(404, code, detail)
    return centre


def scoped_series(who: Principal, series: str) -> str:
    """The demand series a forecast reads for the caller: a centre's staff read their centre's volumes only
    (``all`` is their centre's, ``category:X`` their centre's of X); another centre's or a department's
    series is 404 for them, as a series with nothing."""
    scope = scope_of(who)
    if scope.district:
        return series
    try:
        parsed = demand.Series.parse(series)
    except QueryError:
        return series  # refused with its reason when read
    if scope.centre is not None and parsed.kind in ("all", "category"):
        return demand.Series("centre", scope.centre, parsed.code).label
    if scope.centre is not None and parsed.kind == "centre" and parsed.code == scope.centre:
        return series
    raise ApiProblem(404, "series_not_found", "未找到该诉求量序列", field="series")


def leading_today(complaints: ComplaintsApp, who: Principal) -> list[str] | None:
    """The centres whose complaints wait for this duty leader's signature today (None: every centre).

    By role alone (``roles_only``) every centre of their scope; with rosters, the centres of their scope
    whose signing centre's (``signed_by``) roster names them leader or leader's substitute today: the
    district hall's leader gets the street centres the district hall signs for.
    """
    own = centre_filter(who, None)
    scope = [own] if own is not None else sorted(complaints.centres)
    if complaints.signing_mode is SigningMode.roles_only:
        return None if own is None else scope
    today = complaints.calendar.local_day(complaints.clock.now())
    leads: dict[str, bool] = {}  # signing centre → whether today's roster names the caller its leader
    out = []
    for centre in scope:
        signer = complaints.signing_centre(centre).code
        if signer not in leads:
            duty = complaints.duty_on(signer, today)
            leads[signer] = duty is not None and any(p.sub == who.sub for p in duty.may_sign_as(Role.duty_leader))
        if leads[signer]:
            out.append(centre)
    return out


def signing_blocked(complaints: ComplaintsApp, who: Principal) -> tuple[str, date] | None:
    """The centre and day on which a signer (当天值班人员 or 带班领导) cannot sign for want of a roster, or None.

    Only with rosters, for the caller's centre (the district hall for a district caller) today, when that
    centre signs for itself: a street centre signed by the district hall (``signed_by``) has no roster of its
    own to miss, its signers sign nothing.
    """
    if complaints.signing_mode is SigningMode.roles_only or not who.roles & {Role.duty_officer, Role.duty_leader}:
        return None
    centre = centre_filter(who, None) or DEFAULT_CENTRE
    if complaints.signing_centre(centre).code != centre:
        return None
    today = complaints.calendar.local_day(complaints.clock.now())
    return None if complaints.duty_on(centre, today) is not None else (centre, today)


def _signing_for_themselves(complaints: ComplaintsApp) -> list[str]:
    """The centres that sign their own complex complaints (so keep a roster of their own), in code order."""
    return sorted(c for c in complaints.centres if complaints.signing_centre(c).code == c)


def roster_due(complaints: ComplaintsApp, who: Principal) -> tuple[list[str], date] | None:
    """The centres whose roster for the next working day (after today) is missing, and that day — for those who
    must act before it comes: the administrator (who imports rosters: every centre that signs for itself) and a
    signer (当天值班人员 or 带班领导: their own centre, when it signs for itself). None with nothing missing,
    without rosters, or for anyone else. A day without a roster is thus announced the day before, not found
    when a deadline is missed."""
    if complaints.signing_mode is SigningMode.roles_only:
        return None
    if Role.admin in who.roles:
        centres = _signing_for_themselves(complaints)
    elif who.roles & {Role.duty_officer, Role.duty_leader}:
        own = centre_filter(who, None) or DEFAULT_CENTRE
        centres = [own] if complaints.signing_centre(own).code == own else []
    else:
        return None
    day = complaints.calendar.local_day(complaints.clock.now())
    for _ in range(31):  # the next working day (a long holiday is at most a few weeks)
        day += timedelta(days=1)
        if complaints.calendar.is_working_day(day):
            break
    missing = [c for c in centres if complaints.duty_on(c, day) is None]
    return (missing, day) if missing else None


def rosters_missing_today(complaints: ComplaintsApp, who: Principal) -> list[tuple[str, date]]:
    """For the administrator: every centre signing for itself that has no roster today (nobody there can sign)."""
    if complaints.signing_mode is SigningMode.roles_only or Role.admin not in who.roles:
        return []
    today = complaints.calendar.local_day(complaints.clock.now())
    return [(c, today) for c in _signing_for_themselves(complaints) if complaints.duty_on(c, today) is None]


# ------------------------------------------------------------------------------------------ objects


def load_visible(complaints: Store, who: Principal, complaint_id: UUID) -> Complaint:
    """The complaint if the caller's scope includes it; else 404 exactly as for an unknown id."""
    complaint = complaints.get(complaint_id)
    if not scope_of(who).sees(complaint):
        raise ComplaintNotFound
    return complaint


def check_visible(complaints: Store, who: Principal, complaint_ids: Iterable[UUID]) -> None:
    """Every complaint named (in a body) is within the scope; else 404 as for an unknown id."""
    scope = scope_of(who)
    if scope.district:
        return
    for complaint_id in complaint_ids:
        load_visible(complaints, who, complaint_id)


def _aggregate(complaints: Store, aggregate_id: UUID) -> object | None:
    try:
        found: object = complaints.repository.get(aggregate_id)
    except AggregateNotFoundError:
        return None
    return found


def sees_call(complaints: Store, who: Principal, subject_id: UUID) -> bool:
    """A call-back's subject (a complaint, or a 主动回访 by its id) within the scope; False for an unknown id."""
    found = _aggregate(complaints, subject_id)
    scope = scope_of(who)
    if isinstance(found, Complaint):
        return scope.sees(found)
    if isinstance(found, CallbackTask) and found.kind is CallKind.proactive:
        return scope.sees_centre(found.centre)
    return False


def check_call(complaints: Store, who: Principal, subject_id: UUID) -> None:
    """404 as for an unknown id when the call-back's subject is outside the scope."""
    if not sees_call(complaints, who, subject_id):
        raise ComplaintNotFound


def sees_case(complaints: Store, who: Principal, case: GuidanceCase) -> bool:
    """A published case is the district's (sources stripped); a draft only within the scope of all its sources."""
    scope = scope_of(who)
    if case.published or scope.district:
        return True
    if not case.source_ids:  # a draft from outside yousu: its author's until published
        return case.drafted_by == scope.sub
    return all(sees_call(complaints, who, source) for source in case.source_ids)


def sees_order(complaints: Store, who: Principal, order: RectificationOrder) -> bool:
    """An order within the scope: a unit's own; a centre's when issued to it, by the caller, or about its work."""
    scope = scope_of(who)
    if scope.district:
        return True
    if scope.department is not None:
        return order.unit == scope.department
    if order.unit == scope.centre or (order.issuer is not None and order.issuer.id == scope.sub):
        return True
    return order.complaint_id is not None and sees_call(complaints, who, UUID(str(order.complaint_id)))


def order_rows(who: Principal) -> Where:
    """``sees_order`` for the orders view (``unit``, ``issuer_id``, ``complaint_id`` as text)."""
    scope = scope_of(who)
    if scope.district:
        return EVERYTHING
    if scope.department is not None:
        return "unit = ?", [scope.department]
    centre = scope.centre
    own_complaints = f"SELECT CAST(id AS TEXT) FROM {LEDGER.name} WHERE centre = ?"  # noqa: S608 — fixed names
    own_calls = f"SELECT CAST(complaint_id AS TEXT) FROM {CALLBACKS.name} WHERE centre = ?"  # noqa: S608 — fixed names
    sql = f"(unit = ? OR issuer_id = ? OR complaint_id IN ({own_complaints}) OR complaint_id IN ({own_calls}))"
    return sql, [centre, scope.sub, centre, centre]


def order_units(who: Principal, units: Collection[str], centres: Collection[str]) -> set[str]:
    """The units the caller may issue an order to: every department, and their own centre (all for the district).

    Another centre's code is then refused exactly as an unknown code."""
    scope = scope_of(who)
    if scope.district:
        return set(units)
    return {u for u in units if u not in centres or u == scope.centre}


# ------------------------------------------------------------------------------------------ routes


class Reach(StrEnum):
    """How the scope bounds a route (its ``x-scope`` in the OpenAPI schema)."""

    public = "public"
    """No centre's data: health, reference codes, the calendar, sign-in, the caller's own identity."""
    complaint = "complaint"
    """One object named in the path (complaint, call-back, order, case, plan): outside the scope 404."""
    listed = "listed"
    """Lists, counts, summaries, exports: only what the scope includes; ids in the body checked."""
    own = "own"
    """The caller's own: their worklist, inbox, enrolment, their centre's registrations."""
    shared = "shared"
    """The district's common knowledge: knowledge entries and published cases (no personal information)."""
    district = "district"
    """Only district roles hold the permission (audit, roster import): everyone they see is in scope."""


R = Reach
ROUTE_SCOPES: dict[str, Reach] = {
    # complaints (their commands register their scope where they are declared: api.commands)
    "GET /v1/complaints/{complaint_id}": R.complaint,
    "GET /v1/complaints/by-slip/{slip_no}": R.complaint,
    "GET /v1/complaints/{complaint_id}/history": R.complaint,
    "GET /v1/complaints/{complaint_id}/repeats": R.complaint,
    "GET /v1/complaints/{complaint_id}/similar": R.complaint,
    # accounts (admin only) and their trail (liaison, admin): district roles
    "GET /v1/accounts": R.district,
    "POST /v1/accounts": R.district,
    "POST /v1/accounts/{username}/disable": R.district,
    "POST /v1/accounts/{username}/enable": R.district,
    "POST /v1/accounts/{username}/roles": R.district,
    "POST /v1/accounts/{username}/reset-password": R.district,
    "GET /v1/audit/accounts": R.district,
    # the names of one's centre's accounts (a department's: its own), for the pickers of 督办专人, 回访员 and 承办人
    "GET /v1/people": R.listed,
    # hotline work orders (the hotline is a district role) and what was sent to it
    "POST /v1/hotline/work-orders/{external_ref}/feedback": R.complaint,
    "POST /v1/hotline/work-orders/{external_ref}/callback": R.complaint,
    "POST /v1/hotline/work-orders/{external_ref}/supplement": R.complaint,
    "POST /v1/hotline/work-orders/{external_ref}/withdraw": R.complaint,
    "GET /v1/deliveries": R.listed,
    # views
    "GET /v1/ledger": R.listed,
    "GET /v1/sla/overdue": R.listed,
    "GET /v1/metrics": R.listed,
    "GET /v1/liaison/inbox": R.district,
    "GET /v1/liaison/digest": R.district,
    "GET /v1/inbox": R.own,
    "GET /v1/worklist": R.own,
    "GET /v1/roster": R.listed,
    "POST /v1/roster/import": R.district,
    # 未诉先办
    "GET /v1/insights/repeats": R.listed,
    "GET /v1/insights/topics": R.listed,
    "GET /v1/insights/topics/members": R.listed,
    "GET /v1/insights/forecast": R.listed,
    "GET /v1/insights/tidal-plan": R.complaint,
    "POST /v1/insights/tidal-plan/accept": R.complaint,
    "GET /v1/insights/tidal-plan/review": R.complaint,
    # call-backs
    "GET /v1/callbacks/queue": R.listed,
    "GET /v1/callbacks/summary": R.listed,
    "POST /v1/callbacks/agents": R.own,
    "POST /v1/callbacks/proactive": R.own,
    "GET /v1/callbacks/proactive/{task_id}": R.complaint,
    "POST /v1/callbacks/{complaint_id}/assign": R.complaint,
    "POST /v1/callbacks/{complaint_id}/attempts": R.complaint,
    "POST /v1/callbacks/{complaint_id}/order": R.complaint,
    # 整改
    "POST /v1/orders": R.listed,
    "GET /v1/orders": R.listed,
    "POST /v1/orders/{order_id}/acknowledge": R.complaint,
    "POST /v1/orders/{order_id}/report": R.complaint,
    "POST /v1/orders/{order_id}/accept": R.complaint,
    "POST /v1/orders/{order_id}/return": R.complaint,
    # knowledge and guidance cases
    "POST /v1/knowledge": R.shared,
    "GET /v1/knowledge": R.shared,
    "GET /v1/knowledge/suggest": R.shared,
    "GET /v1/knowledge/usage": R.shared,
    "GET /v1/knowledge/{entry_id}": R.shared,
    "POST /v1/knowledge/{entry_id}/revise": R.shared,
    "POST /v1/knowledge/{entry_id}/publish": R.shared,
    "POST /v1/knowledge/{entry_id}/retire": R.shared,
    "POST /v1/knowledge/{entry_id}/used": R.listed,
    "POST /v1/cases": R.listed,
    "GET /v1/cases": R.shared,
    "GET /v1/cases/{case_id}": R.complaint,
    "GET /v1/cases/{case_id}/print": R.complaint,
    "GET /v1/cases/{case_id}/pdf": R.complaint,
    "POST /v1/cases/{case_id}/revise": R.complaint,
    "POST /v1/cases/{case_id}/publish": R.complaint,
    # audit (liaison and admin: district roles)
    "GET /v1/audit/verify": R.district,
    "GET /v1/audit/bundle": R.district,
    "GET /v1/audit/access": R.district,
    "GET /v1/audit/anchors": R.district,
    "POST /v1/audit/anchors": R.district,
    # no centre's data
    "GET /v1/calendar/due": R.public,
    "GET /v1/reference": R.public,
    "POST /v1/auth/login": R.public,
    "POST /v1/auth/logout": R.public,
    "GET /v1/auth/me": R.public,
    "GET /healthz": R.public,
    "GET /readyz": R.public,
}


def declare_scopes(app: FastAPI) -> None:
    """Show each route's declared scope as ``x-scope`` in the OpenAPI schema (an undeclared route shows none),
    whenever its routes were added."""
    schema_of = app.openapi

    def openapi() -> dict[str, Any]:
        fresh = app.openapi_schema is None
        schema = schema_of()
        if fresh:
            for path, item in schema.get("paths", {}).items():
                for method, operation in item.items():
                    reach = ROUTE_SCOPES.get(f"{method.upper()} {path}")
                    if reach is not None and isinstance(operation, dict):
                        operation["x-scope"] = reach.value
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


SCOPE_LABELS = {
    "district": "全区 every centre",
    "department": "本部门 what was dispatched or issued to their department",
}


def scope_markdown(street_centre: str = "jiefang") -> str:
    """Who sees what, by role and centre, as a Markdown table (the README's, generated from ``scope_of``)."""
    head = f"| role | at the district hall (`{DEFAULT_CENTRE}`) | at a street centre (e.g. `{street_centre}`) |"
    rows = [head, "|---|---|---|"]
    for role in Role:
        if role is Role.system:
            continue
        cells = []
        for centre in (DEFAULT_CENTRE, street_centre):
            department = "housing" if role is Role.department else None
            who = Principal(sub="x", name="x", roles=frozenset({role}), department=department, centre=centre)
            scope = scope_of(who)
            if scope.department is not None:
                cells.append(SCOPE_LABELS["department"])
            elif scope.centre is None:
                cells.append(SCOPE_LABELS["district"])
            else:
                cells.append(f"本中心 `{scope.centre}` only")
        rows.append(f"| {role.value} | {cells[0]} | {cells[1]} |")
    return "\n".join(rows)
