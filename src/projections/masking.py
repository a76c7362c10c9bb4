"""Masked forms of personal information (张*, 138****5678); the only forms views and analysts see."""

from __future__ import annotations

from application.redaction import EMAIL, ID_NUMBER, LANDLINE, MOBILE
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


# Personal data typed into free text: the patterns the guidance cases' redaction uses (ID numbers first).
_ID_NUMBER, _EMAIL, _MOBILE, _LANDLINE = ID_NUMBER, EMAIL, MOBILE, LANDLINE


def mask_free_text(text: str) -> str:
    """Mask ID numbers, e-mail addresses and phone numbers typed into free text (people's names stay:
    they cannot be told from words reliably)."""
    text = _ID_NUMBER.sub("【证件号】", text)
    text = _EMAIL.sub(lambda m: m.group(0)[0] + "***@" + m.group(0).rsplit("@", 1)[1], text)
    text = _MOBILE.sub(lambda m: mask_phone(m.group(0)[-13:].replace("-", "").replace(" ", "")[-11:]), text)
    return _LANDLINE.sub("【电话】", text)
