"""The complaint's events keep the topics they were first stored under, whichever file defines them now."""

from __future__ import annotations

from eventsourcing.utils import get_topic, resolve_topic

from domain.complaint import EVENT_LABELS, Complaint
from domain.complaint.events_main import Event


def test_every_complaint_event_keeps_its_stored_topic() -> None:
    names = [n for n, v in vars(Complaint).items() if isinstance(v, type) and issubclass(v, Event)]
    assert len(names) == 29  # the base, the library's Created, and the 27 recorded kinds
    assert get_topic(Complaint) == "domain.complaint:Complaint"
    for name in names:
        cls = getattr(Complaint, name)
        assert get_topic(cls) == f"domain.complaint:Complaint.{name}"
        assert resolve_topic(f"domain.complaint:Complaint.{name}") is cls


def test_every_recorded_event_carries_its_label() -> None:
    assert len(EVENT_LABELS) == 27
    assert EVENT_LABELS["Received"] == "受理"
    assert EVENT_LABELS["CalledBack"] == "回访"
    assert EVENT_LABELS["ClockResumed"] == "恢复计时"
    assert all(label.strip() for label in EVENT_LABELS.values())
