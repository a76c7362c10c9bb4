"""The backup/restore runbook, run as written on real PostgreSQL: dump, restore, verify, rebuild, compare."""

from __future__ import annotations

import os
import re
import subprocess
import uuid
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from application.calendar_loader import load_calendar
from tests.conftest import create_pg_database, drop_pg_database
from tests.e2e.conftest import REPO, run_server, yousu_executable
from tests.support import CIPHER_KEY, SECRET, receive_body, token
from yousu.wiring import all_views

RUNBOOK = REPO / "ops" / "runbooks" / "backup-restore.md"
pytestmark = pytest.mark.postgres


def runbook_block(name: str) -> str:
    """The shell block tagged ``name`` in the runbook."""
    found = re.findall(rf"```sh {name}\n(.*?)```", RUNBOOK.read_text(encoding="utf-8"), flags=re.DOTALL)
    assert len(found) == 1, f"runbook block {name!r}"
    return str(found[0])


def run_block(name: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run a runbook block with bash, stopping at the first failing command."""
    script = "set -euo pipefail\n" + runbook_block(name)
    done = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, f"runbook block {name} failed:\n{done.stdout}\n{done.stderr}"
    return done


def build_store(base_url: str) -> list[str]:
    """Complaints through the HTTP API at several stages of their lifecycle."""

    def h(role: str, **extra: str) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {token(role, department='housing' if role == 'department' else None)}",
            **extra,
        }

    def post(cid: str, action: str, body: dict[str, Any], role: str) -> None:
        r = httpx.post(f"{base_url}/v1/complaints/{cid}/{action}", json=body, headers=h(role), timeout=10)
        assert r.status_code == 200, r.text

    ids = []
    for n in range(6):
        r = httpx.post(
            f"{base_url}/v1/complaints",
            json=receive_body(content=f"备份演练诉求 {n}"),
            headers=h("window_clerk", **{"Idempotency-Key": str(uuid.uuid4())}),
            timeout=10,
        )
        assert r.status_code in (200, 201), r.text
        cid = r.json()["id"]
        ids.append(cid)
        if n == 0:
            continue  # left just received
        if n in (1, 2):
            post(cid, "classify", {"classification": "general"}, "window_clerk")
            if n == 2:
                post(cid, "resolve", {"result": "当场办结"}, "window_clerk")
                post(cid, "feedback", {"method": "phone"}, "window_clerk")
                post(cid, "callback", {"rating": 2}, "window_clerk")  # 差评: a rectification round
            continue
        post(cid, "classify", {"classification": "cannot_do"}, "window_clerk")
        post(cid, "sign", {}, "duty_officer")
        post(cid, "sign", {}, "duty_leader")
        post(cid, "dispatch", {"departments": ["housing"], "supervisor": "督办甲"}, "duty_leader")
        if n >= 4:
            post(cid, "resolve", {"result": "无法办理", "legal_basis": "《条例》第5条"}, "department")
            post(cid, "feedback", {"method": "phone"}, "window_clerk")
        if n == 5:
            post(cid, "callback", {"rating": 5}, "window_clerk")
    return ids


def view_contents(url: str) -> dict[str, list[str]]:
    """Every view table's rows, order-independent."""
    names = [t.name for v in all_views(load_calendar(REPO / "ops" / "calendar")) for t in v.tables]
    with psycopg.connect(url) as conn:
        return {name: sorted(repr(row) for row in conn.execute(f"SELECT * FROM {name}")) for name in names}  # noqa: S608 — table names come from the views' own definitions


def test_backup_restore_drill(tmp_path: Path) -> None:
    original = create_pg_database("yousu_drill")
    restore_db = f"{original.rsplit('/', 1)[1]}_restored"
    restored = f"{original.rsplit('/', 1)[0]}/{restore_db}"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("YOUSU_")},
        "PATH": f"{yousu_executable().parent}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        "YOUSU_DATABASE_URL": original,
        "YOUSU_CIPHER_KEY": CIPHER_KEY,
        "YOUSU_AUTH_SECRET": SECRET,
        "BACKUP_DIR": str(tmp_path),
        "RESTORE_DB": restore_db,
    }
    try:
        with run_server(original, tmp_path) as server:
            ids = build_store(server.base_url)
        rebuilt = subprocess.run(
            [str(yousu_executable()), "project", "rebuild"], env=env, capture_output=True, text=True, check=False
        )
        assert rebuilt.returncode == 0, rebuilt.stderr
        before = view_contents(original)
        assert len(before["yousu_ledger"]) == len(ids)  # the views hold every complaint

        run_block("backup", env)
        assert (tmp_path / "yousu.dump").stat().st_size > 0
        done = run_block("restore", env)

        # the restored store verifies clean with the same key, as a real CLI process
        assert f"store: {restored}" in done.stderr.splitlines()
        assert f"checked {len(ids)} complaints" in done.stdout
        assert "OK" in done.stdout
        assert "FAIL" not in done.stdout
        assert "no complaints" not in done.stderr
        # every view rebuilt from the restored events equals the original's
        assert view_contents(restored) == before

        # and the rebuild really recomputed them: emptied views come back identical
        with psycopg.connect(restored, autocommit=True) as conn:
            for name in before:
                conn.execute(f"DELETE FROM {name}")  # noqa: S608 — table names come from the views' own definitions
        again = subprocess.run(
            [str(yousu_executable()), "project", "rebuild"],
            env={**env, "YOUSU_DATABASE_URL": restored},
            capture_output=True,
            text=True,
            check=False,
        )
        assert again.returncode == 0, again.stderr
        assert view_contents(restored) == before
    finally:
        drop_pg_database(restored)
        drop_pg_database(original)
