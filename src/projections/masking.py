"""Masked forms of personal information (张*, 138****5678); the only forms views and analysts see."""

from __future__ import annotations

import re
from collections.abc import Iterable

from application.redaction import EMAIL
from domain.values import Complainant, ComplainantType


def mask_name(name: str) -> str:
    """Keep the first character, one ``*`` per remaining character: 张三丰 → 张**."""
    name = name.strip()
    if not name:
        return ""
    return name[0] + "*" * max(len(name) - 1, 1)


def mask_phone(phone: str) -> str:
    """Keep the first three and last four digits: 13812345678 → 138****5678."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    if len(digits) <= 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_id_number(id_number: str | None) -> str | None:
    """An ID number is never shown masked or otherwise outside the aggregate: only whether one exists."""
    return "******************" if id_number else None


def mask_enterprise(name: str | None) -> str:
    """An enterprise name keeps its first two characters (a sole trader's name is often a person's)."""
    text = (name or "").strip()
    if len(text) <= 2:
        return "*" * len(text)
    return text[:2] + "*" * (len(text) - 2)


def mask_complainant(complainant: Complainant) -> str:
    """One display string: ``张* 138****5678``; an enterprise's masked name comes first."""
    parts = []
    if complainant.type is ComplainantType.enterprise and complainant.enterprise_name:
        parts.append(mask_enterprise(complainant.enterprise_name))
    parts.append(mask_name(complainant.name))
    parts.append(mask_phone(complainant.phone))
    return " ".join(p for p in parts if p)


# In free text (content, result, reasons) staff type numbers as they come: 18-digit (or old 15-digit) ID
# numbers, mobile numbers, landlines with an area code. Digit runs are matched whole (no digit either side),
# so an order number's tail is not taken for a phone; spaces or hyphens inside a number are allowed.
_SEP = r"[ \-]?"
_ID_NUMBER = re.compile(
    r"(?<![0-9A-Za-z])(?:[1-9]\d{5}(?:19|20)\d{2}(?:0[1-9]|1[0-2])\d{2}\d{3}[0-9Xx]|[1-9]\d{14})(?![0-9A-Za-z])"
)
_MOBILE = re.compile(rf"(?<!\d)(?:\+?86{_SEP})?1[3-9]\d{_SEP}\d{{4}}{_SEP}\d{{4}}(?!\d)")
_LANDLINE = re.compile(rf"(?<!\d)0\d{{2,3}}{_SEP}\d{{7,8}}(?!\d)")


def _national(number: str) -> str:
    digits = re.sub(r"\D", "", number)
    return digits[2:] if len(digits) == 13 and digits.startswith("86") else digits


def mask_free_text(text: str | None, names: Iterable[str] = ()) -> str:
    """``text`` with ID numbers, e-mail addresses, mobile and landline numbers (and the given ``names``) masked.

    张三说电话13812345678，身份证110105194912310021 → 张*说电话138****5678，身份证******************
    """
    if not text:
        return ""
    out = _ID_NUMBER.sub(lambda m: "*" * len(m.group()), text)
    out = EMAIL.sub(lambda m: m.group(0)[0] + "***@" + m.group(0).rsplit("@", 1)[1], out)
    out = _MOBILE.sub(lambda m: mask_phone(_national(m.group())), out)
    out = _LANDLINE.sub(lambda m: mask_phone(m.group()), out)
    for name in sorted({n.strip() for n in names if n and len(n.strip()) > 1}, key=len, reverse=True):
        out = out.replace(name, mask_name(name))
    return out
