"""Printable documents as PDF with the Chinese font embedded (only the glyphs a document uses).

The font is Noto Sans CJK SC from the ``manimgx-fonts-cjk`` package (SIL Open Font License 1.1), a declared
dependency installed with the rest: nothing is downloaded at run time and no system font is needed. It ships
as a variable OpenType collection of 65,000 glyphs; fpdf2 can only embed a static font, and turning glyphs
into static Regular ones (the instancer) costs about 4 ms of CPU each — far too much per request.

So the GB2312 repertoire (7,500 characters: every 常用/次常用 character, punctuation, Latin, digits) is
instanced once and kept on disk (``base_font``, about 1.6 MB, ~30 s of CPU once per machine and font
version), and a document's rare characters — those outside GB2312 that the font has — are instanced per
document, a few at most (``MAX_RARE``). Until the base font exists a document is rendered the old way,
every character instanced for it. What a document may hold is bounded (``check``): its total length, its
distinct characters, its rare ones — anything more is refused before any work, in Chinese.

Rendering runs in worker processes (``application.pdf_pool``), never in the server's own.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import fontTools
import manimgx_fonts_cjk
from fontTools import subset
from fontTools.cffLib import CFFFontSet
from fontTools.ttLib import TTCollection, TTFont
from fontTools.varLib import instancer
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import TTFFont

FONT_FILE = Path(manimgx_fonts_cjk.__file__).parent / "NotoSansCJK-VF.otf.ttc"
FONT_NAME = "Noto Sans CJK SC"  # the collection's simplified-Chinese member
WEIGHT = 400  # Regular
MISSING = "□"  # stands in for a character the font lacks (emoji): shown, never silently dropped
NUMBERING = " 0123456789."  # what numbered paragraphs add
RECIPE = 1  # bump when the base font's recipe changes: a new cache file is built

# What one document may hold. A 指导案例 of 20 pages uses some 1,500 distinct characters.
MAX_CHARS = 60_000  # about 35 pages
MAX_DISTINCT = 5_000
MAX_RARE = 200  # characters outside GB2312, each instanced for the document


class DocumentTooLarge(ValueError):
    """The document is over a limit; ``detail`` says which, in Chinese."""

    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(detail)


@lru_cache(maxsize=1)
def _font_number() -> int:
    """The index of ``FONT_NAME`` in the collection (read once)."""
    for number, font in enumerate(TTCollection(str(FONT_FILE), lazy=True).fonts):
        if font["name"].getDebugName(1) == FONT_NAME:
            return number
    msg = f"{FONT_NAME} is not in {FONT_FILE}"
    raise LookupError(msg)


@lru_cache(maxsize=1)
def _covered() -> frozenset[int]:
    """The code points the font has a glyph for."""
    font = TTFont(str(FONT_FILE), fontNumber=_font_number(), lazy=True)
    return frozenset(font.getBestCmap())


def _gb2312() -> Iterator[str]:
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            with contextlib.suppress(UnicodeDecodeError):
                yield bytes([high, low]).decode("gb2312")


@lru_cache(maxsize=1)
def base_chars() -> frozenset[int]:
    """What the cached base font holds: GB2312, printable ASCII and the stand-in, as far as the font has them."""
    wanted = {ord(c) for c in _gb2312()} | set(range(0x20, 0x7F)) | {ord(MISSING), 0x3000}
    return frozenset(wanted & _covered())


def warm() -> None:
    """Read once what every document needs: the font's coverage and glyph order."""
    base_chars()
    _glyph_order()


def printable(text: str) -> str:
    """``text`` with characters the font lacks replaced by ``MISSING`` (line breaks and tabs kept)."""
    covered = _covered()
    return "".join(ch if ch in "\n\t" or ord(ch) in covered else MISSING for ch in text)


@dataclass(frozen=True)
class Section:
    """A heading and its paragraphs (or numbered items)."""

    heading: str
    paragraphs: Sequence[str]
    numbered: bool = False


@dataclass(frozen=True)
class Document:
    """A title, a line under it, then each section: what ``pdf`` prints."""

    title: str
    subtitle: str
    sections: Sequence[Section]

    def printable(self) -> Document:
        """The same document with what the font lacks replaced by ``MISSING``."""
        return Document(
            printable(self.title),
            printable(self.subtitle),
            [Section(printable(s.heading), [printable(p) for p in s.paragraphs], s.numbered) for s in self.sections],
        )

    def text(self) -> str:
        """Every character the document prints."""
        return self.title + self.subtitle + "".join(s.heading + "".join(s.paragraphs) for s in self.sections)


def rare(text: str) -> str:
    """The distinct characters of ``text`` outside the base font (sorted), to be instanced for the document."""
    base = base_chars()
    return "".join(sorted({c for c in text if c not in "\n\t" and ord(c) not in base}))


def check(doc: Document) -> None:
    """Refuse a document over a limit, before any rendering (``DocumentTooLarge``)."""
    text = doc.printable().text()
    if len(text) > MAX_CHARS:
        msg = f"内容过长，无法生成 PDF：共 {len(text)} 字，上限 {MAX_CHARS} 字；请精简或改用打印页"
        raise DocumentTooLarge(msg)
    distinct = len(set(text))
    if distinct > MAX_DISTINCT:
        msg = f"所用字符过多，无法生成 PDF：{distinct} 个不同字符，上限 {MAX_DISTINCT} 个；请改用打印页"
        raise DocumentTooLarge(msg)
    uncommon = len(rare(text))
    if uncommon > MAX_RARE:
        msg = f"生僻字过多，无法生成 PDF：{uncommon} 个 GB2312 以外的字符，上限 {MAX_RARE} 个；请改用打印页"
        raise DocumentTooLarge(msg)


# what a PDF set horizontally, without shaping, never reads from the font
UNUSED_TABLES = ("GSUB", "GPOS", "GDEF", "BASE", "STAT", "VORG", "vhea", "vmtx", "VVAR", "DSIG")


@lru_cache(maxsize=1)
def _glyph_order() -> tuple[str, ...]:
    return tuple(TTFont(str(FONT_FILE), fontNumber=_font_number(), lazy=True).getGlyphOrder())


def _static(text: str, target: Path) -> None:
    """Write to ``target`` a static Regular OpenType font with just the glyphs of ``text``."""
    font = TTFont(str(FONT_FILE), fontNumber=_font_number())
    font.setGlyphOrder(list(_glyph_order()))  # else derived from the cmap again: 65,000 names
    for tag in UNUSED_TABLES:
        if tag in font:
            del font[tag]  # never decompiled (most of the time of a small subset)
    options = subset.Options()
    options.layout_features = []  # no shaping is needed for Chinese set left to right
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.desubroutinize = True  # the instancer needs plain charstrings
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=text + MISSING + NUMBERING)
    subsetter.subset(font)
    static = instancer.instantiateVariableFont(font, {"wght": WEIGHT})
    static.recalcBBoxes = False  # the collection's bounding boxes hold for any subset of it
    static.save(str(target))


def base_font_path(directory: Path) -> Path:
    """Where the base font for this font file, fontTools version and recipe is kept in ``directory``."""
    stat = FONT_FILE.stat()
    key = f"{FONT_FILE.name}:{stat.st_size}:{stat.st_mtime_ns}:{fontTools.version}:{RECIPE}"
    return directory / f"noto-sans-cjk-sc-gb2312-{hashlib.sha256(key.encode()).hexdigest()[:16]}.otf"


def base_font(directory: Path) -> Path | None:
    """The base font if it has been built."""
    path = base_font_path(directory)
    return path if path.is_file() else None


def build_base_font(directory: Path) -> Path:
    """Build the base font once (about 30 s of CPU, 0.9 GB of memory); one builder at a time per directory."""
    directory.mkdir(parents=True, exist_ok=True)
    path = base_font_path(directory)
    with (directory / ".build.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # a second builder waits, then finds the font built
        if not path.is_file():
            fd, tmp = tempfile.mkstemp(dir=directory, prefix=".building-", suffix=".otf")
            os.close(fd)
            try:
                _static("".join(map(chr, sorted(base_chars()))), Path(tmp))
                Path(tmp).replace(path)  # whole or absent, never half written
            finally:
                Path(tmp).unlink(missing_ok=True)
    return path


def _has_subroutines(cff: Any) -> bool:
    for font in cff.topDictIndex:
        if len(font.GlobalSubrs):
            return True
        privates = [fd.Private for fd in font.FDArray] if hasattr(font, "FDArray") else [font.Private]
        if any(getattr(p, "Subrs", None) for p in privates):
            return True
    return False


_remove_unused_subroutines = CFFFontSet.remove_unused_subroutines


def _remove_unused_subroutines_if_any(cff: Any) -> None:
    """fontTools' pass, skipped when there is no subroutine to remove (our fonts are desubroutinized).

    The pass decompiles every glyph to look for subroutine calls, and a decompiled glyph must then be
    compiled again: about two thirds of fpdf2's time embedding a long document, for nothing here.
    """
    if _has_subroutines(cff):
        _remove_unused_subroutines(cff)


CFFFontSet.remove_unused_subroutines = _remove_unused_subroutines_if_any


def _add_font(pdf: FPDF, name: str, path: Path) -> None:
    pdf.add_font(name, fname=str(path))
    font = pdf.fonts[name]
    if isinstance(font, TTFFont):
        # fpdf2 subsets the font at output; recomputing the bounding boxes there would interpret every used
        # glyph's outline three times over (most of the time for a long document): the base font's are kept.
        font.ttfont.recalcBBoxes = False


def pdf(doc: Document, font_dir: Path | None = None) -> bytes:
    """An A4 PDF of ``doc`` (limits checked); the glyphs it uses are embedded."""
    check(doc)
    shown = doc.printable()
    base = base_font(font_dir) if font_dir is not None else None
    with tempfile.TemporaryDirectory(prefix="yousu-pdf-") as tmp:
        out = FPDF(format="A4")
        out.set_title(shown.title)
        out.set_creator("yousu")
        out.set_margins(20, 20, 20)
        out.set_auto_page_break(auto=True, margin=20)
        if base is None:  # not built yet: every character instanced for this document
            _static(shown.text(), Path(tmp) / "font.otf")
            _add_font(out, "cjk", Path(tmp) / "font.otf")
        else:
            _add_font(out, "cjk", base)
            extra = rare(shown.text())
            if extra:
                _static(extra, Path(tmp) / "rare.otf")
                _add_font(out, "cjk-rare", Path(tmp) / "rare.otf")
                out.set_fallback_fonts(["cjk-rare"])
        out.add_page()
        out.set_font("cjk", size=18)
        out.multi_cell(0, 10, shown.title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        out.set_font("cjk", size=9)
        out.multi_cell(0, 6, shown.subtitle, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        for section in shown.sections:
            out.ln(3)
            out.set_font("cjk", size=13)
            out.multi_cell(0, 8, section.heading, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            out.set_font("cjk", size=11)
            for number, paragraph in enumerate(section.paragraphs, start=1):
                line = f"{number}. {paragraph}" if section.numbered else paragraph
                out.multi_cell(0, 7, line or " ", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        return bytes(out.output())
