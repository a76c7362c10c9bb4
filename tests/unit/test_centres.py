"""Centres: every complaint belongs to one; complaints stored before centres read as the district hall's."""

from __future__ import annotations

import dataclasses
import json
from datetime import date, datetime
from typing import Any

import pytest
from eventsourcing.persistence import DatetimeAsISO, JSONTranscoder, Mapper, StoredEvent, UUIDAsHex

from application.transcodings import register_domain_transcodings
from domain import errors
from domain.audit import ENVELOPE, chain_hash, event_hash, plain
from domain.centres import DEFAULT_CENTRE, DEFAULT_CENTRE_NAME
from domain.complaint import Complaint
from domain.slips import SlipBook, SlipNumber, legacy_slip_number, parse_slip_number, slip_number
from tests.unit.test_complaint_rules import CLERK, CST, received

CENTRES = frozenset({"district", "east", "north_2"})


def mapper() -> Mapper[Any]:
    """The stored form the application writes (same transcodings), without a database."""
    transcoder = JSONTranscoder()
    transcoder.register(UUIDAsHex())
    transcoder.register(DatetimeAsISO())
    register_domain_transcodings(transcoder)
    return Mapper(transcoder=transcoder)


def received_event(**overrides: Any) -> Complaint.Received:
    [event] = received(**overrides).collect_events()
    assert isinstance(event, Complaint.Received)
    return event


def as_version_1(event: Complaint.Received) -> StoredEvent:
    """What the code before centres stored: no ``centre``, no salts, no ``class_version``, its hash over the rest."""
    fields = {k: v for k, v in vars(event).items() if k not in ("centre", "personal_salts")}
    payload = {k: plain(v) for k, v in sorted(fields.items()) if k not in ENVELOPE}
    stored = mapper().to_stored_event(event)
    state = json.loads(stored.state)
    assert state.pop("class_version") == 2
    del state["centre"]
    state.pop("personal_salts", None)
    state["row_hash"] = chain_hash(str(event.originator_id), 1, "Received", payload)
    return dataclasses.replace(stored, state=json.dumps(state).encode())


def tampered(stored: StoredEvent, **changes: Any) -> StoredEvent:
    state = json.loads(stored.state)
    state.update(changes)
    return dataclasses.replace(stored, state=json.dumps(state).encode())


# ---------------------------------------------------------------------------------------- intake


def test_a_complaint_is_received_at_a_centre() -> None:
    event = received_event(centre="east", known_centres=CENTRES)
    assert event.centre == "east"
    complaint = received(centre="east")
    assert complaint.centre == "east"


def test_without_a_centre_it_is_the_district_hall() -> None:
    assert (DEFAULT_CENTRE, DEFAULT_CENTRE_NAME) == ("district", "区行政服务中心")
    assert received().centre == "district"
    assert received_event().centre == "district"


@pytest.mark.parametrize("code", ["", "East", "east hall", "east-hall", "1east", "e" * 33, "区中心"])
def test_malformed_centre_code_is_invalid_input(code: str) -> None:
    with pytest.raises(errors.InvalidInput) as info:
        received(centre=code)
    assert info.value.field == "centre"
    assert info.value.code == "invalid_input"


def test_unknown_centre_is_refused_when_the_known_set_is_given() -> None:
    with pytest.raises(errors.UnknownCentre) as info:
        received(centre="west", known_centres=CENTRES)
    assert info.value.code == "unknown_centre"
    assert "west" in info.value.detail


# ---------------------------------------------------------------------------------------- stored before centres


def test_a_version_1_received_loads_as_the_district_hall_and_its_hash_still_verifies() -> None:
    original = received_event(centre="east")
    old = as_version_1(original)
    assert b"centre" not in old.state

    loaded = mapper().to_domain_event(old)

    assert isinstance(loaded, Complaint.Received)
    assert loaded.centre == "district"
    assert loaded.slip_no == original.slip_no
    assert event_hash(loaded) == loaded.row_hash  # the hash covers the event as it was recorded
    complaint = loaded.mutate(None)
    assert isinstance(complaint, Complaint)
    assert complaint.centre == "district"
    assert complaint.head_hash == loaded.row_hash


def test_a_version_1_received_saved_again_keeps_verifying() -> None:
    once = mapper().to_domain_event(as_version_1(received_event()))
    again = mapper().to_domain_event(mapper().to_stored_event(once))
    assert isinstance(again, Complaint.Received)
    assert again.centre == "district"
    assert event_hash(again) == again.row_hash


def test_tampering_with_a_version_1_received_is_still_detected() -> None:
    old = as_version_1(received_event())
    loaded = mapper().to_domain_event(tampered(old, content="改过的内容"))
    assert event_hash(loaded) != loaded.row_hash
    # nor can a centre be slipped in by marking it as filled in by the upcaster
    forged = mapper().to_domain_event(tampered(old, centre="east", class_version=2))
    assert event_hash(forged) != forged.row_hash


def test_a_version_2_received_keeps_its_centre_and_the_centre_is_hashed() -> None:
    stored = mapper().to_stored_event(received_event(centre="east"))
    loaded = mapper().to_domain_event(stored)
    assert isinstance(loaded, Complaint.Received)
    assert loaded.centre == "east"
    assert event_hash(loaded) == loaded.row_hash
    moved = mapper().to_domain_event(tampered(stored, centre="district"))
    assert event_hash(moved) != moved.row_hash


# ---------------------------------------------------------------------------------------- slip numbers

NOV30 = date(2026, 11, 30)
NOV30_9AM = datetime(2026, 11, 30, 9, 0, tzinfo=CST)


@pytest.mark.parametrize(
    ("centre", "day", "sequence", "expected"),
    [
        ("district", NOV30, 12, "YS-district-20261130-00012"),
        ("east", date(2026, 1, 2), 1, "YS-east-20260102-00001"),
        ("north_2", NOV30, 99_999, "YS-north_2-20261130-99999"),
        ("district", NOV30, 123_456, "YS-district-20261130-123456"),  # past five digits it grows
    ],
)
def test_slip_number_carries_the_centre(centre: str, day: date, sequence: int, expected: str) -> None:
    assert slip_number(centre, day, sequence) == expected
    assert parse_slip_number(expected) == SlipNumber(centre, day, sequence)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("YS2025092600001", SlipNumber("district", date(2025, 9, 26), 1, legacy=True)),
        ("YS2025123112345", SlipNumber("district", date(2025, 12, 31), 12345, legacy=True)),
    ],
)
def test_old_slip_numbers_stay_valid_as_the_district_halls(text: str, expected: SlipNumber) -> None:
    assert parse_slip_number(text) == expected
    assert legacy_slip_number(expected.day, expected.sequence) == text


@pytest.mark.parametrize(
    "text",
    [
        "",
        "YS",
        "YS-district-20261130-0001",  # four digits
        "YS-District-20261130-00001",
        "YS-district-20261331-00001",  # no 13th month
        "YS-district-20261130-00000",  # sequences start at 1
        "YS202509260001",
        "XS2025092600001",
        "YS-district-2026-11-30-00001",
        " YS2025092600001",
    ],
)
def test_malformed_slip_number_is_invalid_input(text: str) -> None:
    with pytest.raises(errors.InvalidInput) as info:
        parse_slip_number(text)
    assert info.value.field == "slip_no"


def test_slip_number_refuses_a_bad_centre_or_sequence() -> None:
    with pytest.raises(errors.InvalidInput) as info:
        slip_number("East Hall", NOV30, 1)
    assert info.value.field == "centre"
    with pytest.raises(errors.InvalidInput) as info:
        slip_number("east", NOV30, 0)
    assert info.value.field == "sequence"


def test_a_centre_slip_book_issues_centre_numbers_and_has_its_own_id() -> None:
    book = SlipBook.open(NOV30, "east", now=NOV30_9AM)
    assert [book.issue(now=NOV30_9AM), book.issue(now=NOV30_9AM)] == [
        "YS-east-20261130-00001",
        "YS-east-20261130-00002",
    ]
    ids = {SlipBook.id_for(NOV30), SlipBook.id_for(NOV30, "east"), SlipBook.id_for(NOV30, "district")}
    assert len(ids) == 3


def test_a_legacy_slip_book_keeps_the_old_id_and_numbers() -> None:
    book = SlipBook.open(date(2025, 9, 26), now=datetime(2025, 9, 26, 9, 0, tzinfo=CST))
    assert book.id == SlipBook.id_for(date(2025, 9, 26))
    assert book.issue(now=datetime(2025, 9, 26, 9, 0, tzinfo=CST)) == "YS2025092600001"


def test_a_slip_book_opened_before_centres_loads_as_a_legacy_book() -> None:
    book = SlipBook.open(NOV30, now=NOV30_9AM)
    book.issue(now=NOV30_9AM)
    opened, issued = book.collect_events()
    stored = mapper().to_stored_event(opened)
    state = json.loads(stored.state)
    del state["centre"]
    state.pop("personal_salts", None)
    del state["class_version"]
    old = dataclasses.replace(stored, state=json.dumps(state).encode())
    rebuilt = (
        mapper().to_domain_event(mapper().to_stored_event(issued)).mutate(mapper().to_domain_event(old).mutate(None))
    )
    assert isinstance(rebuilt, SlipBook)
    assert rebuilt.centre is None
    assert rebuilt.issue(now=NOV30_9AM) == "YS2026113000002"


def test_the_intake_actor_is_recorded_with_the_centre() -> None:
    complaint = received(centre="north_2", known_centres=CENTRES)
    assert (complaint.centre, complaint.received_by) == ("north_2", CLERK)
