"""Who signs a centre's complex complaints (`signed_by` in ops/reference.toml): the default from the district's
notice (街道便民服务中心受理的复杂事项转交区行政服务中心当天带班领导处理) and the checks on load."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from application.reference import load_reference
from domain import errors
from domain.centres import SigningCentre
from domain.roster import DutyDay, Person, SigningMode, may_sign
from domain.values import Actor, Classification, Role
from tests.unit.test_complaint_rules import dispatch, given, now_after, signed

HEAD = """
[departments]
housing = "住建"

[categories]
housing = "住房城建"

[centres]
"""
DISTRICT_LINE = 'district = { name = "区行政服务中心", kind = "district_hall" }'
REPO_REFERENCE = Path(__file__).resolve().parents[2] / "ops" / "reference.toml"


def reference_file(tmp_path: Path, *centres: str) -> Path:
    """A reference file with these centre lines (and the district hall's, unless one of them is)."""
    lines = list(centres) if any(c.startswith("district ") for c in centres) else [DISTRICT_LINE, *centres]
    path = tmp_path / "reference.toml"
    path.write_text(HEAD + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_the_shipped_reference_follows_the_notice() -> None:
    reference = load_reference(REPO_REFERENCE)
    assert {code: c.signed_by for code, c in reference.centres.items()} == {
        "district": "district",
        "jiefang": "district",
        "xinhua": "district",
        "hongqiao": "district",
    }
    assert reference.signing()["jiefang"] == SigningCentre("district", "区行政服务中心")


# centre line(s) → each centre's signing centre
DEFAULTS: list[tuple[list[str], dict[str, str]]] = [
    (
        ['east = { name = "东街道便民服务中心", kind = "street_centre" }'],
        {"district": "district", "east": "district"},
    ),
    (
        ['east = { name = "东街道便民服务中心", kind = "street_centre", signed_by = "east" }'],
        {"district": "district", "east": "east"},
    ),
    (
        ['east = { name = "东街道便民服务中心", kind = "street_centre", signed_by = "district" }'],
        {"district": "district", "east": "district"},
    ),
    (
        [
            'east = { name = "东街道便民服务中心", kind = "street_centre", signed_by = "east" }',
            'west = { name = "西街道便民服务中心", kind = "street_centre" }',
        ],
        {"district": "district", "east": "east", "west": "district"},
    ),
    (
        ['annex = { name = "区行政服务中心分厅", kind = "district_hall" }'],
        {"district": "district", "annex": "annex"},
    ),
]


@pytest.mark.parametrize(("lines", "expected"), DEFAULTS)
def test_signed_by_defaults_and_choices(tmp_path: Path, lines: list[str], expected: dict[str, str]) -> None:
    reference = load_reference(reference_file(tmp_path, *lines))
    assert {code: c.signed_by for code, c in reference.centres.items()} == expected
    assert {code: s.code for code, s in reference.signing().items()} == expected


def test_the_signing_centre_carries_its_chinese_name(tmp_path: Path) -> None:
    path = reference_file(
        tmp_path,
        'east = { name = "东街道便民服务中心", kind = "street_centre", signed_by = "east" }',
        'west = { name = "西街道便民服务中心", kind = "street_centre" }',
    )
    signing = load_reference(path).signing()
    assert signing == {
        "district": SigningCentre("district", "区行政服务中心"),
        "east": SigningCentre("east", "东街道便民服务中心"),
        "west": SigningCentre("district", "区行政服务中心"),
    }


# a bad centre line → words the refusal names
REFUSED: list[tuple[list[str], list[str]]] = [
    (
        ['east = { name = "东街道便民服务中心", kind = "street_centre", signed_by = "nowhere" }'],
        ["east", "signed_by", "已列出的服务中心", "nowhere"],
    ),
    (
        [
            'east = { name = "东街道便民服务中心", kind = "street_centre", signed_by = "east" }',
            'west = { name = "西街道便民服务中心", kind = "street_centre", signed_by = "east" }',
        ],
        ["west", "只能是本中心", "district", "不能是 east"],
    ),
    (
        [
            'east = { name = "东街道便民服务中心", kind = "street_centre", signed_by = "east" }',
            'district = { name = "区行政服务中心", kind = "district_hall", signed_by = "east" }',
        ],
        ["区级大厅 district", "须自己签字", "不可层层转交"],
    ),
    (
        ['east = { name = "东街道便民服务中心", kind = "street_centre", signed_by = 3 }'],
        ["east", "signed_by", "已列出的服务中心"],
    ),
    (
        ['east = { name = "东街道便民服务中心", kind = "street_centre", signedby = "east" }'],
        ["east", "未知的设置", "signedby"],
    ),
]


@pytest.mark.parametrize(("lines", "words"), REFUSED)
def test_a_bad_signed_by_stops_the_load_with_a_chinese_reason(
    tmp_path: Path, lines: list[str], words: list[str]
) -> None:
    with pytest.raises(ValueError, match=r"signed_by|未知的设置") as refused:
        load_reference(reference_file(tmp_path, *lines))
    for word in words:
        assert word in str(refused.value)


# ------------------------------------------------------------------------------ the refusal names who signs

DAY = DutyDay(
    day=date(2025, 12, 1),
    officers=(Person("off-zhao", "赵值班"),),
    leader=Person("lead-sun", "孙带班"),
)
DISTRICT = SigningCentre("district", "区行政服务中心")


def test_not_on_the_signing_centres_roster_names_that_centre() -> None:
    li = Actor("off-li", "李值班", Role.duty_officer)
    with pytest.raises(errors.NotOnDuty) as refused:
        may_sign(DAY, li, Role.duty_officer, SigningMode.roster, signer=DISTRICT)
    assert refused.value.detail == (
        "本诉求由区行政服务中心当天值班人员签字；您不在 2025-12-01 区行政服务中心的值班表上，"
        "不能以当天值班人员身份签字；值班表上的当天值班人员：赵值班"
    )
    with pytest.raises(errors.NoRosterToday) as missing:
        may_sign(None, li, Role.duty_officer, SigningMode.roster, signer=DISTRICT)
    assert missing.value.detail == "今日未导入区行政服务中心的值班表，无法按值班表核对签字人；请管理员导入本月值班表"
    zhao = Actor("off-zhao", "赵值班", Role.duty_officer)
    may_sign(DAY, zhao, Role.duty_officer, SigningMode.roster, signer=DISTRICT)  # on the district's roster


# ------------------------------------------------------------------------------ who dispatches (转办)

# (the leader's centre, the centre that signs the complaint) → refused with not_signing_centre?
DISPATCHERS: list[tuple[str, SigningCentre, bool]] = [
    ("district", DISTRICT, False),  # the district hall's leader dispatches what the district signs
    ("jiefang", DISTRICT, True),  # a street centre's leader does not
    ("jiefang", SigningCentre("jiefang", "解放路街道便民服务中心"), False),  # unless the centre signs for itself
    ("district", SigningCentre("jiefang", "解放路街道便民服务中心"), False),  # the district hall leads the district
]


@pytest.mark.parametrize(("acting", "signer", "refused"), DISPATCHERS)
def test_dispatch_is_by_the_signing_centres_leader(acting: str, signer: SigningCentre, refused: bool) -> None:
    complaint = given(signed(Classification.cannot_do))
    act = dispatch("market", acting_centre=acting, signer=signer)
    if not refused:
        act(complaint, now_after(signed(Classification.cannot_do)))
        assert complaint.dispatched_at is not None
        return
    with pytest.raises(errors.NotSigningCentre) as info:
        act(complaint, now_after(signed(Classification.cannot_do)))
    assert info.value.detail == (
        "本诉求由区行政服务中心当天值班人员和带班领导签字，由其带班领导转办；本中心的带班领导不能转办"
    )
