"""Storage stays behind the adapters: no module of ``application`` imports a database driver or writes SQL."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

APPLICATION = Path(__file__).resolve().parents[2] / "src" / "application"
DRIVERS = ("psycopg", "psycopg_pool", "sqlite3", "eventsourcing.postgres", "eventsourcing.sqlite", "adapters")
# a statement's opening words inside a string: what a module holding SQL would carry
SQL = re.compile(r"\b(SELECT\s+\S.*\bFROM|INSERT\s+INTO|CREATE\s+(TABLE|INDEX)|ALTER\s+TABLE|DELETE\s+FROM)\b", re.S)


def modules() -> list[Path]:
    return sorted(APPLICATION.rglob("*.py"))


def imported(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", modules(), ids=lambda p: p.name)
def test_application_imports_no_database_driver(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    bad = {n for n in imported(tree) if any(n == d or n.startswith(d + ".") for d in DRIVERS)}
    assert bad == set(), f"{path.name} imports {sorted(bad)}: storage belongs in src/adapters/"


@pytest.mark.parametrize("path", modules(), ids=lambda p: p.name)
def test_application_writes_no_sql(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(n.body[0].value)
        for n in ast.walk(tree)
        if isinstance(n, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and n.body
        and isinstance(n.body[0], ast.Expr)
        and isinstance(n.body[0].value, ast.Constant)
    }
    statements = [
        n.value
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docstrings and SQL.search(n.value)
    ]
    assert statements == [], f"{path.name} holds SQL: it belongs in src/adapters/"


def test_the_check_sees_sql_and_drivers() -> None:
    tree = ast.parse('import sqlite3\nfrom psycopg.sql import SQL\nQ = "SELECT 1 FROM t"\n')
    assert imported(tree) == {"sqlite3", "psycopg.sql"}
    assert SQL.search("INSERT INTO yousu_accounts (a) VALUES (?)")
    assert not SQL.search("Select a month's roster from the file")
