"""A PDF worker process: ``python -m application.pdf_worker`` renders documents sent on stdin.

Each request is a 4-byte big-endian length and that many bytes of JSON (``encode``); each answer a status
byte (``OK`` or ``FAILED``), a 4-byte length and the PDF or, on failure, the error's class name and,
for a refused document, its Chinese detail. The worker ends when stdin closes (its server is gone).
Nothing is logged: the fonts' warnings would quote the document's characters.

``python -m application.pdf_worker --build-font DIR`` builds the base font into DIR and exits.
"""

from __future__ import annotations

import json
import logging
import os
import struct
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

if TYPE_CHECKING:  # the renderer (fpdf, fontTools) loads in the worker process, not in whoever names the protocol
    from application import documents

OK = b"O"
FAILED = b"F"
HEADER = struct.Struct(">I")


def encode(doc: documents.Document, font_dir: Path | None) -> bytes:
    """A request: the document and where the base font is kept."""
    body = {
        "title": doc.title,
        "subtitle": doc.subtitle,
        "sections": [
            {"heading": s.heading, "paragraphs": list(s.paragraphs), "numbered": s.numbered} for s in doc.sections
        ],
        "font_dir": str(font_dir) if font_dir is not None else None,
    }
    data = json.dumps(body, ensure_ascii=False).encode()
    return HEADER.pack(len(data)) + data


def decode(data: bytes) -> tuple[documents.Document, Path | None]:
    """The document and font directory of a request body."""
    from application import documents  # noqa: PLC0415 — see TYPE_CHECKING above

    body: dict[str, Any] = json.loads(data)
    sections = [documents.Section(s["heading"], s["paragraphs"], bool(s["numbered"])) for s in body["sections"]]
    font_dir = Path(body["font_dir"]) if body.get("font_dir") else None
    return documents.Document(body["title"], body["subtitle"], sections), font_dir


def _read_exactly(stream: BinaryIO, size: int) -> bytes | None:
    data = b""
    while len(data) < size:
        chunk = stream.read(size - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def _answer(out: BinaryIO, status: bytes, payload: bytes) -> None:
    out.write(status + HEADER.pack(len(payload)) + payload)
    out.flush()


def serve(stdin: BinaryIO, stdout: BinaryIO) -> None:
    """Answer requests until stdin closes."""
    from application import documents  # noqa: PLC0415 — see TYPE_CHECKING above

    documents.warm()  # the font's coverage and glyph order, read before the first request
    while True:
        header = _read_exactly(stdin, HEADER.size)
        if header is None:
            return
        body = _read_exactly(stdin, HEADER.unpack(header)[0])
        if body is None:
            return
        try:
            doc, font_dir = decode(body)
            _answer(stdout, OK, documents.pdf(doc, font_dir))
        except documents.DocumentTooLarge as exc:
            _answer(stdout, FAILED, json.dumps({"error": "DocumentTooLarge", "detail": exc.detail}).encode())
        except Exception as exc:  # any failure is answered; the server decides what to say
            _answer(stdout, FAILED, json.dumps({"error": type(exc).__name__}).encode())


def main(argv: list[str]) -> int:
    """Serve on stdin/stdout, or build the base font with ``--build-font DIR``."""
    logging.disable(logging.CRITICAL)  # fpdf2 and fontTools would name the document's characters
    from application import documents  # noqa: PLC0415 — see TYPE_CHECKING above

    if len(argv) == 2 and argv[0] == "--build-font":
        documents.build_base_font(Path(argv[1]))
        return 0
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # a stray print cannot corrupt the answers
    serve(sys.stdin.buffer, answers)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
