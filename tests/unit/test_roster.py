"""The duty roster (值班表): importing a month (all rows or none), who is on duty, who may sign."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import uuid4

import pytest
from eventsourcing.persistence import DatetimeAsISO, JSONTranscoder, Mapper, UUIDAsHex
from hypothesis import given, settings
from hypothesis import strategies as st

from application.complaints import new_salt
from application.transcodings import DataclassAsDict, register_domain_transcodings
from domain import errors
from domain.complaint import Complaint
from domain.roster import (
    DutyDay,
    DutyRoster,
    Person,
    RosterRow,
    SigningMode,
    may_sign,
    month_of,
    plan_month,
)
from domain.values import Actor, Channel, Classification, Role
from tests.unit.test_complaint_rules import CALENDAR, CLERK, CST, LIMITS, PERSON

CENTRES = frozenset({"district", "east"})
ADMIN = Actor("admin-1", "管理员", Role.admin)
NOW = datetime(2025, 9, 30, 9, 0, tzinfo=CST)

LI = Person("officer-li", "李值班")
ZHAO = Person("officer-zhao", "赵值班")
QIAN = Person("officer-qian", "钱替班")
ZHANG = Person("leader-zhang", "张带班")
WANG = Person("leader-wang", "王带班")
SUN = Person("leader-sun", "孙替班")

OCT9, OCT10, OCT11 = date(2025, 10, 9), date(2025, 10, 10), date(2025, 10, 11)  # Thu, Fri, 调休 Saturday
OCT1, OCT12 = date(2025, 10, 1), date(2025, 10, 12)  # National Day; a Sunday


def row(n: int, day: date = OCT9, centre: str = "district", **kw: Any) -> RosterRow:
    fields: dict[str, Any] = {"officers": (LI,), "leaders": (ZHANG,)}
    fields.update(kw)
    return RosterRow(n, day, centre, **fields)


GOOD = [
    row(2, OCT9, officers=(LI, ZHAO), officer_substitutes=(QIAN,), leader_substitutes=(SUN,)),
    row(3, OCT10, leaders=(WANG,)),
    row(4, OCT11),  # a 调休 Saturday is a working day
    row(5, OCT9, "east", officers=(ZHAO,), leaders=(WANG,)),
]


def plan(rows: list[RosterRow], month: str = "2025-10") -> dict[str, list[DutyDay]]:
    return plan_month(rows, month=month, known_centres=CENTRES, is_working_day=CALENDAR.is_working_day)


# ---------------------------------------------------------------------------------------- importing


def test_a_good_month_is_planned_per_centre_and_day() -> None:
    days = plan(list(reversed(GOOD)))
    assert set(days) == {"district", "east"}
    assert [d.day for d in days["district"]] == [OCT9, OCT10, OCT11]  # sorted by day
    assert days["district"][0] == DutyDay(OCT9, (LI, ZHAO), ZHANG, (QIAN,), (SUN,))
    assert days["east"] == [DutyDay(OCT9, (ZHAO,), WANG)]


def test_the_imported_month_answers_who_is_on_duty() -> None:
    roster = DutyRoster.import_month(
        centre="district", month="2025-10", days=plan(GOOD)["district"], actor=ADMIN, now=NOW
    )
    assert roster.id == DutyRoster.id_for("district", "2025-10")
    assert roster.id != DutyRoster.id_for("east", "2025-10")
    on_oct9 = roster.on_duty(OCT9)
    assert on_oct9 is not None
    assert on_oct9.may_sign_as(Role.duty_officer) == (LI, ZHAO, QIAN)
    assert on_oct9.may_sign_as(Role.duty_leader) == (ZHANG, SUN)
    assert on_oct9.may_sign_as(Role.department) == ()
    assert roster.on_duty(date(2025, 10, 13)) is None  # a working day nobody was rostered for
    assert (roster.imported_by, roster.imported_at) == (ADMIN, NOW)


def test_importing_the_month_again_replaces_it_whole() -> None:
    roster = DutyRoster.import_month(
        centre="district", month="2025-10", days=plan(GOOD)["district"], actor=ADMIN, now=NOW
    )
    later = NOW + timedelta(days=1)
    roster.replace(days=plan([row(7, OCT10, leaders=(SUN,))])["district"], actor=ADMIN, now=later)
    assert roster.on_duty(OCT9) is None
    assert roster.on_duty(OCT10) == DutyDay(OCT10, (LI,), SUN)
    assert [type(e).__name__ for e in roster.collect_events()] == ["Imported", "Replaced"]
    assert roster.imported_at == later


@dataclass(frozen=True)
class BadRows:
    id: str
    rows: list[RosterRow]
    error: type[errors.RosterRowInvalid]
    code: str
    row: int


BAD = [
    BadRows("leader-listed-twice", [row(2), row(3, OCT10, leaders=(ZHANG, WANG))], errors.RosterLeaderTwice, "roster_leader_twice", 3),
    BadRows("same-leader-twice", [row(2, leaders=(ZHANG, ZHANG))], errors.RosterLeaderTwice, "roster_leader_twice", 2),
    BadRows("national-day", [row(2), row(3, OCT1)], errors.RosterNonWorkingDay, "roster_non_working_day", 3),
    BadRows("sunday", [row(4, OCT12)], errors.RosterNonWorkingDay, "roster_non_working_day", 4),
    BadRows("unknown-centre", [row(2), row(3, centre="west")], errors.RosterUnknownCentre, "roster_unknown_centre", 3),
    BadRows("duplicate-day", [row(2), row(3, OCT10), row(4, OCT9, leaders=(WANG,))], errors.RosterDuplicateDay, "roster_duplicate_day", 4),
    BadRows("day-outside-month", [row(2, date(2025, 11, 3))], errors.RosterDayOutsideMonth, "roster_day_outside_month", 2),
    BadRows("no-officer", [row(2, officers=())], errors.RosterOfficerMissing, "roster_officer_missing", 2),
    BadRows("no-leader", [row(2, leaders=())], errors.RosterLeaderMissing, "roster_leader_missing", 2),
    BadRows("officer-is-leader", [row(2, officers=(LI, ZHANG))], errors.RosterOfficerIsLeader, "roster_officer_is_leader", 2),
    BadRows("officer-substitute-is-leader", [row(2, officer_substitutes=(ZHANG,))], errors.RosterOfficerIsLeader, "roster_officer_is_leader", 2),
    BadRows("leader-substitute-is-officer", [row(2, leader_substitutes=(LI,))], errors.RosterOfficerIsLeader, "roster_officer_is_leader", 2),
    BadRows("blank-sub", [row(2, officers=(Person(" ", "李值班"),))], errors.RosterRowInvalid, "roster_row_invalid", 2),
    BadRows("blank-name", [row(2), row(3, OCT10, leader_substitutes=(Person("leader-x", ""),))], errors.RosterRowInvalid, "roster_row_invalid", 3),
]  # fmt: skip


@pytest.mark.parametrize("case", BAD, ids=[c.id for c in BAD])
def test_a_bad_row_refuses_the_whole_month_naming_the_row(case: BadRows) -> None:
    with pytest.raises(errors.RosterRowInvalid) as info:
        plan(case.rows)
    assert type(info.value) is case.error
    assert info.value.code == case.code
    assert info.value.row == case.row
    assert info.value.detail.startswith(f"第 {case.row} 行：")


def test_the_first_bad_row_in_file_order_is_named() -> None:
    with pytest.raises(errors.RosterRowInvalid) as info:
        plan([row(2), row(3, OCT1), row(4, centre="west")])
    assert info.value.row == 3


def test_a_bad_row_leaves_nothing_to_import() -> None:
    """All rows or none: the plan is the only way to days, and a bad row gives no plan at all."""
    rows = [*GOOD, row(9, OCT12)]
    planned: dict[str, list[DutyDay]] | None = None
    with pytest.raises(errors.RosterNonWorkingDay):
        planned = plan(rows)
    assert planned is None


def test_every_roster_refusal_has_a_case() -> None:
    classes = {c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, errors.RosterRowInvalid)}
    assert {c.error for c in BAD} == classes


@pytest.mark.parametrize("month", ["2025-13", "2025-1", "202510", "October", ""])
def test_a_malformed_month_is_invalid_input(month: str) -> None:
    with pytest.raises(errors.InvalidInput) as info:
        plan(GOOD[:1], month=month)
    assert info.value.field == "month"


@pytest.mark.parametrize(
    ("days", "month", "field_name"),
    [
        ([], "2025-10", "days"),
        ([DutyDay(OCT9, (LI,), ZHANG)], "2025-11", "days"),
        ([DutyDay(OCT9, (LI,), ZHANG), DutyDay(OCT9, (ZHAO,), WANG)], "2025-10", "days"),
        ([DutyDay(OCT9, (LI,), ZHANG)], "10/2025", "month"),
    ],
)
def test_the_aggregate_refuses_days_that_do_not_make_its_month(
    days: list[DutyDay], month: str, field_name: str
) -> None:
    with pytest.raises(errors.InvalidInput) as info:
        DutyRoster.import_month(centre="district", month=month, days=days, actor=ADMIN, now=NOW)
    assert info.value.field == field_name


def test_month_of_a_day() -> None:
    assert month_of(OCT9) == "2025-10"
    assert month_of(date(2026, 1, 2)) == "2026-01"


def test_roster_events_survive_the_stored_form() -> None:
    transcoder = JSONTranscoder()
    transcoder.register(UUIDAsHex())
    transcoder.register(DatetimeAsISO())
    register_domain_transcodings(transcoder)
    for cls in (Person, DutyDay):  # the integrator registers these with the application's transcoder
        transcoder.register(DataclassAsDict(cls))
    mapper: Mapper[Any] = Mapper(transcoder=transcoder)
    roster = DutyRoster.import_month(
        centre="district", month="2025-10", days=plan(GOOD)["district"], actor=ADMIN, now=NOW
    )
    roster.replace(days=plan(GOOD[1:3])["district"], actor=ADMIN, now=NOW)
    rebuilt: Any = None
    for event in roster.collect_events():
        rebuilt = mapper.to_domain_event(mapper.to_stored_event(event)).mutate(rebuilt)
    assert isinstance(rebuilt, DutyRoster)
    assert rebuilt.days == roster.days
    assert rebuilt.on_duty(OCT10) == DutyDay(OCT10, (LI,), WANG)


# ---------------------------------------------------------------------------------------- may_sign

ENTRY = DutyDay(OCT9, (LI, ZHAO), ZHANG, (QIAN,), (SUN,))


def as_actor(p: Person, role: Role) -> Actor:
    return Actor(p.sub, p.name, role)


OFFICER_ROLE, LEADER_ROLE = Role.duty_officer, Role.duty_leader
MAY = [
    ("officer-rostered", ENTRY, as_actor(LI, OFFICER_ROLE), OFFICER_ROLE, SigningMode.roster),
    ("second-officer-rostered", ENTRY, as_actor(ZHAO, OFFICER_ROLE), OFFICER_ROLE, SigningMode.roster),
    ("officer-substitute", ENTRY, as_actor(QIAN, OFFICER_ROLE), OFFICER_ROLE, SigningMode.roster),
    ("leader-rostered", ENTRY, as_actor(ZHANG, LEADER_ROLE), LEADER_ROLE, SigningMode.roster),
    ("leader-substitute", ENTRY, as_actor(SUN, LEADER_ROLE), LEADER_ROLE, SigningMode.roster),
    ("roles-only-anyone-with-the-role", ENTRY, as_actor(WANG, LEADER_ROLE), LEADER_ROLE, SigningMode.roles_only),
    ("roles-only-without-roster", None, as_actor(WANG, OFFICER_ROLE), OFFICER_ROLE, SigningMode.roles_only),
]

MAY_NOT = [
    ("no-roster", None, as_actor(LI, OFFICER_ROLE), OFFICER_ROLE, SigningMode.roster, errors.NoRosterToday),
    ("officer-not-rostered", ENTRY, as_actor(WANG, OFFICER_ROLE), OFFICER_ROLE, SigningMode.roster, errors.NotOnDuty),
    ("leader-not-rostered", ENTRY, as_actor(WANG, LEADER_ROLE), LEADER_ROLE, SigningMode.roster, errors.NotOnDuty),
    ("officer-as-leader", ENTRY, as_actor(LI, LEADER_ROLE), LEADER_ROLE, SigningMode.roster, errors.NotOnDuty),
    ("leader-sub-as-officer", ENTRY, as_actor(SUN, OFFICER_ROLE), OFFICER_ROLE, SigningMode.roster, errors.NotOnDuty),
    ("role-differs-from-actor", ENTRY, as_actor(LI, OFFICER_ROLE), LEADER_ROLE, SigningMode.roles_only, errors.SignerRoleInvalid),
    ("not-a-duty-role", ENTRY, as_actor(LI, Role.department), Role.department, SigningMode.roles_only, errors.SignerRoleInvalid),
]  # fmt: skip


@pytest.mark.parametrize(("entry", "actor", "role", "mode"), [c[1:] for c in MAY], ids=[c[0] for c in MAY])
def test_may_sign(entry: DutyDay | None, actor: Actor, role: Role, mode: SigningMode) -> None:
    may_sign(entry, actor, role, mode)  # returns without a refusal


@pytest.mark.parametrize(
    ("entry", "actor", "role", "mode", "error"), [c[1:] for c in MAY_NOT], ids=[c[0] for c in MAY_NOT]
)
def test_may_not_sign(
    entry: DutyDay | None, actor: Actor, role: Role, mode: SigningMode, error: type[errors.ComplaintError]
) -> None:
    with pytest.raises(errors.ComplaintError) as info:
        may_sign(entry, actor, role, mode)
    assert type(info.value) is error


def test_not_on_duty_names_the_days_people_for_the_role() -> None:
    with pytest.raises(errors.NotOnDuty) as info:
        may_sign(ENTRY, as_actor(WANG, LEADER_ROLE), LEADER_ROLE, SigningMode.roster)
    assert info.value.code == "not_on_duty"
    assert "带班领导：张带班（替班：孙替班）" in info.value.detail
    assert "李值班" not in info.value.detail  # the officers are not who the leader should ask for


# ---------------------------------------------------------------------------------------- property

OFFICER_POOL = [Person(f"o{i}", f"值班{i}") for i in range(4)]
LEADER_POOL = [Person(f"l{i}", f"带班{i}") for i in range(4)]
STRANGERS = [Person("x0", "外人")]
WORKING_DAYS = [OCT9, OCT10, OCT11, date(2025, 10, 13), date(2025, 10, 14)]
PRE_SIGNER = Person("pre", "先签者")  # signs as officer (by role alone) before a leader's signature is tried


@st.composite
def roster_rows(draw: st.DrawFn) -> list[RosterRow]:
    cells = draw(
        st.sets(st.tuples(st.sampled_from(sorted(CENTRES)), st.sampled_from(WORKING_DAYS)), min_size=4, max_size=10)
    )
    rows = []
    for n, (centre, day) in enumerate(sorted(cells), start=2):
        officers = draw(st.lists(st.sampled_from(OFFICER_POOL), min_size=1, max_size=2, unique=True))
        rest = [p for p in OFFICER_POOL if p not in officers]
        rows.append(
            RosterRow(
                n,
                day,
                centre,
                officers=officers,
                leaders=[draw(st.sampled_from(LEADER_POOL))],
                officer_substitutes=draw(st.lists(st.sampled_from(rest), max_size=1)) if rest else [],
                leader_substitutes=draw(st.lists(st.sampled_from(LEADER_POOL), max_size=1, unique=True)),
            )
        )
    return rows


@settings(max_examples=150, deadline=None)
@given(
    rows=roster_rows(),
    centre=st.sampled_from(sorted(CENTRES)),
    day=st.sampled_from(WORKING_DAYS),
    signer=st.sampled_from([*OFFICER_POOL, *LEADER_POOL, *STRANGERS, PRE_SIGNER]),
    role=st.sampled_from([OFFICER_ROLE, LEADER_ROLE]),
)
def test_a_signature_succeeds_iff_the_signer_is_on_that_centres_roster_that_day(
    rows: list[RosterRow], centre: str, day: date, signer: Person, role: Role
) -> None:
    rosters = {
        DutyRoster.id_for(c, "2025-10"): DutyRoster.import_month(
            centre=c, month="2025-10", days=days, actor=ADMIN, now=NOW
        )
        for c, days in plan(rows).items()
    }
    now = datetime.combine(day, time(10, 0), tzinfo=CST)
    complaint = Complaint.receive(**{**_intake(now), "centre": centre})
    complaint.classify(
        classification=Classification.hard_to_do, reason="", actor=CLERK, now=now, calendar=CALENDAR, limits=LIMITS
    )
    if role is LEADER_ROLE:
        complaint.sign(opinion="", actor=as_actor(PRE_SIGNER, OFFICER_ROLE), now=now, mode=SigningMode.roles_only)
    roster = rosters.get(DutyRoster.id_for(centre, month_of(day)))
    duty = roster.on_duty(day) if roster is not None else None

    # the rule, from the rows themselves (not from the roster or the aggregate)
    mine = [r for r in rows if (r.centre, r.day) == (centre, day)]
    allowed = {
        p.sub
        for r in mine
        for p in (
            (*r.officers, *r.officer_substitutes) if role is OFFICER_ROLE else (*r.leaders, *r.leader_substitutes)
        )
    }
    expected = None if signer.sub in allowed else (errors.NoRosterToday if not mine else errors.NotOnDuty)
    if role is LEADER_ROLE and signer == PRE_SIGNER:
        expected = errors.SameSigner  # two different people, whatever the roster says

    version = complaint.version
    signing = as_actor(signer, role)
    if expected is None:
        complaint.sign(opinion="同意", actor=signing, now=now, duty=duty, mode=SigningMode.roster)
        assert complaint.version == version + 1
    else:
        with pytest.raises(expected):
            complaint.sign(opinion="同意", actor=signing, now=now, duty=duty, mode=SigningMode.roster)
        assert complaint.version == version


def _intake(now: datetime) -> dict[str, Any]:
    return {
        "slip_no": "YS-district-20251009-00001",
        "channel": Channel.window,
        "content": "窗口推诿",
        "category": "other",
        "complainant": PERSON,
        "actor": CLERK,
        "now": now,
        "calendar": CALENDAR,
        "limits": LIMITS,
        "complaint_id": uuid4(),
        "salt": new_salt,
    }


def test_substituted_rows_compare_equal_after_storage_shapes() -> None:
    """Stored events hand lists back; a day built from lists equals the same day built from tuples."""
    from_lists = DutyDay(OCT9, [LI], ZHANG, [QIAN], [])  # type: ignore[arg-type]
    assert from_lists == replace(ENTRY, officers=(LI,), leader_substitutes=())
