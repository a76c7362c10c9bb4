"""The anchor every benchmark prints beside its figures, measured in the same run on the same machine.

A figure alone says little on a machine shared with other work; next to a fixed workload timed in the
same run (a CPU-bound one, and a one-row read per transaction on the benchmark's own database) it can be
compared across runs and machines by its ratio to the anchor. ``quiet_logs`` keeps the libraries' and
the group commit's DEBUG lines out of the output.
"""

from __future__ import annotations

import hashlib
import os
import statistics
import time

from projections.db import ViewDB
from yousu.logsetup import configure_logging


def quiet_logs() -> None:
    """Warnings and errors only, as JSON lines on stderr: no DEBUG (or INFO) lines between the figures."""
    configure_logging("WARNING")


def _cpu_once() -> float:
    """A fixed CPU-bound workload (hashing and a pure-Python loop), in milliseconds."""
    t = time.perf_counter()
    digest = b"yousu"
    for _ in range(2_000):
        digest = hashlib.sha256(digest * 16).digest()
    total = 0
    for i in range(50_000):
        total += i * i % 7
    del total
    return (time.perf_counter() - t) * 1000


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def anchor_line(database_url: str | None = None, rounds: int = 30, reads: int = 200) -> str:
    """Measure the anchor now and describe it in one line: the CPU workload's p50/p95, and with a
    database URL the p50/p95 of a one-row read per transaction there; the load average beside them."""
    cpu = [_cpu_once() for _ in range(rounds)]
    parts = [f"CPU workload p50 {statistics.median(cpu):.1f} ms, p95 {_pct(cpu, 0.95):.1f} ms"]
    if database_url is not None:
        db = ViewDB.from_url(database_url)
        try:
            times = []
            for _ in range(reads):
                t = time.perf_counter()
                with db.transaction(write=False) as tx:
                    tx.query("SELECT 1")
                times.append((time.perf_counter() - t) * 1000)
        finally:
            db.close()
        parts.append(
            f"a one-row read per transaction p50 {statistics.median(times):.3f} ms, p95 {_pct(times, 0.95):.3f} ms"
        )
    parts.append(f"load average {os.getloadavg()[0]:.1f}")
    return "anchor (same run): " + "; ".join(parts)
