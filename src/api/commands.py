"""One place registers a complaint command's route: its path, its permission, its scope and its answer.

    @command(router, "/{complaint_id}/merge", Action.merge)
    async def merge(complaint_id: UUID, role: Role, ...) -> CommandOut: ...

makes ``POST <prefix>/{complaint_id}/merge`` answering ``CommandOut``; ``role`` is the role in which the caller
may perform the action (``require(Action.merge)``, 403 otherwise — or another permission dependency, such as
``signing_role``); the route's scope (``R.complaint`` unless given) goes into ``api.scope.ROUTE_SCOPES``, whence
the OpenAPI schema's ``x-scope`` and the scope walker read it. A command declared twice is refused at import.

A command is ``async def`` and awaits its store work (``guard.call_async``, or ``run``): FastAPI sends a plain
``def`` route, and then its answer's validation, to the thread pool, and the store call is a second hop from
there; awaited, the command costs the one hop to the store guard's worker. A plain ``def`` is refused at import.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from api.deps import require
from api.permissions import Action
from api.schemas import CommandOut
from api.scope import ROUTE_SCOPES, Reach
from domain.values import Role

Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])
Permission = Action | Callable[..., Awaitable[Role]]


def command(
    router: APIRouter,
    path: str,
    permission: Permission,
    *,
    scope: Reach = Reach.complaint,
    response_model: type[BaseModel] = CommandOut,
    status_code: int = 200,
    responses: dict[int | str, dict[str, Any]] | None = None,
) -> Callable[[Endpoint], Endpoint]:
    """Register the decorated function as the command route ``POST <router.prefix><path>``."""
    key = f"POST {router.prefix}{path}"
    if key in ROUTE_SCOPES:
        msg = f"{key} is declared twice"
        raise ValueError(msg)
    ROUTE_SCOPES[key] = scope
    acting = require(permission) if isinstance(permission, Action) else permission

    def register(endpoint: Endpoint) -> Endpoint:
        if not inspect.iscoroutinefunction(endpoint):
            msg = f"{endpoint.__name__} is a plain def: a command awaits its store work (async def, guard.call_async)"
            raise TypeError(msg)
        signature = inspect.signature(endpoint)
        if "role" not in signature.parameters:
            msg = f"{endpoint.__name__} takes no role: the permission has nowhere to go"
            raise TypeError(msg)
        role = Annotated[Role, Depends(acting)]
        parameters = [p.replace(annotation=role) if p.name == "role" else p for p in signature.parameters.values()]
        endpoint.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
        router.post(path, response_model=response_model, status_code=status_code, responses=responses)(endpoint)
        return endpoint

    return register
