"""PostgreSQL clusters of the test's own, made with the machine's binaries, and the runbook's blocks run on them.

The failover and point-in-time-recovery drills need clusters they may kill, promote and restore:
``initdb`` on a free port in a temporary directory, owned by the ``postgres`` OS user when the
tests run as root (``initdb`` refuses to run as root), with the service's configuration applied by
the runbook's own shell blocks (``ops/runbooks/standby-failover.md``).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from tests.e2e.conftest import REPO, free_port

RUNBOOK = REPO / "ops" / "runbooks" / "standby-failover.md"
PGBIN = Path(os.environ.get("YOUSU_TEST_PGBIN", "/usr/lib/postgresql/15/bin"))
SUPERUSER_PASSWORD = "drill-superuser-password"
APP_PASSWORD = "drill-app-password"
REPLICATOR_PASSWORD = "drill-replicator-password"
OS_USER = "postgres"


def runbook_block(name: str) -> str:
    """The shell block tagged ``name`` in the failover runbook."""
    found = re.findall(rf"```sh {name}\n(.*?)```", RUNBOOK.read_text(encoding="utf-8"), flags=re.DOTALL)
    assert len(found) == 1, f"runbook block {name!r}"
    return str(found[0])


def _as_db_owner(argv: list[str]) -> list[str]:
    """``argv`` run as the clusters' OS user: ``postgres`` when the tests run as root, else ourselves."""
    if os.geteuid() == 0:
        return ["runuser", "-u", OS_USER, "--", *argv]
    return argv


def run_as_owner(script: str, env: dict[str, str], timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """Run a shell script as the clusters' owner with exactly ``env`` (plus PATH), stopping at the first error."""
    assignments = [f"{k}={v}" for k, v in env.items()]
    argv = _as_db_owner(
        ["env", "-i", "PATH=/usr/bin:/bin", "LANG=C.UTF-8", *assignments, "bash", "-c", "set -euo pipefail\n" + script]
    )
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False, cwd="/")
    assert done.returncode == 0, (
        f"script failed ({done.returncode}):\n{script}\n--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"
    )
    return done


@dataclass
class Cluster:
    """One PostgreSQL cluster on 127.0.0.1:``port``."""

    data: Path
    port: int
    pids: list[int] = field(default_factory=list)

    def url(self, user: str = "yousu", password: str = APP_PASSWORD, db: str = "yousu") -> str:
        """``postgresql://`` URL of ``db`` on this cluster."""
        return f"postgresql://{user}:{password}@127.0.0.1:{self.port}/{db}"

    def admin(self, db: str = "postgres") -> psycopg.Connection[tuple[object, ...]]:
        """A superuser connection (autocommit)."""
        return psycopg.connect(self.url("postgres", SUPERUSER_PASSWORD, db), autocommit=True, connect_timeout=3)

    def postmaster_pid(self) -> int | None:
        """The postmaster's pid, from its pid file (None when it is not running)."""
        with contextlib.suppress(OSError, ValueError, IndexError):
            return int((self.data / "postmaster.pid").read_text().splitlines()[0])
        return None

    def kill(self) -> None:
        """SIGKILL the postmaster and every process it started: the machine died."""
        pid = self.postmaster_pid()
        if pid is None:
            return
        victims = [pid, *_children(pid)]
        for victim in victims:
            with contextlib.suppress(ProcessLookupError):
                os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_alive(v) for v in victims):
            time.sleep(0.05)

    def stop(self) -> None:
        """Stop it (immediate), if it runs."""
        if self.postmaster_pid() is not None and _alive(self.postmaster_pid() or 0):
            subprocess.run(
                _as_db_owner([str(PGBIN / "pg_ctl"), "-D", str(self.data), "stop", "-m", "immediate", "-w"]),
                capture_output=True,
                check=False,
                timeout=60,
            )


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            stat = (entry / "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == pid:
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with contextlib.suppress(OSError):  # a zombie counts as gone
        return " Z " not in Path(f"/proc/{pid}/stat").read_text()
    return False


@dataclass
class Workspace:
    """A temporary directory the clusters' OS user owns, with the clusters made in it."""

    root: Path
    clusters: list[Cluster] = field(default_factory=list)

    def env(self, **extra: str) -> dict[str, str]:
        """The runbook's variables for blocks run here."""
        return {
            "PGBIN": str(PGBIN),
            "OPS_POSTGRES": str(self.root / "ops-postgres"),
            "ARCHIVE_DIR": str(self.root / "wal-archive"),
            "REPLICATOR_PASSWORD": REPLICATOR_PASSWORD,
            "PRIMARY_HOST": "127.0.0.1",
            "STANDBY_ADDRESS": "127.0.0.1",
            "PGHOST": str(self.root),  # the clusters' sockets live in the workspace, not in /var/run/postgresql
            **extra,
        }

    def initdb(self, name: str) -> Cluster:
        """A new cluster ``name`` on a free port, started, with the ``yousu`` role and database."""
        cluster = Cluster(self.root / name, free_port())
        pwfile = self.root / "pwfile"
        pwfile.write_text(SUPERUSER_PASSWORD + "\n")
        _chown(pwfile)
        script = f"""
"$PGBIN/initdb" -D "$DATA" -U postgres --auth-local=peer --auth-host=scram-sha-256 --pwfile="$PWFILE" \
  --no-sync --encoding=UTF8 --locale=C.UTF-8 > /dev/null
cat >> "$DATA/postgresql.conf" <<CONF
port = {cluster.port}
listen_addresses = '127.0.0.1'
unix_socket_directories = '{self.root}'
max_connections = 100
shared_buffers = '32MB'
# a killed process loses no page cache: the drills' durability is the WAL's, so skip the disk syncs
fsync = off
CONF
"$PGBIN/pg_ctl" -D "$DATA" start -w -l "$DATA/postgresql.log" > /dev/null
"$PGBIN/psql" -h "{self.root}" -p {cluster.port} -d postgres -X -q -v ON_ERROR_STOP=1 \
  -c "CREATE ROLE yousu LOGIN PASSWORD '{APP_PASSWORD}'" -c "CREATE DATABASE yousu OWNER yousu"
"""
        run_as_owner(script, {"PGBIN": str(PGBIN), "DATA": str(cluster.data), "PWFILE": str(pwfile)})
        self.clusters.append(cluster)
        return cluster

    def block(self, name: str, **extra: str) -> subprocess.CompletedProcess[str]:
        """Run the runbook's block ``name`` as the clusters' owner."""
        return run_as_owner(runbook_block(name), self.env(**extra))

    def directory(self, name: str) -> Path:
        """A path inside the workspace the clusters' owner may create (not created here)."""
        return self.root / name


def _chown(path: Path) -> None:
    if os.geteuid() == 0:
        shutil.chown(path, OS_USER, OS_USER)


@contextlib.contextmanager
def workspace() -> Iterator[Workspace]:
    """A workspace whose clusters are all stopped and removed afterwards."""
    root = Path(tempfile.mkdtemp(prefix="yousu-drill-"))
    root.chmod(0o755)
    _chown(root)
    ops = root / "ops-postgres"
    shutil.copytree(REPO / "ops" / "postgres", ops)
    for path in (ops, *ops.iterdir()):
        _chown(path)
    ws = Workspace(root)
    try:
        yield ws
    finally:
        for cluster in ws.clusters:
            cluster.stop()
        shutil.rmtree(root, ignore_errors=True)


def pair(ws: Workspace) -> tuple[Cluster, Cluster, dict[str, str]]:
    """A primary and its synchronous hot standby, built with the runbook's blocks."""
    primary = ws.initdb("primary")
    standby = Cluster(ws.directory("standby"), free_port())
    env = {
        "PRIMARY_DATA": str(primary.data),
        "PRIMARY_PORT": str(primary.port),
        "STANDBY_DATA": str(standby.data),
        "STANDBY_PORT": str(standby.port),
    }
    ws.block("primary", **env)
    ws.clusters.append(standby)
    ws.block("standby", **env)
    assert ws.block("check", **env).stdout.strip().endswith("yousu_standby|streaming|sync")
    return primary, standby, env
