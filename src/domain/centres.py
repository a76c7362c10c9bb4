"""Service centres (办事大厅): every complaint belongs to one, named by a short stable code."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from domain import errors

DEFAULT_CENTRE = "district"  # 区行政服务中心: complaints recorded before centres existed belong here
DEFAULT_CENTRE_NAME = "区行政服务中心"

# Lowercase ASCII, digit or underscore: the code goes into slip numbers and ids, so no hyphen or space.
CENTRE_CODE = re.compile(r"[a-z][a-z0-9_]{0,31}")


def check_centre(code: str, known: Collection[str] | None = None, *, field: str = "centre") -> str:
    """The code, if well formed (and in ``known`` when given); else a refusal naming ``field``."""
    if not isinstance(code, str) or not CENTRE_CODE.fullmatch(code):
        raise errors.InvalidInput(field, f"{field} 须为小写字母开头的代码（字母、数字、下划线，至多 32 位）")
    if known is not None and code not in known:
        raise errors.UnknownCentre(f"未知的服务中心代码：{code}")
    return code


@dataclass(frozen=True)
class SigningCentre:
    """The centre whose day's duty roster signs (审核签字) a complex complaint, and whose duty leader dispatches it.

    The district's notice: complex matters received at a street centre go to the district hall's duty leader of
    the day (转交区行政服务中心当天带班领导处理); which centre signs for which is the reference's ``signed_by``.
    ``name`` is the Chinese name staff read in a refusal.
    """

    code: str
    name: str
