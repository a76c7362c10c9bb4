"""Reads people wait on, at 1,000,000 complaints on PostgreSQL: the 台账 (`GET /v1/ledger`) and the 统计
dashboard's figures (`GET /v1/metrics`), timed over HTTP against a real `yousu serve`.

How the 1,000,000 complaints get there — the read models directly, not through the event store (replaying
a million lifecycles through the application would take hours on this machine, and these requests read only
the views):

* the ledger (``yousu_ledger`` and its department index): rows built inside PostgreSQL by one
  ``INSERT … SELECT … FROM generate_series`` — every lifecycle state, four centres, three channels, six
  categories and departments, received over ``--days`` days; ``VACUUM ANALYZE`` after (as autovacuum would);
* the metrics (``yousu_metrics_*``): the metrics view's own fold over generated lifecycles of the same
  number of complaints (``bench/projections.py``'s generator: received → classified → dispatched → resolved
  → fed back → called back, with their deadlines), so its tables hold what a million complaints leave.

Then ``yousu serve`` (background work off: nothing to project) answers, signed in as a duty leader of the
district, the console's own requests in turn, ``--repeat`` times each: the 台账's first page (with its
total), its second page, filtered by status and by centre; the dashboard's four metrics queries (overall,
by centre, by month, by department) over the whole period and over one month. Printed: p50 / p95 per
request and per endpoint, against the 100 ms target, beside ``/healthz`` timed the same way in the same run
(the anchor: on a shared machine its p50 shows what the load adds to every request).

Usage: python bench/reads.py --database-url postgresql://postgres@127.0.0.1:5432/yousu_reads \\
       [--complaints 1000000] [--days 365] [--repeat 20] [--reuse]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import ModuleType

import httpx
import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src")]


def _bench(name: str) -> ModuleType:
    """A sibling benchmark script as a module (their names would clash with the packages in src/)."""
    spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "bench" / f"{name}.py")
    if spec is None or spec.loader is None:
        msg = f"bench/{name}.py is missing"
        raise RuntimeError(msg)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


projections_bench = _bench("projections")
commands_bench = _bench("commands")

from api.auth import mint_token  # noqa: E402 — imports follow the sys.path set-up above
from domain.values import Role  # noqa: E402 — imports follow the sys.path set-up above
from projections.db import ViewDB  # noqa: E402 — imports follow the sys.path set-up above
from projections.ledger import LEDGER, LEDGER_DEPARTMENTS  # noqa: E402 — imports follow the sys.path set-up above

START = date(2025, 1, 2)  # the generated lifecycles' first day (bench/projections.py)
TARGET_MS = 100.0
# Timed the same way in the same run, no target: what the machine's load adds to any request (ratios beside it)
ANCHOR = "GET /healthz"

LEDGER_ROWS = """
INSERT INTO yousu_ledger ({columns})
SELECT md5('bench-' || g)::uuid,
       'B' || lpad(g::text, 10, '0'),
       TIMESTAMPTZ '2025-01-02 09:00+08' + ((g::bigint * %(days)s * 86400) / %(n)s) * INTERVAL '1 second',
       (ARRAY['window', 'hotline', 'online'])[1 + g %% 3],
       'person', '张*', (ARRAY[{categories}])[1 + (g / 3) %% 6],
       CASE WHEN g %% 50 = 0 THEN NULL ELSE (ARRAY[{classes}])[1 + (g / 7) %% 4] END,
       CASE WHEN g %% 50 = 0 THEN 'received' WHEN g %% 40 = 0 THEN 'dispatched'
            WHEN g %% 20 = 0 THEN 'resolved' WHEN g %% 10 = 0 THEN 'fed_back' ELSE 'closed' END,
       CASE WHEN (g / 7) %% 4 = 0 OR g %% 50 = 0 THEN '' ELSE (ARRAY[{departments}])[1 + (g / 11) %% 6] END,
       NULL, NULL,
       TIMESTAMPTZ '2025-01-02 09:00+08' + ((g::bigint * %(days)s * 86400) / %(n)s + 864000) * INTERVAL '1 second',
       false, g %% 97 = 0, CASE WHEN g %% 97 = 0 THEN 1 ELSE 0 END,
       NULL, NULL, NULL, CASE WHEN g %% 10 = 1 THEN 1 + g %% 5 END, 0,
       (ARRAY[{centres}])[1 + (g / 13) %% 4], 'clerk-' || (g %% 40),
       NULL, '楼道灯坏了很久无人修，反映多次没有结果', '', '', NULL, NULL,
       '', '', '窗口' || (g %% 40), '', '', NULL,
       NULL, NULL, NULL, '', 0, 0, false, '', '', 8, g
FROM generate_series(1, %(n)s) AS g
"""
LEDGER_DEPARTMENT_ROWS = """
INSERT INTO yousu_ledger_departments (department, complaint_id)
SELECT departments, id FROM yousu_ledger WHERE departments <> ''
"""


def seed(url: str, complaints: int, days: int) -> None:
    """The ledger rows (SQL) and the metrics (the view's fold over generated lifecycles)."""
    quoted = {
        "categories": ", ".join(f"'{c}'" for c in projections_bench.CATEGORIES),
        "classes": ", ".join(f"'{c.value}'" for c in projections_bench.CLASSES),
        "departments": ", ".join(f"'{d}'" for d in projections_bench.DEPARTMENTS),
        "centres": ", ".join(f"'{c}'" for c in projections_bench.BENCH_CENTRES),
    }
    db = ViewDB.from_url(url)
    with db.transaction() as tx:
        for table in (LEDGER, LEDGER_DEPARTMENTS):
            for statement in table.ddl(tx.dialect):
                tx.execute(statement)
    db.close()
    t0 = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("TRUNCATE yousu_ledger, yousu_ledger_departments")
        sql = LEDGER_ROWS.format(columns=", ".join(LEDGER.column_names), **quoted)
        conn.execute(sql.encode(), {"n": complaints, "days": days})
        conn.execute(LEDGER_DEPARTMENT_ROWS)
        conn.execute("VACUUM ANALYZE yousu_ledger")
        conn.execute("VACUUM ANALYZE yousu_ledger_departments")
    print(f"  ledger: {complaints:,} rows in {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
    calendar = projections_bench.load_calendar(ROOT / "ops" / "calendar")
    seconds = projections_bench.seed_metrics(url, calendar, complaints, days)
    with psycopg.connect(url, autocommit=True) as conn:
        for (name,) in conn.execute("SELECT tablename FROM pg_tables WHERE tablename LIKE 'yousu_metrics%%'"):
            conn.execute(f"VACUUM ANALYZE {name}")
    print(f"  metrics: {complaints:,} complaints folded in {seconds:.0f} s", file=sys.stderr, flush=True)


def ledger_rows(url: str) -> int:
    """Rows in the ledger (0 when it does not exist yet)."""
    with psycopg.connect(url) as conn:
        found = conn.execute("SELECT to_regclass('yousu_ledger')").fetchone()
        if found is None or found[0] is None:
            return 0
        row = conn.execute("SELECT COUNT(*) FROM yousu_ledger").fetchone()
        return int(row[0]) if row else 0


def requests_of(days: int) -> dict[str, list[str]]:
    """The console's own requests: the 台账 page and the dashboard's four metrics queries."""
    whole = f"from={START.isoformat()}&to={(START + timedelta(days=days)).isoformat()}"
    month = "from=2025-03-01&to=2025-03-31"
    return {
        ANCHOR: ["/healthz"],
        "GET /v1/ledger": [
            "/v1/ledger?limit=50&offset=0",
            "/v1/ledger?limit=50&offset=50",
            "/v1/ledger?status=closed&limit=50&offset=0",
            "/v1/ledger?centre=jiefang&limit=50&offset=0",
        ],
        "GET /v1/metrics": [
            f"/v1/metrics?{period}{group}"
            for period in (whole, month)
            for group in ("", "&group_by=centre", "&group_by=month", "&group_by=department")
        ],
    }


def measure(base_url: str, days: int, repeat: int) -> dict[str, dict[str, list[float]]]:
    """Milliseconds per request, one request at a time, each request ``repeat`` times (after one warm-up)."""
    token = mint_token(
        secret=commands_bench.SECRET,
        sub="bench-leader",
        name="压测",
        roles=[Role.duty_leader],
        department=None,
        now=datetime.now(tz=UTC),
    )
    times: dict[str, dict[str, list[float]]] = {}
    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=60) as http:
        for endpoint, paths in requests_of(days).items():
            times[endpoint] = {}
            for path in paths:
                r = http.get(path)  # warm-up; also checks the answer
                if r.status_code != 200:
                    msg = f"{path}: {r.status_code} {r.text[:300]}"
                    raise RuntimeError(msg)
                took = []
                for _ in range(repeat):
                    t0 = time.perf_counter()
                    http.get(path).raise_for_status()
                    took.append((time.perf_counter() - t0) * 1000)
                times[endpoint][path] = took
    return times


def pct(values: list[float], p: float) -> float:
    """The ``p``-th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def report(times: dict[str, dict[str, list[float]]], total: int) -> None:
    """p50/p95 per request and per endpoint, against the target."""
    print(f"| request ({total:,} complaints) | p50 ms | p95 ms |")
    print("|---|---:|---:|")
    for paths in times.values():
        for path, took in paths.items():
            print(f"| `{path}` | {statistics.median(took):.1f} | {pct(took, 95):.1f} |")
    anchor = times.get(ANCHOR, {}).get("/healthz", [])
    for endpoint, paths in times.items():
        every = [t for took in paths.values() for t in took]
        p95 = pct(every, 95)
        if endpoint == ANCHOR:
            print(f"{endpoint} (the anchor): p50 {statistics.median(every):.1f} ms, p95 {p95:.1f} ms")
            continue
        if anchor:
            print(f"{endpoint}: p50 {statistics.median(every) / statistics.median(anchor):.1f}× the anchor's p50")
        verdict = "met" if p95 < TARGET_MS else "MISSED"
        print(
            f"{endpoint}: p50 {statistics.median(every):.1f} ms, p95 {p95:.1f} ms over {len(every)} requests "
            f"— {verdict} (target p95 < {TARGET_MS:.0f} ms)"
        )


def main() -> None:
    """Seed (or reuse), serve, time, print."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--database-url", required=True, help="a PostgreSQL database (emptied unless --reuse)")
    p.add_argument("--complaints", type=int, default=1_000_000)
    p.add_argument("--days", type=int, default=365)
    p.add_argument("--repeat", type=int, default=20)
    p.add_argument("--reuse", action="store_true", help="keep the database as seeded before (same --complaints)")
    args = p.parse_args()
    load1, load5, load15 = os.getloadavg()
    print(
        f"{datetime.now(tz=UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()} {os.cpu_count()} CPUs (shared), "
        f"load average {load1:.1f} {load5:.1f} {load15:.1f} at start; PostgreSQL; {args.repeat} times each request"
    )
    if not (args.reuse and ledger_rows(args.database_url) >= args.complaints):
        projections_bench.ensure_database(args.database_url, fresh=True)
        t0 = time.perf_counter()
        seed(args.database_url, args.complaints, args.days)
        print(f"seeding took {time.perf_counter() - t0:.0f} s")
    cmd = [str(Path(sys.executable).with_name("yousu")), "serve", "--host", "127.0.0.1", "--port", "{port}"]
    env = {**commands_bench.yousu_env(args.database_url), "YOUSU_BACKGROUND": "false"}
    log = Path(tempfile.gettempdir()) / "yousu-bench-reads.log"
    with commands_bench.running(cmd, env, "/healthz", log, startup=300.0) as (base_url, _pid):
        times = measure(base_url, args.days, args.repeat)
    report(times, ledger_rows(args.database_url))


if __name__ == "__main__":
    main()
