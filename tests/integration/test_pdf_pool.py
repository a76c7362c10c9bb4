"""The PDF pool with real worker processes: limits before any work, a time limit that kills, a bounded wait, close.

A slow document here is one rendered without the base font (``font_dir=None``): each of its glyphs is
instanced for it, about 4 ms of CPU apiece.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from application import documents
from application.pdf_pool import PdfBusy, PdfPool, PdfTimeout, PdfUnavailable
from tests.support import settings_for


def _gb2312_hanzi() -> list[str]:
    out = []
    for high in range(0xB0, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                out.append(bytes([high, low]).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return out


COMMON = _gb2312_hanzi()


def doc(text: str) -> documents.Document:
    return documents.Document("指导案例：测试", "状态：已发布", [documents.Section("问题详情", [text])])


SLOW = doc("".join(COMMON[:3000]))  # ~12 s of CPU without the base font


def chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


@pytest.fixture
def pool() -> PdfPool:
    return PdfPool(workers=1, timeout=60, queue_wait=0.5)


def test_over_a_limit_is_refused_in_chinese_before_any_worker_starts(pool: PdfPool) -> None:
    for text, limit in (
        ("字" * (documents.MAX_CHARS + 1), "字"),
        ("".join(COMMON[: documents.MAX_DISTINCT + 1]), "不同字符"),
        ("".join(chr(c) for c in range(0x4E00, 0x9FA6) if chr(c) not in set(COMMON))[:201], "生僻字"),
    ):
        start = time.monotonic()
        with pytest.raises(documents.DocumentTooLarge) as refused:
            pool.render(doc(text))
        assert time.monotonic() - start < 2.0
        assert chinese(refused.value.detail)
        assert limit in refused.value.detail
    assert pool._running == set()  # no worker was started


def test_a_document_over_the_time_limit_is_stopped_and_its_worker_killed() -> None:
    pool = PdfPool(workers=1, timeout=1.5)
    try:
        start = time.monotonic()
        with pytest.raises(PdfTimeout):
            pool.render(SLOW)
        assert time.monotonic() - start < 6.0
        assert pool._running == set()  # killed and reaped
    finally:
        pool.close()


def test_a_second_document_waits_at_most_the_queue_wait_then_is_refused(pool: PdfPool) -> None:
    first: list[BaseException] = []

    def slow() -> None:
        try:
            pool.render(SLOW)
        except (PdfUnavailable, PdfTimeout) as exc:
            first.append(exc)

    thread = threading.Thread(target=slow)
    thread.start()
    try:
        time.sleep(0.5)
        start = time.monotonic()
        with pytest.raises(PdfBusy):
            pool.render(doc("第二份"))
        assert time.monotonic() - start < 2.0
    finally:
        started = time.monotonic()
        pool.close()  # the slow one ends at once
        thread.join(timeout=10)
    assert time.monotonic() - started < 3.0
    assert [type(e) for e in first] == [PdfUnavailable]
    with pytest.raises(PdfUnavailable):
        pool.render(doc("关闭之后"))


def test_with_the_base_font_a_document_renders_and_the_worker_stays() -> None:
    font_dir = settings_for("sqlite:///yousu.db").fonts_dir()
    documents.build_base_font(font_dir)  # ~30 s of CPU once per machine, then cached
    pool = PdfPool(workers=1, timeout=60, font_dir=font_dir)
    try:
        first = pool.render(doc("窗口排队时间过长，经协调增开窗口后当场解决。"))
        assert first.startswith(b"%PDF")
        [worker] = pool._running
        second = pool.render(doc("".join(COMMON[:3000]) + "堃"))  # and one character outside GB2312
        assert second.startswith(b"%PDF")
        assert pool._running == {worker}  # the same process, warm
    finally:
        pool.close()
    assert worker.poll() is not None
    assert isinstance(font_dir, Path)
