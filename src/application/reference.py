"""The district's department, category and service-centre codes (ops/reference.toml)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from domain.centres import CENTRE_CODE, DEFAULT_CENTRE, DEFAULT_CENTRE_NAME

CENTRE_KINDS = {"district_hall": "区级大厅", "street_centre": "街道便民服务中心"}


@dataclass(frozen=True)
class Centre:
    """A service centre (办事大厅): its code (in slip numbers and tokens), Chinese name and kind."""

    code: str
    name: str
    kind: str  # district_hall | street_centre


@dataclass(frozen=True)
class Reference:
    """Known codes with their Chinese labels."""

    departments: dict[str, str]
    categories: dict[str, str]
    centres: dict[str, Centre] = field(
        default_factory=lambda: {DEFAULT_CENTRE: Centre(DEFAULT_CENTRE, DEFAULT_CENTRE_NAME, "district_hall")}
    )


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
    centres = _centres(path, data.get("centres", {}))
    return Reference(departments=departments, categories=categories, centres=centres)


def _centres(path: Path, table: object) -> dict[str, Centre]:
    """The [centres] table; the district hall is always there (complaints before centres belong to it)."""
    if not isinstance(table, dict):
        msg = f"{path}: [centres] must be a table of code = {{ name, kind }}"
        raise ValueError(msg)
    centres = {DEFAULT_CENTRE: Centre(DEFAULT_CENTRE, DEFAULT_CENTRE_NAME, "district_hall")}
    for code, entry in table.items():
        name = entry.get("name") if isinstance(entry, dict) else None
        kind = entry.get("kind") if isinstance(entry, dict) else None
        if not CENTRE_CODE.fullmatch(str(code)) or not isinstance(name, str) or kind not in CENTRE_KINDS:
            msg = f"{path}: centre {code!r} needs a lowercase code, a name and kind = district_hall | street_centre"
            raise ValueError(msg)
        centres[str(code)] = Centre(str(code), name, str(kind))
    return centres
