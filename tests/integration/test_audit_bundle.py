"""Audit bundles on a real PostgreSQL: anchored or refused, private files, personal values masked by default."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from uuid import UUID, uuid4

import pytest

import domain.complaint.aggregate
from application.audit import AuditService
from application.clock import SettableClock
from application.complaints import ComplaintsApp
from application.persistence import parse_database_url
from domain.calendar import WorkingCalendar
from domain.roster import SigningMode
from domain.values import Actor, Channel, Complainant, ComplainantType, Role
from tests.support import SECRET, auth, client_for, receive_body, token

ROOT = Path(__file__).resolve().parents[2]
VERIFY_BUNDLE = ROOT / "ops" / "audit" / "verify_bundle.py"
YOUSU = str(ROOT / ".venv" / "bin" / "yousu")
CLERK = Actor("c1", "窗口甲", Role.window_clerk)
NAME, PHONE, ID_NUMBER = "欧阳锋", "13912345678", "11010519491231002X"


@pytest.fixture
def store(pg_url: str, clock: SettableClock, calendar: WorkingCalendar) -> Iterator[tuple[str, ComplaintsApp]]:
    app = ComplaintsApp(
        env=parse_database_url(pg_url).env, clock=clock, calendar=calendar, signing_mode=SigningMode.roles_only
    )
    yield pg_url, app
    app.close()


def receive(app: ComplaintsApp) -> UUID:
    return app.receive(
        channel=Channel.window,
        content="办证窗口无人",
        category="housing",
        complainant=Complainant(ComplainantType.person, NAME, PHONE, ID_NUMBER),
        actor=CLERK,
    ).id


def write_bundle(bundle: dict[str, object], out: Path) -> Path:
    out.mkdir()
    events = bundle["events"]
    assert isinstance(events, list)
    (out / "events.jsonl").write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in events), "utf-8")
    (out / "chain.json").write_text(json.dumps(bundle["chains"]), encoding="utf-8")
    if bundle["anchor"]:
        (out / "anchor.json").write_text(json.dumps(bundle["anchor"]), encoding="utf-8")
    return out


def verifier(bundle: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-I", str(VERIFY_BUNDLE), str(bundle), *extra], capture_output=True, text=True, check=False
    )


def export(url: str, *args: str, tok: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {
        "YOUSU_DATABASE_URL": url,
        "YOUSU_AUTH_SECRET": SECRET,
        "YOUSU_ALLOW_PLAINTEXT": "true",  # the fixture's store is written without a cipher
        "PATH": "/usr/bin:/bin",
        "COLUMNS": "400",
    }
    if tok is not None:
        env["YOUSU_TOKEN"] = tok
    return subprocess.run(
        [YOUSU, "audit", "export", *args], env=env, cwd=ROOT, capture_output=True, text=True, check=False
    )


def test_verifier_fails_an_unanchored_bundle_unless_allowed(store: tuple[str, ComplaintsApp], tmp_path: Path) -> None:
    _, app = store
    cid = receive(app)
    bundle = write_bundle(AuditService(app).export([cid]), tmp_path / "b")
    refused = verifier(bundle)
    assert refused.returncode == 1, refused.stdout
    assert "UNANCHORED" in refused.stdout
    assert "OK" not in refused.stdout
    allowed = verifier(bundle, "--allow-unanchored")
    assert allowed.returncode == 3, allowed.stdout  # reported, never OK: no anchor proves anything here
    assert "未核验" in allowed.stdout
    assert "OK" not in allowed.stdout


def test_verifier_fails_a_complaint_the_anchor_does_not_cover(store: tuple[str, ComplaintsApp], tmp_path: Path) -> None:
    _, app = store
    first = receive(app)
    AuditService(app).anchor()
    later = receive(app)
    bundle = write_bundle(AuditService(app).export([first, later]), tmp_path / "b")
    result = verifier(bundle)
    assert result.returncode == 1
    assert f"未覆盖 {later}" in result.stdout


def test_cli_export_refuses_unanchored_and_unknown(store: tuple[str, ComplaintsApp], tmp_path: Path) -> None:
    url, app = store
    cid = receive(app)
    unanchored = export(url, "--complaint", str(cid), "--out", str(tmp_path / "u"))
    assert unanchored.returncode != 0
    assert "yousu audit anchor" in unanchored.stderr
    assert not (tmp_path / "u").exists()
    chain_only = export(url, "--complaint", str(cid), "--out", str(tmp_path / "c"), "--allow-unanchored")
    assert chain_only.returncode == 0, chain_only.stderr
    assert verifier(tmp_path / "c", "--allow-unanchored").returncode == 3  # chain-only: unverified
    AuditService(app).anchor()
    missing = uuid4()
    unknown = export(url, "--complaint", str(missing), "--out", str(tmp_path / "x"))
    assert unknown.returncode != 0
    assert str(missing) in unknown.stderr
    assert not (tmp_path / "x").exists()


def test_cli_export_refuses_unsafe_directories(store: tuple[str, ComplaintsApp], tmp_path: Path) -> None:
    url, app = store
    cid = receive(app)
    AuditService(app).anchor()
    inside = export(url, "--complaint", str(cid), "--out", str(ROOT / "var" / f"bundle-{uuid4().hex}"))
    assert inside.returncode != 0
    assert "inside" in inside.stderr
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    link = export(url, "--complaint", str(cid), "--out", str(tmp_path / "link"))
    assert link.returncode != 0
    assert "symbolic link" in link.stderr
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "old.txt").write_text("x", encoding="utf-8")
    full = export(url, "--complaint", str(cid), "--out", str(tmp_path / "full"))
    assert full.returncode != 0
    assert "not empty" in full.stderr
    assert not any((tmp_path / "real").iterdir())
    missing_out = subprocess.run(
        [YOUSU, "audit", "export", "--complaint", str(cid)],
        env={"YOUSU_DATABASE_URL": url, "YOUSU_ALLOW_PLAINTEXT": "true", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert missing_out.returncode != 0


def test_cli_export_is_private_and_masked_yet_verifies(store: tuple[str, ComplaintsApp], tmp_path: Path) -> None:
    url, app = store
    cid = receive(app)
    anchored = AuditService(app).anchor()
    assert anchored is not None
    out = tmp_path / "bundle"
    result = export(url, "--complaint", str(cid), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    for f in out.iterdir():
        assert stat.S_IMODE(f.stat().st_mode) == 0o600, f
        text = f.read_text(encoding="utf-8")
        for secret in (NAME, PHONE, ID_NUMBER):
            assert secret not in text, (f.name, secret)
    checked = verifier(out, "--digest", anchored.digest)
    assert checked.returncode == 0, checked.stdout
    # a forged phone commitment no longer matches the chain
    lines = [json.loads(x) for x in (out / "events.jsonl").read_text(encoding="utf-8").splitlines()]
    lines[0]["payload"]["complainant"]["phone"] = "sha256:" + "0" * 64
    (out / "events.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    assert f"{cid} 第 1 版：被篡改" in verifier(out, "--digest", anchored.digest).stdout


def test_personal_info_only_for_a_liaison_token(store: tuple[str, ComplaintsApp], tmp_path: Path) -> None:
    url, app = store
    cid = receive(app)
    anchored = AuditService(app).anchor()
    assert anchored is not None
    args = ["--complaint", str(cid), "--with-personal-info"]
    no_token = export(url, *args, "--out", str(tmp_path / "a"))
    assert no_token.returncode != 0
    assert "--token" in no_token.stderr
    analyst = export(url, *args, "--out", str(tmp_path / "b"), tok=token(Role.analyst))
    assert analyst.returncode != 0
    forged = export(url, *args, "--out", str(tmp_path / "c"), tok=token(Role.liaison)[:-4] + "AAAA")
    assert forged.returncode != 0
    assert not any((tmp_path / d).exists() for d in "abc")
    ok = export(url, *args, "--out", str(tmp_path / "d"), tok=token(Role.liaison, sub="liaison-9"))
    assert ok.returncode == 0, ok.stderr
    first = json.loads((tmp_path / "d" / "events.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert first["payload"]["complainant"]["name"] == NAME
    assert first["payload"]["complainant"]["id_number"] == ID_NUMBER
    assert verifier(tmp_path / "d", "--digest", anchored.digest).returncode == 0
    log = AuditService(app).access_log(complaint_id=cid)
    assert [(x["reader"]["id"], x["personal_info"]) for x in log] == [("liaison-9", True)]


def test_events_hashed_before_salting_still_verify(
    store: tuple[str, ComplaintsApp], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An event written by the earlier code (hash over personal values in clear, no salts)."""
    _, app = store
    with monkeypatch.context() as m:
        m.setattr(domain.complaint.aggregate, "new_salts", lambda _fields, _salt: {})
        legacy = receive(app)
    salted = receive(app)
    audit = AuditService(app)
    anchored = audit.anchor()
    assert anchored is not None
    assert audit.verify().ok
    masked = write_bundle(audit.export([legacy, salted]), tmp_path / "masked")
    assert NAME not in (masked / "events.jsonl").read_text(encoding="utf-8")
    result = verifier(masked, "--digest", anchored.digest)
    assert result.returncode == 1
    assert f"{legacy} 第 1 版：在此无法核验" in result.stdout
    assert str(salted) not in result.stdout
    full = write_bundle(audit.export([legacy, salted], personal_info=True), tmp_path / "full")
    assert verifier(full, "--digest", anchored.digest).returncode == 0


def test_salts_never_leave_through_the_history(sqlite_url: str) -> None:
    """With the salts, a masked bundle's phone commitment could be brute-forced: the API never shows them."""
    with client_for(sqlite_url) as client:
        cid = client.post("/v1/complaints", json=receive_body(), headers=auth(Role.window_clerk)).json()["id"]
        for role in (Role.liaison, Role.duty_leader):
            r = client.get(f"/v1/complaints/{cid}/history", headers=auth(role))
            assert r.status_code == 200
            assert "personal_salts" not in r.text
            assert "salt" not in json.dumps(r.json()["events"][0]["payload"])


def test_the_console_downloads_a_bundle_that_verifies_offline(pg_url: str, tmp_path: Path) -> None:
    """GET /v1/audit/bundle: a liaison's zip of one complaint, refused (409) until an anchor covers it;
    the verify badge names the anchor; the unzipped files pass ops/audit/verify_bundle.py."""
    import zipfile  # noqa: PLC0415 — imported where used, in a test or helper run rarely

    liaison = auth(Role.liaison)
    with client_for(pg_url) as client:
        cid = client.post("/v1/complaints", json=receive_body(), headers=auth(Role.window_clerk)).json()["id"]
        badge = client.get("/v1/audit/verify", params={"complaint_id": cid}, headers=liaison).json()
        assert (badge["ok"], badge["events_checked"], badge["anchor"]) == (True, 1, None)
        refused = client.get("/v1/audit/bundle", params={"complaint_id": cid}, headers=liaison)
        assert (refused.status_code, refused.json()["code"]) == (409, "unanchored")
        assert "尚无锚点覆盖该诉求" in refused.json()["detail"]
        chain_only = client.get(
            "/v1/audit/bundle", params={"complaint_id": cid, "allow_unanchored": True}, headers=liaison
        )
        assert chain_only.status_code == 200
        anchored = client.post("/v1/audit/anchors", headers=liaison).json()
        badge = client.get("/v1/audit/verify", params={"complaint_id": cid}, headers=liaison).json()
        assert badge["anchor"] == {"number": anchored["number"], "anchored_at": anchored["anchored_at"], "version": 1}
        # the badge shows the chain head (the newest event's row_hash) and the digest to verify the bundle with
        history = client.get(f"/v1/complaints/{cid}/history", headers=liaison).json()["events"]
        assert (badge["head"], badge["anchor_digest"]) == (history[-1]["payload"]["row_hash"], anchored["digest"])
        r = client.get("/v1/audit/bundle", params={"complaint_id": cid}, headers=liaison)
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == "application/zip"
        assert f'filename="yousu-audit-{cid}.zip"' in r.headers["content-disposition"]
        for role in (Role.analyst, Role.window_clerk, Role.duty_leader):
            assert client.get("/v1/audit/bundle", params={"complaint_id": cid}, headers=auth(role)).status_code == 403
        missing = client.get("/v1/audit/bundle", params={"complaint_id": str(uuid4())}, headers=liaison)
        assert missing.status_code == 404
    (tmp_path / "b.zip").write_bytes(r.content)
    out = tmp_path / "bundle"
    with zipfile.ZipFile(tmp_path / "b.zip") as z:
        # the bundle files, the offline verifier itself and how to run it (核验说明)
        names = ["anchor.json", "chain.json", "events.jsonl", "verify_bundle.py", "核验说明.txt"]
        assert sorted(z.namelist()) == sorted(names)
        z.extractall(out)
    assert (out / "verify_bundle.py").read_bytes() == VERIFY_BUNDLE.read_bytes()
    guide = (out / "核验说明.txt").read_text(encoding="utf-8")
    assert "python3 verify_bundle.py bundle/ --digest" in guide
    assert "系统之外" in guide  # the digest to check against is the one kept outside, never the bundle's
    assert PHONE not in (out / "events.jsonl").read_text(encoding="utf-8")  # commitments, not values
    assert "13812345678" not in (out / "events.jsonl").read_text(encoding="utf-8")
    done = verifier(out, "--digest", anchored["digest"])
    assert done.returncode == 0, done.stdout + done.stderr
    assert "OK" in done.stdout
    # the copy that came in the zip verifies the bundle on its own (standard library only, isolated mode)
    carried = subprocess.run(
        [sys.executable, "-I", str(out / "verify_bundle.py"), str(out), "--digest", anchored["digest"]],
        capture_output=True,
        text=True,
        check=False,
    )
    assert carried.returncode == 0, carried.stdout + carried.stderr
    unverified = subprocess.run(
        [sys.executable, "-I", str(out / "verify_bundle.py"), str(out)], capture_output=True, text=True, check=False
    )
    assert unverified.returncode == 3  # no kept anchor: never OK
