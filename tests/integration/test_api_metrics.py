"""GET /v1/metrics: the current Beijing month by the injected clock by default, Chinese labels, CSV/XLSX exports."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from application.clock import SettableClock
from domain.values import Role
from tests.conftest import CST
from tests.support import auth, client_for, hotline_body, receive_body

CLERK, OFFICER, LEADER = auth(Role.window_clerk), auth(Role.duty_officer), auth(Role.duty_leader)
ANALYST = auth(Role.analyst)
HEADINGS = (
    "分组,受理量,接诉响应率（%）,接诉响应率分子,接诉响应率分母,问题办结率（%）,问题办结率分子,问题办结率分母,"
    "按期办结率（%）,按期办结率分子,按期办结率分母,群众满意率（%）,群众满意率分子,群众满意率分母,"
    "差评率（%）,差评率分子,差评率分母,回访率（%）,回访率分子,回访率分母,退单率（%）,退单率分子,退单率分母,"
    "按原时限办结率（%）,按原时限办结率分子,按原时限办结率分母,差评申诉成立率（%）,差评申诉成立率分子,差评申诉成立率分母"
)


def command(client: TestClient, cid: str, verb: str, body: dict[str, Any], headers: dict[str, str]) -> int:
    r = client.post(f"/v1/complaints/{cid}/{verb}", json=body, headers=headers)
    assert r.status_code == 200, r.text
    n: int = r.json()["notification_id"]
    return n


def seed(client: TestClient) -> int:
    """Four complaints; the clock stands at Friday 2025-09-26 10:00 Beijing time (the wall clock is elsewhere).

    The hotline intakes lie up to 27 days back: these apps allow a 30-day backdating window.

    - hotline, received 2025-08-31 23:30 Beijing: August;
    - hotline, received 2025-09-01 00:30 Beijing (still 31 August in UTC): September;
    - window, general, resolved on the spot: September;
    - window, 办不了, dispatched to 住建: September.
    """
    hotline = auth(Role.hotline)
    for ref, at, category in [
        ("A-1", "2025-08-31T23:30:00+08:00", "housing"),
        ("A-2", "2025-09-01T00:30:00+08:00", "market_regulation"),
    ]:
        body = {**hotline_body(ref, category=category), "received_at": at}
        assert client.post("/v1/complaints", json=body, headers=hotline).status_code == 201
    general = client.post("/v1/complaints", json=receive_body(), headers=CLERK).json()["id"]
    command(client, general, "classify", {"classification": "general"}, CLERK)
    command(client, general, "resolve", {"result": "当场解答"}, CLERK)
    cannot = client.post("/v1/complaints", json=receive_body(category="housing"), headers=CLERK).json()["id"]
    command(client, cannot, "classify", {"classification": "cannot_do"}, CLERK)
    command(client, cannot, "sign", {}, OFFICER)
    command(client, cannot, "sign", {}, LEADER)
    return command(client, cannot, "dispatch", {"departments": ["housing"], "supervisor": "sup-1"}, LEADER)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def seeded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, int]]:
    clock = SettableClock(datetime(2025, 9, 26, 10, 0, tzinfo=CST))
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('metrics') / 'yousu.db'}"
        with client_for(url, clock, backdate_days=30) as client:
            yield client, seed(client)
        return
    from tests.conftest import create_pg_database, drop_pg_database  # noqa: PLC0415 — only the postgres param needs it

    url = create_pg_database()
    try:
        with client_for(url, clock, backdate_days=30) as client:
            yield client, seed(client)
    finally:
        drop_pg_database(url)


def metrics(seeded: tuple[TestClient, int], query: str = "") -> Any:
    client, after = seeded
    r = client.get(f"/v1/metrics?after={after}{'&' if query else ''}{query}", headers=ANALYST)
    assert r.status_code == 200, r.text
    return r


def received_by_label(body: dict[str, Any]) -> dict[str, int]:
    return {g["label"]: g["counts"]["received"] for g in body["groups"]}


def test_defaults_to_the_current_beijing_month_of_the_injected_clock(seeded: tuple[TestClient, int]) -> None:
    body = metrics(seeded).json()
    assert (body["from"], body["to"]) == ("2025-09-01", "2025-09-30")
    assert body["group_by"] is None
    assert [(g["group"], g["label"], g["counts"]["received"]) for g in body["groups"]] == [("", "全部", 3)]
    assert body["rate_labels"]["response"] == "接诉响应率"


def test_a_missing_bound_defaults_around_the_other(seeded: tuple[TestClient, int]) -> None:
    body = metrics(seeded, "to=2025-08-31").json()
    assert (body["from"], body["to"]) == ("2025-08-01", "2025-08-31")
    assert received_by_label(body) == {"全部": 1}
    body = metrics(seeded, "from=2025-08-15").json()
    assert (body["from"], body["to"]) == ("2025-08-15", "2025-09-30")
    assert received_by_label(body) == {"全部": 4}


def test_to_before_from_is_422(seeded: tuple[TestClient, int]) -> None:
    client, _ = seeded
    r = client.get("/v1/metrics?from=2025-10-01", headers=ANALYST)  # after the current month's end
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "to"


@pytest.mark.parametrize(
    ("group_by", "expected"),
    [
        ("channel", {"12345热线": 1, "窗口": 2}),
        ("category", {"市场监管": 2, "住房城建": 1}),
        ("classification", {"未分类": 1, "一般性问题": 1, "办不了": 1}),
        ("department", {"未转办": 2, "住建": 1}),
    ],
)
def test_groups_carry_chinese_labels(seeded: tuple[TestClient, int], group_by: str, expected: dict[str, int]) -> None:
    assert received_by_label(metrics(seeded, f"group_by={group_by}").json()) == expected


def test_month_groups_are_labelled_in_chinese(seeded: tuple[TestClient, int]) -> None:
    body = metrics(seeded, "from=2025-08-01&to=2025-09-30&group_by=month").json()
    assert [(g["group"], g["label"]) for g in body["groups"]] == [("2025-08", "2025年8月"), ("2025-09", "2025年9月")]
    assert received_by_label(body) == {"2025年8月": 1, "2025年9月": 3}


def test_csv_export_has_chinese_headings_and_labels(seeded: tuple[TestClient, int]) -> None:
    r = metrics(seeded, "group_by=channel&format=csv")
    assert r.headers["content-type"].startswith("text/csv")
    assert r.headers["content-disposition"] == 'attachment; filename="metrics-2025-09-01-2025-09-30.csv"'
    text = r.content.decode("utf-8-sig")
    assert text.splitlines()[0] == HEADINGS
    rows = {row["分组"]: row for row in csv.DictReader(io.StringIO(text))}
    assert set(rows) == {"12345热线", "窗口"}
    assert rows["窗口"]["受理量"] == "2"
    # both window complaints were answered at once (one resolved on the spot, one dispatched): 2 of 2 in time
    assert (rows["窗口"]["接诉响应率分子"], rows["窗口"]["接诉响应率分母"]) == ("2", "2")
    assert float(rows["窗口"]["接诉响应率（%）"]) == 100.0
    # nothing rated yet: no satisfaction rate, an empty cell rather than 0
    assert rows["窗口"]["群众满意率（%）"] == ""


def test_xlsx_export_has_chinese_headings(seeded: tuple[TestClient, int]) -> None:
    r = metrics(seeded, "format=xlsx")
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    with zipfile.ZipFile(io.BytesIO(r.content)) as z:
        xml = z.read("xl/worksheets/sheet1.xml").decode()
        workbook = z.read("xl/workbook.xml").decode()
    for heading in HEADINGS.split(","):
        assert heading in xml
    assert "全部" in xml
    assert "统计指标" in workbook
