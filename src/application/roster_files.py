"""Reading a duty-roster file (值班表, CSV or XLSX with Chinese headings) into rows for ``plan_month``.

One row per centre and working day. Headings (the first row, in any order; the last four may be left out):

| 日期 | 中心 | 值班人员 | 值班人员工号 | 带班领导 | 带班领导工号 | 值班替班 | 值班替班工号 | 带班替班 | 带班替班工号 |

``日期`` is YYYY-MM-DD (or YYYY/MM/DD, or an Excel date cell); ``中心`` a centre code or its Chinese name;
several people in one cell are separated by 、 , ， ; or ；, and the 工号 cell lists their user ids (the
``sub`` of their tokens) in the same order. Row numbers in refusals are the file's own (the heading is row 1).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from domain import errors
from domain.roster import Person, RosterRow

REQUIRED = ("日期", "中心", "值班人员", "值班人员工号", "带班领导", "带班领导工号")
OPTIONAL = ("值班替班", "值班替班工号", "带班替班", "带班替班工号")
HEADINGS = (*REQUIRED, *OPTIONAL)
XLSX_MAGIC = b"PK\x03\x04"
MAX_ROWS = 5_000  # a month of every centre is a few hundred rows
_SPLIT = re.compile(r"[、,，;；]")
_DATE = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")


class RosterFileInvalid(errors.InvalidInput):
    """The file cannot be read as a roster at all (format, headings)."""

    code = "roster_file_invalid"


def _cells_csv(data: bytes) -> list[list[Any]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("gb18030")  # Excel on Chinese Windows saves CSV in GBK
        except UnicodeDecodeError:
            raise RosterFileInvalid("file", "CSV 文件须为 UTF-8 或 GBK 编码") from None
    return [list(r) for r in csv.reader(io.StringIO(text))]


def _cells_xlsx(data: bytes) -> list[list[Any]]:
    from openpyxl import load_workbook  # noqa: PLC0415 — only imports read spreadsheets; keeps start-up light

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise RosterFileInvalid("file", "无法读取 XLSX 文件") from exc
    try:
        sheet = book.worksheets[0]
        return [list(r) for r in sheet.iter_rows(values_only=True)]
    finally:
        book.close()


def read_cells(data: bytes) -> list[list[Any]]:
    """The file's rows of cells: XLSX when it is a zip (whatever its name), else CSV."""
    if not data.strip():
        raise RosterFileInvalid("file", "值班表文件为空")
    return _cells_xlsx(data) if data.startswith(XLSX_MAGIC) else _cells_csv(data)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # an id typed as a number in Excel
    return str(value).strip()


def _day(row: int, value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    m = _DATE.fullmatch(_text(value))
    if m is None:
        raise errors.RosterRowInvalid(row, f"日期「{_text(value)}」须为 YYYY-MM-DD")
    try:
        return date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        raise errors.RosterRowInvalid(row, f"日期「{_text(value)}」不存在") from None


def _people(row: int, label: str, names: str, subs: str) -> list[Person]:
    name_list = [n.strip() for n in _SPLIT.split(names) if n.strip()]
    sub_list = [s.strip() for s in _SPLIT.split(subs) if s.strip()]
    if len(name_list) != len(sub_list):
        raise errors.RosterRowInvalid(
            row, f"{label}有 {len(name_list)} 个姓名、{len(sub_list)} 个工号，须一一对应（{label}工号）"
        )
    return [Person(sub=s, name=n) for n, s in zip(name_list, sub_list, strict=True)]


def _centre(row: int, value: str, centres: Mapping[str, str]) -> str:
    """A centre code, also when the file names the centre in Chinese."""
    if value in centres:
        return value
    by_name = {name: code for code, name in centres.items()}
    if value in by_name:
        return by_name[value]
    raise errors.RosterUnknownCentre(row, f"未知的服务中心：{value}")


def parse_roster(data: bytes, centres: Mapping[str, str]) -> list[RosterRow]:
    """Every row of a roster file; a file with bad rows is refused naming each of them (nothing is imported)."""
    rows, problems = read_roster(data, centres)
    if problems:
        raise errors.RosterRowInvalid.of_rows(problems)
    return rows


def read_roster(data: bytes, centres: Mapping[str, str]) -> tuple[list[RosterRow], list[errors.RosterRowInvalid]]:
    """The rows of a roster file that could be read, and the refusal of each row that could not."""
    cells = read_cells(data)
    if not cells:
        raise RosterFileInvalid("file", "值班表文件为空")
    heading = [_text(c) for c in cells[0]]
    missing = [h for h in REQUIRED if h not in heading]
    if missing:
        raise RosterFileInvalid("file", f"第 1 行须为表头，缺少：{'、'.join(missing)}（应有：{'、'.join(HEADINGS)}）")
    index = {h: heading.index(h) for h in HEADINGS if h in heading}
    out: list[RosterRow] = []
    problems: list[errors.RosterRowInvalid] = []
    counted = 0
    for number, raw in enumerate(cells[1:], start=2):
        values = {h: _text(raw[i]) if i < len(raw) else "" for h, i in index.items()}
        if not any(values.values()):
            continue  # blank lines at the end of a sheet
        if counted >= MAX_ROWS:
            problems.append(errors.RosterRowInvalid(number, f"值班表最多 {MAX_ROWS} 行"))
            break
        counted += 1
        day_cell = raw[index["日期"]] if index["日期"] < len(raw) else None
        try:
            row = RosterRow(
                row=number,
                day=_day(number, day_cell),
                centre=_centre(number, values["中心"], centres),
                officers=_people(number, "值班人员", values["值班人员"], values["值班人员工号"]),
                leaders=_people(number, "带班领导", values["带班领导"], values["带班领导工号"]),
                officer_substitutes=_people(
                    number, "值班替班", values.get("值班替班", ""), values.get("值班替班工号", "")
                ),
                leader_substitutes=_people(
                    number, "带班替班", values.get("带班替班", ""), values.get("带班替班工号", "")
                ),
            )
        except errors.RosterRowInvalid as exc:  # every bad row is named, not only the first
            problems.append(exc)
            continue
        out.append(row)
    if not out and not problems:
        raise RosterFileInvalid("file", "值班表没有数据行")
    return out, problems


def month_of_rows(rows: Sequence[RosterRow]) -> str:
    """The month a file is for: that of its first row (``plan_month`` refuses rows of another month)."""
    return f"{rows[0].day:%Y-%m}"


def roster_table(days: Iterable[Any], centre: str) -> list[list[str]]:
    """A month's duty days back as rows under :data:`HEADINGS` (for showing and re-exporting)."""
    table: list[list[str]] = []
    for d in days:
        table.append(
            [
                d.day.isoformat(),
                centre,
                "、".join(p.name for p in d.officers),
                "、".join(p.sub for p in d.officers),
                d.leader.name,
                d.leader.sub,
                "、".join(p.name for p in d.officer_substitutes),
                "、".join(p.sub for p in d.officer_substitutes),
                "、".join(p.name for p in d.leader_substitutes),
                "、".join(p.sub for p in d.leader_substitutes),
            ]
        )
    return table
