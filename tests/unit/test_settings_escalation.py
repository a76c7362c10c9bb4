"""Escalation and satisfaction settings (issue 12 point 6): validated at start, used by the policy."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from uuid import uuid4

import pytest
import structlog
from structlog.testing import capture_logs

import application.store as store_module
from application.clock import SettableClock
from application.complaints import ComplaintsApp
from domain.calendar import WorkingCalendar
from domain.roster import SigningMode
from domain.rules import ClockKind
from domain.values import Actor, Channel, Complainant, ComplainantType, Role
from policies.deadlines import OpenClock, decide
from yousu.settings import Settings

CST = timezone(timedelta(hours=8))


def settings(**overrides: str | int) -> Settings:
    return Settings(auth_secret="x", **overrides)  # type: ignore[arg-type] — env-style values, validated


def test_defaults_are_the_designs() -> None:
    rules = settings().escalation_rules()
    assert rules.levels == {1, 2}
    assert rules.level1_recipients == ("supervisor", "duty_leader")
    assert rules.level2_recipients == ("supervisor", "duty_leader", "liaison")
    assert rules.level2_after_working_days == 1
    assert settings().satisfied() == (3, 4, 5)


@pytest.mark.parametrize(
    ("field", "value", "variable"),
    [
        ("escalation_levels", "3", "YOUSU_ESCALATION_LEVELS"),
        ("escalation_levels", "one", "YOUSU_ESCALATION_LEVELS"),
        ("escalation_level1_recipients", "supervisor,mayor", "YOUSU_ESCALATION_LEVEL1_RECIPIENTS"),
        ("escalation_level2_recipients", "", "YOUSU_ESCALATION_LEVEL2_RECIPIENTS"),
        ("satisfied_ratings", "2,3,4,5", "YOUSU_SATISFIED_RATINGS"),
        ("satisfied_ratings", "6", "YOUSU_SATISFIED_RATINGS"),
    ],
)
def test_a_bad_value_is_refused_at_start_naming_the_variable(field: str, value: str, variable: str) -> None:
    with pytest.raises(ValueError, match=variable):
        settings(**{field: value})


def test_level2_delay_is_bounded() -> None:
    with pytest.raises(ValueError, match="escalation_level2_after"):
        settings(escalation_level2_after=0)


def test_configured_levels_recipients_and_delay_drive_the_policy() -> None:
    cal = WorkingCalendar()
    due = datetime(2025, 12, 1, 17, 30, tzinfo=CST)  # a Monday
    clock = OpenClock(uuid4(), ClockKind.resolution, 0, due)
    rules = settings(
        escalation_levels="1", escalation_level1_recipients="liaison", escalation_level2_after=3
    ).escalation_rules()
    late = due + timedelta(days=7)
    raised = decide([clock], late, cal, rules)
    assert [(e.level, e.recipients) for e in raised] == [(1, ("liaison",))]
    two_days_later = datetime(2025, 12, 3, 18, 0, tzinfo=CST)
    rules = settings(escalation_level2_after=3).escalation_rules()
    assert [e.level for e in decide([clock], two_days_later, cal, rules)] == [1]  # level 2 after 3 working days
    assert [e.level for e in decide([clock], late, cal, rules)] == [1, 2]


@pytest.mark.usefixtures("structlog_defaults")
def test_a_provisional_deadline_is_logged_when_computed(monkeypatch: pytest.MonkeyPatch) -> None:
    # 2099 has no holiday schedule: its deadlines are counted Monday–Friday and marked provisional
    app = ComplaintsApp(
        clock=SettableClock(datetime(2099, 1, 5, 10, 0, tzinfo=CST)), signing_mode=SigningMode.roles_only
    )
    with capture_logs() as logs:
        # a logger bound before (cached on first use by the service's logging set-up) would bypass the capture
        monkeypatch.setattr(store_module, "log", structlog.get_logger("yousu.complaints"))
        app.receive(
            channel=Channel.window,
            content="内容",
            category="other",
            complainant=Complainant(ComplainantType.person, "张三", "13800000000"),
            actor=Actor("c1", "窗口", Role.window_clerk),
        )
    [entry] = [e for e in logs if e["event"] == "provisional_deadline"]
    assert entry["event_type"] == "Received"
    assert entry["due_at"].startswith("2099-01-05T17:30")
    assert "张三" not in str(logs)
    assert "13800000000" not in str(logs)


def test_signing_is_checked_against_the_roster_unless_configured_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail-closed: with no ``YOUSU_SIGNING_MODE`` the day's roster decides who may sign (审核签字 and 会商)."""
    monkeypatch.delenv("YOUSU_SIGNING_MODE", raising=False)
    assert settings().signing_mode is SigningMode.roster
    assert settings(signing_mode="roles_only").signing_mode is SigningMode.roles_only
    with pytest.raises(ValueError, match="signing_mode"):
        settings(signing_mode="anyone")
