"""Password rules for local accounts, with literal examples: length, the user name, the common list."""

from __future__ import annotations

import pytest

from application.passwords import password_problem

TOO_SHORT = "密码至少 10 个字符"
SAME_AS_NAME = "密码不能与用户名相同"
COMMON = "密码过于常见（在常用密码表中），请换一个"


@pytest.mark.parametrize(
    ("username", "password", "problem"),
    [
        ("wangxm", "123456", TOO_SHORT),
        ("wangxm", "short-pw1", TOO_SHORT),  # 9 characters
        ("wangxm", "窗口密码-2025", TOO_SHORT),  # 9 characters, Chinese counted one each
        ("wangxm", "", TOO_SHORT),
        ("wangxiaoming", "wangxiaoming", SAME_AS_NAME),
        ("wangxiaoming", "WangXiaoMing", SAME_AS_NAME),  # case does not matter
        ("wangxm", "1234567890", COMMON),
        ("wangxm", "qwertyuiop", COMMON),
        ("wangxm", "Password123", COMMON),  # the list is compared in lowercase
        ("wangxm", "1qaz2wsx3edc", COMMON),
        ("wangxm", "woaini1314", COMMON),
        ("wangxm", "woaini1314520", COMMON),  # from the Chinese supplement
        ("wangxm", "a" * 257, "密码最多 256 个字符"),
        ("wangxm", "窗口密码-2025-春季", None),
        ("wangxm", "correct horse battery", None),
        ("wangxm", "0123456789a!", None),
        ("wangxm", "x" * 256, None),
    ],
)
def test_password_rules(username: str, password: str, problem: str | None) -> None:
    assert password_problem(username, password) == problem
