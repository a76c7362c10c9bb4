"""The district's department, category and service-centre codes (ops/reference.toml)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path

from domain.centres import CENTRE_CODE, DEFAULT_CENTRE, DEFAULT_CENTRE_NAME, SigningCentre

CENTRE_KINDS = {"district_hall": "区级大厅", "street_centre": "街道便民服务中心"}


@dataclass(frozen=True)
class Centre:
    """A service centre (办事大厅): its code (in slip numbers and tokens), Chinese name and kind."""

    code: str
    name: str
    kind: str  # district_hall | street_centre
    signed_by: str = DEFAULT_CENTRE  # whose duty roster signs (审核签字) its complex complaints; see _signed_by


@dataclass(frozen=True)
class Reference:
    """Known codes with their Chinese labels."""

    departments: dict[str, str]
    categories: dict[str, str]
    centres: dict[str, Centre] = field(
        default_factory=lambda: {DEFAULT_CENTRE: Centre(DEFAULT_CENTRE, DEFAULT_CENTRE_NAME, "district_hall")}
    )

    def signing_centre(self, centre: str) -> Centre:
        """The centre whose day's roster signs ``centre``'s complex complaints (an unknown code signs for itself)."""
        known = self.centres.get(centre)
        if known is None:
            return Centre(centre, centre, "street_centre", centre)
        return self.centres[known.signed_by]

    def signing(self) -> dict[str, SigningCentre]:
        """Every centre with the centre that signs its complex complaints (what the application checks)."""
        return {
            code: SigningCentre(signer.code, signer.name)
            for code in self.centres
            for signer in (self.signing_centre(code),)
        }


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
    centres = {DEFAULT_CENTRE: Centre(DEFAULT_CENTRE, DEFAULT_CENTRE_NAME, "district_hall", DEFAULT_CENTRE)}
    named: dict[str, object] = {}
    for code, entry in table.items():
        name = entry.get("name") if isinstance(entry, dict) else None
        kind = entry.get("kind") if isinstance(entry, dict) else None
        if not CENTRE_CODE.fullmatch(str(code)) or not isinstance(name, str) or kind not in CENTRE_KINDS:
            msg = f"{path}: centre {code!r} needs a lowercase code, a name and kind = district_hall | street_centre"
            raise ValueError(msg)
        unknown = set(entry) - {"name", "kind", "signed_by"}
        if unknown:
            msg = f"{path}: 服务中心 {code} 有未知的设置：{'、'.join(sorted(unknown))}（只可写 name、kind、signed_by）"
            raise ValueError(msg)
        named[str(code)] = entry.get("signed_by")
        centres[str(code)] = Centre(str(code), name, str(kind))
    return _signed_by(path, centres, named)


def _signed_by(path: Path, centres: dict[str, Centre], named: dict[str, object]) -> dict[str, Centre]:
    """Each centre's ``signed_by``: the centre whose day's roster signs (审核签字) its complex complaints.

    By default, as the district's notice has it (复杂事项转交区行政服务中心当天带班领导处理), a street centre
    is signed by the district hall and the district hall by itself; a centre may name itself (a large street
    centre with its own leaders). The centre named must exist and be the centre itself or the district hall,
    which always signs for itself (so no chain): only the district hall's duty officer and leader see other
    centres' complaints (api.scope), so no street centre could sign another's.
    """
    out: dict[str, Centre] = {}
    for code, centre in centres.items():
        value = named.get(code)
        default = code if centre.kind == "district_hall" else DEFAULT_CENTRE
        signer = default if value is None else value
        if not isinstance(signer, str) or signer not in centres:
            msg = f"{path}: 服务中心 {code}（{centre.name}）的 signed_by 须为已列出的服务中心代码，而不是 {signer!r}"
            raise ValueError(msg)
        if code == DEFAULT_CENTRE and signer != code:
            msg = (
                f'{path}: 区级大厅 {code}（{centre.name}）为街道中心签字，须自己签字（signed_by = "{code}"），'
                f"不能再交给 {signer}（不可层层转交）"
            )
            raise ValueError(msg)
        if signer not in (code, DEFAULT_CENTRE):
            msg = (
                f"{path}: 服务中心 {code}（{centre.name}）的 signed_by 只能是本中心 {code} "
                f"或区级大厅 {DEFAULT_CENTRE}，不能是 {signer}：其他街道中心的值班人员看不到本中心的诉求"
            )
            raise ValueError(msg)
        out[code] = replace(centre, signed_by=signer)
    return out
