"""Projection benchmarks: rebuild rate beside the raw read+decode rate, write-to-visible lag, metrics latency.

    .venv/bin/python bench/projections.py                       # 500,000 events, 1,000,000 complaints
    .venv/bin/python bench/projections.py --events 20000 --complaints 20000 --lag-commands 100

The store is seeded through ComplaintsApp.save with many aggregates per call (one transaction each);
an existing store with enough events is reused. The metrics tables for the latency figure are seeded
in a separate database by feeding generated complaint events straight into the metrics view (the same
fold and upserts the runner uses), because producing a million complaints through the app is slow.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import queue
import random
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import psycopg

from domain.roster import SigningMode

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src")]

from yardstick import anchor_line, quiet_logs  # noqa: E402 — bench/yardstick.py, beside this script

from application.calendar_loader import load_calendar  # noqa: E402 — after the path set-up
from application.clock import SettableClock  # noqa: E402 — imports follow the sys.path set-up above
from application.complaints import ComplaintsApp, new_salt  # noqa: E402 — imports follow the sys.path set-up above
from application.persistence import parse_database_url  # noqa: E402 — imports follow the sys.path set-up above
from domain.calendar import WorkingCalendar  # noqa: E402 — imports follow the sys.path set-up above
from domain.complaint import Complaint  # noqa: E402 — imports follow the sys.path set-up above
from domain.rules import Limits  # noqa: E402 — imports follow the sys.path set-up above
from domain.values import (  # noqa: E402 — imports follow the sys.path set-up above
    Actor,
    Channel,
    Classification,
    Complainant,
    ComplainantType,
    Role,
)
from projections.db import ViewDB  # noqa: E402 — imports follow the sys.path set-up above
from projections.metrics import MetricsView, metrics  # noqa: E402 — imports follow the sys.path set-up above
from projections.runner import ProjectionRunner  # noqa: E402 — imports follow the sys.path set-up above
from projections.tracking import positions, wait_until  # noqa: E402 — imports follow the sys.path set-up above
from projections.view import Applied, View  # noqa: E402 — imports follow the sys.path set-up above
from yousu.settings import Settings  # noqa: E402 — imports follow the sys.path set-up above
from yousu.wiring import all_views, store_env  # noqa: E402 — imports follow the sys.path set-up above

BENCH_CIPHER_KEY = "YmVuY2gta2V5LWZvci15b3VzdS1vbmx5LTAxMjM0NTY="  # 32 bytes; fixed so a seeded store can be reused


def bench_settings(url: str) -> Settings:
    """The settings the benchmark's store is written and read with."""
    return Settings(database_url=url, cipher_key=BENCH_CIPHER_KEY)


CST = timezone(timedelta(hours=8))
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/yousu_bench"
CLERK = Actor("clerk-1", "王窗口", Role.window_clerk)
OFFICER = Actor("officer-1", "李值班", Role.duty_officer)
LEADER = Actor("leader-1", "张带班", Role.duty_leader)
DEPARTMENTS = ("market", "housing", "hrss", "tax", "police", "civil")
CATEGORIES = ("market_regulation", "housing", "social_security", "tax", "household_registration", "other")
CHANNELS = (Channel.window, Channel.hotline, Channel.online)
CLASSES = (Classification.general, Classification.cannot_do, Classification.hard_to_do, Classification.refused_to_do)
PERSON = Complainant(ComplainantType.person, "张三", "13812345678")


def measured_views(calendar: WorkingCalendar) -> list[View]:
    """The views this benchmark has always measured: ledger, SLA, metrics (the inbox is fed by sweeps)."""
    return [v for v in all_views(calendar) if v.name in ("ledger", "sla", "metrics")]


def pct(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


# ------------------------------------------------------------------------------------ databases


def ensure_database(url: str, *, fresh: bool = False) -> None:
    """Create the PostgreSQL database if missing; ``fresh`` empties it (SQLite: deletes the file)."""
    db = parse_database_url(url)
    if db.kind == "sqlite":
        if fresh and db.sqlite_path is not None:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db.sqlite_path}{suffix}").unlink(missing_ok=True)
        return
    name = db.env["POSTGRES_DBNAME"]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            conn.execute(psycopg.sql.SQL("CREATE DATABASE {}").format(psycopg.sql.Identifier(name)))
    if fresh:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("DROP SCHEMA public CASCADE")
            conn.execute("CREATE SCHEMA public")


def derived_url(url: str, suffix: str) -> str:
    """A sibling database (PostgreSQL) or file (SQLite) for the metrics seeding."""
    db = parse_database_url(url)
    if db.kind == "sqlite":
        return f"{url}{suffix}.db"
    return f"{url}{suffix}"


# ------------------------------------------------------------------------------------ seeding the store


@dataclass
class Plan:
    """One complaint's lifecycle in the seeding."""

    complaint: Complaint
    classification: Classification
    departments: list[str]
    rating: int
    at: datetime
    step: int = 0


def _advance(plan: Plan, calendar: WorkingCalendar, limits: Limits, rnd: random.Random) -> bool:
    """Apply the plan's next command; False when its lifecycle is over."""
    c, cls = plan.complaint, plan.classification
    plan.at += timedelta(minutes=rnd.randrange(5, 600))
    now = plan.at
    general = cls is Classification.general
    steps: list[Callable[[], None]] = [
        lambda: c.classify(
            classification=cls, reason="按责分类", actor=CLERK, now=now, calendar=calendar, limits=limits
        ),
    ]
    if not general:
        steps += [
            lambda: c.sign(opinion="同意", actor=OFFICER, now=now, mode=SigningMode.roles_only),
            lambda: c.sign(opinion="同意转办", actor=LEADER, now=now, mode=SigningMode.roles_only),
            lambda: c.dispatch(
                departments=plan.departments,
                supervisor="周督办",
                instructions="限时办结",
                actor=LEADER,
                now=now,
                calendar=calendar,
                limits=limits,
            ),
        ]
        if len(plan.departments) > 1 or cls is Classification.hard_to_do:
            steps.append(
                lambda: c.consult(
                    participants=plan.departments,
                    conclusion="会商一致",
                    actor=LEADER,
                    now=now,
                    mode=SigningMode.roles_only,
                )
            )
    resolver = CLERK if general else Actor("d", "经办人", Role.department, department=plan.departments[0])
    basis = "《条例》第十条" if cls is Classification.cannot_do else None
    steps += [
        lambda: c.resolve(
            result="已办理", legal_basis=basis, actor=resolver, now=now, calendar=calendar, limits=limits
        ),
        lambda: c.feed_back(method="电话", summary="已告知", actor=CLERK, now=now, calendar=calendar, limits=limits),
        lambda: c.call_back(rating=plan.rating, comment="", actor=CLERK, now=now, calendar=calendar, limits=limits),
    ]
    if plan.step >= len(steps):
        return False
    steps[plan.step]()
    plan.step += 1
    return True


def seed_store(app: ComplaintsApp, n_events: int, *, wave: int = 3000, batch: int = 300, seed: int = 1) -> int:
    """Store complaint lifecycles until at least ``n_events`` notifications exist; interleaved in waves."""
    rnd = random.Random(seed)
    calendar, limits = app.calendar, app.limits
    have = app.max_notification_id()
    day = datetime(2025, 1, 2, 9, 0, tzinfo=CST)
    serial = 0
    t0 = time.perf_counter()
    while have < n_events:
        plans = []
        for _ in range(wave):
            serial += 1
            at = day + timedelta(minutes=rnd.randrange(0, 8 * 60))
            cls = rnd.choice(CLASSES)
            departments = rnd.sample(DEPARTMENTS, 1 if rnd.random() < 0.8 else 2)
            complaint = Complaint.receive(
                slip_no=f"YB{serial:010d}",
                channel=rnd.choice(CHANNELS),
                content="楼道灯坏了很久无人修",
                category=rnd.choice(CATEGORIES),
                complainant=PERSON,
                actor=CLERK,
                now=at,
                calendar=calendar,
                limits=limits,
                external_ref=f"B{serial}",
                complaint_id=uuid4(),
                salt=new_salt,
            )
            plans.append(Plan(complaint, cls, departments, rnd.choice((5, 5, 4, 4, 3, 2, 1)), at))
        day += timedelta(days=1)
        live = plans
        while live:
            # One stage for the whole wave, so each complaint's events spread across the log.
            for i in range(0, len(live), batch):
                chunk = [p.complaint for p in live[i : i + batch]]
                app.save(*chunk)
            live = [p for p in live if _advance(p, calendar, limits, rnd)]
        have = app.max_notification_id()
        rate = have / (time.perf_counter() - t0)
        print(f"  seeded {have:,} events ({rate:,.0f} events/s)", flush=True)
    return have


# ------------------------------------------------------------------------------------ rebuild


def raw_read_rate(app: ComplaintsApp, page: int = 20_000) -> tuple[int, float]:
    """Read and deserialise every stored event (what any projection must at least do): (events, seconds)."""
    t0 = time.perf_counter()
    count = 0
    start = 1
    decode = app.mapper.to_domain_event
    while True:
        notes = app.recorder.select_notifications(start, page)
        if not notes:
            break
        for n in notes:
            decode(n)
        count += len(notes)
        start = notes[-1].id + 1
    return count, time.perf_counter() - t0


def bench_rebuild(app: ComplaintsApp, url: str, page: int | None) -> dict[str, float]:
    """Rebuild every view from the whole store, beside the raw read rate measured in the same run."""
    db = ViewDB.from_url(url)
    runner = ProjectionRunner(app, measured_views(app.calendar), db, rebuild_page_size=page)
    runner.setup()
    n_raw, raw_s = raw_read_rate(app)
    last = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.perf_counter()
        if now - last[0] > 5 or done == total:
            last[0] = now
            print(f"  rebuild {done:,}/{total:,}", flush=True)

    t0 = time.perf_counter()
    n = runner.rebuild(progress=progress)
    rebuild_s = time.perf_counter() - t0
    db.close()
    return {"events": n, "rebuild_rate": n / rebuild_s, "raw_rate": n_raw / raw_s, "rebuild_s": rebuild_s}


# ------------------------------------------------------------------------------------ lag


class Watcher(threading.Thread):
    """Polls the views' tracking every half millisecond; records when each command became visible."""

    def __init__(self, db: ViewDB) -> None:
        super().__init__(daemon=True)
        self.db = db
        self.pending: queue.Queue[tuple[int, float] | None] = queue.Queue()
        self.lags: list[float] = []

    def run(self) -> None:
        """Until told to stop and nothing is outstanding."""
        waiting: list[tuple[int, float]] = []
        done = False
        while not done or waiting:
            with contextlib.suppress(queue.Empty):
                while True:
                    item = self.pending.get_nowait()
                    if item is None:
                        done = True
                    else:
                        waiting.append(item)
            if waiting:
                reached = min(positions(self.db).values() or [0])
                now = time.perf_counter()
                self.lags.extend(now - t for nid, t in waiting if nid <= reached)
                waiting = [(nid, t) for nid, t in waiting if nid > reached]
            time.sleep(0.0005)


def _command(app: ComplaintsApp, i: int, open_ids: list[UUID]) -> int:
    """Alternately a new intake and the classification of an earlier one; returns the notification id."""
    if open_ids and i % 2:
        result = app.classify(open_ids.pop(), classification=Classification.general, reason="r", actor=CLERK)
    else:
        result = app.receive(
            channel=Channel.window, content="诉求", category="housing", complainant=PERSON, actor=CLERK
        )
        open_ids.append(result.id)
    return result.notification_id or 0


def bench_lag(app: ComplaintsApp, url: str, commands: int, rate: float) -> dict[str, float]:
    """Commands at a steady rate while a runner process follows: time from a command's ack to visible."""
    runner_cmd = [str(Path(sys.executable).with_name("yousu")), "project", "--poll-interval", "0.05"]
    env = {**os.environ, "YOUSU_DATABASE_URL": url, "YOUSU_CIPHER_KEY": BENCH_CIPHER_KEY}
    proc = subprocess.Popen(runner_cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    db = ViewDB.from_url(url)
    watcher = Watcher(db)
    acks: list[float] = []
    try:
        # The runner process is up once it has projected a command made after it started.
        if not wait_until(db, _command(app, 0, []), timeout=600):
            msg = "the runner did not catch up"
            raise RuntimeError(msg)
        watcher.start()
        interval = 1.0 / rate
        next_at = time.perf_counter()
        open_ids: list[UUID] = []
        for i in range(commands):
            next_at += interval
            t_start = time.perf_counter()
            nid = _command(app, i, open_ids)
            t_ack = time.perf_counter()
            acks.append(t_ack - t_start)
            watcher.pending.put((nid, t_ack))
            time.sleep(max(0.0, next_at - time.perf_counter()))
        watcher.pending.put(None)
        watcher.join(timeout=60)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        db.close()
    lags = watcher.lags
    return {
        "p50": pct(lags, 50) * 1000,
        "p99": pct(lags, 99) * 1000,
        "max": max(lags) * 1000,
        "ack_p50": pct(acks, 50) * 1000,
        "n": len(lags),
    }


# ------------------------------------------------------------------------------------ metrics


def _event(cls: type[Any], cid: UUID, version: int, **fields: Any) -> Any:
    # Built like the mapper builds a stored event: no chain hashes, only what the view reads.
    event = object.__new__(cls)
    object.__setattr__(event, "__dict__", {"originator_id": cid, "originator_version": version, **fields})
    return event


BENCH_CENTRES = ("district", "jiefang", "xinhua", "hongqiao")


def generated_events(calendar: WorkingCalendar, complaints: int, days: int, seed: int = 2) -> Iterator[list[Applied]]:
    """Complete lifecycles of ``complaints`` complaints over ``days`` days, in pages, as decoded events."""
    rnd = random.Random(seed)

    @lru_cache(maxsize=100_000)
    def due(day: date, after_close: bool, working_days: int) -> datetime:
        hour = 18 if after_close else 10
        return calendar.add_working_days(datetime(day.year, day.month, day.day, hour, tzinfo=CST), working_days).due_at

    limits = Limits()
    start = date(2025, 1, 2)
    page: list[Applied] = []
    nid = 0
    for i in range(complaints):
        day = start + timedelta(days=i * days // complaints)
        received = datetime(day.year, day.month, day.day, 9, tzinfo=CST) + timedelta(minutes=rnd.randrange(600))
        cid = UUID(int=rnd.getrandbits(128))
        late = received.hour >= 17
        cls = rnd.choice(CLASSES)
        out = [
            _event(
                Complaint.Received,
                cid,
                1,
                occurred_at=received,
                received_at=received,
                channel=rnd.choice(CHANNELS),
                category=rnd.choice(CATEGORIES),
                response_due_at=due(day, late, 0),
                centre=rnd.choice(BENCH_CENTRES),
            )
        ]
        resolution_due = due(day, late, limits.resolution[cls])
        out.append(
            _event(
                Complaint.Classified,
                cid,
                2,
                occurred_at=received,
                classification=cls,
                due_at=resolution_due if cls is Classification.general else None,
            )
        )
        at = received + timedelta(hours=rnd.randrange(1, 30))
        if cls is not Classification.general:
            depts = rnd.sample(DEPARTMENTS, 1 if rnd.random() < 0.8 else 2)
            out.append(_event(Complaint.Dispatched, cid, 3, occurred_at=at, departments=depts, due_at=resolution_due))
            at += timedelta(hours=rnd.randrange(1, 60))
        if rnd.random() < 0.95:
            out.append(_event(Complaint.Resolved, cid, 4, occurred_at=at))
            at += timedelta(hours=rnd.randrange(1, 30))
            if rnd.random() < 0.95:
                out.append(_event(Complaint.FedBack, cid, 5, occurred_at=at, callback_due_at=due(at.date(), True, 3)))
                at += timedelta(hours=rnd.randrange(1, 90))
                if rnd.random() < 0.9:
                    rating = rnd.choice((5, 5, 4, 4, 3, 2, 1))
                    out.append(_event(Complaint.CalledBack, cid, 6, occurred_at=at, rating=rating))
        for e in out:
            nid += 1
            page.append(Applied(nid, e))
        if len(page) >= 50_000:
            yield page
            page = []
    if page:
        yield page


def seed_metrics(url: str, calendar: WorkingCalendar, complaints: int, days: int) -> float:
    """Feed generated lifecycles into the metrics view (its own fold and upserts); returns seconds."""
    db = ViewDB.from_url(url)
    view = MetricsView(calendar)
    with db.transaction() as tx:
        view.drop(tx)
        view.create(tx)
    t0 = time.perf_counter()
    n = 0
    for page in generated_events(calendar, complaints, days):
        with db.transaction() as tx:
            view.apply(tx, page)
        n += len(page)
    if db.is_postgres:
        with db.transaction() as tx:
            tx.execute("ANALYZE yousu_metrics_counts")
            tx.execute("ANALYZE yousu_metrics_due")
    db.close()
    return time.perf_counter() - t0


def bench_metrics(url: str, repeat: int, days: int) -> dict[str, Any]:
    """Latency of metrics() over the whole period and over one month, for every grouping."""
    db = ViewDB.from_url(url)
    start = date(2025, 1, 2)
    whole = (start, start + timedelta(days=days))
    month = (date(2025, 3, 1), date(2025, 3, 31))
    # "Now" is the last day of the data: its newest complaints still have deadlines ahead.
    last = whole[1]
    now = datetime(last.year, last.month, last.day, 12, tzinfo=CST)
    times: list[float] = []
    worst: dict[str, float] = {}
    groups = 0
    for _ in range(repeat):
        for group_by in (None, "department", "classification", "channel", "category", "month", "centre"):
            for period in (whole, month):
                t0 = time.perf_counter()
                result = metrics(db, *period, group_by, now)
                took = time.perf_counter() - t0
                times.append(took)
                groups = max(groups, len(result))
                key = f"{group_by or 'none'}"
                worst[key] = max(worst.get(key, 0.0), took)
    with db.transaction(write=False) as tx:
        rows = int(tx.query("SELECT COUNT(*) FROM yousu_metrics_counts")[0][0])
        received = int(tx.query("SELECT SUM(received) FROM yousu_metrics_counts WHERE department = '*'")[0][0])
    db.close()
    return {
        "p50": pct(times, 50) * 1000,
        "p95": pct(times, 95) * 1000,
        "worst": {k: v * 1000 for k, v in worst.items()},
        "rows": rows,
        "complaints": received,
        "n": len(times),
    }


# ------------------------------------------------------------------------------------ main


def main(argv: list[str] | None = None) -> int:
    """Run the selected benchmarks and print their figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=500_000, help="stored events for the rebuild figure")
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--metrics-database-url", default=None, help="default: the database URL + _metrics")
    parser.add_argument("--complaints", type=int, default=1_000_000, help="complaints behind the metrics figure")
    parser.add_argument("--days", type=int, default=365, help="days the metrics complaints spread over")
    parser.add_argument("--lag-commands", type=int, default=1_000)
    parser.add_argument("--lag-rate", type=float, default=50.0, help="commands per second during the lag run")
    parser.add_argument("--metrics-repeat", type=int, default=20)
    parser.add_argument("--rebuild-page", type=int, default=None, help="default: the runner's (50,000 on PostgreSQL)")
    parser.add_argument("--wave", type=int, default=3_000, help="complaints whose lifecycles interleave in the log")
    parser.add_argument("--fresh", action="store_true", help="empty the databases first")
    parser.add_argument("--only", default="rebuild,lag,metrics", help="comma-separated subset")
    parser.add_argument("--reuse-metrics", action="store_true", help="query the metrics database as seeded before")
    args = parser.parse_args(argv)
    quiet_logs()
    only = set(args.only.split(","))
    calendar = load_calendar(ROOT / "ops" / "calendar")
    ensure_database(args.database_url, fresh=args.fresh)
    results: list[str] = []
    # encrypted like production, through the same settings path the `yousu project` runner reads with
    app = ComplaintsApp(
        store_env(bench_settings(args.database_url)),
        clock=SettableClock(datetime.now(CST)),
        calendar=calendar,
        signing_mode=SigningMode.roles_only,
    )
    try:
        if "rebuild" in only:
            print(f"seeding the store to {args.events:,} events …", flush=True)
            seed_store(app, args.events, wave=args.wave)
            r = bench_rebuild(app, args.database_url, args.rebuild_page)
            results.append(
                f"rebuild: {r['events']:,} events in {r['rebuild_s']:.1f} s = {r['rebuild_rate']:,.0f} events/s"
                f"  (raw read+deserialise of the same events: {r['raw_rate']:,.0f} events/s; the rebuild runs at"
                f" {r['rebuild_rate'] / r['raw_rate']:.2f}× the raw read, target ≥ 0.5×)"
            )
        if "lag" in only:
            print(f"lag: {args.lag_commands} commands at {args.lag_rate:g}/s …", flush=True)
            lag = bench_lag(app, args.database_url, args.lag_commands, args.lag_rate)
            results.append(
                f"write-to-visible lag at {args.lag_rate:g} commands/s over {lag['n']} commands: "
                f"p50 {lag['p50']:.1f} ms, p99 {lag['p99']:.1f} ms, max {lag['max']:.1f} ms"
                f"  (command ack p50 {lag['ack_p50']:.1f} ms)"
            )
    finally:
        app.close()
    if "metrics" in only:
        murl = args.metrics_database_url or derived_url(args.database_url, "_metrics")
        ensure_database(murl)
        seconds = 0.0
        if not args.reuse_metrics:
            print(f"metrics: seeding {args.complaints:,} generated complaints into {murl} …", flush=True)
            seconds = seed_metrics(murl, calendar, args.complaints, args.days)
        m = bench_metrics(murl, args.metrics_repeat, args.days)
        results.append(
            f"metrics query at {m['complaints']:,} complaints ({m['rows']:,} count rows; seeded in {seconds:.0f} s by"
            f" feeding generated events to the metrics view, not through the app): p50 {m['p50']:.1f} ms,"
            f" p95 {m['p95']:.1f} ms over {m['n']} queries; worst by grouping: "
            + ", ".join(f"{k} {v:.1f} ms" for k, v in m["worst"].items())
        )
    results.append(anchor_line(args.database_url))
    print()
    for line in results:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
