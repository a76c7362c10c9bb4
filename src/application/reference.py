"""The district's department and category codes (ops/reference.toml)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Reference:
    """Known codes with their Chinese labels."""

    departments: dict[str, str]
    categories: dict[str, str]


DEFAULT_REFERENCE = Reference(
    departments={
        "market": "市场监管",
        "housing": "住建",
        "hrss": "人社",
        "tax": "税务",
        "police": "公安",
        "civil": "民政",
    },
    categories={
        "market_regulation": "市场监管",
        "housing": "住房城建",
        "social_security": "社会保障",
        "tax": "税务",
        "household_registration": "户籍",
        "other": "其他",
    },
)


def load_reference(path: Path | None) -> Reference:
    """Read the reference file; the built-in defaults when it does not exist."""
    if path is None or not path.is_file():
        return DEFAULT_REFERENCE
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    departments = {str(k): str(v) for k, v in data.get("departments", {}).items()}
    categories = {str(k): str(v) for k, v in data.get("categories", {}).items()}
    if not departments or not categories:
        msg = f"{path}: needs non-empty [departments] and [categories] tables"
        raise ValueError(msg)
    return Reference(departments=departments, categories=categories)
