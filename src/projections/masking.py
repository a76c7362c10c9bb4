"""Masked forms of personal information (张*, 138****5678); the only forms views and analysts see."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Iterable

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
# numbers, mobile numbers, landlines with an area code — with spaces or hyphens inside ("4401 0619 9001 0112
# 34", "138-1234-5678"), in full-width digits (１３８…) from a Chinese input method. Digit runs are matched
# whole (no digit either side), so an order number's tail is not taken for a phone.
_FULL_WIDTH = str.maketrans(
    {**{chr(0xFF10 + i): str(i) for i in range(10)}, "\uff0d": "-", "\u3000": " ", "\uff38": "X", "\uff58": "x"}
)
_SEP = r"[ \-]?"
_ID_STRICT = re.compile(r"[1-9]\d{5}(?:19|20)\d{2}(?:0[1-9]|1[0-2])\d{2}\d{3}[0-9Xx]|[1-9]\d{14}")
_ID_NUMBER = re.compile(
    rf"(?<![0-9A-Za-z])[1-9](?:{_SEP}\d){{16}}{_SEP}[0-9Xx](?![0-9A-Za-z])|(?<![0-9A-Za-z])[1-9](?:{_SEP}\d){{14}}(?![0-9A-Za-z])"
)
_MOBILE = re.compile(rf"(?<!\d)(?:\+?86{_SEP})?1[3-9]\d{_SEP}\d{{4}}{_SEP}\d{{4}}(?!\d)")
_LANDLINE = re.compile(rf"(?<!\d)0\d{{2,3}}{_SEP}\d{{7,8}}(?!\d)")


def _national(number: str) -> str:
    digits = re.sub(r"\D", "", number)
    return digits[2:] if len(digits) == 13 and digits.startswith("86") else digits


def _id_mask(found: str) -> str | None:
    digits = re.sub(r"[ \-]", "", found)
    return "*" * len(digits) if _ID_STRICT.fullmatch(digits) else None


def _sub(pattern: re.Pattern[str], mask: Callable[[str], str | None], text: str) -> str:
    """``text`` with each match of ``pattern`` — found in its half-width form, so full-width digits match too —
    replaced by ``mask`` of the half-width match (left as typed where ``mask`` gives None)."""
    plain = text.translate(_FULL_WIDTH)  # one character for one: the spans are the same in both
    out: list[str] = []
    last = 0
    for m in pattern.finditer(plain):
        masked = mask(m.group())
        if masked is None:
            continue
        out += [text[last : m.start()], masked]
        last = m.end()
    out.append(text[last:])
    return "".join(out)


def mask_free_text(text: str | None, names: Iterable[str] = ()) -> str:
    """``text`` with ID numbers, e-mail addresses, mobile and landline numbers (and the given ``names``) masked.

    张三说电话13812345678，身份证110105194912310021 → 张*说电话138****5678，身份证******************
    """
    if not text:
        return ""
    out = _sub(_ID_NUMBER, _id_mask, text)
    out = EMAIL.sub(lambda m: m.group(0)[0] + "***@" + m.group(0).rsplit("@", 1)[1], out)
    out = _sub(_MOBILE, lambda found: mask_phone(_national(found)), out)
    out = _sub(_LANDLINE, mask_phone, out)
    for name in sorted({n.strip() for n in names if n and len(n.strip()) > 1}, key=len, reverse=True):
        out = out.replace(name, mask_name(name))
    return out


# A view that must mask a person's name in text typed later (a 台账's result, reasons) cannot keep the name in
# clear. It keeps a *mark* per name instead: the first character and the length — what the masked form 张**
# shows anyway — and a keyed digest of the whole name, useless without the key.


def _digest(key: bytes, text: str) -> str:
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()[:20]


def name_marks(key: bytes, names: Iterable[str]) -> list[str]:
    """``张3:<digest>`` for each name of two characters or more."""
    return sorted({f"{n[0]}{len(n)}:{_digest(key, n)}" for n in (x.strip() for x in names if x) if len(n) > 1})


def mask_marked_names(text: str, marks: Iterable[str], key: bytes) -> str:
    """``text`` with every name of ``marks`` masked (张三丰 → 张**), the longest first where two start alike."""
    by_first: dict[str, list[tuple[int, str]]] = {}
    for mark in marks:
        head, _, digest = mark.rpartition(":")
        if len(head) > 1 and head[1:].isdigit():
            by_first.setdefault(head[0], []).append((int(head[1:]), digest))
    if not by_first or not text:
        return text
    for options in by_first.values():
        options.sort(reverse=True)
    out: list[str] = []
    i = 0
    while i < len(text):
        for length, digest in by_first.get(text[i], ()):
            window = text[i : i + length]
            if len(window) == length and hmac.compare_digest(_digest(key, window), digest):
                out.append(mask_name(window))
                i += length
                break
        else:
            out.append(text[i])
            i += 1
    return "".join(out)
