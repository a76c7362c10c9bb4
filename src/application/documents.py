"""Printable documents as PDF with the Chinese font embedded (only the glyphs a document uses).

The font is Noto Sans CJK SC from the ``manimgx-fonts-cjk`` package (SIL Open Font License 1.1), a declared
dependency installed with the rest: nothing is downloaded at run time and no system font is needed. It ships
as a variable OpenType collection; handing the whole 65,000-glyph font to fpdf2 makes it instance every glyph
(minutes), so the glyphs the document uses are cut out first with fontTools, instanced at Regular weight
(≈ 1 s), and that subset is what fpdf2 embeds.
"""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import manimgx_fonts_cjk
from fontTools import subset
from fontTools.ttLib import TTCollection, TTFont
from fontTools.varLib import instancer
from fpdf import FPDF
from fpdf.enums import XPos, YPos

FONT_FILE = Path(manimgx_fonts_cjk.__file__).parent / "NotoSansCJK-VF.otf.ttc"
FONT_NAME = "Noto Sans CJK SC"  # the collection's simplified-Chinese member
WEIGHT = 400  # Regular
MISSING = "□"  # stands in for a character the font lacks (emoji): shown, never silently dropped

_lock = threading.Lock()  # fontTools objects are not shared between threads: one subset at a time


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


def printable(text: str) -> str:
    """``text`` with characters the font lacks replaced by ``MISSING`` (line breaks and tabs kept)."""
    covered = _covered()
    return "".join(ch if ch in "\n\t" or ord(ch) in covered else MISSING for ch in text)


def _subset(text: str, target: Path) -> None:
    """Write to ``target`` a static OpenType font with just the glyphs of ``text``."""
    font = TTFont(str(FONT_FILE), fontNumber=_font_number())
    options = subset.Options()
    options.layout_features = []  # no shaping is needed for Chinese set left to right
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.desubroutinize = True  # the instancer needs plain charstrings
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=text + MISSING + " 0123456789.")  # and what numbering adds
    subsetter.subset(font)
    static = instancer.instantiateVariableFont(font, {"wght": WEIGHT})
    static.save(str(target))


@dataclass(frozen=True)
class Section:
    """A heading and its paragraphs (or numbered items)."""

    heading: str
    paragraphs: Sequence[str]
    numbered: bool = False


def pdf(title: str, subtitle: str, sections: Sequence[Section]) -> bytes:
    """An A4 PDF: ``title``, a line under it, then each section; the font subset is embedded."""
    title, subtitle = printable(title), printable(subtitle)
    shown = [Section(printable(s.heading), [printable(p) for p in s.paragraphs], s.numbered) for s in sections]
    everything = title + subtitle + "".join(s.heading + "".join(s.paragraphs) for s in shown)
    with _lock, tempfile.TemporaryDirectory(prefix="yousu-pdf-") as tmp:
        font_path = Path(tmp) / "font.otf"
        _subset(everything, font_path)
        doc = FPDF(format="A4")
        doc.set_title(title)
        doc.set_creator("yousu")
        doc.set_margins(20, 20, 20)
        doc.set_auto_page_break(auto=True, margin=20)
        doc.add_font("cjk", fname=str(font_path))
        doc.add_page()
        doc.set_font("cjk", size=18)
        doc.multi_cell(0, 10, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        doc.set_font("cjk", size=9)
        doc.multi_cell(0, 6, subtitle, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        for section in shown:
            doc.ln(3)
            doc.set_font("cjk", size=13)
            doc.multi_cell(0, 8, section.heading, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            doc.set_font("cjk", size=11)
            for number, paragraph in enumerate(section.paragraphs, start=1):
                line = f"{number}. {paragraph}" if section.numbered else paragraph
                doc.multi_cell(0, 7, line or " ", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        return bytes(doc.output())
