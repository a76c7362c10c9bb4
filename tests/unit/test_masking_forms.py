"""ID and mobile numbers in free text, in the forms people type them (hypothesis generates them): grouped by
spaces or hyphens, in full-width digits from a Chinese input method, with text either side. None survives
masking: the number's digits never appear in the masked text, whatever separators are taken out."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from projections.masking import mask_free_text

FULL = str.maketrans({str(i): chr(0xFF10 + i) for i in range(10)} | {"X": "\uff38"})
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK = "10X98765432"


@st.composite
def id_numbers(draw: st.DrawFn) -> str:
    """A well-formed 18-digit 居民身份证号码: region, birth date, sequence, ISO 7064 check character."""
    region = draw(st.integers(110000, 659999))
    born = date(1930, 1, 1) + timedelta(days=draw(st.integers(0, 32_000)))
    body = f"{region}{born:%Y%m%d}{draw(st.integers(0, 999)):03d}"
    return body + CHECK[sum(int(c) * w for c, w in zip(body, WEIGHTS, strict=True)) % 11]


mobiles = st.builds(lambda p, rest: f"1{p}{rest:09d}", st.sampled_from("3456789"), st.integers(0, 999_999_999))


@st.composite
def typed(draw: st.DrawFn, number: str) -> str:
    """``number`` as someone might type it: groups split by one space or hyphen each, maybe full-width."""
    cuts = sorted(set(draw(st.lists(st.integers(1, len(number) - 1), max_size=5))))
    sep = draw(st.sampled_from([" ", "-", "\u3000", "\uff0d"]))
    parts = [number[a:b] for a, b in zip([0, *cuts], [*cuts, len(number)], strict=True)]
    out = sep.join(parts)
    return out.translate(FULL) if draw(st.booleans()) else out


around = st.sampled_from(["", "身份证号", "电话：", "联系人张先生，", "（", "号码是 "])
after = st.sampled_from(["", "。", "，请回电", "）", " 谢谢"])


def plain_digits(text: str) -> str:
    half = text.translate({0xFF10 + i: str(i) for i in range(10)} | {0xFF38: "X"})
    return "".join(c for c in half if c.isascii() and (c.isdigit() or c == "X"))


@settings(max_examples=300, deadline=None)
@given(data=st.data(), number=id_numbers(), before=around, tail=after)
def test_an_id_number_in_any_typed_form_is_masked(data: st.DataObject, number: str, before: str, tail: str) -> None:
    text = before + data.draw(typed(number)) + tail
    masked = mask_free_text(text)
    assert number[:-1] not in plain_digits(masked), (text, masked)
    assert masked.startswith(before)
    assert masked.endswith(tail)


@settings(max_examples=300, deadline=None)
@given(data=st.data(), number=mobiles, before=around, tail=after)
def test_a_mobile_number_in_any_typed_form_is_masked(data: st.DataObject, number: str, before: str, tail: str) -> None:
    cuts = data.draw(st.sampled_from([(3, 7), (3,), (), (3, 7, 11)]))  # how phones are grouped: 3-4-4
    sep = data.draw(st.sampled_from([" ", "-", "\uff0d"]))
    grouped = sep.join(number[a:b] for a, b in zip([0, *cuts], [*cuts, 11], strict=False) if number[a:b])
    if data.draw(st.booleans()):
        grouped = grouped.translate(FULL)
    text = before + grouped + tail
    masked = mask_free_text(text)
    assert masked == before + number[:3] + "****" + number[-4:] + tail


def test_the_issue_example() -> None:
    assert mask_free_text("身份证 4401 0619 9001 0112 34，电话１３８－１２３４－５６７８") == (
        "身份证 ******************，电话138****5678"
    )
