"""The API's layout rules: every route states its permission once, through require(Action); routes stay short."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from api.deps import signing_role
from api.routes import ROUTERS

SRC = Path(__file__).resolve().parents[2] / "src" / "api"
PUBLIC = {"/healthz", "/readyz"}  # no token: liveness and readiness probes
MAX_FUNCTION_LINES = 60


def routes() -> list[APIRoute]:
    return [r for router in ROUTERS for r in router.routes if isinstance(r, APIRoute)]


def calls(dependant: Dependant) -> Iterator[object]:
    for d in dependant.dependencies:
        yield d.call
        yield from calls(d)


def permission_checks(route: APIRoute) -> list[str]:
    names = [getattr(c, "__name__", "") for c in calls(route.dependant)]
    return [n for n in names if n.startswith("require_") or n == signing_role.__name__]


@pytest.mark.parametrize("route", routes(), ids=lambda r: f"{sorted(r.methods)[0]} {r.path}")
def test_every_route_states_its_permission_once(route: APIRoute) -> None:
    checks = permission_checks(route)
    if route.path in PUBLIC:
        assert checks == []
    else:
        assert len(checks) == 1, checks


def test_no_route_module_checks_roles_by_hand() -> None:
    for module in (SRC / "routes").glob("*.py"):
        text = module.read_text(encoding="utf-8")
        assert "allowed(" not in text, module.name
        assert ".roles" not in text, module.name


def test_no_function_in_the_api_is_longer_than_sixty_lines() -> None:
    long = []
    for module in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    long.append(f"{module.name}:{node.name} ({length} lines)")
    assert long == []
