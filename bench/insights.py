"""未诉先办 benchmark: the repeat check per received complaint at N stored, topic grouping, its quality.

Repeat check: N earlier complaints are seeded straight into the repeat view's tables (person keys,
meaning vectors of real corpus texts, spread over the window), then each new complaint goes
through the view's fold exactly as the projection applies it (lookups + inserts, one transaction each).
Topics: the labelled corpus (tests/corpus.py), tokenised as the topic view stores it, then grouped
within category as ``GET /v1/insights/topics`` does; pairwise precision and recall are printed.
Usage: python bench/insights.py --database-url sqlite:////tmp/b.db [--stored 10000 100000] [--topics 100000]
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from tests.corpus import Sample, generate, pairwise_scores  # noqa: E402 — imports follow the sys.path set-up above
from yardstick import anchor_line, quiet_logs  # noqa: E402 — bench/yardstick.py, beside this script

from application import meaning, text, topics  # noqa: E402 — imports follow the sys.path set-up above
from application.calendar_loader import load_calendar  # noqa: E402 — imports follow the sys.path set-up above
from application.complaints import new_salt  # noqa: E402 — imports follow the sys.path set-up above
from application.persistence import parse_database_url  # noqa: E402 — imports follow the sys.path set-up above
from domain.complaint import Complaint  # noqa: E402 — imports follow the sys.path set-up above
from domain.rules import Limits  # noqa: E402 — imports follow the sys.path set-up above
from domain.values import Actor, Channel, Complainant, ComplainantType, Role  # noqa: E402 — imports follow the sys.path set-up above
from projections.db import Table, ViewDB  # noqa: E402 — imports follow the sys.path set-up above
from projections.repeats import ITEMS, LINKS, PERSONS, RepeatView  # noqa: E402 — imports follow the sys.path set-up above
from projections.topics import TOPIC_ITEMS, TopicView, rank_topics, topic_items  # noqa: E402 — imports follow the sys.path set-up above
from projections.view import Applied  # noqa: E402 — imports follow the sys.path set-up above

CST = timezone(timedelta(hours=8))
NOW = datetime(2025, 9, 26, 10, 0, tzinfo=CST)
CLERK = Actor("c", "窗口", Role.window_clerk)
CALENDAR = load_calendar(ROOT / "ops" / "calendar")


def pct(values: list[float], q: float) -> float:
    """The q-quantile (0..1) of ``values``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def received(content: str, phone: str, at: datetime) -> Complaint.Received:
    """A Received event as the projection sees it (built through the aggregate, not by hand)."""
    c = Complaint.receive(
        slip_no=f"B{at.timestamp():.0f}",
        channel=Channel.window,
        content=content,
        category="urban_management",
        complainant=Complainant(ComplainantType.person, "压测", phone),
        actor=CLERK,
        now=at,
        calendar=CALENDAR,
        limits=Limits(),
        complaint_id=uuid4(),
        salt=new_salt,
    )
    event: Complaint.Received = c.collect_events()[0]  # type: ignore[assignment]
    return event


COPY_TYPES = {"real": "float8", "integer": "int4", "bigint": "int8", "boolean": "bool"}  # binary COPY names


def _bare(table: Table, dialect: str) -> str:
    """CREATE TABLE without its key: rows load faster with the key index built once afterwards."""
    cols = ", ".join(f"{c.name} {c.type.spelled(dialect)}" for c in table.columns)
    return f"CREATE TABLE {table.name} ({cols})"


def _keyed(table: Table) -> list[str]:
    """The key (a unique index, which ON CONFLICT infers like the primary key) and secondary indexes."""
    return [
        f"CREATE UNIQUE INDEX {table.name}_key ON {table.name} ({', '.join(table.key)})",
        *(f"CREATE INDEX {name} ON {table.name} {definition}" for name, definition in table.indexes),
    ]


def _seed_rows(
    view: RepeatView, stored: int, pool: list[str], rnd: random.Random
) -> Iterator[tuple[Table, list[tuple[Any, ...]]]]:
    """``stored`` earlier complaints over the last 90 days (~1 in 5 people complain again), in batches per table.
    Meaning vectors are computed once per pool text, person keys once per phone."""
    hexes = [meaning.to_bytes(v).hex() for v in meaning.embed(pool)]
    keys: dict[int, list[str]] = {}
    batch = 50_000
    for lo in range(0, stored, batch):
        items: list[tuple[Any, ...]] = []
        persons: list[tuple[Any, ...]] = []
        for i in range(lo, min(stored, lo + batch)):
            cid = uuid4()
            at = NOW - timedelta(seconds=rnd.randrange(90 * 86400))
            k = rnd.randrange(len(pool))
            items.append((cid, at, f"S{i}", "urban_management", "main", hexes[k], None, None, None, 0))
            person = rnd.randrange(stored // 5 + 1)
            if person not in keys:
                keys[person] = text.person_keys(view.person_key, f"139{person:08d}", None)
            persons.extend((key, cid, at) for key in keys[person])
        yield ITEMS, items
        yield PERSONS, persons


def seed(url: str, view: RepeatView, stored: int, pool: list[str], rnd: random.Random) -> None:
    """Load ``stored`` complaints straight into the repeat view's tables (binary COPY on PostgreSQL, one
    transaction on SQLite), then build the keys and indexes: minutes for a million, not hours of intakes."""
    database = parse_database_url(url)
    tables = (ITEMS, PERSONS, LINKS)
    if database.kind == "postgresql":
        views = ViewDB(database)
        conninfo = views.conninfo()
        views.close()
        with psycopg.connect(conninfo, autocommit=True) as conn:
            for t in tables:
                conn.execute(f"DROP TABLE IF EXISTS {t.name}")
                conn.execute(_bare(t, "postgresql"))
            for table, rows in _seed_rows(view, stored, pool, rnd):
                names = ", ".join(table.column_names)
                with conn.cursor().copy(f"COPY {table.name} ({names}) FROM STDIN (FORMAT BINARY)") as copy:
                    copy.set_types([COPY_TYPES.get(c.type.name, c.type.spelled("postgresql")) for c in table.columns])
                    for row in rows:
                        copy.write_row(row)
            for t in tables:
                for statement in _keyed(t):
                    conn.execute(statement)
                # as autovacuum does after bulk inserts: hint bits and the visibility map set, so the band
                # look-ups are index-only scans rather than a heap visit per row
                conn.execute(f"VACUUM ANALYZE {t.name}")
        return
    conn = sqlite3.connect(str(database.sqlite_path))
    try:
        for t in tables:
            conn.execute(f"DROP TABLE IF EXISTS {t.name}")
            conn.execute(_bare(t, "sqlite"))
        for table, rows in _seed_rows(view, stored, pool, rnd):
            marks = ", ".join("?" * len(table.columns))
            conn.executemany(f"INSERT INTO {table.name} VALUES ({marks})", [[_sqlite(v) for v in r] for r in rows])  # noqa: S608 — names are ours
        for t in tables:
            for statement in _keyed(t):
                conn.execute(statement)
        conn.execute("ANALYZE")
        conn.commit()
    finally:
        conn.close()


def _sqlite(value: object) -> object:
    """A value as the views store it in SQLite (ISO text in UTC for times, text for ids)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(value, UUID):
        return str(value)
    return value


def anchor(db: ViewDB, n: int) -> list[float]:
    """The same run's yardstick: one primary-key look-up per transaction, ``n`` times (ms). On a machine shared
    with other work its p95 shows how much of the check's p95 is the machine, not the check."""
    with db.transaction(write=False) as tx:
        ids = [r[0] for r in tx.query(f"SELECT complaint_id FROM {ITEMS.name} LIMIT ?", [n])]  # noqa: S608 — names are ours
    times = []
    for cid in ids:
        t = time.perf_counter()
        with db.transaction(write=False) as tx:
            tx.query(f"SELECT vector FROM {ITEMS.name} WHERE complaint_id = ?", [cid])  # noqa: S608 — names are ours
        times.append((time.perf_counter() - t) * 1000)
    return times


def bench_repeats(url: str, stored: int, checks: int, *, reuse: bool = False) -> None:
    """Seed ``stored`` and time ``checks`` repeat checks, each in its own transaction as a follower's page
    of one, next to the anchor (a primary-key look-up per transaction) measured in the same run."""
    view = RepeatView(CALENDAR, person_key=text.derive_person_key("bench"), window_days=90)
    rnd = random.Random(stored)
    pool = [s.content for s in generate(5_000, seed=3)]
    t0 = time.perf_counter()
    if not reuse:
        seed(url, view, stored, pool, rnd)
    seeded = time.perf_counter() - t0
    db = ViewDB(parse_database_url(url))
    with db.transaction() as tx:
        view.create(tx)  # finds the seeded tables and their indexes
    events = [
        received(rnd.choice(pool), f"139{rnd.randrange(stored // 5 + 1):08d}", NOW + timedelta(seconds=i))
        for i in range(checks)
    ]
    times, commits = [], []
    for i, e in enumerate(events):
        with db.transaction() as tx:
            t = time.perf_counter()
            view.apply(tx, [Applied(10**9 + i, e)])
            times.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
        commits.append((time.perf_counter() - t) * 1000)
    yardstick = anchor(db, checks)
    cpu = []  # the check's own arithmetic alone (segmentation, meaning vector, person keys): the CPU share
    text._tokens.cache_clear()  # segment afresh, as the check did
    for e in events:
        t = time.perf_counter()
        meaning.embed([e.content])
        text.person_keys(view.person_key, e.complainant.phone, None)
        cpu.append((time.perf_counter() - t) * 1000)
    with db.transaction(write=False) as tx:
        ids = [e.originator_id for e in events]
        cond, params = tx.in_list("complaint_id", ids, ITEMS.columns[0].type)
        linked = tx.query(f"SELECT COUNT(*) FROM {ITEMS.name} WHERE {cond} AND repeat_of IS NOT NULL", params)[0][0]  # noqa: S608 — names are ours
    db.close()
    print(
        f"repeat check at {stored:,} stored ({parse_database_url(url).kind}; "
        f"{'seeded by an earlier run' if reuse else f'seeded in {seeded:.0f} s'}): "
        f"p50 {statistics.median(times):.1f} ms, p95 {pct(times, 0.95):.1f} ms, max {max(times):.1f} ms "
        f"over {checks} intakes ({linked} found a repeat; each then committed: "
        f"p50 {statistics.median(commits):.1f} ms, "
        f"p95 {pct(commits, 0.95):.1f} ms, shared with the page's other views); anchor (a key look-up per "
        f"transaction) p50 {statistics.median(yardstick):.2f} ms, p95 {pct(yardstick, 0.95):.2f} ms; "
        f"the check's arithmetic alone p50 {statistics.median(cpu):.2f} ms, p95 {pct(cpu, 0.95):.2f} ms; "
        f"load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )


def bench_topics(n: int, url: str | None) -> None:
    """Group ``n`` corpus complaints within category; print time and pairwise precision/recall. With ``url``,
    also the whole ``GET /v1/insights/topics`` query: ``n`` complaints in a 30-day month and as many in the month
    before, read from the topic view and grouped together (as the route does)."""
    samples = generate(n, seed=9)
    t0 = time.perf_counter()
    words = [text.tokens(s.content) for s in samples]
    vectors = meaning.embed([s.content for s in samples])
    tokenised = time.perf_counter() - t0
    by_category: dict[str, list[int]] = defaultdict(list)
    for i, s in enumerate(samples):
        by_category[s.category].append(i)
    t1 = time.perf_counter()
    clusters = [0] * n
    base = 0
    for members in by_category.values():
        numbers = topics.group_meaning(vectors[members])
        for i, number in zip(members, numbers, strict=True):
            clusters[i] = base + number
        base += max(numbers) + 1
    grouped = time.perf_counter() - t1
    precision, recall = pairwise_scores([s.label for s in samples], clusters)
    print(
        f"topics for {n:,} complaints: grouping {grouped:.1f} s (+ words and vectors {tokenised:.1f} s, done once at "
        f"projection time); {base} topics; pairwise precision {precision:.3f}, recall {recall:.3f}"
    )
    if url:
        bench_topics_query(url, samples, words, [meaning.to_bytes(v).hex() for v in vectors])


def bench_topics_query(url: str, samples: list[Sample], words: list[list[str]], vectors: list[str]) -> None:
    """Seed the topic view with the month and the month before (bulk insert), then time the route's query."""
    db = ViewDB(parse_database_url(url))
    view = TopicView(CALENDAR)
    with db.transaction() as tx:
        view.drop(tx)
        view.create(tx)
    start = NOW - timedelta(days=30)
    previous = start - timedelta(days=30)
    rnd = random.Random(5)
    t0 = time.perf_counter()
    with db.transaction() as tx:
        rows = []
        for month in (previous, start):
            for i, s in enumerate(samples):
                at = month + timedelta(seconds=rnd.randrange(30 * 86400))
                slip = f"T{month:%m}{i:06d}"
                deps = f",{s.category}_bureau,"
                rows.append((uuid4(), at, slip, s.category, "main", deps, " ".join(words[i]), vectors[i]))
                if len(rows) >= 20_000:
                    tx.insert_ignore(TOPIC_ITEMS, rows)
                    rows = []
        if rows:
            tx.insert_ignore(TOPIC_ITEMS, rows)
        if tx.is_postgres:
            tx.execute(f"ANALYZE {TOPIC_ITEMS.name}")
    seeded = time.perf_counter() - t0
    t1 = time.perf_counter()
    items = topic_items(db, previous, NOW)
    read = time.perf_counter() - t1
    found = rank_topics(items, start, previous, CST)
    total = time.perf_counter() - t1
    db.close()
    print(
        f"GET /v1/insights/topics for a month of {len(samples):,} (+ {len(samples):,} the month before; "
        f"{parse_database_url(url).kind}, seeded in {seeded:.0f} s): {total:.1f} s "
        f"(reading {len(items):,} rows {read:.1f} s, grouping and ranking {total - read:.1f} s); "
        f"top topic {found[0].label if found else None} × {found[0].count if found else 0}"
    )


def bench_knowledge(url: str, entries: int, searches: int) -> None:
    """Index ``entries`` published entries (corpus texts as questions), then time searches and suggestions."""
    from domain.knowledge import KnowledgeEntry  # noqa: PLC0415 — only this benchmark needs it
    from projections import knowledge  # noqa: PLC0415 — only this benchmark needs it

    db = ViewDB(parse_database_url(url))
    knowledge.create(db)
    with db.transaction() as tx:
        tx.execute(f"DELETE FROM {knowledge.KNOWLEDGE.name}")  # noqa: S608 — names are ours
    samples = generate(entries + searches, seed=13)
    t0 = time.perf_counter()
    for s in samples[:entries]:
        entry = KnowledgeEntry.draft(
            question=s.content,
            answer=f"{s.content}：请向{s.category}部门反映，三个工作日内答复。",
            policy_basis="",
            departments=[s.category],
            tags=[],
            sources=[],
            actor_id="b",
            actor_role="window_clerk",
            now=NOW,
            entry_id=uuid4(),
        )
        entry.publish(actor_id="l", actor_role="duty_leader", now=NOW)
        knowledge.index_entry(db, entry)
    indexed = time.perf_counter() - t0
    knowledge.search(db, "暖气")  # the first search builds the in-process index
    built = time.perf_counter() - t0 - indexed
    times = []
    for s in samples[entries:]:
        t = time.perf_counter()
        knowledge.search(db, s.content, limit=5)
        times.append((time.perf_counter() - t) * 1000)
    db.close()
    print(
        f"knowledge search over {entries:,} entries: p50 {statistics.median(times):.1f} ms, "
        f"p95 {pct(times, 0.95):.1f} ms over {searches} searches (indexing {indexed:.0f} s, "
        f"first search after a change {built * 1000:.0f} ms)"
    )


def main() -> None:
    """Run the benchmarks asked for."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--database-url", required=True)
    p.add_argument("--stored", type=int, nargs="*", default=[10_000, 100_000])
    p.add_argument("--checks", type=int, default=200)
    p.add_argument("--reuse", action="store_true", help="check against the tables an earlier run seeded (one --stored)")
    p.add_argument("--topics", type=int, default=100_000)
    p.add_argument("--knowledge", type=int, default=10_000)
    p.add_argument("--searches", type=int, default=200)
    args = p.parse_args()
    quiet_logs()
    for stored in args.stored:
        bench_repeats(args.database_url, stored, args.checks, reuse=args.reuse)
    if args.topics:
        bench_topics(args.topics, args.database_url)
    if args.knowledge:
        bench_knowledge(args.database_url, args.knowledge, args.searches)
    print(anchor_line(args.database_url), flush=True)


if __name__ == "__main__":
    main()
