"""Point-in-time recovery, run as a test: a base backup plus the WAL archive restore the store as it was at a chosen moment.

A primary (with its synchronous standby, as in production) archives every WAL segment
(``archive_command`` of ``ops/runbooks/standby-failover.md``). After a base backup (the runbook's
``base-backup`` block), a first batch of complaints is received and anchored, the moment is noted,
and a second batch follows (anchored too). The runbook's ``pitr`` block restores base backup + WAL to
that moment into a new cluster: the first batch is there, the second is not, and on an application
node (the ``pitr-verify`` block) ``yousu audit verify`` passes over the restored store with its one
anchor, and the next anchor continues from the first batch's digest.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psycopg
import pytest

from application.audit import AuditService
from tests.e2e.conftest import free_port, yousu_executable
from tests.e2e.fleet import node_env, processes, serve, wait_for, yousu
from tests.e2e.pgcluster import Cluster, pair, runbook_block, workspace
from tests.support import auth, receive_body, settings_for
from yousu.wiring import build_complaints

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
BATCH = 4


def receive(base: str, n: int, label: str) -> list[str]:
    """``n`` intakes through the API; their complaint ids."""
    ids = []
    with httpx.Client(base_url=base, timeout=30) as http:
        for k in range(n):
            r = http.post("/v1/complaints", json=receive_body(content=f"{label} {k}"), headers=auth("window_clerk"))
            assert r.status_code == 201, r.text
            ids.append(r.json()["id"])
    return ids


def stored(url: str) -> set[str]:
    """Ids of the complaints in the store at ``url``."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT DISTINCT originator_id::text FROM complaints_events WHERE topic LIKE %s", ["%Complaint.Received"]
        ).fetchall()
    return {str(r[0]) for r in rows}


def test_restore_to_a_moment_between_two_batches(tmp_path: Path) -> None:
    with workspace() as ws, processes() as started:
        primary, _standby, env = pair(ws)
        url = primary.url()
        base = serve(started, "serve", node_env(url, YOUSU_BACKGROUND="true"), tmp_path)
        backup = ws.directory("base-backup")
        ws.block("base-backup", BASE_BACKUP=str(backup), **env)

        first = receive(base, BATCH, "第一批")
        anchored = yousu(["audit", "anchor"], node_env(url))
        assert anchored.returncode == 0, anchored.stderr
        first_anchor = json.loads(anchored.stdout.strip().splitlines()[-1])
        time.sleep(1.5)
        with primary.admin() as conn:
            target = conn.execute("SELECT now()::text").fetchone()
        assert target is not None
        time.sleep(1.5)
        second = receive(base, BATCH, "第二批")
        assert yousu(["audit", "anchor"], node_env(url)).returncode == 0

        # the archive holds the WAL past the target (a quiet system gets there within archive_timeout)
        with primary.admin() as conn:
            row = conn.execute("SELECT pg_walfile_name(pg_switch_wal())").fetchone()
        assert row is not None
        switched = str(row[0])

        def archived() -> bool:
            with primary.admin() as conn:
                last = conn.execute("SELECT last_archived_wal FROM pg_stat_archiver").fetchone()
            return last is not None and last[0] is not None and str(last[0]) >= switched

        wait_for(archived, 60, f"WAL {switched} archived")

        restored = Cluster(ws.directory("restored"), free_port())
        ws.clusters.append(restored)
        began = time.monotonic()
        ws.block(
            "pitr",
            BASE_BACKUP=str(backup),
            RESTORE_DATA=str(restored.data),
            RESTORE_PORT=str(restored.port),
            RECOVERY_TARGET_TIME=str(target[0]),
        )
        restore_seconds = time.monotonic() - began

        restored_url = restored.url()
        ids = stored(restored_url)
        assert set(first) <= ids, "the first batch, committed before the target, is restored"
        assert not set(second) & ids, "the second batch, committed after the target, is not"
        assert stored(url) >= set(first) | set(second)  # the live store still has both

        # on an application node: the runbook's check of the restored store, with the service's key
        script = "set -euo pipefail\n" + runbook_block("pitr-verify")
        verify_env = {
            **node_env(url),
            "RESTORE_URL": restored_url,
            "PATH": f"{yousu_executable().parent}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        }
        done = subprocess.run(
            ["bash", "-c", script], env=verify_env, capture_output=True, text=True, timeout=300, check=False
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert f"checked {BATCH} complaints" in done.stdout
        assert "1 anchors" in done.stdout
        assert "OK" in done.stdout
        # the restored store's newest anchor is the one kept outside the system after the first batch
        audit = AuditService(build_complaints(settings_for(restored_url)))
        try:
            newest = audit.anchors()[-1]
        finally:
            audit.app.close()
        assert (newest.number, newest.digest) == (first_anchor["number"], first_anchor["digest"])
        assert restore_seconds < 120
        print_figure(f"point-in-time restore to {target[0]}: {restore_seconds:.1f} s")


def print_figure(text: str) -> None:
    """A measured figure, on the test's output."""
    sys.stdout.write(f"\n{text}\n")
