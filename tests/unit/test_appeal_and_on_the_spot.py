"""当场答复 and 差评申诉 on the aggregate: given steps → when a command → its events, or its refusal.

The rules, from the notice (平龙政服领办〔2023〕7号): 一般性问题 are 当场予以解决 — the window answers there and
then, with no separate 反馈 clock; a 差评 opens a rectification round, which the resolver may contest once
(差评申诉) and the duty leader decides (申诉审核): upheld, the 差评 is set aside and the round ends.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from domain import errors
from domain.complaint import Complaint
from domain.rules import ClockKind
from domain.values import Channel, Status
from tests.unit.test_complaint_rules import (
    BAD_RATED,
    CALENDAR,
    CLERK,
    GENERAL,
    HARD,
    HOUSING,
    LIMITS,
    MARKET,
    OFFICER,
    Step,
    appeal,
    call_back,
    classify,
    decide,
    dispatched,
    given,
    history,
    now_after,
    on_the_spot,
    received,
    resolve,
    step_time,
)

# a 很难办 complaint dispatched to 市场监管, consulted, resolved, fed back and rated 2 (差评): round 1 is open
BAD = BAD_RATED


def test_the_window_answers_a_general_question_on_the_spot_in_one_step() -> None:
    steps = [classify(GENERAL), on_the_spot()]
    events = history(steps)
    resolved, fed_back = events[-2], events[-1]
    assert (type(resolved).__name__, type(fed_back).__name__) == ("Resolved", "FedBack")
    at = step_time(1)
    assert resolved.occurred_at == fed_back.occurred_at == at
    c = given(steps)
    assert c.status is Status.fed_back
    assert (c.feedback_method, c.feedback_summary, c.result) == ("当面", "当场告知办理流程并代为填表", c.result)
    # no 反馈 clock is left running: only the call-back clock, started by the feedback
    assert [clock for clock, *_ in c.open_clocks(LIMITS)] == [ClockKind.callback]


@pytest.mark.parametrize(
    ("steps", "error"),
    [
        ([*dispatched(HARD, "market")], errors.NotOnTheSpot),  # a complex matter goes to its departments
        ([classify(GENERAL), on_the_spot()], errors.AlreadyResolved),  # answered once already
    ],
)
def test_on_the_spot_refused(steps: list[Step], error: type[errors.ComplaintError]) -> None:
    c = given(steps)
    with pytest.raises(error):
        on_the_spot().run(c, now_after(steps))
    assert c.collect_events() == []


def test_a_hotline_general_complaint_is_not_answered_on_the_spot() -> None:
    c = received(channel=Channel.hotline, external_ref="GD-2025-0001")
    c.classify(classification=GENERAL, reason="", actor=CLERK, now=step_time(0), calendar=CALENDAR, limits=LIMITS)
    with pytest.raises(errors.NotOnTheSpot):
        c.answer_on_the_spot(result="已答复", actor=CLERK, now=step_time(1), calendar=CALENDAR, limits=LIMITS)


def test_only_the_window_clerk_answers_on_the_spot() -> None:
    steps = [classify(GENERAL)]
    c = given(steps)
    with pytest.raises(errors.ResolverRoleInvalid):
        on_the_spot(actor=OFFICER).run(c, now_after(steps))


def test_an_appeal_upheld_sets_the_bad_rating_aside_and_closes_the_round() -> None:
    steps = [*BAD, appeal(), decide(upheld=True, opinion="属实，差评不计入")]
    events = history(steps)
    appealed, decided = events[-2], events[-1]
    assert isinstance(appealed, Complaint.RatingAppealed)
    assert (appealed.round, appealed.actor) == (1, MARKET)
    assert isinstance(decided, Complaint.AppealDecided)
    assert (decided.round, decided.upheld, decided.opinion) == (1, True, "属实，差评不计入")
    c = given(steps)
    assert c.status is Status.closed
    assert c.set_aside_rounds == (1,)
    assert c.rectification_due_at is None
    assert [a.upheld for a in c.appeals] == [True]
    assert c.open_clocks(LIMITS) == []


def test_an_appeal_refused_leaves_the_rectification_running() -> None:
    steps = [*BAD, appeal(), decide(upheld=False, opinion="群众反映属实，须整改")]
    c = given(steps)
    assert c.status is Status.rectifying
    assert c.set_aside_rounds == ()
    assert [clock for clock, *_ in c.open_clocks(LIMITS)] == [ClockKind.rectification]
    assert c.pending_appeal is None
    assert c.appeals[-1].opinion == "群众反映属实，须整改"


def test_a_general_complaints_appeal_is_the_windows() -> None:
    steps = [classify(GENERAL), on_the_spot(), call_back(1), appeal(actor=CLERK)]
    assert given(steps).pending_appeal is not None


@pytest.mark.parametrize(
    ("steps", "command", "error"),
    [
        ([*dispatched(HARD, "market")], appeal(), errors.AppealNotOpen),  # no 差评 yet
        ([*BAD[:-1], call_back(4)], appeal(), errors.AppealNotOpen),  # a good rating: nothing to contest
        (BAD, appeal(actor=HOUSING), errors.AppealRoleInvalid),  # not its department
        (BAD, appeal(actor=CLERK), errors.AppealRoleInvalid),  # a complex matter is the department's
        (BAD, appeal(reason=" "), errors.InvalidInput),
        ([*BAD, appeal()], appeal(), errors.AlreadyAppealed),  # once per round
        ([*BAD, appeal(), decide(False)], appeal(), errors.AlreadyAppealed),
        (BAD, decide(True), errors.NoAppealPending),
        ([*BAD, appeal()], decide(True, actor=OFFICER), errors.DecisionByLeader),
        ([*BAD, appeal()], decide(True, opinion=""), errors.InvalidInput),
    ],
)
def test_appeal_refused(steps: list[Step], command: Step, error: type[errors.ComplaintError]) -> None:
    c = given(steps)
    with pytest.raises(error):
        command.run(c, now_after(steps))
    assert c.collect_events() == []


def test_an_appeal_decided_after_the_round_was_rectified_leaves_the_course_alone() -> None:
    steps = [*BAD, appeal(), resolve(MARKET, result="已整改"), decide(upheld=True)]
    c = given(steps)
    assert c.status is Status.resolved  # the rectified result still goes back to the person
    assert c.set_aside_rounds == (1,)


def test_events_carry_the_time_handed_in() -> None:
    at = datetime.fromisoformat("2025-09-26T15:00:00+08:00")
    c = given(BAD)
    c.appeal_rating(reason="理由", actor=MARKET, now=at)
    [e] = c.collect_events()
    assert e.occurred_at == at
