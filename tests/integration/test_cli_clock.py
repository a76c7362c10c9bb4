"""Every command runs on the one clock of YOUSU_FIXED_CLOCK: it starts at that instant and runs on.

Each command below dates something it prints by its clock: the roster month it shows by default, the
period of high-frequency topics, the account change it recorded, the anchor it made, the hotline
message it queued, tried and queued again. Far from the wall clock (2031), any command reading the system clock shows.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

from application.clock import SettableClock
from domain.values import Actor, Channel, Complainant, ComplainantType, Role
from tests.support import CIPHER_KEY, SECRET, settings_for
from yousu.cli import app
from yousu.settings import Settings
from yousu.wiring import SweepTask, build_complaints, build_runner, clock_for, views_db

CST = timezone(timedelta(hours=8))
FIXED = datetime(2031, 3, 4, 10, 0, tzinfo=CST)
RUNS_ON = timedelta(minutes=30)  # the clock runs on with real time: a loaded machine takes a while
HOTLINE = Actor("h1", "热线戊", Role.hotline)
PASSWORD = "窗口密码-2031-春季"


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh SQLite store holding one hotline work order, and the environment of a drill on it."""
    u = f"sqlite:///{tmp_path / 'yousu.db'}"
    seeded = build_complaints(settings_for(u), SettableClock(datetime(2025, 9, 26, 2, 0, tzinfo=UTC)))
    try:
        seeded.receive(
            channel=Channel.hotline,
            content="小区电梯停运",
            category="housing",
            complainant=Complainant(ComplainantType.person, "赵六", "13900002222"),
            actor=HOTLINE,
            external_ref="RX-2031-1",
        )
        runner = build_runner(settings_for(u), seeded)
        runner.setup()
        runner.run_once()  # the hotline view holds the work order's first message
        runner.db.close()
    finally:
        seeded.close()
    for name, value in {
        "YOUSU_DATABASE_URL": u,
        "YOUSU_CIPHER_KEY": CIPHER_KEY,
        "YOUSU_AUTH_SECRET": SECRET,
        "YOUSU_SIGNING_MODE": "roles_only",
        "YOUSU_FIXED_CLOCK": FIXED.isoformat(),
        "YOUSU_HOTLINE_URL": "http://127.0.0.1:9/work-orders",  # nothing listens: every post fails at once
        "YOUSU_HOTLINE_TIMEOUT": "2",
    }.items():
        monkeypatch.setenv(name, value)
    return u


def run(*args: str, stdin: str | None = None) -> tuple[int, str]:
    out = CliRunner().invoke(app, list(args), input=stdin)
    return out.exit_code, out.output


def on_the_clock(instant: datetime) -> bool:
    return FIXED <= instant < FIXED + RUNS_ON


def test_every_command_sees_the_configured_clock(url: str) -> None:
    # the roster: this month is the clock's
    code, out = run("roster", "show", "--centre", "district")
    assert code == 1
    assert "尚未导入 2031-03 的值班表" in out

    # high-frequency topics: the period ends today, the clock's day
    code, out = run("insights", "topics")
    assert code == 0, out
    assert "2031-02-03 — 2031-03-04" in out

    # an account change is recorded at the clock's time, and listed by the audit command
    code, out = run("users", "add", "--username", "lin", "--name", "林窗口", "--role", "window_clerk",
                    "--password-stdin", stdin=f"{PASSWORD}\n")  # fmt: skip
    assert code == 0, out
    code, out = run("audit", "accounts")
    assert code == 0, out
    assert "北京时间 2031-03-04 10:" in out

    # the audit trail's anchor is made at the clock's time
    code, out = run("audit", "anchor")
    assert code == 0, out
    record = json.loads(out.strip().splitlines()[-1])
    assert on_the_clock(datetime.fromisoformat(record["anchored_at"])), record

    # the hotline relay (what `serve` and `sweep` run each round): the work order's messages are queued and
    # tried at the clock's now (the hotline is down: each is due again a backoff later)
    settings = Settings()
    complaints = build_complaints(settings, clock_for(settings))
    views = views_db(settings)
    relay = SweepTask(settings, complaints, views)
    try:
        relay()
    finally:
        relay.close()
        views.close()
        complaints.close()
    assert all(on_the_clock(r) for r in due_at()), due_at()

    # a work order queued again from the command line is due at the clock's now
    code, out = run("deliveries", "replay", "RX-2031-1")
    assert code == 0, out
    assert all(on_the_clock(r) for r in due_at()), due_at()


def due_at() -> list[datetime]:
    """When each message of the work order is next due, as `yousu deliveries --json` lists them."""
    code, out = run("deliveries", "--external-ref", "RX-2031-1", "--json")
    assert code == 0, out
    rows = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert rows, out
    return [datetime.fromisoformat(r["next_attempt_at"]) for r in rows]


def test_a_fixed_clock_without_an_offset_is_refused(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YOUSU_FIXED_CLOCK", "2031-03-04T10:00")
    code, out = run("roster", "show")
    assert code == 2
    assert "YOUSU_FIXED_CLOCK" in out
