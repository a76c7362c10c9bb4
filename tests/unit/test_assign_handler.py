"""指定承办人 on the aggregate: given steps → when a command → its events, or its refusal.

The rule, from the district's notice (窗口部门负责人…安排业务骨干进行办理): when a complaint is dispatched to a
department, that department's 负责人 names a handler (业务骨干) of the department; the handler resolves, and the
result carries the 负责人's name. There is no separate 负责人 role: the department account that assigns is the
负责人 on record. Once a department has a handler, only the handler or the assigner resolves for it; a department
without one resolves as before, and its result carries no sign-off.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from domain import errors
from domain.audit import ENVELOPE, chain_hash, event_hash, plain
from domain.complaint import Complaint, HandlerAssignment
from domain.values import Actor, Role, Status
from tests.unit.test_centres import mapper, tampered
from tests.unit.test_complaint_rules import (
    CLERK,
    GENERAL,
    HOUSING,
    MARKET,
    MARKET_HANDLER,
    MARKET_OTHER,
    MULTI,
    RECTIFYING_MULTI,
    REFUSED,
    Step,
    assign,
    call_back,
    classify,
    dispatched,
    feed_back,
    given,
    history,
    master,
    merge,
    now_after,
    redispatch,
    resolve,
    return_,
    step_time,
    withdraw,
)

DISPATCHED = dispatched(REFUSED)  # 不给办, dispatched to 市场监管 alone (no 会商 needed)
ASSIGNED = [*DISPATCHED, assign()]  # 赵市监 names 孙经办


def test_the_head_names_a_handler_of_the_department() -> None:
    events = history(ASSIGNED)
    event = events[-1]
    assert isinstance(event, Complaint.HandlerAssigned)
    assert (event.department, event.handler_id, event.handler_name) == ("market", "dept-market-2", "孙经办")
    assert event.actor == MARKET
    assert Complaint.HandlerAssigned.LABEL == "指定承办人"
    c = given(ASSIGNED)
    assert c.handlers == {
        "market": HandlerAssignment("market", "dept-market-2", "孙经办", MARKET, step_time(len(DISPATCHED)))
    }
    assert c.status is Status.dispatched  # naming a handler moves nothing along


def test_the_handler_resolves_and_the_result_carries_the_heads_name() -> None:
    c = given(ASSIGNED)
    resolve(MARKET_HANDLER)(c, now_after(ASSIGNED))
    [event] = c.collect_events()
    assert isinstance(event, Complaint.Resolved)
    assert event.actor == MARKET_HANDLER
    assert event.signed_off_by == "赵市监"
    assert (c.signed_off_by, c.resolved_by) == ("赵市监", MARKET_HANDLER)


def test_the_head_who_assigned_may_resolve_too_and_signs_it_off() -> None:
    c = given([*ASSIGNED, resolve(MARKET)])
    assert (c.status, c.signed_off_by) == (Status.resolved, "赵市监")


def test_anyone_else_of_the_department_is_refused_with_who_may() -> None:
    c = given(ASSIGNED)
    with pytest.raises(errors.NotAssignedHandler) as info:
        resolve(MARKET_OTHER)(c, now_after(ASSIGNED))
    assert info.value.code == "not_assigned_handler"
    assert "孙经办" in info.value.detail
    assert "赵市监" in info.value.detail
    assert c.collect_events() == []


def test_without_an_assignment_any_account_of_the_department_resolves_without_a_sign_off() -> None:
    c = given([*DISPATCHED, resolve(MARKET_OTHER)])
    assert (c.status, c.signed_off_by, c.handlers) == (Status.resolved, None, {})


def test_a_general_complaint_resolved_at_the_window_has_no_sign_off() -> None:
    c = given([classify(GENERAL), resolve(CLERK)])
    assert c.signed_off_by is None


def test_a_department_without_a_handler_resolves_as_before_beside_one_with() -> None:
    # dispatched to 市场监管 and 住建, consulted; only 市场监管 named a handler
    c = given([*MULTI, assign(), resolve(HOUSING)])
    assert (c.status, c.signed_off_by) == (Status.resolved, None)
    assert set(c.handlers) == {"market"}


def test_the_latest_assignment_stands() -> None:
    steps = [*ASSIGNED, assign(MARKET_OTHER)]
    c = given(steps)
    assert (c.handlers["market"].handler_id, c.handlers["market"].handler_name) == ("dept-market-3", "周科员")
    with pytest.raises(errors.NotAssignedHandler):
        resolve(MARKET_HANDLER)(c, now_after(steps))
    resolve(MARKET_OTHER)(c, now_after(steps))
    assert c.signed_off_by == "赵市监"


def test_who_assigned_last_is_the_head_on_record() -> None:
    # 周科员 reassigns: from then on 周科员 is the 负责人 on record, and 赵市监 may no longer resolve
    steps = [*ASSIGNED, assign(MARKET_HANDLER, actor=MARKET_OTHER)]
    c = given(steps)
    assert c.handlers["market"].assigned_by == MARKET_OTHER
    with pytest.raises(errors.NotAssignedHandler):
        resolve(MARKET)(c, now_after(steps))
    resolve(MARKET_HANDLER)(c, now_after(steps))
    assert c.signed_off_by == "周科员"


def test_in_a_rectification_round_the_handler_resolves_again() -> None:
    # 差评 after a 会商 and 市场监管's result: the round is back with the departments; 市场监管 names its handler
    steps = [*RECTIFYING_MULTI, assign()]
    c = given(steps)
    assert c.status is Status.rectifying
    with pytest.raises(errors.NotAssignedHandler):
        resolve(MARKET)(given([*RECTIFYING_MULTI, assign(actor=MARKET_OTHER)]), now_after(steps))
    resolve(MARKET_HANDLER)(c, now_after(steps))
    assert (c.status, c.signed_off_by) == (Status.resolved, "赵市监")


def test_a_handler_assigned_in_the_first_round_still_stands_in_the_next() -> None:
    steps = [*ASSIGNED, resolve(MARKET_HANDLER), feed_back(), call_back(2)]
    c = given(steps)
    assert c.status is Status.rectifying
    with pytest.raises(errors.NotAssignedHandler):
        resolve(MARKET_OTHER)(c, now_after(steps))


def test_a_redispatch_drops_the_handler_of_a_department_no_longer_with_it() -> None:
    steps = [*ASSIGNED, return_(), redispatch("housing")]
    c = given(steps)
    assert c.handlers == {}
    resolve(HOUSING)(c, now_after(steps))
    assert c.signed_off_by is None


def test_a_redispatch_keeps_the_handler_of_a_department_still_with_it() -> None:
    steps = [*ASSIGNED, return_(), redispatch("market", "housing")]
    assert set(given(steps).handlers) == {"market"}


@pytest.mark.parametrize(
    ("steps", "when", "error"),
    [
        # not a department, or not one the complaint is with
        (DISPATCHED, assign(actor=CLERK, department="market"), errors.ResolverRoleInvalid),
        (DISPATCHED, assign(HOUSING, actor=HOUSING), errors.NotResponsibleDepartment),
        # a 负责人 names a handler of their own department only
        (MULTI, assign(HOUSING, department="housing"), errors.NotResponsibleDepartment),
        # not (yet, or any more) with its departments
        ([classify(GENERAL)], assign(), errors.NotDispatched),
        ([*ASSIGNED, resolve(MARKET_HANDLER)], assign(MARKET_OTHER), errors.AlreadyResolved),
        ([*ASSIGNED, resolve(MARKET_HANDLER), feed_back()], assign(MARKET_OTHER), errors.AlreadyResolved),
        ([*ASSIGNED, resolve(MARKET_HANDLER), feed_back(), call_back(5)], assign(MARKET_OTHER), errors.AlreadyClosed),
        ([*DISPATCHED, merge(master())], assign(), errors.AlreadyMerged),
        ([*DISPATCHED, withdraw()], assign(), errors.AlreadyWithdrawn),
        # the handler named
        (DISPATCHED, assign(name=""), errors.InvalidInput),
        (DISPATCHED, assign(name="孙,经办"), errors.InvalidInput),
        (DISPATCHED, assign(name="孙:经办"), errors.InvalidInput),
        (DISPATCHED, assign(name="孙" * 65), errors.InvalidInput),
        (DISPATCHED, assign(Actor("", "孙经办", Role.department, department="market")), errors.InvalidInput),
    ],
)
def test_assign_refused(steps: list[Step], when: Step, error: type[errors.ComplaintError]) -> None:
    c = given(steps)
    before = c.state()
    with pytest.raises(error) as info:
        when(c, now_after(steps))
    assert type(info.value) is error
    assert info.value.detail
    assert c.collect_events() == []
    assert c.state() == before


def test_the_refusal_for_another_department_names_it() -> None:
    c = given(MULTI)
    with pytest.raises(errors.NotResponsibleDepartment) as info:
        assign(HOUSING, department="housing")(c, now_after(MULTI))
    assert "本部门" in info.value.detail


# ------------------------------------------------------------------------------ 办结 before version 2


def as_version_1(event: Complaint.Event) -> Any:
    """What the code before 指定承办人 stored: no ``signed_off_by``, no ``class_version``, its hash over the rest."""
    fields = {k: v for k, v in vars(event).items() if k != "signed_off_by"}
    payload = {k: plain(v) for k, v in sorted(fields.items()) if k not in ENVELOPE}
    stored = mapper().to_stored_event(event)
    state = json.loads(stored.state)
    assert state.pop("class_version") == 2
    del state["signed_off_by"]
    state["row_hash"] = chain_hash(str(event.originator_id), event.originator_version, "Resolved", payload)
    return dataclasses.replace(stored, state=json.dumps(state).encode())


def test_a_version_1_resolved_loads_without_a_sign_off_and_still_verifies() -> None:
    c = given(DISPATCHED)
    resolve(MARKET)(c, now_after(DISPATCHED))
    [event] = c.collect_events()
    old = as_version_1(event)
    assert b"signed_off_by" not in old.state

    loaded = mapper().to_domain_event(old)

    assert isinstance(loaded, Complaint.Resolved)
    assert loaded.signed_off_by is None
    assert loaded.result == "已依法办理"
    assert event_hash(loaded) == loaded.row_hash  # the hash covers the event as it was recorded
    again = mapper().to_domain_event(mapper().to_stored_event(loaded))  # saved again, it keeps verifying
    assert event_hash(again) == again.row_hash
    # nor can a sign-off be slipped in by marking it as filled in by the upcaster
    forged = mapper().to_domain_event(tampered(old, signed_off_by="赵市监", class_version=2))
    assert event_hash(forged) != forged.row_hash


def test_a_version_2_resolved_keeps_its_sign_off_in_the_hash() -> None:
    c = given(ASSIGNED)
    resolve(MARKET_HANDLER)(c, now_after(ASSIGNED))
    [event] = c.collect_events()
    stored = mapper().to_stored_event(event)
    loaded = mapper().to_domain_event(stored)
    assert isinstance(loaded, Complaint.Resolved)
    assert loaded.signed_off_by == "赵市监"
    assert event_hash(loaded) == loaded.row_hash
    assert event_hash(mapper().to_domain_event(tampered(stored, signed_off_by="钱住建"))) != loaded.row_hash
