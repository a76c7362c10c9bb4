"""The duty roster (值班表): who is the duty officer and the duty leader, per centre and working day.

Design: one ``DutyRoster`` aggregate per centre and month. A month is what the office imports at once and
what must be imported whole or not at all, so it is the unit of consistency: an import is one event, two
administrators importing the same month meet on one aggregate (optimistic concurrency), and a signature
reads exactly one small aggregate whose id is a function of (centre, month), like the slip book. Rows
are checked by the pure ``plan_month`` first, so a bad row refuses the whole file before anything is saved.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain import errors
from domain.centres import CENTRE_CODE, SigningCentre, check_centre
from domain.values import Actor, Role

ROSTER_NAMESPACE = uuid5(NAMESPACE_URL, "https://yousu.invalid/duty-roster")
_MONTH = re.compile(r"(?P<year>\d{4})-(?P<month>\d{2})")
DUTY_ROLES = (Role.duty_officer, Role.duty_leader)
DUTY_ROLE_LABELS = {Role.duty_officer: "当天值班人员", Role.duty_leader: "带班领导"}


class SigningMode(Enum):
    """How signers are checked: against the day's roster, or by role alone (before rosters are kept)."""

    roster = "roster"  # only the rostered people of the day, or their named substitutes
    roles_only = "roles_only"  # any holder of the duty role


@dataclass(frozen=True)
class Person:
    """A member of staff on the roster: the identity-provider subject (``Actor.id``) and a display name."""

    sub: str
    name: str


def _people(value: Iterable[Person]) -> tuple[Person, ...]:
    return tuple(value)


@dataclass(frozen=True)
class DutyDay:
    """One centre's working day: the duty officer(s), the duty leader and their named substitutes."""

    day: date
    officers: tuple[Person, ...]
    leader: Person
    officer_substitutes: tuple[Person, ...] = ()
    leader_substitutes: tuple[Person, ...] = ()

    def __post_init__(self) -> None:
        # stored events come back with lists; equal days must compare equal
        for name in ("officers", "officer_substitutes", "leader_substitutes"):
            object.__setattr__(self, name, _people(getattr(self, name)))

    def may_sign_as(self, role: Role) -> tuple[Person, ...]:
        """Who may sign in ``role`` that day: the rostered people first, then their substitutes."""
        if role is Role.duty_officer:
            return (*self.officers, *self.officer_substitutes)
        if role is Role.duty_leader:
            return (self.leader, *self.leader_substitutes)
        return ()

    def describe(self, role: Role) -> str:
        """The people of ``role`` as staff read them, e.g. 李值班、赵值班（替班：钱替）."""
        main = self.officers if role is Role.duty_officer else (self.leader,)
        subs = self.officer_substitutes if role is Role.duty_officer else self.leader_substitutes
        text = "、".join(p.name for p in main)
        if subs:
            text += f"（替班：{'、'.join(p.name for p in subs)}）"
        return text


@dataclass(frozen=True)
class RosterRow:
    """One row of an import file, as parsed; ``row`` is its number in the file (named in refusals)."""

    row: int
    day: date
    centre: str
    officers: Sequence[Person]
    leaders: Sequence[Person]  # exactly one is allowed; the file may list more, which is refused
    officer_substitutes: Sequence[Person] = field(default=())
    leader_substitutes: Sequence[Person] = field(default=())


def month_of(day: date) -> str:
    """The roster month of ``day``, as YYYY-MM."""
    return f"{day:%Y-%m}"


def check_month(month: str) -> tuple[int, int]:
    """(year, month) of a YYYY-MM string; anything else is refused naming ``month``."""
    match = _MONTH.fullmatch(month) if isinstance(month, str) else None
    if match is None or not 1 <= int(match["month"]) <= 12:
        raise errors.InvalidInput("month", "month 须为 YYYY-MM，例如 2026-11")
    return int(match["year"]), int(match["month"])


def _check_people(row: int, label: str, people: Sequence[Person]) -> None:
    for p in people:
        if not p.sub.strip() or not p.name.strip():
            raise errors.RosterRowInvalid(row, f"{label}的人员编号和姓名都不能为空")


def _check_row(
    r: RosterRow, month: tuple[int, int], known_centres: Collection[str], is_working_day: Callable[[date], bool]
) -> DutyDay:
    if r.centre not in known_centres or not CENTRE_CODE.fullmatch(r.centre):
        raise errors.RosterUnknownCentre(r.row, f"未知的服务中心代码：{r.centre}")
    if (r.day.year, r.day.month) != month:
        raise errors.RosterDayOutsideMonth(r.row, f"{r.day.isoformat()} 不在 {month[0]:04d}-{month[1]:02d} 内")
    if not is_working_day(r.day):
        raise errors.RosterNonWorkingDay(r.row, f"{r.day.isoformat()} 不是工作日，不能排班")
    for label, people in (
        ("当天值班人员", r.officers),
        ("带班领导", r.leaders),
        ("值班替班", r.officer_substitutes),
        ("带班替班", r.leader_substitutes),
    ):
        _check_people(r.row, label, people)
    if not r.officers:
        raise errors.RosterOfficerMissing(r.row)
    if not r.leaders:
        raise errors.RosterLeaderMissing(r.row)
    if len(r.leaders) > 1:
        names = "、".join(p.name for p in r.leaders)
        raise errors.RosterLeaderTwice(
            r.row, f"{r.day.isoformat()} 带班领导列了 {len(r.leaders)} 次（{names}），只能有一名"
        )
    leader = r.leaders[0]
    officer_subs = {p.sub for p in (*r.officers, *r.officer_substitutes)}
    if leader.sub in officer_subs or any(p.sub in officer_subs for p in r.leader_substitutes):
        raise errors.RosterOfficerIsLeader(r.row)
    return DutyDay(r.day, tuple(r.officers), leader, tuple(r.officer_substitutes), tuple(r.leader_substitutes))


def plan_month(
    rows: Sequence[RosterRow],
    *,
    month: str,
    known_centres: Collection[str],
    is_working_day: Callable[[date], bool],
) -> dict[str, list[DutyDay]]:
    """Check every row of a month's import; the days per centre, or the first bad row's refusal naming the others."""
    wanted = check_month(month)
    plan: dict[str, list[DutyDay]] = {}
    seen: dict[tuple[str, date], int] = {}
    problems: list[errors.RosterRowInvalid] = []
    for r in rows:
        try:
            duty = _check_row(r, wanted, known_centres, is_working_day)
        except errors.RosterRowInvalid as exc:
            problems.append(exc)
            continue
        first = seen.setdefault((r.centre, r.day), r.row)
        if first != r.row:
            problems.append(errors.RosterDuplicateDay(r.row, f"{r.centre} {r.day.isoformat()} 已在第 {first} 行排班"))
            continue
        plan.setdefault(r.centre, []).append(duty)
    if problems:  # every bad row named, nothing imported
        raise errors.RosterRowInvalid.of_rows(problems)
    return {centre: sorted(days, key=lambda d: d.day) for centre, days in plan.items()}


def may_sign(
    entry: DutyDay | None,
    actor: Actor,
    role: Role,
    mode: SigningMode,
    *,
    act: str = "签字",
    signer: SigningCentre | None = None,
) -> None:
    """Whether ``actor`` may sign (or ``act``) as ``role`` on the day of ``entry``; raises the refusal, else returns.

    ``entry`` is the roster of ``signer``, the centre that signs the complaint (named in the refusal when given).
    """
    if role not in DUTY_ROLES or actor.role is not role:
        raise errors.SignerRoleInvalid
    if mode is SigningMode.roles_only:
        return
    label = DUTY_ROLE_LABELS[role]
    where = signer.name if signer is not None else ""
    if entry is None:
        whose = f"{where}的" if signer is not None else ""
        raise errors.NoRosterToday(f"今日未导入{whose}值班表，无法按值班表核对{act}人；请管理员导入本月值班表")
    if any(p.sub == actor.id for p in entry.may_sign_as(role)):
        return
    whose = f"本诉求由{where}{label}{act}；" if signer is not None else ""
    raise errors.NotOnDuty(
        f"{whose}您不在 {entry.day.isoformat()} {where}的值班表上，不能以{label}身份{act}；"
        f"值班表上的{label}：{entry.describe(role)}"
    )


class DutyRoster(Aggregate):
    """One centre's roster for one month; a later import of the same month replaces it whole."""

    class Imported(Aggregate.Created):
        """值班表导入: the month's first import."""

        centre: str
        month: str
        days: list[DutyDay]
        actor: Actor
        occurred_at: datetime

    class Replaced(Aggregate.Event):
        """值班表重新导入: the whole month replaced (a correction)."""

        days: list[DutyDay]
        actor: Actor
        occurred_at: datetime

        def apply(self, aggregate: Any) -> None:
            r: DutyRoster = aggregate
            r.days = _by_day(self.days)
            r.imported_by = self.actor
            r.imported_at = self.occurred_at

    def __init__(self, centre: str, month: str, days: list[DutyDay], actor: Actor, occurred_at: datetime) -> None:
        self.centre = centre
        self.month = month
        self.days: Mapping[date, DutyDay] = _by_day(days)
        self.imported_by = actor
        self.imported_at = occurred_at

    @staticmethod
    def id_for(centre: str, month: str) -> UUID:
        """The roster's id is a function of centre and month: importers and signers meet on one aggregate."""
        return uuid5(ROSTER_NAMESPACE, f"{centre}/{month}")

    @classmethod
    def import_month(
        cls, *, centre: str, month: str, days: Sequence[DutyDay], actor: Actor, now: datetime
    ) -> DutyRoster:
        """Record a checked month (from ``plan_month``) for ``centre``."""
        check_centre(centre)
        _check_days(month, days)
        return cls._create(
            cls.Imported,
            id=cls.id_for(centre, month),
            timestamp=now,
            centre=centre,
            month=month,
            days=list(days),
            actor=actor,
            occurred_at=now,
        )

    def replace(self, *, days: Sequence[DutyDay], actor: Actor, now: datetime) -> None:
        """Replace the whole month with a newly checked import."""
        _check_days(self.month, days)
        self.trigger_event(self.Replaced, timestamp=now, days=list(days), actor=actor, occurred_at=now)

    def on_duty(self, day: date) -> DutyDay | None:
        """Who may sign as officer and as leader on ``day`` (``None``: no roster for that day)."""
        return self.days.get(day)


def _by_day(days: Iterable[DutyDay]) -> dict[date, DutyDay]:
    return {d.day: d for d in days}


def _check_days(month: str, days: Sequence[DutyDay]) -> None:
    """A second line of defence behind ``plan_month``: the days belong to the month, once each."""
    wanted = check_month(month)
    if not days:
        raise errors.InvalidInput("days", "值班表至少包含一天")
    if any((d.day.year, d.day.month) != wanted for d in days):
        raise errors.InvalidInput("days", f"值班日期须在 {month} 内")
    if len({d.day for d in days}) != len(days):
        raise errors.InvalidInput("days", "值班日期重复")
