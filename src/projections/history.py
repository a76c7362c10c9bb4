"""A hall's past (历史诉求量): volumes from before this system, imported once from a file, added to demand.

Two kinds of file, told apart by their headings (the first row; columns in any order, others ignored):

- a past 工作台账 with the ledger export's own headings — one row per complaint; ``受理单号``, ``受理时间``,
  ``受理渠道``, ``服务中心`` and ``诉求类别`` are read, nothing else (no name, content or result is kept);
- daily counts — ``日期``, ``服务中心``, ``受理渠道``, ``诉求类别``, ``件数`` — one row per day, centre,
  channel and category.

Centres, channels and categories may be codes or their Chinese names. Each imported row is kept under a key
— the digest of its 受理单号, or of its day, centre, channel and category — so importing the same file (or
an overlapping one) again adds nothing: a row already there with the same values is skipped, one with
other values is refused. Every row is checked before anything is written, in one transaction: one refused
row and nothing is imported. Rows are refused on or after the first day the centre has intakes in this
system (those days are counted from the complaints themselves) and from today on.

These tables are not views: they are not rebuilt from the events, and never touch the complaint store.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from typing import Any

from projections.db import Column, Table, Tx, ViewDB
from projections.db import ColumnType as T
from projections.demand_tables import DEMAND_HOURLY

HISTORY = Table(
    "yousu_demand_history",
    (
        Column("row_key", T.text),
        Column("day", T.day, nullable=False),
        Column("hour", T.integer),  # the local hour of receipt (台账 rows); none for daily counts
        Column("centre", T.text, nullable=False),
        Column("channel", T.text, nullable=False),
        Column("category", T.text, nullable=False),
        Column("n", T.integer, nullable=False),
        Column("import_id", T.text, nullable=False),
    ),
    key=("row_key",),
    indexes=(("yousu_demand_history_day", "(day, centre)"),),
)
HISTORY_IMPORTS = Table(
    "yousu_history_imports",
    (
        Column("import_id", T.text),  # SHA-256 of the file
        Column("kind", T.text, nullable=False),  # ledger | daily
        Column("rows", T.integer, nullable=False),
        Column("added", T.integer, nullable=False),
        Column("imported_at", T.timestamp, nullable=False),
    ),
    key=("import_id",),
)
TABLES = (HISTORY, HISTORY_IMPORTS)

LEDGER, DAILY = "ledger", "daily"
LEDGER_HEADINGS = ("受理单号", "受理时间", "受理渠道", "服务中心", "诉求类别")
DAILY_HEADINGS = ("日期", "服务中心", "受理渠道", "诉求类别", "件数")
CHANNELS = {"窗口": "window", "12345热线": "hotline", "热线": "hotline", "网上": "online"}
CHANNEL_CODES = ("window", "hotline", "online")
MAX_DAILY_COUNT = 100_000
XLSX_MAGIC = b"PK\x03\x04"
_DATE = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?")
_TIME = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?")


def create(tx: Tx) -> None:
    """Create the history tables if missing (the demand view does so at start; the import too)."""
    for table in TABLES:
        for statement in table.ddl(tx.dialect):
            tx.execute(statement)


class HistoryFileError(ValueError):
    """The file cannot be read as history at all (encoding, format, headings)."""


@dataclass(frozen=True)
class HistoryRow:
    """One row to import: its key and what it counts."""

    line: int  # the file's row (the heading is row 1)
    key: str
    day: date
    hour: int | None
    centre: str
    channel: str
    category: str
    n: int


@dataclass
class Parsed:
    """A file read: its kind, rows to import and refusals (row number → reason)."""

    kind: str
    rows: list[HistoryRow] = field(default_factory=list)
    rejected: list[tuple[int, str]] = field(default_factory=list)


@dataclass(frozen=True)
class ImportResult:
    """What an import did: rows read, added, already there; refusals (nothing written when there are any)."""

    kind: str
    rows: int
    added: int
    already: int
    rejected: list[tuple[int, str]]
    repeated_file: bool = False


# ----------------------------------------------------------------------------------------- reading


def read_cells(data: bytes) -> list[list[Any]]:
    """The file's rows of cells: XLSX when it is a zip (whatever its name), else CSV in UTF-8 or GBK."""
    if not data.strip():
        raise HistoryFileError("文件为空")
    if data.startswith(XLSX_MAGIC):
        from openpyxl import load_workbook  # noqa: PLC0415 — only imports read spreadsheets; keeps start-up light

        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
            raise HistoryFileError("无法读取 XLSX 文件") from exc
        try:
            return [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
        finally:
            book.close()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("gb18030")  # Excel on Chinese Windows saves CSV in GBK
        except UnicodeDecodeError:
            raise HistoryFileError("CSV 文件须为 UTF-8 或 GBK 编码") from None
    return [list(r) for r in csv.reader(io.StringIO(text))]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip().lstrip("'")  # the export's guard against formulas


def kind_of(headings: Sequence[Any]) -> tuple[str, dict[str, int]]:
    """``ledger`` or ``daily`` and the column of each heading read; else a refusal naming what is missing."""
    names = [_text(h) for h in headings]
    where = {name: i for i, name in reversed(list(enumerate(names))) if name}
    if "受理单号" in where or "受理时间" in where:
        wanted, kind = LEDGER_HEADINGS, LEDGER
    elif "日期" in where or "件数" in where:
        wanted, kind = DAILY_HEADINGS, DAILY
    else:
        raise HistoryFileError(
            "表头须为工作台账的表头（受理单号、受理时间、受理渠道、服务中心、诉求类别……）"
            "或每日件数的表头（日期、服务中心、受理渠道、诉求类别、件数）"
        )
    missing = [h for h in wanted if h not in where]
    if missing:
        raise HistoryFileError(f"缺少表头：{'、'.join(missing)}")
    return kind, {h: where[h] for h in wanted}


def _code(value: str, known: Mapping[str, str], what: str) -> str:
    """A code given as itself or as its Chinese name."""
    if value in known:
        return value
    by_name = {name: code for code, name in known.items()}
    if value in by_name:
        return by_name[value]
    raise ValueError(f"未知的{what}「{value}」" if value else f"{what}为空")


def _channel(value: str) -> str:
    if value in CHANNEL_CODES:
        return value
    if value in CHANNELS:
        return CHANNELS[value]
    raise ValueError(f"未知的受理渠道「{value}」（窗口、12345热线、网上）" if value else "受理渠道为空")


def _day(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
    m = _DATE.fullmatch(text)
    if m is None:
        raise ValueError(f"日期「{text}」须为 YYYY-MM-DD" if text else "日期为空")
    try:
        return date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        raise ValueError(f"日期「{text}」不存在") from None


def _moment(value: Any) -> tuple[date, int]:
    """受理时间 as the export writes it (``YYYY-MM-DD HH:MM``, local time) or an Excel date-time cell."""
    if isinstance(value, datetime):
        return value.date(), value.hour
    text = _text(value)
    m = _TIME.fullmatch(text)
    if m is None:
        raise ValueError(f"受理时间「{text}」须为 YYYY-MM-DD HH:MM" if text else "受理时间为空")
    try:
        moment = datetime(int(m[1]), int(m[2]), int(m[3]), int(m[4]), int(m[5]))  # noqa: DTZ001 — a local wall time
    except ValueError:
        raise ValueError(f"受理时间「{text}」不存在") from None
    return moment.date(), moment.hour


def _count(value: Any) -> int:
    text = _text(value)
    if not text.isdigit():
        raise ValueError(f"件数「{text}」须为非负整数" if text else "件数为空")
    n = int(text)
    if n > MAX_DAILY_COUNT:
        raise ValueError(f"件数 {n} 超过 {MAX_DAILY_COUNT}")
    return n


def _attempt(read: Callable[[], Any], reasons: list[str]) -> Any:
    """``read()``, or None with its refusal added to ``reasons``."""
    try:
        return read()
    except ValueError as exc:
        reasons.append(str(exc))
        return None


def digest(*parts: str) -> str:
    """A row's key: the SHA-256 of its identifying parts."""
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def parse(
    cells: Sequence[Sequence[Any]],
    centres: Mapping[str, str],
    categories: Mapping[str, str],
    *,
    progress: Callable[[int], None] | None = None,
) -> Parsed:
    """Every row checked on its own and against the file's other rows (keys used twice); blank rows skipped."""
    if not cells:
        raise HistoryFileError("文件为空")
    kind, col = kind_of(cells[0])
    out = Parsed(kind)
    seen: dict[str, int] = {}
    for i, raw in enumerate(cells[1:], start=2):
        if progress is not None and i % 1_000 == 0:
            progress(i - 1)
        values = {h: (raw[c] if c < len(raw) else None) for h, c in col.items()}
        if all(_text(v) == "" for v in values.values()):
            continue
        reasons: list[str] = []
        centre = _attempt(partial(_code, _text(values["服务中心"]), centres, "服务中心"), reasons)
        channel = _attempt(partial(_channel, _text(values["受理渠道"])), reasons)
        category = _attempt(partial(_code, _text(values["诉求类别"]), categories, "诉求类别"), reasons)
        hour: int | None = None
        if kind == LEDGER:
            slip = _text(values["受理单号"])
            if not slip:
                reasons.append("受理单号为空")
            moment = _attempt(partial(_moment, values["受理时间"]), reasons)
            day, hour = moment if moment is not None else (None, None)
            n: int | None = 1
            key = digest(LEDGER, slip)
        else:
            day = _attempt(partial(_day, values["日期"]), reasons)
            n = _attempt(partial(_count, values["件数"]), reasons)
            key = digest(DAILY, str(day), str(centre), str(channel), str(category))
        if not reasons and key in seen:
            what = "受理单号" if kind == LEDGER else "日期、服务中心、受理渠道、诉求类别"
            reasons.append(f"{what}与第 {seen[key]} 行重复")
        if reasons:
            out.rejected.append((i, "；".join(reasons)))
            continue
        seen[key] = i
        assert day is not None  # noqa: S101 — no reason, so every part was read
        assert n is not None  # noqa: S101 — as above
        out.rows.append(HistoryRow(i, key, day, hour, centre, channel, category, n))
    if progress is not None:
        progress(len(cells) - 1)
    return out


# ----------------------------------------------------------------------------------------- writing


def _first_live_days(tx: Tx) -> dict[str, date]:
    """Centre → the first day it has intakes in this system (from the demand view)."""
    rows = tx.load(
        DEMAND_HOURLY,
        tx.query(f"SELECT centre, MIN(day) FROM {DEMAND_HOURLY.name} GROUP BY centre"),  # noqa: S608 — fixed name
        ["centre", "day"],
    )
    return {str(c): d for c, d in rows if d is not None}


def store(views: ViewDB, parsed: Parsed, file_digest: str, today: date, now: datetime) -> ImportResult:
    """Write the parsed rows in one transaction, or nothing when any row is refused (here or by :func:`parse`).

    The same file again (by digest) changes nothing; a row whose key is already stored with the same values
    is skipped, with other values refused."""
    with views.transaction() as tx:
        if tx.is_postgres:
            tx.execute("SET LOCAL synchronous_commit TO ON")  # imported rows are not rebuildable from events
        create(tx)
        done = tx.query(f"SELECT rows FROM {HISTORY_IMPORTS.name} WHERE import_id = ?", [file_digest])  # noqa: S608 — fixed name, value bound
        if done:
            return ImportResult(parsed.kind, len(parsed.rows), 0, len(parsed.rows), [], repeated_file=True)
        rejected = list(parsed.rejected)
        live = _first_live_days(tx)
        stored = {
            r[0]: r[1:]
            for r in tx.load(
                HISTORY,
                tx.select_in(
                    HISTORY,
                    ("row_key", "day", "hour", "centre", "channel", "category", "n"),
                    "row_key",
                    [r.key for r in parsed.rows],
                    T.text,
                ),
                ["row_key", "day", "hour", "centre", "channel", "category", "n"],
            )
        }
        fresh: list[HistoryRow] = []
        already = 0
        same = "受理单号" if parsed.kind == LEDGER else "日期、服务中心、受理渠道、诉求类别"
        for r in parsed.rows:
            first = live.get(r.centre)
            if r.day >= today:
                rejected.append((r.line, f"日期 {r.day.isoformat()} 不早于今天：历史只含已过去的日子"))
            elif first is not None and r.day >= first:
                rejected.append(
                    (
                        r.line,
                        f"该服务中心自 {first.isoformat()} 起已在本系统受理，{r.day.isoformat()} 的数量以本系统为准",
                    )
                )
            elif r.key in stored:
                old = stored[r.key]
                if [*old] == [r.day, r.hour, r.centre, r.channel, r.category, r.n]:
                    already += 1
                else:
                    rejected.append(
                        (
                            r.line,
                            f"与已导入的同一{same}不符（已导入：{old[0].isoformat()}，{old[5]} 件）",
                        )
                    )
            else:
                fresh.append(r)
        if rejected:
            return ImportResult(parsed.kind, len(parsed.rows), 0, already, sorted(rejected))
        tx.insert_ignore(
            HISTORY,
            [(r.key, r.day, r.hour, r.centre, r.channel, r.category, r.n, file_digest) for r in fresh],
        )
        tx.upsert(HISTORY_IMPORTS, [(file_digest, parsed.kind, len(parsed.rows), len(fresh), now)])
    return ImportResult(parsed.kind, len(parsed.rows), len(fresh), already, [])


# ----------------------------------------------------------------------------------------- reading back


def union_sql(hourly_table: str, *, with_hour: bool = False) -> str:
    """A FROM source with the live intakes and the imported history together: ``day, [hour,] centre, channel,
    category, n`` (imported daily counts carry no hour: left out where ``with_hour``)."""
    cols = "day, hour, centre, channel, category, n" if with_hour else "day, centre, channel, category, n"
    past = f"SELECT {cols} FROM {HISTORY.name}" + (" WHERE hour IS NOT NULL" if with_hour else "")  # noqa: S608 — fixed names
    return f"(SELECT {cols} FROM {hourly_table} UNION ALL {past}) demand"  # noqa: S608 — fixed names


def import_summary(rows: Iterable[HistoryRow]) -> dict[str, int]:
    """Centre → rows, for the report."""
    out: dict[str, int] = {}
    for r in rows:
        out[r.centre] = out.get(r.centre, 0) + r.n
    return out
