"""A hall's past (projections.history) on a real SQLite file and PostgreSQL: parsed from the ledger export's
own headings or from daily counts, stored all or nothing, idempotent, read with the demand series and the
forecast — and never in the complaint store. Window arrivals and hotline work orders stay apart: the 潮汐 plan
staffs windows for window arrivals only."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta

import pytest
import xlsxwriter  # type: ignore[import-untyped]  # XlsxWriter ships no type hints

from application.clock import SettableClock
from domain.values import Channel, Complainant, ComplainantType, Role
from projections import demand, history
from projections.db import ViewDB
from projections.ledger import LEDGER_COLUMNS_ZH
from tests.conftest import CST
from tests.integration.test_api_forecast import CLERK, NOW
from tests.support import auth, client_for

CENTRES = {"district": "区行政服务中心"}
CATEGORIES = {"housing": "住房城建", "tax": "税务"}
TODAY = NOW.date()  # Friday 26 Sep 2025


def ledger_csv(rows: list[dict[str, str]]) -> bytes:
    """A 工作台账 export: every heading of the ledger download, in its order, UTF-8 with a BOM."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(LEDGER_COLUMNS_ZH.values())
    for row in rows:
        writer.writerow([row.get(h, "") for h in LEDGER_COLUMNS_ZH.values()])
    return ("\ufeff" + buf.getvalue()).encode()


def slip(
    no: str, when: str, channel: str = "窗口", centre: str = "区行政服务中心", category: str = "住房城建"
) -> dict[str, str]:
    return {
        "受理单号": no,
        "受理时间": when,
        "受理渠道": channel,
        "服务中心": centre,
        "诉求类别": category,
        "诉求人": "张**",
        "诉求内容": "物业费\n多收（两行的内容）",
        "办理结果": "已退还",
    }


def daily_xlsx(rows: list[tuple[object, ...]]) -> bytes:
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True})
    sheet = book.add_worksheet("每日件数")
    for r, values in enumerate([("日期", "服务中心", "受理渠道", "诉求类别", "件数"), *rows]):
        for c, v in enumerate(values):
            sheet.write(r, c, v)
    book.close()
    return buf.getvalue()


def load(views: ViewDB, data: bytes) -> history.ImportResult:
    parsed = history.parse(history.read_cells(data), CENTRES, CATEGORIES)
    import hashlib  # noqa: PLC0415

    return history.store(views, parsed, hashlib.sha256(data).hexdigest(), TODAY, NOW)


def stored_rows(views: ViewDB) -> int:
    with views.transaction(write=False) as tx:
        return int(tx.query(f"SELECT COUNT(*) FROM {history.HISTORY.name}")[0][0])  # noqa: S608


def run_import_checks(url: str) -> None:
    with client_for(url, SettableClock(NOW), normal_windows=1) as client:
        container = client.app.state.container  # type: ignore[attr-defined]
        views: ViewDB = container.views
        newest_before = container.complaints.max_notification_id()
        first = ledger_csv(
            [
                slip("D-2024-0001", "2024-09-02 10:05"),
                slip("D-2024-0002", "2024-09-02 10:40"),
                slip("D-2024-0003", "2024-09-02 14:10", channel="12345热线"),
                slip("D-2024-0004", "2024-09-03 09:30", category="税务"),
            ]
        )
        done = load(views, first)
        assert (done.kind, done.rows, done.added, done.already, done.rejected) == ("ledger", 4, 4, 0, [])
        again = load(views, first)
        assert again.repeated_file
        assert again.added == 0
        assert stored_rows(views) == 4
        # an overlapping export: two rows already in, one new; the stored rows are not counted twice
        overlap = ledger_csv(
            [
                slip("D-2024-0002", "2024-09-02 10:40"),
                slip("D-2024-0004", "2024-09-03 09:30", category="税务"),
                slip("D-2024-0005", "2024-09-03 11:00"),
            ]
        )
        done = load(views, overlap)
        assert (done.added, done.already) == (1, 2)
        assert stored_rows(views) == 5

        # refusals: every bad row named with its row number and reason; nothing written
        bad = ledger_csv(
            [
                slip("D-2024-0006", "2024-09-04 10:00"),
                slip("D-2024-0007", "2024-09-04 10:00", centre="火星大厅"),
                slip("D-2024-0008", "2024-13-04 10:00"),
                slip("D-2024-0006", "2024-09-04 11:00"),
                slip("D-2024-0009", "2024-09-04 10:00", channel="信件", category="天气"),
                slip("D-2024-0002", "2024-09-05 10:40"),
                slip("D-2025-0010", "2025-09-26 09:00"),
            ]
        )
        done = load(views, bad)
        assert done.added == 0
        reasons = dict(done.rejected)
        assert sorted(reasons) == [3, 4, 5, 6, 7, 8]
        assert reasons[3] == "未知的服务中心「火星大厅」"
        assert reasons[4] == "受理时间「2024-13-04 10:00」不存在"
        assert reasons[5] == "受理单号与第 2 行重复"
        assert reasons[6] == "未知的受理渠道「信件」（窗口、12345热线、网上）；未知的诉求类别「天气」"
        assert reasons[7].startswith("与已导入的同一受理单号不符")
        assert "不早于今天" in reasons[8]
        assert stored_rows(views) == 5  # the good row 2 was not written either

        # daily counts from an XLSX; a date cell and a text date both read
        counts = daily_xlsx(
            [
                ("2024-09-09", "district", "window", "housing", 7),
                ("2024/09/10", "区行政服务中心", "网上", "税务", 3),
            ]
        )
        done = load(views, counts)
        assert (done.kind, done.added) == ("daily", 2)
        clash = daily_xlsx([("2024-09-09", "district", "窗口", "住房城建", 8)])
        done = load(views, clash)
        assert done.rejected == [
            (2, "与已导入的同一日期、服务中心、受理渠道、诉求类别不符（已导入：2024-09-09，7 件）")
        ]

        # read back with the live intakes: by channel, by category, from the first imported day
        start, end = date(2024, 9, 2), date(2024, 9, 10)
        _, window = demand.daily(views, demand.Series("centre", "district", channel="window"), start, end)
        assert window == [2, 2, 0, 0, 0, 0, 0, 7, 0]  # 3 Sep: D-0004 and D-0005
        _, hotline = demand.daily(views, demand.Series("all", channel="hotline"), start, end)
        assert hotline == [1, 0, 0, 0, 0, 0, 0, 0, 0]
        _, tax = demand.daily(views, demand.Series("category", "tax"), start, end)
        assert tax == [0, 1, 0, 0, 0, 0, 0, 0, 3]
        assert demand.first_day(views) == start
        profile = demand.arrivals_profile(views, start, date(2024, 9, 8), centre="district", channel="window")
        assert profile == {(0, 10): 2.0, (1, 9): 1.0, (1, 11): 1.0}  # one Monday and one Tuesday in the span
        assert container.complaints.max_notification_id() == newest_before  # the complaint store untouched

        # a day this system already counts is not imported again
        container.complaints.receive(
            channel=Channel.window,
            content="现场诉求",
            category="housing",
            complainant=Complainant(ComplainantType.person, "王五", "13900002222"),
            actor=CLERK,
            received_at=datetime(2025, 9, 1, 10, 0, tzinfo=CST),
        )
        container.catch_up()
        done = load(views, daily_xlsx([("2025-09-02", "district", "窗口", "住房城建", 5)]))
        assert done.rejected == [(2, "该服务中心自 2025-09-01 起已在本系统受理，2025-09-02 的数量以本系统为准")]

        # the forecast reads the imported year: its history starts at the first imported day
        r = client.get("/v1/insights/forecast?series=centre:district,channel:window", headers=auth(Role.analyst))
        assert r.status_code == 200, r.text
        assert r.json()["history"]["from"] == "2024-09-02"
        assert r.json()["series"] == "centre:district,channel:window"


def test_history_import_on_sqlite(sqlite_url: str) -> None:
    run_import_checks(sqlite_url)


@pytest.mark.postgres
def test_history_import_on_postgres(pg_url: str) -> None:
    run_import_checks(pg_url)


def test_the_tidal_plan_staffs_windows_for_window_arrivals_only(sqlite_url: str) -> None:
    # Three weeks: four window arrivals at ten each working day, and twenty hotline work orders at ten. The plan
    # must see four an hour (two windows, see test_api_forecast), not twenty-four.
    with client_for(sqlite_url, SettableClock(NOW), normal_windows=1) as client:
        app = client.app.state.container.complaints  # type: ignore[attr-defined]
        day = NOW - timedelta(days=21)
        while day < NOW.replace(hour=0):
            if day.weekday() < 5:
                for i in range(24):
                    app.receive(
                        channel=Channel.window if i < 4 else Channel.hotline,
                        content="诉求",
                        category="housing",
                        complainant=Complainant(ComplainantType.person, "王五", "13900002222"),
                        actor=CLERK,
                        received_at=day,
                        external_ref=None if i < 4 else f"H{day:%m%d}{i}",
                    )
            day += timedelta(days=1)
        client.app.state.container.catch_up()  # type: ignore[attr-defined]
        analyst = auth(Role.analyst)
        r = client.get("/v1/insights/tidal-plan?centre=district&from=2025-09-29&to=2025-09-30", headers=analyst)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["arrivals_by_weekday_hour"]["周一"] == {"10": 4.0}
        monday = body["days"][0]
        assert [(h["hour"], h["windows"]) for h in monday["hours"]] == [(10, 2)]
        r = client.get("/v1/insights/forecast?series=all,channel:hotline&backtest=false", headers=analyst)
        assert r.status_code == 200, r.text
        assert r.json()["normal_by_weekday"]["0"] == 20
        r = client.get("/v1/insights/forecast?series=department:housing,channel:window", headers=analyst)
        assert r.status_code == 422
