"""Tamper evidence on a real PostgreSQL: each kind of change behind the application's back is named."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
import pytest

from application.audit import AuditService
from application.clock import SettableClock
from application.complaints import ComplaintsApp
from application.persistence import parse_database_url
from domain.calendar import WorkingCalendar
from domain.roster import SigningMode
from domain.values import Actor, Channel, Classification, Complainant, ComplainantType, Role

ROOT = Path(__file__).resolve().parents[2]
VERIFY_BUNDLE = ROOT / "ops" / "audit" / "verify_bundle.py"
CLERK = Actor("c1", "窗口甲", Role.window_clerk)


def lifecycle(app: ComplaintsApp, clock: SettableClock, n: int) -> UUID:
    """A general complaint taken through receive → classify → resolve → feedback → callback (5 events)."""
    cid = app.receive(
        channel=Channel.window,
        content=f"第{n}件诉求",
        category="housing",
        complainant=Complainant(ComplainantType.person, "赵六", "13700001111"),
        actor=CLERK,
    ).id
    for step in (
        lambda: app.classify(cid, classification=Classification.general, reason="当场可办", actor=CLERK),
        lambda: app.resolve(cid, result="当场办结", legal_basis=None, actor=CLERK),
        lambda: app.feed_back(cid, method="当面", summary="已告知", actor=CLERK),
        lambda: app.call_back(cid, rating=5, comment="满意", actor=CLERK),
    ):
        clock.advance(timedelta(minutes=5))
        step()
    return cid


@pytest.fixture
def store(pg_url: str, clock: SettableClock, calendar: WorkingCalendar) -> Iterator[tuple[str, ComplaintsApp]]:
    app = ComplaintsApp(
        env=parse_database_url(pg_url).env, clock=clock, calendar=calendar, signing_mode=SigningMode.roles_only
    )
    yield pg_url, app
    app.close()


def sql(url: str, statement: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with psycopg.connect(url, autocommit=True) as conn:
        cur = conn.execute(statement, params)
        return cur.fetchall() if cur.description else []


def test_untouched_store_verifies_clean(store: tuple[str, ComplaintsApp], clock: SettableClock) -> None:
    _, app = store
    ids = [lifecycle(app, clock, n) for n in range(3)]
    audit = AuditService(app)
    assert audit.anchor() is not None
    report = audit.verify()
    assert report.ok, report.findings
    assert report.complaints_checked == 3
    assert report.events_checked == 15
    assert audit.verify(ids[0]).ok


def test_each_tampering_is_reported_with_complaint_and_version(
    store: tuple[str, ComplaintsApp], clock: SettableClock, calendar: WorkingCalendar
) -> None:
    url, app = store
    edited, deleted, swapped, source, moved_into, truncated, clean = (lifecycle(app, clock, n) for n in range(7))
    AuditService(app).anchor()

    # 1. update a row's state: the recorded result of version 3 is rewritten
    (state,) = sql(
        url, "SELECT state FROM complaints_events WHERE originator_id=%s AND originator_version=3", (edited,)
    )[0]
    doc = json.loads(bytes(state))
    doc["result"] = "篡改后的结果"
    sql(
        url,
        "UPDATE complaints_events SET state=%s WHERE originator_id=%s AND originator_version=3",
        (json.dumps(doc, ensure_ascii=False).encode(), edited),
    )
    # 2. delete a middle row
    sql(url, "DELETE FROM complaints_events WHERE originator_id=%s AND originator_version=2", (deleted,))
    # 3. swap two rows' versions
    with psycopg.connect(url) as conn:
        conn.execute(
            "UPDATE complaints_events SET originator_version=-1 WHERE originator_id=%s AND originator_version=2",
            (swapped,),
        )
        conn.execute(
            "UPDATE complaints_events SET originator_version=2 WHERE originator_id=%s AND originator_version=3",
            (swapped,),
        )
        conn.execute(
            "UPDATE complaints_events SET originator_version=3 WHERE originator_id=%s AND originator_version=-1",
            (swapped,),
        )
    # 4. copy a row from another complaint onto the end of this one
    sql(
        url,
        "INSERT INTO complaints_events (originator_id, originator_version, topic, state) "
        "SELECT %s, 6, topic, state FROM complaints_events WHERE originator_id=%s AND originator_version=4",
        (moved_into, source),
    )
    # 5. delete the newest row after the anchor
    sql(url, "DELETE FROM complaints_events WHERE originator_id=%s AND originator_version=5", (truncated,))

    fresh = ComplaintsApp(
        env=parse_database_url(url).env, clock=clock, calendar=calendar, signing_mode=SigningMode.roles_only
    )
    try:
        report = AuditService(fresh).verify()
    finally:
        fresh.close()
    found = {(f.complaint_id, f.version, f.problem) for f in report.findings}
    assert found == {
        (edited, 3, "altered"),
        (deleted, 2, "missing"),
        (swapped, 2, "altered"),
        (moved_into, 6, "altered"),
        (truncated, 5, "truncated"),
    }
    assert clean not in {f.complaint_id for f in report.findings}
    assert source not in {f.complaint_id for f in report.findings}
    assert not report.ok


def test_cli_verify_exit_status(store: tuple[str, ComplaintsApp], clock: SettableClock, tmp_path: Path) -> None:
    url, app = store
    cid = lifecycle(app, clock, 1)
    # the fixture's store is written unencrypted, so the CLI must be told that is intended
    env = {"YOUSU_DATABASE_URL": url, "YOUSU_ALLOW_PLAINTEXT": "true", "PATH": "/usr/bin:/bin"}
    yousu = str(ROOT / ".venv" / "bin" / "yousu")
    ok = subprocess.run([yousu, "audit", "verify"], env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    sql(url, "DELETE FROM complaints_events WHERE originator_id=%s AND originator_version=2", (cid,))
    bad = subprocess.run(
        [yousu, "audit", "verify", "--complaint", str(cid)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 1
    assert f"{cid} 第 2 版（version 2: missing）" in bad.stdout  # the complaint, the version, the problem


def export_bundle(app: ComplaintsApp, ids: list[UUID], out: Path) -> Path:
    bundle = AuditService(app).export(ids)
    out.mkdir(parents=True, exist_ok=True)
    (out / "events.jsonl").write_text(
        "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in bundle["events"]), encoding="utf-8"
    )
    (out / "chain.json").write_text(json.dumps(bundle["chains"]), encoding="utf-8")
    if bundle["anchor"]:
        (out / "anchor.json").write_text(json.dumps(bundle["anchor"]), encoding="utf-8")
    return out


def run_verifier(bundle: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    # the standalone verifier runs with the bare interpreter and no project on the path
    return subprocess.run(
        [sys.executable, "-I", str(VERIFY_BUNDLE), str(bundle), *extra], capture_output=True, text=True, check=False
    )


def _lines(bundle: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in (bundle / "events.jsonl").read_text(encoding="utf-8").splitlines()]


def _write(bundle: Path, lines: list[dict[str, Any]]) -> None:
    (bundle / "events.jsonl").write_text(
        "".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines), encoding="utf-8"
    )


def test_standalone_verifier_accepts_honest_and_rejects_tampered(
    store: tuple[str, ComplaintsApp], clock: SettableClock, tmp_path: Path
) -> None:
    _, app = store
    a, b = lifecycle(app, clock, 1), lifecycle(app, clock, 2)
    anchored = AuditService(app).anchor()
    assert anchored is not None
    honest = export_bundle(app, [a, b], tmp_path / "honest")
    result = run_verifier(honest, "--digest", anchored.digest)
    assert result.returncode == 0, result.stdout
    assert run_verifier(honest, "--digest", "0" * 64).returncode == 1

    def variant(name: str, change: Any) -> subprocess.CompletedProcess[str]:
        target = export_bundle(app, [a, b], tmp_path / name)
        lines = _lines(target)
        _write(target, change(lines))
        return run_verifier(target)

    def edit(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
        lines[2]["payload"]["result"] = "改过"
        return lines

    def delete_middle(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return lines[:1] + lines[2:]

    def swap(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
        lines[1]["version"], lines[2]["version"] = lines[2]["version"], lines[1]["version"]
        return lines

    def move(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
        foreign = dict(lines[8])  # b's version 4
        foreign["complaint_id"] = str(a)
        foreign["version"] = 6
        return [*lines, foreign]

    def truncate(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [x for x in lines if not (x["complaint_id"] == str(a) and x["version"] == 5)]

    for name, change, expected in [
        ("edit", edit, f"{a} 第 3 版：被篡改"),
        ("delete", delete_middle, f"{a} 第 2 版：缺失"),
        ("swap", swap, f"{a} 第 2 版：被篡改"),
        ("move", move, f"{a} 第 6 版：被篡改"),
        ("truncate", truncate, f"{a} 第 5 版起：被截断"),
    ]:
        result = variant(name, change)
        assert result.returncode == 1, name
        assert expected in result.stdout, (name, result.stdout)


def test_history_reads_are_in_the_access_log(pg_url: str, clock: SettableClock) -> None:
    from tests.support import auth, client_for, receive_body  # noqa: PLC0415 — imported where used, in a test or helper run rarely

    with client_for(pg_url, clock) as client:
        cid = client.post("/v1/complaints", json=receive_body(), headers=auth(Role.window_clerk)).json()["id"]
        liaison = auth(Role.liaison, sub="liaison-7")
        assert client.get(f"/v1/complaints/{cid}/history", headers=liaison).status_code == 200
        assert client.get(f"/v1/complaints/{cid}", headers=auth(Role.duty_leader, sub="leader-3")).status_code == 200
        assert client.get(f"/v1/complaints/{cid}", headers=auth(Role.analyst, sub="analyst-1")).status_code == 200
        log = client.get("/v1/audit/access", params={"complaint_id": cid}, headers=liaison).json()["items"]
        readers = [(x["reader"]["id"], x["endpoint"], x["personal_info"]) for x in log]
        assert ("liaison-7", "GET /v1/complaints/{id}/history", True) in readers
        assert ("leader-3", "GET /v1/complaints/{id}", True) in readers
        assert not any(r[0] == "analyst-1" for r in readers)  # masked view: no personal information read
        assert client.get("/v1/audit/access", headers=auth(Role.analyst)).status_code == 403
        verify = client.get("/v1/audit/verify", headers=liaison)
        assert verify.status_code == 200
        assert verify.json()["ok"] is True
        anchor = client.post("/v1/audit/anchors", headers=liaison)
        assert anchor.status_code == 200
        assert len(anchor.json()["digest"]) == 64
