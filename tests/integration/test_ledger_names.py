"""Names in a 台账's result and reasons: text typed after the intake is masked of the complainant's names too
(the view keeps marks — first character, length, keyed digest — never the name), on a real SQLite file and
PostgreSQL, whether the later event comes in the intake's page or a later one, and after a rebuild."""

from __future__ import annotations

from datetime import datetime

import pytest

from application.clock import SettableClock
from domain.values import Role
from projections.ledger import LEDGER_NAMES
from projections.masking import mask_marked_names, name_marks
from tests.conftest import CST
from tests.support import auth, client_for, receive_body

CLERK, ANALYST = auth(Role.window_clerk), auth(Role.analyst)
KEY = b"k" * 32


@pytest.mark.parametrize(
    ("text", "names", "expected"),
    [
        ("已电话告知张三丰本人，张三丰表示理解", ["张三丰"], "已电话告知张**本人，张**表示理解"),
        ("张三与张三丰", ["张三", "张三丰"], "张*与张**"),  # the longer name where both start alike
        ("宏达建筑有限公司已整改", ["王五", "宏达建筑有限公司"], "宏*******已整改"),
        ("张三来过", ["张三丰"], "张三来过"),  # another name with the same first character stays
        ("", ["张三丰"], ""),
    ],
)
def test_marks_mask_the_names_they_were_made_from(text: str, names: list[str], expected: str) -> None:
    marks = name_marks(KEY, names)
    assert all("三丰" not in m and "建筑" not in m for m in marks)  # no name in a mark
    assert mask_marked_names(text, marks, KEY) == expected
    assert mask_marked_names(text, marks, b"other key" * 4) == text  # useless without the key


def run(url: str) -> None:
    with client_for(url, SettableClock(datetime(2025, 9, 26, 10, 0, tzinfo=CST))) as client:
        container = client.app.state.container  # type: ignore[attr-defined]
        made = client.post("/v1/complaints", json=receive_body(), headers=CLERK).json()
        container.catch_up()  # the intake's page is folded: the later events find the marks in the table
        cid = made["id"]
        r = client.post(
            f"/v1/complaints/{cid}/classify",
            json={"classification": "general", "reason": "张三丰所述属一般性问题"},
            headers=CLERK,
        )
        assert r.status_code == 200, r.text
        r = client.post(
            f"/v1/complaints/{cid}/resolve",
            json={"result": "已电话告知张三丰，身份证4401 0619 9001 0112 34已核验"},
            headers=CLERK,
        )
        assert r.status_code == 200, r.text
        container.catch_up()

        def row() -> dict[str, object]:
            items = client.get("/v1/ledger", headers=ANALYST).json()["items"]
            return next(i for i in items if i["id"] == cid)

        first = row()
        assert first["classification_reason"] == "张**所述属一般性问题"
        assert first["result"] == "已电话告知张**，身份证******************已核验"
        assert "张三丰" not in str(first)
        with container.views.transaction(write=False) as tx:
            stored = tx.query(f"SELECT marks FROM {LEDGER_NAMES.name}")  # noqa: S608
        assert len(stored) == 1
        assert "三丰" not in str(stored)
        from tests.support import settings_for  # noqa: PLC0415
        from yousu.wiring import build_runner  # noqa: PLC0415

        runner = build_runner(settings_for(url), container.complaints)
        try:
            runner.setup()
            runner.rebuild(["ledger"])
        finally:
            runner.db.close()
        assert row() == first  # one pass over all events gives the same row


def test_names_masked_in_results_and_reasons_on_sqlite(sqlite_url: str) -> None:
    run(sqlite_url)


@pytest.mark.postgres
def test_names_masked_in_results_and_reasons_on_postgres(pg_url: str) -> None:
    run(pg_url)
