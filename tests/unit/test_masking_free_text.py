"""Masking of free text (issue 12 point 7): numbers people say to the window, wherever staff typed them."""

from __future__ import annotations

import pytest

from projections.masking import mask_free_text


@pytest.mark.parametrize(
    ("text", "names", "expected"),
    [
        ("请回电13812345678", (), "请回电138****5678"),
        ("电话 138 1234 5678。", (), "电话 138****5678。"),
        ("电话138-1234-5678", (), "电话138****5678"),
        ("+86 13912345678", (), "139****5678"),
        ("座机010-12345678", (), "座机010****5678"),
        ("身份证号11010519491231002X，", (), "身份证号******************，"),
        ("老身份证110105491231002", (), "老身份证***************"),
        ("张三丰反映营业执照被拖延", ("张三丰",), "张**反映营业执照被拖延"),
        # numbers that are not phones or ID numbers stay: dates, amounts, slip numbers, longer digit runs
        ("2025年9月26日罚款2000元", (), "2025年9月26日罚款2000元"),
        ("受理单号YS-district-20261130-00012", (), "受理单号YS-district-20261130-00012"),
        ("订单1381234567890123", (), "订单1381234567890123"),
        ("", (), ""),
    ],
)
def test_mask_free_text(text: str, names: tuple[str, ...], expected: str) -> None:
    assert mask_free_text(text, names) == expected
