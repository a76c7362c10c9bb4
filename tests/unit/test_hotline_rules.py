"""12345 热线一体办理 in the aggregate: 撤诉, 补充诉求/材料, and the hotline's message ids (idempotency)."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from hypothesis import given as hgiven
from hypothesis import strategies as st

from domain import errors
from domain.audit import ENVELOPE, chain_hash, event_hash, plain
from domain.complaint import Complaint
from domain.values import Actor, Classification, Role, Status
from tests.unit.test_centres import mapper, tampered
from tests.unit.test_complaint_rules import (
    CALENDAR,
    CLERK,
    GENERAL,
    LIMITS,
    classify,
    dispatched,
    feed_back,
    given,
    now_after,
    resolve,
)

HOTLINE = Actor("hotline-1", "孙热线", Role.hotline)
CANNOT_DISPATCHED = dispatched(Classification.cannot_do)
RESOLVED = [classify(GENERAL), resolve(CLERK)]
FED_BACK = [*RESOLVED, feed_back()]


def test_withdraw_closes_an_open_complaint_as_withdrawn() -> None:
    c = given([classify(GENERAL)])
    c.withdraw(reason="群众表示问题已自行解决", actor=HOTLINE, now=now_after([classify(GENERAL)]), message_id="m1")
    [event] = c.collect_events()
    assert isinstance(event, Complaint.Withdrawn)
    assert (event.reason, event.message_id) == ("群众表示问题已自行解决", "m1")
    assert c.status is Status.withdrawn
    assert not c.is_open
    assert c.open_clocks(LIMITS) == []  # every clock stops


@pytest.mark.parametrize("steps", [[], [classify(GENERAL)], CANNOT_DISPATCHED, RESOLVED, FED_BACK])
def test_withdraw_is_allowed_in_every_open_state(steps: list[Any]) -> None:
    c = given(steps)
    c.withdraw(reason="撤诉", actor=HOTLINE, now=now_after(steps), message_id="m1")
    assert c.status is Status.withdrawn


def test_withdrawing_a_closed_complaint_is_refused() -> None:
    steps = FED_BACK
    c = given(steps)
    c.call_back(rating=5, comment="满意", actor=CLERK, now=now_after(steps), calendar=CALENDAR, limits=LIMITS)
    with pytest.raises(errors.AlreadyClosed) as info:
        c.withdraw(reason="撤诉", actor=HOTLINE, now=now_after(steps), message_id="m1")
    assert info.value.detail == "该诉求已回访办结，不能撤诉"


def test_withdrawing_twice_with_another_message_is_refused() -> None:
    c = given([])
    c.withdraw(reason="撤诉", actor=HOTLINE, now=now_after([]), message_id="m1")
    with pytest.raises(errors.AlreadyWithdrawn) as info:
        c.withdraw(reason="撤诉", actor=HOTLINE, now=now_after([]), message_id="m2")
    assert info.value.code == "already_withdrawn"


def test_the_same_withdrawal_again_records_nothing() -> None:
    c = given([])
    c.withdraw(reason="撤诉", actor=HOTLINE, now=now_after([]), message_id="m1")
    c.collect_events()
    c.withdraw(reason="撤诉", actor=HOTLINE, now=now_after([]), message_id="m1")
    assert c.collect_events() == []


@pytest.mark.parametrize(
    "command",
    [
        lambda c, now: c.classify(
            classification=GENERAL, reason="", actor=CLERK, now=now, calendar=CALENDAR, limits=LIMITS
        ),
        lambda c, now: c.resolve(
            result="已办理", legal_basis=None, actor=CLERK, now=now, calendar=CALENDAR, limits=LIMITS
        ),
        lambda c, now: c.add_supplement(text="补充", source="hotline", actor=HOTLINE, now=now, message_id="s1"),
        lambda c, now: c.feed_back(method="phone", summary="", actor=CLERK, now=now, calendar=CALENDAR, limits=LIMITS),
    ],
)
def test_nothing_follows_a_withdrawal(command: Any) -> None:
    c = given([])
    c.withdraw(reason="撤诉", actor=HOTLINE, now=now_after([]), message_id="m1")
    with pytest.raises(errors.AlreadyWithdrawn):
        command(c, now_after([]))


def test_a_supplement_is_added_to_an_open_complaint() -> None:
    c = given(CANNOT_DISPATCHED)
    c.add_supplement(text="补充营业执照复印件", source="hotline", actor=HOTLINE, now=now_after([]), message_id="s1")
    [event] = c.collect_events()
    assert isinstance(event, Complaint.SupplementAdded)
    assert (event.text, event.source, event.message_id) == ("补充营业执照复印件", "hotline", "s1")
    assert c.supplements == 1
    assert c.status is Status.dispatched  # a supplement changes no state


def test_a_supplement_to_a_closed_complaint_is_refused() -> None:
    steps = FED_BACK
    c = given(steps)
    c.call_back(rating=4, comment="", actor=CLERK, now=now_after(steps), calendar=CALENDAR, limits=LIMITS)
    with pytest.raises(errors.AlreadyClosed) as info:
        c.add_supplement(text="补充", source="hotline", actor=HOTLINE, now=now_after(steps), message_id="s1")
    assert "不能再补充" in info.value.detail


def test_a_hotline_supplement_needs_its_message_id_and_text() -> None:
    c = given([])
    with pytest.raises(errors.InvalidInput) as info:
        c.add_supplement(text="补充", source="hotline", actor=HOTLINE, now=now_after([]))
    assert info.value.field == "message_id"
    with pytest.raises(errors.InvalidInput) as info:
        c.add_supplement(text=" ", source="hotline", actor=HOTLINE, now=now_after([]), message_id="s1")
    assert info.value.field == "text"
    with pytest.raises(errors.InvalidInput):
        c.add_supplement(text="补充", source="fax", actor=HOTLINE, now=now_after([]), message_id="s1")


def test_a_message_id_used_for_another_kind_of_message_is_refused() -> None:
    c = given(RESOLVED)
    c.add_supplement(text="补充", source="hotline", actor=HOTLINE, now=now_after(RESOLVED), message_id="x1")
    with pytest.raises(errors.MessageIdReused) as info:
        c.feed_back(
            method="phone",
            summary="",
            actor=HOTLINE,
            now=now_after(RESOLVED),
            calendar=CALENDAR,
            limits=LIMITS,
            message_id="x1",
        )
    assert "补充诉求/材料" in info.value.detail


@hgiven(
    st.lists(
        st.tuples(
            st.sampled_from(["supplement", "feedback", "callback", "withdraw"]), st.sampled_from(["a", "b", "c"])
        ),
        max_size=8,
    )
)
def test_each_hotline_message_id_records_at_most_one_event(messages: list[tuple[str, str]]) -> None:
    """Whatever the hotline posts (retries included), every message id is in the history at most once."""
    c = given(RESOLVED)
    now = now_after(RESOLVED)
    for kind, mid in messages:
        try:
            if kind == "supplement":
                c.add_supplement(text="补充", source="hotline", actor=HOTLINE, now=now, message_id=mid)
            elif kind == "feedback":
                c.feed_back(
                    method="phone", summary="", actor=HOTLINE, now=now, calendar=CALENDAR, limits=LIMITS, message_id=mid
                )
            elif kind == "callback":
                c.call_back(
                    rating=5, comment="", actor=HOTLINE, now=now, calendar=CALENDAR, limits=LIMITS, message_id=mid
                )
            else:
                c.withdraw(reason="撤诉", actor=HOTLINE, now=now, message_id=mid)
        except errors.ComplaintError:
            pass
    ids = [e.message_id for e in c.collect_events() if getattr(e, "message_id", None) is not None]
    assert len(ids) == len(set(ids))
    assert set(c.hotline_messages) == set(ids)


# ------------------------------------------------------------------------------ feedback/call-back before v2


def as_version_1(event: Complaint.Event, name: str) -> Any:
    """What the code before hotline message ids stored: no ``message_id``, no ``class_version``."""
    fields = {k: v for k, v in vars(event).items() if k != "message_id"}
    payload = {k: plain(v) for k, v in sorted(fields.items()) if k not in ENVELOPE}
    stored = mapper().to_stored_event(event)
    state = json.loads(stored.state)
    assert state.pop("class_version") == 2
    del state["message_id"]
    state["row_hash"] = chain_hash(str(event.originator_id), event.originator_version, name, payload)
    return dataclasses.replace(stored, state=json.dumps(state).encode())


@pytest.mark.parametrize("name", ["FedBack", "CalledBack"])
def test_a_version_1_feedback_or_call_back_loads_without_a_message_id_and_still_verifies(name: str) -> None:
    steps = FED_BACK if name == "CalledBack" else RESOLVED
    c = given(steps)
    if name == "FedBack":
        c.feed_back(
            method="phone", summary="已告知", actor=CLERK, now=now_after(RESOLVED), calendar=CALENDAR, limits=LIMITS
        )
    else:
        c.call_back(rating=4, comment="满意", actor=CLERK, now=now_after(steps), calendar=CALENDAR, limits=LIMITS)
    [event] = c.collect_events()
    old = as_version_1(event, name)
    loaded = mapper().to_domain_event(old)
    assert type(loaded).__name__ == name
    assert loaded.message_id is None
    assert event_hash(loaded) == loaded.row_hash
    forged = mapper().to_domain_event(tampered(old, message_id="m-forged", class_version=2))
    assert event_hash(forged) != forged.row_hash
