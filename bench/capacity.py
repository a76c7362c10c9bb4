"""What one PostgreSQL node carries: intakes (events) per second through the group commit, beside pgbench.

Runs, against one PostgreSQL database: ``--threads`` threads each receiving complaints through
``ComplaintsApp.receive`` (the commands' own path: rules, cipher, group commit, slip counter; no HTTP)
for ``--seconds``; then ``pgbench`` (TPC-B-like, the same client count) on a scratch database of the
same server for the same time. The ratio events/s ÷ pgbench tps is what ``docs/scale.md``
extrapolates with: a server's pgbench figure times the ratio estimates its events/s.

Usage: python bench/capacity.py --database-url postgresql://postgres@127.0.0.1:5432/DB [--threads 16] [--seconds 20]
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from tests.support import settings_for  # noqa: E402
from yardstick import quiet_logs  # noqa: E402 — bench/yardstick.py, beside this script

from domain.values import Actor, Channel, Complainant, ComplainantType, Role  # noqa: E402
from yousu.wiring import build_complaints  # noqa: E402

PGBIN = Path("/usr/lib/postgresql/15/bin")
CLERK = Actor(id="bench-clerk", name="窗口", role=Role.window_clerk)


def intakes(url: str, threads: int, seconds: float) -> tuple[int, float]:
    """Complaints received by ``threads`` threads in ``seconds``: (count, elapsed)."""
    app = build_complaints(settings_for(url))
    done = [0] * threads
    stop = threading.Event()

    def work(n: int) -> None:
        while not stop.is_set():
            app.receive(
                channel=Channel.window,
                content="容量测算诉求 营业执照变更被拖延",
                category="market_regulation",
                complainant=Complainant(ComplainantType.person, "张三", "13812345678", None),
                actor=CLERK,
            )
            done[n] += 1

    workers = [threading.Thread(target=work, args=(n,), daemon=True) for n in range(threads)]
    began = time.monotonic()
    for w in workers:
        w.start()
    time.sleep(seconds)
    stop.set()
    for w in workers:
        w.join(30)
    elapsed = time.monotonic() - began
    app.close()
    return sum(done), elapsed


def pgbench(url: str, clients: int, seconds: float) -> float:
    """pgbench TPC-B-like tps on a scratch database of the same server."""
    base, _, _ = url.rpartition("/")
    scratch = "yousu_capacity_pgbench"
    admin = f"{base}/postgres"
    subprocess.run(["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {scratch}"], check=True)
    subprocess.run(["psql", admin, "-qc", f"CREATE DATABASE {scratch}"], check=True)
    try:
        subprocess.run(
            [str(PGBIN / "pgbench"), "-i", "-q", "-s", "10", f"{base}/{scratch}"], check=True, capture_output=True
        )
        out = subprocess.run(
            [str(PGBIN / "pgbench"), "-c", str(clients), "-j", "2", "-T", str(int(seconds)), f"{base}/{scratch}"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    finally:
        subprocess.run(["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {scratch}"], check=False)
    found = re.search(r"tps = ([0-9.]+)", out)
    if found is None:
        msg = f"no tps in pgbench's output:\n{out}"
        raise RuntimeError(msg)
    return float(found.group(1))


def main() -> None:
    """Measure and print one row."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--database-url", required=True)
    p.add_argument("--threads", type=int, default=16)
    p.add_argument("--seconds", type=float, default=20.0)
    args = p.parse_args()
    quiet_logs()
    count, elapsed = intakes(args.database_url, args.threads, args.seconds)
    load = os.getloadavg()[0]
    tps = pgbench(args.database_url, args.threads, args.seconds)
    rate = count / elapsed
    print(f"machine: {platform.machine()} {os.cpu_count()} cores, load average {load:.1f}")
    print(f"intakes (1 event each): {count} in {elapsed:.1f} s = {rate:.0f} events/s at {args.threads} threads")
    print(f"pgbench TPC-B-like, {args.threads} clients: {tps:.0f} tps")
    print(f"ratio events/s ÷ pgbench tps = {rate / tps:.3f}")


if __name__ == "__main__":
    main()
