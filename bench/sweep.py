"""Deadline sweep benchmark: time to find the due clocks among N open ones, and to escalate them.

Open clocks are seeded straight into the SLA view table (the sweeper reads nothing else to find
candidates); the due ones are real complaints, so escalating them goes through the application.
Usage: python bench/sweep.py --database-url postgresql://postgres@127.0.0.1:5432/DB [--open 1000000 --due 200]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from domain.roster import SigningMode

sys.path[:0] = [str(Path(__file__).resolve().parents[1] / "src"), str(Path(__file__).resolve().parents[1])]

from yardstick import anchor_line, quiet_logs  # noqa: E402 — bench/yardstick.py, beside this script

from application.calendar_loader import load_calendar  # noqa: E402 — imports follow the sys.path set-up above
from application.clock import SettableClock  # noqa: E402 — imports follow the sys.path set-up above
from application.complaints import ComplaintsApp  # noqa: E402 — imports follow the sys.path set-up above
from application.persistence import parse_database_url  # noqa: E402 — imports follow the sys.path set-up above
from domain.values import Actor, Channel, Classification, Complainant, ComplainantType, Role  # noqa: E402 — imports follow the sys.path set-up above
from policies.sweeper import MAX_PER_SWEEP, Sweeper  # noqa: E402 — imports follow the sys.path set-up above
from projections.db import ViewDB  # noqa: E402 — imports follow the sys.path set-up above
from projections.runner import ProjectionRunner  # noqa: E402 — imports follow the sys.path set-up above
from projections.sla import SLA, due_clocks  # noqa: E402 — imports follow the sys.path set-up above
from yousu.wiring import all_views  # noqa: E402 — imports follow the sys.path set-up above

CST = timezone(timedelta(hours=8))
CLERK = Actor("c", "窗口", Role.window_clerk)
OFFICER = Actor("o", "值班", Role.duty_officer)
LEADER = Actor("l", "带班", Role.duty_leader)


def main() -> None:
    """Seed, then measure."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--database-url", required=True)
    p.add_argument("--open", type=int, default=1_000_000, help="open clocks not yet due")
    p.add_argument("--due", type=int, default=200, help="complaints past their deadline")
    p.add_argument("--repeat", type=int, default=50)
    args = p.parse_args()
    quiet_logs()

    calendar = load_calendar(Path("ops/calendar"))
    clock = SettableClock(datetime(2025, 9, 26, 10, 0, tzinfo=CST))
    app = ComplaintsApp(
        parse_database_url(args.database_url).env, clock=clock, calendar=calendar, signing_mode=SigningMode.roles_only
    )
    db = ViewDB(parse_database_url(args.database_url))
    runner = ProjectionRunner(app, all_views(calendar), db)
    runner.setup()

    t0 = time.perf_counter()
    for _ in range(args.due):
        cid = app.receive(
            channel=Channel.window,
            content="压测诉求",
            category="housing",
            complainant=Complainant(ComplainantType.person, "压测", "13800000000"),
            actor=CLERK,
        ).id
        app.classify(cid, classification=Classification.cannot_do, reason="", actor=CLERK)
        app.sign(cid, opinion="", actor=OFFICER)
        app.sign(cid, opinion="", actor=LEADER)
        app.dispatch(cid, departments=["housing"], supervisor="督办", instructions="", actor=LEADER)
    runner.run_once()
    with db.transaction() as tx:
        # open clocks far in the future: never due during the run (bulk insert, one statement)
        if tx.is_postgres:
            tx.execute(
                f"INSERT INTO {SLA.name} (complaint_id, clock, round, started_at, due_at, due_provisional, met_at, "  # noqa: S608 — fixed table and column names, values bound
                "escalation_level, centre) SELECT gen_random_uuid(), 'resolution', 0, now(), "
                "timestamptz '2030-01-01 17:30+08' + (g % 1000) * interval '1 day', false, NULL, 0, 'district' "
                "FROM generate_series(1, ?) g",
                [args.open],
            )
        else:
            base = datetime(2030, 1, 1, 17, 30, tzinfo=CST)
            import uuid  # noqa: PLC0415 — imported where used, in a test or helper run rarely

            rows = [
                (uuid.uuid4(), "resolution", 0, base, base + timedelta(days=i % 1000), False, None, 0, "district")
                for i in range(args.open)
            ]
            tx.executemany(
                f"INSERT INTO {SLA.name} (complaint_id, clock, round, started_at, due_at, due_provisional, met_at, "  # noqa: S608 — fixed table and column names, values bound
                "escalation_level, centre) VALUES (?,?,?,?,?,?,?,?,?)",
                rows,
            )
        if tx.is_postgres:
            tx.execute(f"ANALYZE {SLA.name}")
    print(f"seeded {args.due} due complaints and {args.open:,} open clocks in {time.perf_counter() - t0:.1f} s")

    clock.set(datetime(2025, 10, 20, 9, 0, tzinfo=CST))  # past level 2 for the due ones
    sweeper = Sweeper(app, db)
    times = []
    for _ in range(args.repeat):
        s = time.perf_counter()
        found = due_clocks(db, clock.now(), MAX_PER_SWEEP)
        times.append((time.perf_counter() - s) * 1000)
    times.sort()
    print(
        f"find due clocks among {args.open + args.due * 2:,} open: {len(found)} found, "
        f"p50 {statistics.median(times):.2f} ms, p95 {times[int(len(times) * 0.95) - 1]:.2f} ms"
    )
    s = time.perf_counter()
    result = sweeper.sweep()
    took = time.perf_counter() - s
    print(
        f"one sweep: {result.raised} escalations raised for {result.candidates} candidates in {took:.2f} s "
        f"(interval 30 s; find {result.find_ms:.2f} ms)"
    )
    print(anchor_line(args.database_url))
    app.close()
    db.close()


if __name__ == "__main__":
    main()
