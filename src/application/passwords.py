"""Password rules for local accounts: long enough, not the user name, not a common password.

The common list is the 20,000 passwords Django ships (application/data/common-passwords.txt.gz; its
source and BSD licence are in common-passwords.NOTICE.txt beside it), plus a few that Chinese users
pick and that list lacks. Comparison is case-insensitive and ignores surrounding spaces.
"""

from __future__ import annotations

import gzip
from functools import cache
from importlib import resources

MIN_PASSWORD = 10
MAX_PASSWORD = 256
# frequent in Chinese leaked-password lists and absent (in this form) from the English list
CHINESE_COMMON = frozenset(
    {
        "woaini1314520",
        "5201314520",
        "1314520520",
        "woaiwojia123",
        "zhang123456",
        "wang123456",
        "qq1234567890",
        "a1234567890",
        "aa1234567890",
        "abc1234567890",
        "1234567890a",
        "1234567890q",
        "asd1234567890",
        "zxcvbnm123",
        "qwertyuiop123",
        "woaini520",
        "iloveyou1314",
        "admin123456",
        "admin@123456",
        "password@123",
        "p@ssw0rd123",
    }
)


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list (lowercase) with the Chinese supplement."""
    data = resources.files("application").joinpath("data/common-passwords.txt.gz").read_bytes()
    words = gzip.decompress(data).decode("utf-8").split()
    return frozenset(w.strip().lower() for w in words if w.strip()) | CHINESE_COMMON


def password_problem(username: str, password: str) -> str | None:
    """Why ``password`` is refused for ``username`` (Chinese, for staff), or None when it is acceptable."""
    if len(password) < MIN_PASSWORD:
        return f"密码至少 {MIN_PASSWORD} 个字符"
    if len(password) > MAX_PASSWORD:
        return f"密码最多 {MAX_PASSWORD} 个字符"
    folded = password.strip().lower()
    if folded == username.strip().lower():
        return "密码不能与用户名相同"
    if folded in common_passwords():
        return "密码过于常见（在常用密码表中），请换一个"
    return None
