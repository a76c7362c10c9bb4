"""Masked forms of personal information (张*, 138****5678); the only forms views and analysts see."""

from __future__ import annotations


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
