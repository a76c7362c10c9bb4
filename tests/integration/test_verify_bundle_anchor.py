"""The offline verifier never says OK without an anchor kept outside the system, and names what a forgery changed.

A forger who can rewrite the bundle can also recompute every row hash, chain.json and anchor.json so that
the bundle agrees with itself. Only the digest kept outside (``--digest``, or the record ``yousu audit
anchor`` printed, saved to a file and passed as ``--anchor``) tells the forgery apart.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from application.audit import AuditService
from application.clock import SettableClock
from application.complaints import ComplaintsApp
from application.persistence import parse_database_url
from domain.calendar import WorkingCalendar
from domain.roster import SigningMode
from domain.values import Actor, Channel, Complainant, ComplainantType, Role

ROOT = Path(__file__).resolve().parents[2]
VERIFY_BUNDLE = ROOT / "ops" / "audit" / "verify_bundle.py"
CLERK = Actor("c1", "窗口甲", Role.window_clerk)
GENESIS = "0" * 64


@pytest.fixture
def app(sqlite_url: str, clock: SettableClock, calendar: WorkingCalendar) -> Iterator[ComplaintsApp]:
    a = ComplaintsApp(
        env=parse_database_url(sqlite_url).env, clock=clock, calendar=calendar, signing_mode=SigningMode.roles_only
    )
    yield a
    a.close()


def receive(app: ComplaintsApp, content: str) -> UUID:
    return app.receive(
        channel=Channel.window,
        content=content,
        category="housing",
        complainant=Complainant(ComplainantType.person, "赵六", "13700001111"),
        actor=CLERK,
    ).id


def write(bundle: dict[str, Any], out: Path) -> Path:
    out.mkdir()
    events = bundle["events"]
    (out / "events.jsonl").write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in events), "utf-8")
    (out / "chain.json").write_text(json.dumps(bundle["chains"]), encoding="utf-8")
    (out / "anchor.json").write_text(json.dumps(bundle["anchor"]), encoding="utf-8")
    return out


def verifier(bundle: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-I", str(VERIFY_BUNDLE), str(bundle), *extra], capture_output=True, text=True, check=False
    )


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def rehash(event: dict[str, Any]) -> str:
    """The row hash as the documented canonical form defines it (no salted fields change here)."""
    payload = json.loads(json.dumps(event["payload"]))
    for key, salt in (event.get("salts") or {}).items():
        outer, inner = key.split(".", 1)
        if payload.get(outer, {}).get(inner) is not None:
            payload[outer][inner] = "sha256:" + sha256(f"{salt}:{payload[outer][inner]}")
    doc = {
        "complaint_id": event["complaint_id"],
        "version": event["version"],
        "type": event["type"],
        "payload": payload,
    }
    return sha256(json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":")))


def forge(bundle: Path, old: str, new: str) -> None:
    """Rewrite the content and recompute everything the bundle itself could be checked against."""
    events = [json.loads(x) for x in (bundle / "events.jsonl").read_text(encoding="utf-8").splitlines()]
    prev: dict[str, str] = {}
    for e in sorted(events, key=lambda x: (x["complaint_id"], x["version"])):
        if e["payload"].get("content") == old:
            e["payload"]["content"] = new
        e["payload"]["prev_hash"] = prev.get(e["complaint_id"], GENESIS)
        e["row_hash"] = prev[e["complaint_id"]] = rehash(e)
    (bundle / "events.jsonl").write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in events), "utf-8")
    chains = {cid: {"version": max(x["version"] for x in events if x["complaint_id"] == cid), "head": head}
              for cid, head in prev.items()}  # fmt: skip
    (bundle / "chain.json").write_text(json.dumps(chains), encoding="utf-8")
    anchor = json.loads((bundle / "anchor.json").read_text(encoding="utf-8"))
    anchor["heads"] = {cid: [c["version"], c["head"]] for cid, c in chains.items()}
    lines = "".join(f"{cid}:{v}:{h}\n" for cid, (v, h) in sorted(anchor["heads"].items()))
    anchor["digest"] = sha256(lines)
    (bundle / "anchor.json").write_text(json.dumps(anchor), encoding="utf-8")


def test_a_forged_bundle_is_never_ok_and_the_kept_digest_exposes_it(app: ComplaintsApp, tmp_path: Path) -> None:
    cid = receive(app, "楼道灯不亮")
    other = receive(app, "垃圾未清运")
    anchored = AuditService(app).anchor()
    assert anchored is not None
    bundle = AuditService(app).export([cid, other])

    honest = write(bundle, tmp_path / "honest")
    ok = verifier(honest, "--digest", anchored.digest)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "已核验" in ok.stdout

    # the honest bundle without the kept digest: consistent, but never "OK"
    bare = verifier(honest)
    assert bare.returncode == 3, bare.stdout
    assert "未核验" in bare.stdout
    assert "OK" not in bare.stdout

    forged = write(bundle, tmp_path / "forged")
    forge(forged, "楼道灯不亮", "已当场解决，无需处理")
    alone = verifier(forged)
    assert alone.returncode != 0, alone.stdout
    assert "OK" not in alone.stdout
    assert "未核验" in alone.stdout
    assert "--digest" in alone.stdout  # says what would verify it

    caught = verifier(forged, "--digest", anchored.digest)
    assert caught.returncode == 1, caught.stdout
    assert f"锚定 {anchored.number}：摘要与系统外保存的不符" in caught.stdout
    assert "已核验" not in caught.stdout


def test_the_anchor_record_file_serves_as_the_kept_anchor(app: ComplaintsApp, tmp_path: Path) -> None:
    cid = receive(app, "噪音扰民")
    anchored = AuditService(app).anchor()
    assert anchored is not None
    kept = tmp_path / "anchor-kept.json"  # what `yousu audit anchor` printed, saved on the day
    kept.write_text(json.dumps({"number": anchored.number, "digest": anchored.digest}), encoding="utf-8")
    bundle = AuditService(app).export([cid])
    assert verifier(write(bundle, tmp_path / "b"), "--anchor", str(kept)).returncode == 0
    forged = write(bundle, tmp_path / "f")
    forge(forged, "噪音扰民", "无")
    assert verifier(forged, "--anchor", str(kept)).returncode == 1
    unreadable = tmp_path / "nothing.json"
    unreadable.write_text("{}", encoding="utf-8")
    refused = verifier(forged, "--anchor", str(unreadable))
    assert refused.returncode == 2
    assert "digest" in refused.stderr


def test_a_tampered_event_is_named_by_complaint_and_version(app: ComplaintsApp, tmp_path: Path) -> None:
    cid = receive(app, "路面塌陷")
    anchored = AuditService(app).anchor()
    assert anchored is not None
    out = write(AuditService(app).export([cid]), tmp_path / "t")
    events = [json.loads(x) for x in (out / "events.jsonl").read_text(encoding="utf-8").splitlines()]
    events[0]["payload"]["content"] = "路面完好"  # edited, hashes left as they were
    (out / "events.jsonl").write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in events), "utf-8")
    for extra in ((), ("--digest", anchored.digest)):
        result = verifier(out, *extra)
        assert result.returncode == 1, result.stdout
        assert f"{cid} 第 1 版：被篡改，内容与其哈希不符（version 1: altered）" in result.stdout
        assert "核验失败" in result.stdout
