"""CSV and XLSX downloads with Chinese headings, streamed, and safe to open in a spreadsheet.

A text cell beginning with ``=``, ``+``, ``-``, ``@``, tab or carriage return would be run as a
formula by Excel or LibreOffice (CWE-1236, e.g. a supervisor named ``=HYPERLINK(...)``): CSV cells
get a leading ``'``; XLSX cells are always written as strings, never as formulas.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator, Sequence

import xlsxwriter  # type: ignore[import-untyped]  # XlsxWriter ships no type hints
from fastapi.responses import StreamingResponse

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

Cell = str | int | float | None


def inert(value: Cell) -> Cell:
    """A CSV cell that no spreadsheet will evaluate (text that looks like a formula gets a leading ')."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def csv_stream(headings: Sequence[str], rows: Iterable[Sequence[Cell]]) -> Iterator[bytes]:
    """UTF-8 CSV with a BOM (so Excel reads it as UTF-8), in chunks of 500 rows."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(headings)
    yield ("\ufeff" + buf.getvalue()).encode()
    buf.seek(0)
    buf.truncate()
    for n, values in enumerate(rows, 1):
        writer.writerow([inert(v) for v in values])
        if n % 500 == 0:
            yield buf.getvalue().encode()
            buf.seek(0)
            buf.truncate()
    if buf.tell():
        yield buf.getvalue().encode()


def xlsx_stream(sheet_name: str, headings: Sequence[str], rows: Iterable[Sequence[Cell]]) -> Iterator[bytes]:
    """One worksheet; text as strings (never formulas), numbers as numbers."""
    # constant_memory writes rows straight to disk; the finished file is then streamed in chunks
    with tempfile.NamedTemporaryFile(suffix=".xlsx") as tmp:
        book = xlsxwriter.Workbook(tmp.name, {"constant_memory": True})
        sheet = book.add_worksheet(sheet_name)
        for col, heading in enumerate(headings):
            sheet.write_string(0, col, heading)
        for n, values in enumerate(rows, 1):
            for col, value in enumerate(values):
                if isinstance(value, str):
                    sheet.write_string(n, col, value)
                elif value is not None:
                    sheet.write_number(n, col, value)
        book.close()
        with open(tmp.name, "rb") as f:
            while chunk := f.read(64 * 1024):
                yield chunk


def download(
    fmt: str, name: str, sheet_name: str, headings: Sequence[str], rows: Iterable[Sequence[Cell]]
) -> StreamingResponse:
    """``name.csv`` or ``name.xlsx`` as an attachment."""
    if fmt == "csv":
        body, media_type = csv_stream(headings, rows), "text/csv; charset=utf-8"
    else:
        body, media_type = xlsx_stream(sheet_name, headings, rows), XLSX
    disposition = f'attachment; filename="{name}.{fmt}"'
    return StreamingResponse(body, media_type=media_type, headers={"Content-Disposition": disposition})


def export_responses(description: str) -> dict[int | str, dict[str, object]]:
    """The OpenAPI description of a route answering JSON, CSV or XLSX."""
    return {
        200: {
            "description": description,
            "content": {
                "application/json": {},
                "text/csv": {"schema": {"type": "string"}},
                XLSX: {"schema": {"type": "string", "format": "binary"}},
            },
        }
    }
