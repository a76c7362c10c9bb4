"""Console page load on the embedded SQLite default with many complaints, in Debian's chromium.

    .venv/bin/python bench/console.py                        # 100,000 complaints, 5 loads per page
    .venv/bin/python bench/console.py --complaints 200 --repeat 1 --db /tmp/small.db

Seeds the store through the application layer (ComplaintsApp.save, hundreds of aggregates per
transaction; no HTTP), spreading 100,000 complaints over the last 300 days in every state of their
lifecycle, rebuilds the read models once, then starts a real ``yousu serve`` on that SQLite file with
the built console (``make console`` first). Playwright drives the system chromium (never a downloaded
browser) signed in as a duty leader and times navigation → content visible for:

* ``login`` (the anchor): the console's own page with no data — the same JS and CSS every page loads,
  so it is the floor any page load stands on, measured against the same server in the same run;
* ``ledger``: /ledger until the first row and the total are shown (50 rows of all complaints);
* ``dashboard``: /dashboard until the rate cards show this year's numbers and the chart is drawn;
* ``complaint``: /complaints/{id} of a complaint with a full lifecycle until its state and timeline show.

Each page is loaded ``--repeat`` times in one signed-in tab (a full navigation each time, the browser's
cache as in daily use); the first load of each page is reported separately as ``cold``. An existing
file with at least ``--complaints`` complaints is reused (``--fresh`` to seed again). Background work
(projections, sweeper) is off in the measured server so that sweeping 100,000 overdue clocks does not
run during the measurement; the views are rebuilt before it starts.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from uuid import UUID, uuid4

import httpx

from domain.roster import SigningMode

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src")]

from yardstick import quiet_logs  # noqa: E402 — bench/yardstick.py, beside this script

from adapters.accounts import SqlAccountStore  # noqa: E402 — imports follow the sys.path set-up above
from application.clock import SystemClock  # noqa: E402 — imports follow the sys.path set-up above
from application.complaints import ComplaintsApp, new_salt  # noqa: E402 — imports follow the sys.path set-up above
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
from projections.runner import ProjectionRunner  # noqa: E402 — imports follow the sys.path set-up above
from yousu.settings import Settings  # noqa: E402 — imports follow the sys.path set-up above
from yousu.wiring import build_complaints, views_for  # noqa: E402 — imports follow the sys.path set-up above

SECRET = "bench-secret-for-yousu-only-0123456789"  # noqa: S105 — signs tokens for benchmark servers only
CIPHER_KEY = "YmVuY2gta2V5LWZvci15b3VzdS1vbmx5LTAxMjM0NTY="  # 32 bytes; benchmark databases only
PASSWORD = "bench-password-2025"  # noqa: S105 — the benchmark's own local account
CHROMIUM = "/usr/bin/chromium"
CST = timezone(timedelta(hours=8))
CLERK = Actor("local:clerk", "王窗口", Role.window_clerk)
OFFICER = Actor("local:officer", "李值班", Role.duty_officer)
LEADER = Actor("local:leader", "张带班", Role.duty_leader)
DEPARTMENTS = ("market", "housing", "hrss", "tax", "police", "civil")
CATEGORIES = ("market_regulation", "housing", "social_security", "tax", "household_registration", "other")
CHANNELS = (Channel.window, Channel.hotline, Channel.online)
CLASSES = (Classification.general, Classification.cannot_do, Classification.hard_to_do, Classification.refused_to_do)
PERSON = Complainant(ComplainantType.person, "张三", "13812345678")
DAYS = 300


def settings_for(db: Path) -> Settings:
    """The benchmark store's settings (the repository's calendar and reference codes)."""
    return Settings(
        database_url=f"sqlite:///{db}",
        cipher_key=CIPHER_KEY,
        auth_secret=SECRET,
        calendar_dir=ROOT / "ops" / "calendar",
        reference_file=ROOT / "ops" / "reference.toml",
    )


# ------------------------------------------------------------------------------------ seeding


@dataclass
class Plan:
    """One complaint and how far its lifecycle goes."""

    complaint: Complaint
    classification: Classification
    departments: list[str]
    at: datetime
    stop: int
    step: int = 0


def _steps(plan: Plan, calendar: WorkingCalendar, limits: Limits) -> list[Callable[[], object]]:
    c, cls, now = plan.complaint, plan.classification, plan.at
    steps: list[Callable[[], object]] = [
        lambda: c.classify(
            classification=cls, reason="按责分类", actor=CLERK, now=now, calendar=calendar, limits=limits
        )
    ]
    if cls is not Classification.general:
        steps += [
            lambda: c.sign(opinion="同意", actor=OFFICER, now=now, mode=SigningMode.roles_only),
            lambda: c.sign(opinion="同意转办", actor=LEADER, now=now, mode=SigningMode.roles_only),
            lambda: c.dispatch(
                departments=plan.departments,
                supervisor="local:supervisor",
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
    resolver = CLERK if cls is Classification.general else Actor("d", "经办人", Role.department, plan.departments[0])
    basis = "《条例》第十条" if cls is Classification.cannot_do else None
    steps += [
        lambda: c.resolve(
            result="已办理", legal_basis=basis, actor=resolver, now=now, calendar=calendar, limits=limits
        ),
        lambda: c.feed_back(method="电话", summary="已告知", actor=CLERK, now=now, calendar=calendar, limits=limits),
        lambda: c.call_back(rating=4, comment="", actor=CLERK, now=now, calendar=calendar, limits=limits),
    ]
    return steps


def _advance(plan: Plan, calendar: WorkingCalendar, limits: Limits, rnd: random.Random) -> bool:
    """Apply the plan's next command; False when it has gone as far as planned."""
    plan.at += timedelta(minutes=rnd.randrange(5, 240))
    steps = _steps(plan, calendar, limits)
    if plan.step >= min(plan.stop, len(steps)):
        return False
    steps[plan.step]()
    plan.step += 1
    return True


def complaints_in(db: Path) -> int:
    """Complaints already in the store's ledger view (0 when there is none yet)."""
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(db) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM yousu_ledger").fetchone()[0])
    except sqlite3.Error:
        return 0


def seed(app: ComplaintsApp, n: int, *, wave: int = 5000, batch: int = 500, seed_no: int = 1) -> UUID:
    """``n`` complaints received over the last DAYS days, each taken a random way through its lifecycle."""
    rnd = random.Random(seed_no)
    calendar, limits = app.calendar, app.limits
    start = datetime.now(CST).replace(hour=9, minute=0, second=0, microsecond=0) - timedelta(days=DAYS)
    full: UUID | None = None
    t0 = time.perf_counter()
    made = 0
    while made < n:
        plans = []
        for _ in range(min(wave, n - made)):
            made += 1
            at = start + timedelta(days=(made - 1) * DAYS // n, minutes=rnd.randrange(0, 8 * 60))  # up to yesterday
            complaint = Complaint.receive(
                slip_no=f"B{made:010d}",
                channel=rnd.choice(CHANNELS),
                content="楼道灯坏了很久无人修，反映多次没有结果",
                category=rnd.choice(CATEGORIES),
                complainant=PERSON,
                actor=CLERK,
                now=at,
                calendar=calendar,
                limits=limits,
                external_ref=f"B{made}",
                complaint_id=uuid4(),
                salt=new_salt,
            )
            stop = rnd.choice((0, 1, 2, 3, 4, 5, 6, 7, 7, 7, 7))  # some just received, most closed
            departments = rnd.sample(DEPARTMENTS, 1 if rnd.random() < 0.8 else 2)
            plans.append(Plan(complaint, rnd.choice(CLASSES), departments, at, stop))
        live = plans
        while live:
            for i in range(0, len(live), batch):
                app.save(*[p.complaint for p in live[i : i + batch]])
            live = [p for p in live if _advance(p, calendar, limits, rnd)]
        full = next((p.complaint.id for p in plans if p.stop >= 7), full)
        print(f"  seeded {made:,} complaints ({made / (time.perf_counter() - t0):,.0f}/s)", flush=True)
    assert full is not None  # noqa: S101 — a wave holds complete lifecycles
    return full


def rebuild_views(app: ComplaintsApp, settings: Settings) -> None:
    """Every read model rebuilt from the store (the server then starts caught up)."""
    db = ViewDB.from_url(settings.database_url)
    runner = ProjectionRunner(app, views_for(app, settings), db)
    runner.setup()
    t0 = time.perf_counter()
    n = runner.rebuild()
    db.close()
    print(f"  views rebuilt from {n:,} events in {time.perf_counter() - t0:.1f} s", flush=True)


def ensure_store(db: Path, n: int, *, fresh: bool) -> str:
    """A store with at least ``n`` complaints (seeded now, or reused); the id of a fully closed complaint."""
    settings = settings_for(db)
    if fresh:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
    app = build_complaints(settings, SystemClock())
    try:
        if complaints_in(db) < n:
            t0 = time.perf_counter()
            full = seed(app, n - complaints_in(db))
            print(f"  seeding took {time.perf_counter() - t0:.1f} s", flush=True)
            rebuild_views(app, settings)
        else:
            with sqlite3.connect(db) as conn:
                row = conn.execute("SELECT id FROM yousu_ledger WHERE status = 'closed' LIMIT 1").fetchone()
            full = UUID(str(row[0]))
        accounts = SqlAccountStore(settings.database(), SystemClock())
        accounts.setup()
        if accounts.get("leader") is None:
            accounts.add(username="leader", name="张带班", roles=[Role.duty_leader], password=PASSWORD)
    finally:
        app.close()
    return str(full)


# ------------------------------------------------------------------------------------ serving and measuring


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(db: Path, *, background: bool) -> Iterator[str]:
    """`yousu serve` on the SQLite file with the built console; its base URL."""
    port = free_port()
    env = {
        **os.environ,
        "YOUSU_DATABASE_URL": f"sqlite:///{db}",
        "YOUSU_AUTH_SECRET": SECRET,
        "YOUSU_CIPHER_KEY": CIPHER_KEY,
        "YOUSU_CONSOLE_DIR": str(ROOT / "console" / "dist"),
        "YOUSU_CALENDAR_DIR": str(ROOT / "ops" / "calendar"),
        "YOUSU_REFERENCE_FILE": str(ROOT / "ops" / "reference.toml"),
        "YOUSU_BACKGROUND": "true" if background else "false",
        "YOUSU_LOG_LEVEL": "WARNING",
    }
    env.pop("YOUSU_FIXED_CLOCK", None)
    yousu = Path(sys.executable).with_name("yousu")
    log = tempfile.TemporaryFile()  # noqa: SIM115 — closed below, after the server stops
    proc = subprocess.Popen(
        [str(yousu), "serve", "--host", "127.0.0.1", "--port", str(port)], env=env, stdout=log, stderr=log, cwd=ROOT
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                log.seek(0)
                raise SystemExit(f"yousu serve exited:\n{log.read().decode(errors='replace')[-3000:]}")
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("yousu serve did not start within 120 s")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


PAGES: dict[str, tuple[str, str]] = {
    # name → (path, what must be visible for the page to count as loaded)
    "login": ("/login", "[data-test=login]"),
    "ledger": ("/ledger", ".el-table__body tr >> nth=0"),
    "dashboard": ("/dashboard", "[data-test=chart] canvas"),
    "complaint": ("/complaints/{id}", "[data-test=timeline] .el-timeline-item >> nth=0"),
}


def measure(url: str, complaint_id: str, repeat: int) -> dict[str, list[float]]:
    """Seconds from navigation start to content visible, per page (first load first)."""
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 — only the measuring step needs a browser

    executable = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    if executable is None:
        raise SystemExit("Debian's chromium is missing: apt-get install -y chromium")
    times: dict[str, list[float]] = {name: [] for name in PAGES}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=executable, args=["--headless", "--no-sandbox", "--disable-gpu"], headless=True
        )
        ctx = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN", timezone_id="Asia/Shanghai")
        page = ctx.new_page()
        page.set_default_timeout(60_000)
        # the anchor first, before signing in: the console's page with no data
        for _ in range(repeat):
            t0 = time.perf_counter()
            page.goto(f"{url}/login")
            page.wait_for_selector(PAGES["login"][1])
            times["login"].append(time.perf_counter() - t0)
        page.locator("input[name=username]").fill("leader")
        page.locator("input[name=password]").fill(PASSWORD)
        page.locator("[data-test=login]").click()
        page.wait_for_selector("[data-test=who]")
        for name in ("ledger", "dashboard", "complaint"):
            path, visible = PAGES[name]
            for _ in range(repeat):
                t0 = time.perf_counter()
                page.goto(f"{url}{path.format(id=complaint_id)}")
                page.wait_for_selector(visible)
                if name == "dashboard":  # the numbers, not only the frame: this year's complaints counted
                    page.wait_for_function(
                        "() => [...document.querySelectorAll('[data-test=rate-fraction]')]"
                        ".some(e => e.textContent.trim() !== '0 / 0')"
                    )
                times[name].append(time.perf_counter() - t0)
        browser.close()
    return times


def report(times: dict[str, list[float]], n: int) -> None:
    """Cold (first) and warm (median, worst of the rest) load per page beside the anchor."""
    anchor = statistics.median(times["login"][1:] or times["login"])
    print(f"\npage load, navigation → content visible, {n:,} complaints, SQLite, chromium 1366×768")
    print(f"{'page':<10} {'cold ms':>8} {'warm median ms':>15} {'warm max ms':>12} {'× anchor':>9}")
    for name, values in times.items():
        warm = values[1:] or values
        median = statistics.median(warm)
        cold, worst = values[0] * 1000, max(warm) * 1000
        print(f"{name:<10} {cold:>8.0f} {median * 1000:>15.0f} {worst:>12.0f} {median / anchor:>9.1f}")
    worst = max(max(v) for v in times.values())
    print(f"every load under 1 s: {'yes' if worst < 1 else 'no'} (slowest {worst * 1000:.0f} ms)")


def main(argv: list[str] | None = None) -> int:
    """Seed (or reuse), serve, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--complaints", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5, help="loads per page (the first is reported as cold)")
    parser.add_argument("--db", type=Path, default=Path(tempfile.gettempdir()) / "yousu-bench-console.db")
    parser.add_argument("--fresh", action="store_true", help="seed a new store even if the file has enough")
    parser.add_argument("--background", action="store_true", help="projections and sweeper on in the server")
    args = parser.parse_args(argv)
    quiet_logs()  # the seeding's group-commit DEBUG lines stay out of the figures
    if not (ROOT / "console" / "dist" / "index.html").is_file():
        raise SystemExit("console/dist is not built: run `make console` first")
    print(f"store {args.db}", flush=True)
    complaint_id = ensure_store(args.db, args.complaints, fresh=args.fresh)
    with serve(args.db, background=args.background) as url:
        times = measure(url, complaint_id, args.repeat)
    report(times, complaints_in(args.db))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
