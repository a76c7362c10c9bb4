"""Stripping personal information from text that becomes public (指导案例): known names of the parties,
then patterns — ID numbers, phone numbers, e-mail addresses, street addresses, enterprise names.

Each replacement is reported (kind, placeholder, the masked original, how often), so the drafter sees
what was taken out and can check nothing was missed; the original values themselves are never kept.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

PLACEHOLDERS = {
    "party": "【当事人】",
    "enterprise": "【企业】",
    "id_number": "【证件号】",
    "phone": "【电话】",
    "email": "【邮箱】",
    "address": "【地址】",
    "slip": "【受理单号】",
}
KIND_LABELS = {
    "party": "当事人姓名",
    "enterprise": "企业名称",
    "id_number": "身份证号",
    "phone": "电话号码",
    "email": "电子邮箱",
    "address": "地址",
    "slip": "受理单号",
}

# A name starts after punctuation or a small word (住、与、在…), never with one: 住幸福路12号 → 住【地址】.
_SMALL = "与和及在住向对被把给的是了从位于同"
_START = rf"(?:(?<=[{_SMALL}])|(?<![\u4e00-\u9fa5]))(?![{_SMALL}])"

ID_NUMBER = re.compile(
    r"(?<![0-9A-Za-z])[1-9]\d{5}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[0-9Xx](?![0-9A-Za-z])"
)
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
MOBILE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?!\d)")
LANDLINE = re.compile(r"(?<!\d)0\d{2,3}-?\d{7,8}(?!\d)")

# A 受理单号 (YS-district-20250926-00012, or the older YS2025092600012) points at the complaint a case came from.
SLIP_NUMBER = re.compile(r"YS-[a-z][a-z0-9_]{0,31}-\d{8}-\d{5,}|(?<![0-9A-Za-z])YS\d{13,}(?!\d)")
# Slip numbers first (their digits are no phone); ID numbers before phones: an 18-character ID number contains
# 11-digit runs that would look like phones.
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("slip", SLIP_NUMBER),
    ("id_number", ID_NUMBER),
    ("email", EMAIL),
    ("phone", MOBILE),
    ("phone", LANDLINE),
    (
        "address",
        re.compile(
            _START + r"[\u4e00-\u9fa5]{2,5}(?:路|街|大道|巷|胡同)\d+(?:-\d+)?号(?:院)?"
            r"(?:\d+(?:号楼|栋|幢))?(?:\d+单元)?(?:\d+(?:室|号))?"
        ),
    ),
    ("address", re.compile(r"\d+(?:号楼|栋|幢)(?:\d+单元)?\d+室")),
    (
        "enterprise",
        re.compile(
            _START
            + r"[\u4e00-\u9fa5（）()]{2,20}?(?:有限责任公司|股份有限公司|有限公司|分公司|集团|公司|工厂|商行|门店)"
        ),
    ),
)


_SLIP_IN_BRACKETS = re.compile(rf"[（(]\s*(?:{SLIP_NUMBER.pattern})\s*[）)]")


def without_slips(text: str) -> str:
    """``text`` with no 受理单号: a bracketed one dropped (``受理（YS-…）`` → ``受理``), any other replaced by its
    placeholder — for cases drafted before their steps were written without them."""
    return SLIP_NUMBER.sub(PLACEHOLDERS["slip"], _SLIP_IN_BRACKETS.sub("", text))


@dataclass(frozen=True)
class Replacement:
    """One kind of personal information taken out of the text."""

    kind: str
    placeholder: str
    shown: str  # the original, masked (张*, 138****5678): enough to recognise, not to recover
    count: int

    def as_dict(self) -> dict[str, object]:
        """JSON form with the kind's Chinese label."""
        return {
            "kind": self.kind,
            "label": KIND_LABELS[self.kind],
            "placeholder": self.placeholder,
            "shown": self.shown,
            "count": self.count,
        }


def _masked(kind: str, value: str) -> str:
    if kind in ("party",):
        return value[0] + "*" * max(1, len(value) - 1)
    if kind == "phone":
        digits = "".join(ch for ch in value if ch.isdigit())
        return digits[:3] + "****" + digits[-4:] if len(digits) >= 7 else "*" * len(digits)
    if kind == "email":
        return value[0] + "***@" + value.rsplit("@", 1)[1]
    if kind == "id_number":
        return value[:2] + "*" * (len(value) - 2)
    if kind == "slip":
        return value[:3] + "*" * max(1, len(value) - 3)
    return value[:2] + "*" * max(1, len(value) - 2)


class Redactor:
    """Replaces the given party names, then the patterns, in any number of texts; collects what it replaced."""

    def __init__(self, names: Iterable[str] = (), enterprises: Iterable[str] = ()) -> None:
        known = [(n.strip(), "party") for n in names if len(n.strip()) >= 2]
        known += [(e.strip(), "enterprise") for e in enterprises if len(e.strip()) >= 2]
        # longest first, so 张三丰 is replaced before 张三
        self.known = sorted(set(known), key=lambda kv: -len(kv[0]))
        self.found: dict[tuple[str, str], int] = {}

    def _note(self, kind: str, value: str, n: int = 1) -> None:
        key = (kind, _masked(kind, value))
        self.found[key] = self.found.get(key, 0) + n

    def __call__(self, text: str) -> str:
        """``text`` with every known name and pattern replaced by its placeholder."""
        for value, kind in self.known:
            n = text.count(value)
            if n:
                text = text.replace(value, PLACEHOLDERS[kind])
                self._note(kind, value, n)
        for kind, pattern in _PATTERNS:

            def swap(m: re.Match[str], kind: str = kind) -> str:
                self._note(kind, m.group(0))
                return PLACEHOLDERS[kind]

            text = pattern.sub(swap, text)
        return text

    def many(self, texts: Sequence[str]) -> list[str]:
        """Each of ``texts`` redacted."""
        return [self(t) for t in texts]

    def replacements(self) -> list[Replacement]:
        """What was replaced, by kind then masked value."""
        return [Replacement(kind, PLACEHOLDERS[kind], shown, n) for (kind, shown), n in sorted(self.found.items())]
