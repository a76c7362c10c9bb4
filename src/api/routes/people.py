"""本中心人员: the names and user ids of the caller's centre's accounts, by role, for the console's pickers.

督办专人, 回访员 and 承办人 are named by user id (their token's ``sub``); a picker lists who may be named instead
of a user id typed by hand. Only names, user ids and roles: never a phone number or a disabled account. A
department handler reads their own department's handlers only (whom its 负责人 names as 承办人), never another
department's staff list nor a centre's (``api.scope.visible_people``). Without local accounts (sign-in through an
identity provider) the list is empty.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from api.account_schemas import PersonOut, person_out
from api.deps import Caller, ContainerDep, require
from api.permissions import Action
from api.scope import visible_people
from domain.values import Role

router = APIRouter(prefix="/v1/people", tags=["people"])

PeopleReader = Annotated[Role, Depends(require(Action.read_people))]
StaffRole = Annotated[Role | None, Query(description="只列出持有该角色的人员")]


@router.get("", response_model=list[PersonOut])
def people(_role: PeopleReader, who: Caller, container: ContainerDep, role: StaffRole = None) -> list[PersonOut]:
    """The enabled accounts of the caller's centre (every centre for a district role; a department handler: their
    department's), by name."""
    store = container.accounts
    if store is None:
        return []
    accounts = container.guard.call(store.list_accounts)
    return [person_out(a) for a in visible_people(who, accounts, role)]
