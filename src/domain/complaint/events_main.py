"""The complaint's events on its main line, 受理 to 回访, and the clocks' own (时限更正, 升级督办).

Each event keeps the topic it was first stored under (``domain.complaint:Complaint.<Name>``), so events
recorded before this module existed still load.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from eventsourcing.domain import Aggregate

from domain.audit import UPCAST_DEFAULTS
from domain.centres import DEFAULT_CENTRE
from domain.complaint.checks import SATISFIED_THRESHOLD
from domain.complaint.state import Appeal, ComplaintState, Consultation, HandlerAssignment
from domain.rules import ClockKind
from domain.values import Actor, Channel, Classification, Complainant, Role, Status


class Event(Aggregate.Event):
    """Every complaint event records who did it and when it happened in business time."""

    TOPIC = "domain.complaint:Complaint.Event"  # each event names its own; one that forgot would clash here

    actor: Actor
    occurred_at: datetime
    prev_hash: str  # the row_hash of the event before (GENESIS for the first)
    row_hash: str  # SHA-256 of this event's own canonical content (domain.audit)

    def mutate(self, aggregate: Any) -> Any:
        """Apply, then move the aggregate's chain head to this event."""
        result = super().mutate(aggregate)
        if result is not None:
            result.head_hash = self.row_hash
        return result


class Created(Event, Aggregate.Created):
    """The library's own creation event, never recorded: 受理 (``Received``) creates a complaint."""

    TOPIC = "domain.complaint:Complaint.Created"


class Received(Event, Aggregate.Created):
    """一窗受理 at a service centre.

    Version 2 added ``centre``; a version-1 event (stored before centres) loads as the district hall's.
    """

    TOPIC = "domain.complaint:Complaint.Received"  # the topic stored events carry
    LABEL = "受理"  # as staff read it in a history

    class_version = 2

    slip_no: str
    channel: Channel
    content: str
    category: str
    complainant: Complainant
    received_at: datetime
    external_ref: str | None
    fingerprint: str | None  # digest of the intake request, for idempotent retries
    response_due_at: datetime
    response_due_provisional: bool
    personal_salts: dict[str, str]  # per personal field, for hash format 2 (absent on older events)
    centre: str

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        """Before centres there was one hall: the district's. Not part of the recorded hash."""
        state["centre"] = DEFAULT_CENTRE
        state[UPCAST_DEFAULTS] = [*state.get(UPCAST_DEFAULTS, ()), "centre"]

    def apply(self, aggregate: Any) -> None:
        c: ComplaintState = aggregate
        c.centre = self.centre
        c.slip_no = self.slip_no
        c.channel = self.channel
        c.content = self.content
        c.category = self.category
        c.complainant = self.complainant
        c.received_at = self.received_at
        c.registered_at = self.occurred_at
        c.external_ref = self.external_ref
        c.fingerprint = self.fingerprint
        c.received_by = self.actor
        c.response_due_at = self.response_due_at
        c.response_due_provisional = self.response_due_provisional


class Classified(Event):
    """按责分类."""

    TOPIC = "domain.complaint:Complaint.Classified"  # the topic stored events carry
    LABEL = "分类"  # as staff read it in a history

    classification: Classification
    reason: str
    due_at: datetime | None  # general: close of business the same working day
    due_provisional: bool

    def apply(self, aggregate: Any) -> None:
        c: ComplaintState = aggregate
        c.classification = self.classification
        c.classification_reason = self.reason
        if self.due_at is not None:
            c.due_at = self.due_at
            c.due_provisional = self.due_provisional
        c.status = Status.classified


class Reclassified(Event):
    """改分类: a general complaint not solved on the spot becomes a complex kind (once, with a reason)."""

    TOPIC = "domain.complaint:Complaint.Reclassified"  # the topic stored events carry
    LABEL = "改分类"  # as staff read it in a history

    from_classification: Classification
    to_classification: Classification
    reason: str

    def apply(self, aggregate: Any) -> None:
        c: ComplaintState = aggregate
        c.reclassified_from = self.from_classification
        c.reclassification_reason = self.reason
        c.classification = self.to_classification
        # the same-day deadline of a general complaint no longer applies: a complex kind's runs from dispatch
        c.due_at = None
        c.due_provisional = False
        c.status = Status.classified
        # escalations of the same-day clock stay in the history but do not stand for the new clock
        c.reclassified_at_escalation = len(c.escalations)


class Signed(Event):
    """审核签字, one per role: duty officer, then duty leader."""

    TOPIC = "domain.complaint:Complaint.Signed"  # the topic stored events carry
    LABEL = "审核签字"  # as staff read it in a history

    signer_role: Role
    opinion: str

    def apply(self, aggregate: Any) -> None:
        c: ComplaintState = aggregate
        if self.signer_role is Role.duty_officer:
            c.officer_signature = self.actor
            c.officer_opinion = self.opinion
            c.status = Status.officer_signed
        else:
            c.leader_signature = self.actor
            c.leader_opinion = self.opinion
            c.status = Status.signed


class Dispatched(Event):
    """转办 to departments with a supervisor; fixes the resolution deadline."""

    TOPIC = "domain.complaint:Complaint.Dispatched"  # the topic stored events carry
    LABEL = "转办"  # as staff read it in a history

    departments: list[str]
    supervisor: str
    instructions: str
    due_at: datetime
    due_provisional: bool

    def apply(self, aggregate: Any) -> None:
        c: ComplaintState = aggregate
        c.departments = tuple(self.departments)
        c.supervisor = self.supervisor
        c.dispatched_at = self.occurred_at
        c.due_at = self.due_at
        c.due_provisional = self.due_provisional
        c.status = Status.dispatched


class Consulted(Event):
    """会商 among the departments (集中研讨 for 很难办)."""

    TOPIC = "domain.complaint:Complaint.Consulted"  # the topic stored events carry
    LABEL = "会商"  # as staff read it in a history

    participants: list[str]
    conclusion: str
    # each participant's 意见 (participant → opinion); None in events recorded before opinions were kept
    opinions: dict[str, str] | None = None

    def apply(self, aggregate: Any) -> None:
        c: ComplaintState = aggregate
        c.consultations += 1
        c.consulted_in_round = True
        opinions = tuple((self.opinions or {}).items())
        c.consultation_log = (
            *c.consultation_log,
            Consultation(self.occurred_at, self.actor, tuple(self.participants), self.conclusion, opinions),
        )
        if c.status in (Status.dispatched, Status.consulted):
            c.status = Status.consulted


class HandlerAssigned(Event):
    """指定承办人: a department's 负责人 names the 业务骨干 who handles the complaint for it (the latest stands)."""

    TOPIC = "domain.complaint:Complaint.HandlerAssigned"  # the topic stored events carry
    LABEL = "指定承办人"  # as staff read it in a history

    department: str
    handler_id: str
    handler_name: str

    def apply(self, aggregate: Any) -> None:
        c: ComplaintState = aggregate
        assignment = HandlerAssignment(
            self.department, self.handler_id, self.handler_name, self.actor, self.occurred_at
        )
        c.handlers = {**c.handlers, self.department: assignment}


class Resolved(Event):
    """限时办结.

    Version 2 added ``signed_off_by``: the name of the resolving department's 负责人 who assigned its handler
    (指定承办人), on the result; a version-1 event (stored before handlers were assigned) loads with none.
    """

    TOPIC = "domain.complaint:Complaint.Resolved"  # the topic stored events carry
    LABEL = "办结"  # as staff read it in a history

    class_version = 2

    result: str
    legal_basis: str | None
    feedback_due_at: datetime
    feedback_due_provisional: bool
    signed_off_by: str | None

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        """Before 指定承办人 no result carried a 负责人's name. Not part of the recorded hash."""
        state["signed_off_by"] = None
        state[UPCAST_DEFAULTS] = [*state.get(UPCAST_DEFAULTS, ()), "signed_off_by"]

    def apply(self, aggregate: Any) -> None:
        c: ComplaintState = aggregate
        c.result = self.result
        c.signed_off_by = self.signed_off_by
        c.legal_basis = self.legal_basis
        c.resolved_at = self.occurred_at
        if c.first_resolved_at is None:
            c.first_resolved_at = self.occurred_at
        c.resolved_by = self.actor
        c.feedback_due_at = self.feedback_due_at
        c.status = Status.resolved


class FedBack(Event):
    """及时反馈 of the result to the person.

    Version 2 added ``message_id`` (the 12345 hotline's message, when its own centre fed back).
    """

    TOPIC = "domain.complaint:Complaint.FedBack"  # the topic stored events carry
    LABEL = "反馈"  # as staff read it in a history

    class_version = 2

    method: str
    summary: str
    callback_due_at: datetime
    callback_due_provisional: bool
    message_id: str | None

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        """Before the hotline reported back, every feedback was the window's. Not part of the recorded hash."""
        state["message_id"] = None
        state[UPCAST_DEFAULTS] = [*state.get(UPCAST_DEFAULTS, ()), "message_id"]

    def apply(self, aggregate: Any) -> None:
        c: ComplaintState = aggregate
        c.note_message(self.message_id, "FedBack")
        c.fed_back_at = self.occurred_at
        c.feedback_method = self.method
        c.feedback_summary = self.summary
        c.callback_due_at = self.callback_due_at
        c.status = Status.fed_back


class CalledBack(Event):
    """回访 with a five-level 好差评 rating; 1–2 opens a rectification round.

    Version 2 added ``message_id`` (the 12345 hotline's message, when its call-back centre called).
    """

    TOPIC = "domain.complaint:Complaint.CalledBack"  # the topic stored events carry
    LABEL = "回访"  # as staff read it in a history

    class_version = 2

    rating: int
    comment: str
    rectification_due_at: datetime | None
    rectification_due_provisional: bool
    message_id: str | None

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        """Before the hotline reported back, every call-back was recorded here. Not part of the recorded hash."""
        state["message_id"] = None
        state[UPCAST_DEFAULTS] = [*state.get(UPCAST_DEFAULTS, ()), "message_id"]

    def apply(self, aggregate: Any) -> None:
        c: ComplaintState = aggregate
        c.note_message(self.message_id, "CalledBack")
        c.rating = self.rating
        c.ratings = (*c.ratings, self.rating)
        c.called_back_at = self.occurred_at
        if self.rating < SATISFIED_THRESHOLD:
            c.rectification_round += 1
            c.rectification_due_at = self.rectification_due_at
            c.consulted_in_round = False
            c.status = Status.rectifying
        else:
            c.status = Status.closed


class RatingAppealed(Event):
    """差评申诉: the resolver of a round contests its 1–2 rating; the duty leader decides."""

    TOPIC = "domain.complaint:Complaint.RatingAppealed"  # the topic stored events carry
    LABEL = "差评申诉"  # as staff read it in a history

    round: int
    reason: str

    def apply(self, aggregate: Any) -> None:
        c: ComplaintState = aggregate
        c.appeals = (*c.appeals, Appeal(self.round, self.occurred_at, self.actor, self.reason))


class AppealDecided(Event):
    """申诉审核 by the duty leader: upheld sets the round's 差评 aside and ends its rectification."""

    TOPIC = "domain.complaint:Complaint.AppealDecided"  # the topic stored events carry
    LABEL = "申诉审核"  # as staff read it in a history

    round: int
    upheld: bool
    opinion: str

    def apply(self, aggregate: Any) -> None:
        c: ComplaintState = aggregate
        *earlier, last = c.appeals
        c.appeals = (*earlier, replace(last, upheld=self.upheld, decided_by=self.actor, opinion=self.opinion))
        if self.upheld and c.status is Status.rectifying:  # not rectified meanwhile: nothing is left to do
            c.rectification_due_at = None
            c.status = Status.closed


class DeadlineCorrected(Event):
    """时限更正: a clock's due instant recomputed (a provisional Monday–Friday count met a loaded calendar)."""

    TOPIC = "domain.complaint:Complaint.DeadlineCorrected"  # the topic stored events carry
    LABEL = "时限更正"  # as staff read it in a history

    clock: ClockKind
    round: int
    previous_due_at: datetime
    due_at: datetime
    provisional: bool

    def apply(self, aggregate: Any) -> None:
        c: ComplaintState = aggregate
        if self.clock is ClockKind.response:
            c.response_due_at = self.due_at
            c.response_due_provisional = self.provisional
        elif self.clock is ClockKind.resolution:
            c.due_at = self.due_at
            c.due_provisional = self.provisional
        elif self.clock is ClockKind.feedback:
            c.feedback_due_at = self.due_at
        elif self.clock is ClockKind.callback:
            c.callback_due_at = self.due_at
        elif self.clock is ClockKind.pause:
            c.pause_due_at = self.due_at
        else:
            c.rectification_due_at = self.due_at


class Escalated(Event):
    """升级督办, raised by a policy when a clock passes or on a 差评; never by a person."""

    TOPIC = "domain.complaint:Complaint.Escalated"  # the topic stored events carry
    LABEL = "升级督办"  # as staff read it in a history

    clock: ClockKind
    level: int
    round: int
    due_at: datetime
    reason: str
    recipients: list[str]

    def apply(self, aggregate: Any) -> None:
        c: ComplaintState = aggregate
        c.escalations = (*c.escalations, (self.clock, self.level, self.round))
