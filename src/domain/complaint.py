"""The Complaint aggregate: every rule of the 有诉即办 workflow, enforced before an event is emitted."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate

from domain import errors
from domain.audit import GENESIS, UPCAST_DEFAULTS, chain_hash, hashed_payload, new_salts
from domain.calendar import Deadline, WorkingCalendar
from domain.centres import DEFAULT_CENTRE, check_centre
from domain.roster import DutyDay, SigningMode, may_sign
from domain.rules import ClockKind, Limits, deadline_for
from domain.values import (
    CLASSIFICATION_LABELS,
    Actor,
    Channel,
    Classification,
    Complainant,
    ComplainantType,
    Role,
    Status,
)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # placeholder until Received applies
SATISFIED_THRESHOLD = 3  # ratings 1 and 2 are 差评 and open a rectification round

EVENT_LABELS: dict[str, str] = {
    "Received": "受理",
    "Classified": "分类",
    "Reclassified": "改分类",
    "Signed": "审核签字",
    "Dispatched": "转办",
    "Consulted": "会商",
    "Resolved": "办结",
    "FedBack": "反馈",
    "CalledBack": "回访",
    "Escalated": "升级督办",
    "DeadlineCorrected": "时限更正",
    "SupplementAdded": "补充诉求/材料",
    "Withdrawn": "撤诉",
    "Merged": "并单",
    "Unmerged": "取消并单",
    "AnsweredByMaster": "按主诉求答复",
    "Returned": "退单",
    "ReturnInsisted": "坚持交办",
    "Redispatched": "改派",
    "ExtensionRequested": "申请延期",
    "ExtensionApproved": "批准延期",
    "ExtensionRefused": "不予延期",
    "ClockPaused": "中止计时",
    "ClockResumed": "恢复计时",
}
SUPPLEMENT_SOURCES = ("hotline", "window")  # 12345 热线 or the window clerk

MAX_EXTENSION_DAYS = 30  # one request asks for at most this many working days
OPEN_FOR_HANDLING = frozenset({Status.dispatched, Status.consulted})  # with its departments, not yet resolved
MERGEABLE = frozenset(
    {Status.received, Status.classified, Status.officer_signed, Status.signed, Status.dispatched, Status.consulted}
)


def _sealed(event_class: Any, complaint_id: UUID, version: int, **fields: Any) -> dict[str, Any]:
    """The event's fields plus its recording timestamp and ``row_hash`` over all of them."""
    fields["timestamp"] = event_class.create_timestamp()
    fields["row_hash"] = chain_hash(str(complaint_id), version, event_class.__name__, hashed_payload(fields))
    return fields


def _aware(field: str, value: datetime) -> None:
    if value.tzinfo is None:
        raise errors.InvalidInput(field, f"{field} 必须带时区偏移")


def _text(field: str, value: str | None, *, required: bool = True, max_len: int = 10_000) -> None:
    if value is None or not value.strip():
        if required:
            raise errors.InvalidInput(field, f"{field} 不能为空")
        return
    if len(value) > max_len:
        raise errors.InvalidInput(field, f"{field} 过长（最多 {max_len} 字）")


class Complaint(Aggregate):
    """One complaint (诉求) from receipt to call-back; state changes only when an event applies."""

    class Event(Aggregate.Event):
        """Every complaint event records who did it and when it happened in business time."""

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

    class Received(Event, Aggregate.Created):
        """一窗受理 at a service centre.

        Version 2 added ``centre``; a version-1 event (stored before centres) loads as the district hall's.
        """

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
            c: Complaint = aggregate
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

        classification: Classification
        reason: str
        due_at: datetime | None  # general: close of business the same working day
        due_provisional: bool

        def apply(self, aggregate: Any) -> None:
            c: Complaint = aggregate
            c.classification = self.classification
            c.classification_reason = self.reason
            if self.due_at is not None:
                c.due_at = self.due_at
                c.due_provisional = self.due_provisional
            c.status = Status.classified

    class Reclassified(Event):
        """改分类: a general complaint not solved on the spot becomes a complex kind (once, with a reason)."""

        from_classification: Classification
        to_classification: Classification
        reason: str

        def apply(self, aggregate: Any) -> None:
            c: Complaint = aggregate
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

        signer_role: Role
        opinion: str

        def apply(self, aggregate: Any) -> None:
            c: Complaint = aggregate
            if self.signer_role is Role.duty_officer:
                c.officer_signature = self.actor
                c.status = Status.officer_signed
            else:
                c.leader_signature = self.actor
                c.status = Status.signed

    class Dispatched(Event):
        """转办 to departments with a supervisor; fixes the resolution deadline."""

        departments: list[str]
        supervisor: str
        instructions: str
        due_at: datetime
        due_provisional: bool

        def apply(self, aggregate: Any) -> None:
            c: Complaint = aggregate
            c.departments = tuple(self.departments)
            c.supervisor = self.supervisor
            c.dispatched_at = self.occurred_at
            c.due_at = self.due_at
            c.due_provisional = self.due_provisional
            c.status = Status.dispatched

    class Consulted(Event):
        """会商 among the departments (集中研讨 for 很难办)."""

        participants: list[str]
        conclusion: str

        def apply(self, aggregate: Any) -> None:
            c: Complaint = aggregate
            c.consultations += 1
            c.consulted_in_round = True
            if c.status in (Status.dispatched, Status.consulted):
                c.status = Status.consulted

    class Resolved(Event):
        """限时办结."""

        result: str
        legal_basis: str | None
        feedback_due_at: datetime
        feedback_due_provisional: bool

        def apply(self, aggregate: Any) -> None:
            c: Complaint = aggregate
            c.result = self.result
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
            c: Complaint = aggregate
            c.note_message(self.message_id, "FedBack")
            c.fed_back_at = self.occurred_at
            c.callback_due_at = self.callback_due_at
            c.status = Status.fed_back

    class CalledBack(Event):
        """回访 with a five-level 好差评 rating; 1–2 opens a rectification round.

        Version 2 added ``message_id`` (the 12345 hotline's message, when its call-back centre called).
        """

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
            c: Complaint = aggregate
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

    class DeadlineCorrected(Event):
        """时限更正: a clock's due instant recomputed (a provisional Monday–Friday count met a loaded calendar)."""

        clock: ClockKind
        round: int
        previous_due_at: datetime
        due_at: datetime
        provisional: bool

        def apply(self, aggregate: Any) -> None:
            c: Complaint = aggregate
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

        clock: ClockKind
        level: int
        round: int
        due_at: datetime
        reason: str
        recipients: list[str]

        def apply(self, aggregate: Any) -> None:
            c: Complaint = aggregate
            c.escalations = (*c.escalations, (self.clock, self.level, self.round))

    class SupplementAdded(Event):
        """补充诉求/材料: the person adds to an open complaint, through the 12345 hotline or at the window."""

        text: str
        message_id: str | None  # the hotline's message id (idempotency); None at the window
        source: str  # one of SUPPLEMENT_SOURCES

        def apply(self, aggregate: Any) -> None:
            c: Complaint = aggregate
            c.note_message(self.message_id, "SupplementAdded")
            c.supplements += 1

    class Withdrawn(Event):
        """撤诉: the person withdraws; the complaint closes as withdrawn and every running clock stops."""

        reason: str
        message_id: str | None  # the hotline's message id (idempotency)

        def apply(self, aggregate: Any) -> None:
            c: Complaint = aggregate
            c.note_message(self.message_id, "Withdrawn")
            c.withdrawn_at = self.occurred_at
            c.withdrawal_reason = self.reason
            c.status = Status.withdrawn

    # ------------------------------------------------------------------ 并单 merge

    class Merged(Event):
        """并单: this complaint (the duplicate) is closed as merged into an earlier open one, its master."""

        master_id: UUID
        master_slip_no: str
        reason: str

        def apply(self, aggregate: Any) -> None:
            c: Complaint = aggregate
            c.merged_from_status = c.status
            c.merged_into = self.master_id
            c.merge_reason = self.reason
            c.status = Status.merged

    class Unmerged(Event):
        """取消并单: the duplicate is handled on its own again, where it stood before the merge.

        ``response_due_at`` and ``due_at`` are the clocks that open again (None: already met / not started).
        """

        master_id: UUID
        reason: str
        to_status: Status  # where it stood before the merge
        response_due_at: datetime | None
        due_at: datetime | None

        def apply(self, aggregate: Any) -> None:
            c: Complaint = aggregate
            c.status = self.to_status
            c.merged_into = None
            c.merged_from_status = None
            c.merge_reason = ""

    class AnsweredByMaster(Event):
        """The master was resolved: its result answers the duplicate, whose feedback and call-back follow."""

        master_id: UUID
        result: str
        legal_basis: str | None
        feedback_due_at: datetime
        feedback_due_provisional: bool

        def apply(self, aggregate: Any) -> None:
            c: Complaint = aggregate
            c.result = self.result
            c.legal_basis = self.legal_basis
            c.resolved_at = self.occurred_at
            if c.first_resolved_at is None:
                c.first_resolved_at = self.occurred_at
            c.resolved_by = self.actor
            c.feedback_due_at = self.feedback_due_at
            c.answered_by_master = True
            # its own handling is over: a return or extension left waiting at the merge is moot
            c.pending_return = None
            c.pending_extension = None
            c.status = Status.resolved

    # ------------------------------------------------------------------ 退单 / 改派

    class Returned(Event):
        """退单: a dispatched department says it is not responsible; the duty leader decides."""

        department: str
        reason: str

        def apply(self, aggregate: Any) -> None:
            c: Complaint = aggregate
            c.pending_return = self.department
            c.returns += 1

    class ReturnInsisted(Event):
        """坚持交办: the duty leader refuses the return; the department must handle the complaint."""

        department: str
        opinion: str

        def apply(self, aggregate: Any) -> None:
            c: Complaint = aggregate
            c.insisted_departments = (*c.insisted_departments, self.department)
            c.pending_return = None

    class Redispatched(Event):
        """改派 to other departments; the resolution deadline restarts here."""

        departments: list[str]
        supervisor: str
        instructions: str
        due_at: datetime
        due_provisional: bool

        def apply(self, aggregate: Any) -> None:
            c: Complaint = aggregate
            c.departments = tuple(self.departments)
            c.supervisor = self.supervisor
            c.dispatched_at = self.occurred_at
            c.due_at = self.due_at
            c.due_provisional = self.due_provisional
            c.pending_return = None
            c.insisted_departments = ()
            c.pending_extension = None
            c.resolution_adjustments = ()
            c.consulted_in_round = False
            c.redispatches += 1
            c.redispatched_at_escalation = len(c.escalations)
            c.status = Status.dispatched

    # ------------------------------------------------------------------ 延期 extension

    class ExtensionRequested(Event):
        """申请延期: a department asks for more working days before the deadline."""

        department: str
        days: int
        reason: str

        def apply(self, aggregate: Any) -> None:
            c: Complaint = aggregate
            c.pending_extension = self.days

    class ExtensionApproved(Event):
        """批准延期: the resolution deadline moves by the days asked; on-time closure counts against it."""

        days: int
        opinion: str
        previous_due_at: datetime
        due_at: datetime
        due_provisional: bool

        def apply(self, aggregate: Any) -> None:
            c: Complaint = aggregate
            c.due_at = self.due_at
            c.due_provisional = self.due_provisional
            c.extensions += 1
            c.resolution_adjustments = (*c.resolution_adjustments, ("extend", self.days))
            c.pending_extension = None

    class ExtensionRefused(Event):
        """不予延期: the deadline stands."""

        reason: str

        def apply(self, aggregate: Any) -> None:
            c: Complaint = aggregate
            c.pending_extension = None

    # ------------------------------------------------------------------ 中止 paused clock

    class ClockPaused(Event):
        """中止计时 while waiting for the person's materials; the pause itself runs against a limit."""

        department: str
        reason: str
        round: int  # the pause's number on this complaint (1, 2, …): its own clock for escalation
        pause_due_at: datetime
        pause_due_provisional: bool

        def apply(self, aggregate: Any) -> None:
            c: Complaint = aggregate
            c.paused_at = self.occurred_at
            c.pause_round = self.round
            c.pause_due_at = self.pause_due_at

    class ClockResumed(Event):
        """恢复计时: materials arrived (recorded by the clerk or a hotline supplement).

        The resolution deadline moves by the working time paused (``paused_seconds``, working-day calendar).
        """

        source: str  # "clerk" | "hotline"
        note: str
        round: int
        paused_seconds: int
        previous_due_at: datetime
        due_at: datetime
        due_provisional: bool

        def apply(self, aggregate: Any) -> None:
            c: Complaint = aggregate
            if c.paused_at is not None:
                c.resolution_adjustments = (*c.resolution_adjustments, ("pause", c.paused_at, self.occurred_at))
            c.paused_at = None
            c.pause_due_at = None
            c.due_at = self.due_at
            c.due_provisional = self.due_provisional

    # ------------------------------------------------------------------ construction

    def __init__(self) -> None:  # noqa: PLR0915 — one statement per state field, every one a default
        self.centre = DEFAULT_CENTRE
        self.slip_no = ""
        self.channel = Channel.window
        self.content = ""
        self.category = ""
        self.complainant = Complainant(ComplainantType.person, "", "")
        self.received_at = EPOCH
        self.registered_at = EPOCH
        self.external_ref: str | None = None
        self.fingerprint: str | None = None
        self.received_by: Actor | None = None
        self.response_due_at = EPOCH
        self.response_due_provisional = False
        self.status = Status.received
        self.classification: Classification | None = None
        self.classification_reason = ""
        self.reclassified_from: Classification | None = None
        self.reclassification_reason = ""
        self.reclassified_at_escalation = 0  # how many escalations were raised before 改分类
        self.officer_signature: Actor | None = None
        self.leader_signature: Actor | None = None
        self.departments: tuple[str, ...] = ()
        self.supervisor: str | None = None
        self.dispatched_at: datetime | None = None
        self.due_at: datetime | None = None
        self.due_provisional = False
        self.consultations = 0
        self.consulted_in_round = False
        self.result: str | None = None
        self.legal_basis: str | None = None
        self.resolved_at: datetime | None = None
        self.first_resolved_at: datetime | None = None
        self.resolved_by: Actor | None = None
        self.feedback_due_at: datetime | None = None
        self.fed_back_at: datetime | None = None
        self.callback_due_at: datetime | None = None
        self.rating: int | None = None
        self.ratings: tuple[int, ...] = ()
        self.called_back_at: datetime | None = None
        self.rectification_round = 0
        self.rectification_due_at: datetime | None = None
        self.escalations: tuple[tuple[ClockKind, int, int], ...] = ()
        self.supplements = 0
        self.withdrawn_at: datetime | None = None
        self.withdrawal_reason = ""
        self.hotline_messages: dict[str, str] = {}  # the hotline's message id → the event it recorded
        self.merged_into: UUID | None = None
        self.merged_from_status: Status | None = None
        self.merge_reason = ""
        self.answered_by_master = False
        self.pending_return: str | None = None  # the department whose 退单 awaits the duty leader
        self.returns = 0
        self.redispatches = 0
        self.redispatched_at_escalation = 0  # how many escalations were raised before the last 改派
        self.insisted_departments: tuple[str, ...] = ()
        self.pending_extension: int | None = None  # working days asked, awaiting the duty leader
        self.extensions = 0
        self.paused_at: datetime | None = None
        self.pause_round = 0
        self.pause_due_at: datetime | None = None
        # what moved the resolution deadline since (re-)dispatch, in order: ("extend", days), ("pause", start, end)
        self.resolution_adjustments: tuple[tuple[Any, ...], ...] = ()
        self.head_hash = GENESIS

    @classmethod
    def receive(  # noqa: PLR0913 — the intake slip has this many fields
        cls,
        *,
        slip_no: str,
        channel: Channel,
        content: str,
        category: str,
        complainant: Complainant,
        actor: Actor,
        now: datetime,
        calendar: WorkingCalendar,
        limits: Limits,
        received_at: datetime | None = None,
        external_ref: str | None = None,
        complaint_id: UUID | None = None,
        fingerprint: str | None = None,
        centre: str = DEFAULT_CENTRE,
        known_centres: Collection[str] | None = None,
    ) -> Complaint:
        """一窗受理 at ``centre``: record a complaint; the response clock starts at ``received_at``."""
        _aware("now", now)
        check_centre(centre, known_centres)
        _text("slip_no", slip_no, max_len=64)
        _text("content", content)
        _text("category", category, max_len=64)
        _text("complainant.name", complainant.name, max_len=200)
        _text("complainant.phone", complainant.phone, max_len=32)
        if complainant.type is ComplainantType.enterprise:
            _text("complainant.enterprise_name", complainant.enterprise_name, max_len=200)
        if channel is Channel.hotline:
            _text("external_ref", external_ref, max_len=128)
        start = received_at or now
        _aware("received_at", start)
        if start > now:
            raise errors.InvalidInput("received_at", "受理时间不能晚于当前时间")
        response = deadline_for(ClockKind.response, start, calendar, limits)
        new_id = complaint_id or uuid4()
        return cls._create(
            cls.Received,
            id=new_id,
            **_sealed(
                cls.Received,
                new_id,
                cls.INITIAL_VERSION,
                prev_hash=GENESIS,
                actor=actor,
                occurred_at=now,
                slip_no=slip_no,
                channel=channel,
                content=content,
                category=category,
                complainant=complainant,
                received_at=start,
                external_ref=external_ref,
                fingerprint=fingerprint,
                response_due_at=response.due_at,
                response_due_provisional=response.provisional,
                personal_salts=new_salts({"complainant": complainant}),
                centre=centre,
            ),
        )

    # ------------------------------------------------------------------ commands

    def classify(
        self,
        *,
        classification: Classification,
        reason: str,
        actor: Actor,
        now: datetime,
        calendar: WorkingCalendar,
        limits: Limits,
    ) -> None:
        """按责分类: general is answered the same working day; complex kinds go to signing."""
        _aware("now", now)
        self._require_own_course()
        if self.classification is not None:
            raise errors.AlreadyClassified
        if self.status is not Status.received:
            # a duplicate answered with its master's result stays unclassified: it is past classification
            if self.status is Status.closed:
                raise errors.AlreadyClosed
            raise errors.AlreadyResolved("该诉求已按主诉求结果答复，不再分类")
        due_at: datetime | None = None
        provisional = False
        if classification is Classification.general:
            deadline = deadline_for(ClockKind.resolution, self.received_at, calendar, limits, classification)
            due_at, provisional = deadline.due_at, deadline.provisional
        self.trigger_event(
            self.Classified,
            actor=actor,
            occurred_at=now,
            classification=classification,
            reason=reason or "",
            due_at=due_at,
            due_provisional=provisional,
        )

    def reclassify(self, *, classification: Classification, reason: str, actor: Actor, now: datetime) -> None:
        """改分类: once, with a reason, a general complaint not solved on the spot becomes a complex kind."""
        _aware("now", now)
        self._require_own_course()
        current = self._require_classified()
        if self.reclassified_from is not None:
            raise errors.AlreadyReclassified
        if self.first_resolved_at is not None:
            raise errors.ReclassifyAfterResolved
        if current.is_complex:
            label = CLASSIFICATION_LABELS[current]
            raise errors.ReclassifyNotGeneral(f"该诉求已是「{label}」，只有一般性问题可以改分类")
        if not isinstance(classification, Classification) or not classification.is_complex:
            raise errors.InvalidInput("classification", "只能改为办不了、很难办或不给办")
        _text("reason", reason, max_len=2000)
        self.trigger_event(
            self.Reclassified,
            actor=actor,
            occurred_at=now,
            from_classification=current,
            to_classification=classification,
            reason=reason,
        )

    def sign(
        self,
        *,
        opinion: str,
        actor: Actor,
        now: datetime,
        duty: DutyDay | None = None,
        mode: SigningMode = SigningMode.roles_only,
    ) -> None:
        """审核签字: the duty officer first, then the duty leader, two different people.

        In ``SigningMode.roster`` the signer must be on ``duty`` (the centre's roster entry for the day of
        ``now``, ``None`` when there is none) in the role signed, or be a named substitute.
        """
        _aware("now", now)
        self._require_own_course()
        classification = self._require_classified()
        if not classification.is_complex:
            raise errors.SignatureNotNeeded
        if actor.role not in (Role.duty_officer, Role.duty_leader):
            raise errors.SignerRoleInvalid
        if self.dispatched_at is not None:
            raise errors.AlreadyDispatched
        if actor.role is Role.duty_officer:
            if self.officer_signature is not None:
                raise errors.AlreadySigned("当天值班人员已签字")
        else:
            if self.officer_signature is None:
                raise errors.OfficerSignatureMissing
            if self.leader_signature is not None:
                raise errors.AlreadySigned("带班领导已签字")
            if self.officer_signature.id == actor.id:
                raise errors.SameSigner(f"{actor.name} 已作为当天值班人员签字，带班领导须由另一人签字")
        may_sign(duty, actor, actor.role, mode)
        self.trigger_event(self.Signed, actor=actor, occurred_at=now, signer_role=actor.role, opinion=opinion or "")

    def dispatch(
        self,
        *,
        departments: Sequence[str],
        supervisor: str,
        instructions: str,
        actor: Actor,
        now: datetime,
        calendar: WorkingCalendar,
        limits: Limits,
    ) -> None:
        """转办 to one or more departments with a supervisor; the resolution deadline is fixed here."""
        _aware("now", now)
        self._require_own_course()
        classification = self._require_classified()
        if not classification.is_complex:
            raise errors.DispatchNotNeeded
        if self.dispatched_at is not None:
            raise errors.AlreadyDispatched
        if self.officer_signature is None:
            raise errors.OfficerSignatureMissing
        if self.leader_signature is None:
            raise errors.LeaderSignatureMissing
        depts = list(departments)
        if not depts or any(not d.strip() for d in depts):
            raise errors.InvalidInput("departments", "至少指定一个承办部门")
        if len(set(depts)) != len(depts):
            raise errors.InvalidInput("departments", "承办部门重复")
        _text("supervisor", supervisor, max_len=200)
        deadline = deadline_for(ClockKind.resolution, now, calendar, limits, classification)
        self.trigger_event(
            self.Dispatched,
            actor=actor,
            occurred_at=now,
            departments=depts,
            supervisor=supervisor,
            instructions=instructions or "",
            due_at=deadline.due_at,
            due_provisional=deadline.provisional,
        )

    def consult(
        self,
        *,
        participants: Sequence[str],
        conclusion: str,
        actor: Actor,
        now: datetime,
        duty: DutyDay | None = None,
        mode: SigningMode = SigningMode.roles_only,
    ) -> None:
        """会商 by the people concerned, while the complaint is with its departments.

        Only the duty leader (in ``SigningMode.roster``: the day's, or a substitute) or a department it was
        dispatched to records it; with several departments, every one of them must take part.
        """
        _aware("now", now)
        self._require_own_course()
        if self.dispatched_at is None:
            raise errors.NotDispatched
        if self.status not in (Status.dispatched, Status.consulted, Status.rectifying):
            raise errors.AlreadyResolved if self.status is not Status.closed else errors.AlreadyClosed
        concerned = actor.role is Role.duty_leader or (
            actor.role is Role.department and actor.department in self.departments
        )
        if not concerned:
            raise errors.ConsultantNotConcerned
        if actor.role is Role.duty_leader:
            may_sign(duty, actor, Role.duty_leader, mode, act="主持会商")
        _text("conclusion", conclusion)
        if any(not isinstance(p, str) or not p.strip() for p in participants):
            raise errors.InvalidInput("participants", "参会部门不能为空")
        if len(self.departments) > 1:
            missing = [d for d in self.departments if d not in participants]
            if missing:
                raise errors.ConsultParticipantsMissing(f"会商须有全部承办部门参加，缺少：{'、'.join(missing)}")
        self.trigger_event(
            self.Consulted, actor=actor, occurred_at=now, participants=list(participants), conclusion=conclusion
        )

    def resolve(
        self,
        *,
        result: str,
        legal_basis: str | None,
        actor: Actor,
        now: datetime,
        calendar: WorkingCalendar,
        limits: Limits,
    ) -> None:
        """限时办结, by the window clerk for general, by a responsible department otherwise."""
        _aware("now", now)
        self._require_own_course()
        # a duplicate answered with its master's result is unclassified: its rectification round is the window's
        classification = Classification.general if self.answered_by_master else self._require_classified()
        self._require_open_for_resolution()
        if self.paused_at is not None:
            raise errors.ClockPausedNow
        if self.pending_return is not None:
            raise errors.ReturnPending
        if classification.is_complex:
            if self.dispatched_at is None:
                raise self._missing_before_dispatch()
            if actor.role is not Role.department:
                raise errors.ResolverRoleInvalid
            if actor.department not in self.departments:
                raise errors.NotResponsibleDepartment
            if self.needs_consultation and not self.consulted_in_round and self.rectification_round == 0:
                raise errors.ConsultationRequired
        elif actor.role is not Role.window_clerk:
            raise errors.ResolverRoleInvalid("一般性问题由窗口工作人员当场办结")
        _text("result", result)
        if classification is Classification.cannot_do:
            _text("legal_basis", legal_basis, required=False, max_len=2000)
            if legal_basis is None or not legal_basis.strip():
                raise errors.LegalBasisRequired
        feedback = deadline_for(ClockKind.feedback, now, calendar, limits)
        self.trigger_event(
            self.Resolved,
            actor=actor,
            occurred_at=now,
            result=result,
            legal_basis=legal_basis or None,
            feedback_due_at=feedback.due_at,
            feedback_due_provisional=feedback.provisional,
        )

    def feed_back(
        self,
        *,
        method: str,
        summary: str,
        actor: Actor,
        now: datetime,
        calendar: WorkingCalendar,
        limits: Limits,
        message_id: str | None = None,
    ) -> None:
        """及时反馈: only after the complaint is resolved (by the hotline's own centre: with its message id)."""
        _aware("now", now)
        if self.already_recorded(message_id, "FedBack"):
            return
        self._require_own_course()
        if self.status is not Status.resolved:
            if self.status is Status.closed:
                raise errors.AlreadyClosed
            if self.status is Status.fed_back:
                raise errors.NotAllowedInState("已反馈，等待回访")
            raise errors.NotResolved
        _text("method", method, max_len=64)
        callback = deadline_for(ClockKind.callback, now, calendar, limits)
        self.trigger_event(
            self.FedBack,
            actor=actor,
            occurred_at=now,
            method=method,
            summary=summary or "",
            callback_due_at=callback.due_at,
            callback_due_provisional=callback.provisional,
            message_id=message_id,
        )

    def call_back(
        self,
        *,
        rating: int,
        comment: str,
        actor: Actor,
        now: datetime,
        calendar: WorkingCalendar,
        limits: Limits,
        message_id: str | None = None,
    ) -> None:
        """回访 with a rating 1–5; a 差评 (1–2) opens a rectification round with its own deadline."""
        _aware("now", now)
        if self.already_recorded(message_id, "CalledBack"):
            return
        self._require_not_withdrawn()
        if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
            raise errors.InvalidInput("rating", "评价须为 1 至 5 的整数")
        if self.status is not Status.fed_back:
            if self.status is Status.closed:
                raise errors.AlreadyClosed
            raise errors.NotFedBack
        due_at: datetime | None = None
        provisional = False
        if rating < SATISFIED_THRESHOLD:
            deadline = deadline_for(ClockKind.rectification, now, calendar, limits)
            due_at, provisional = deadline.due_at, deadline.provisional
        self.trigger_event(
            self.CalledBack,
            actor=actor,
            occurred_at=now,
            rating=rating,
            comment=comment or "",
            rectification_due_at=due_at,
            rectification_due_provisional=provisional,
            message_id=message_id,
        )

    def add_supplement(
        self,
        *,
        text: str,
        source: str,
        actor: Actor,
        now: datetime,
        message_id: str | None = None,
        calendar: WorkingCalendar | None = None,
    ) -> None:
        """补充诉求/材料 to an open complaint; the hotline's supplements carry its message id (idempotent).

        When the resolution clock is paused (中止) waiting for the person's materials, the supplement that
        brings them resumes it (given the calendar the moved deadline is counted with).
        """
        _aware("now", now)
        if self.already_recorded(message_id, "SupplementAdded"):
            return
        if source not in SUPPLEMENT_SOURCES:
            raise errors.InvalidInput("source", "补充来源只能是 hotline 或 window")
        if source == "hotline":
            _text("message_id", message_id, max_len=128)
        self._require_not_withdrawn()
        if self.status is Status.closed:
            raise errors.AlreadyClosed("该诉求已回访办结，不能再补充诉求或材料，请作为新诉求受理")
        _text("text", text)
        self.trigger_event(
            self.SupplementAdded, actor=actor, occurred_at=now, text=text, message_id=message_id, source=source
        )
        if self.paused_at is not None and calendar is not None:
            self.resume_clock(actor=actor, now=now, calendar=calendar, note="补充诉求/材料到达")

    def withdraw(self, *, reason: str, actor: Actor, now: datetime, message_id: str | None = None) -> None:
        """撤诉: the person withdraws an open complaint; it closes as withdrawn (counted apart)."""
        _aware("now", now)
        if self.already_recorded(message_id, "Withdrawn"):
            return
        self._require_not_withdrawn()
        if self.status is Status.closed:
            raise errors.AlreadyClosed("该诉求已回访办结，不能撤诉")
        _text("reason", reason, max_len=2000)
        self.trigger_event(self.Withdrawn, actor=actor, occurred_at=now, reason=reason, message_id=message_id)

    # ------------------------------------------------------------------ 并单 merge

    def merge_into(self, master: Complaint, *, reason: str, actor: Actor, now: datetime) -> None:
        """并单 by the duty leader into an earlier open complaint about the same matter (same person or issue).

        The master must be another, earlier, open complaint of the same centre that is not itself merged.
        """
        _aware("now", now)
        self._require_leader(actor)
        if master.id == self.id:
            raise errors.MergeIntoSelf
        if self.status is Status.merged:
            raise errors.AlreadyMerged
        if self.status not in MERGEABLE:
            raise errors.AlreadyClosed if self.status is Status.closed else errors.AlreadyResolved
        if self.paused_at is not None:
            raise errors.ClockPausedNow
        if master.status is Status.merged:
            raise errors.MergeTargetMerged
        if master.status not in MERGEABLE:
            raise errors.MergeTargetClosed
        if master.centre != self.centre:
            raise errors.MergeOtherCentre
        if (master.received_at, master.registered_at) > (self.received_at, self.registered_at):
            raise errors.MergeTargetLater(f"只能并入更早受理的诉求（{master.slip_no} 晚于 {self.slip_no}）")
        _text("reason", reason, max_len=2000)
        self.trigger_event(
            self.Merged, actor=actor, occurred_at=now, master_id=master.id, master_slip_no=master.slip_no, reason=reason
        )

    def unmerge(self, *, reason: str, actor: Actor, now: datetime) -> None:
        """取消并单 by the duty leader, with a reason, before the master's result answered the duplicate."""
        _aware("now", now)
        self._require_leader(actor)
        if self.status is not Status.merged or self.merged_into is None:
            raise errors.MergedAlreadyAnswered if self.answered_by_master else errors.NotMerged
        _text("reason", reason, max_len=2000)
        answered = self.dispatched_at is not None or self.first_resolved_at is not None
        self.trigger_event(
            self.Unmerged,
            actor=actor,
            occurred_at=now,
            master_id=self.merged_into,
            reason=reason,
            to_status=self.merged_from_status or Status.received,
            response_due_at=None if answered else self.response_due_at,
            due_at=self.due_at if self.first_resolved_at is None else None,
        )

    def answer_from_master(
        self, master: Complaint, *, actor: Actor, now: datetime, calendar: WorkingCalendar, limits: Limits
    ) -> None:
        """The master's result answers the merged duplicate (a policy, once the master is resolved)."""
        _aware("now", now)
        if actor.role is not Role.system:
            raise errors.EscalationByPerson("按主诉求答复由系统策略记录")
        if self.status is not Status.merged or self.merged_into != master.id:
            raise errors.NotMerged
        if master.result is None or master.first_resolved_at is None:
            raise errors.MasterNotResolved
        feedback = deadline_for(ClockKind.feedback, now, calendar, limits)
        self.trigger_event(
            self.AnsweredByMaster,
            actor=actor,
            occurred_at=now,
            master_id=master.id,
            result=master.result,
            legal_basis=master.legal_basis,
            feedback_due_at=feedback.due_at,
            feedback_due_provisional=feedback.provisional,
        )

    # ------------------------------------------------------------------ 退单 / 改派

    def return_complaint(
        self, *, reason: str, actor: Actor, now: datetime, calendar: WorkingCalendar, limits: Limits
    ) -> None:
        """退单 by a dispatched department that is not responsible, within the return window after dispatch."""
        _aware("now", now)
        department = self._require_handling_department(actor, errors.ReturnNotAllowed)
        if self.paused_at is not None:
            raise errors.ClockPausedNow
        if self.pending_return is not None:
            raise errors.ReturnPending
        if self.pending_extension is not None:
            raise errors.ExtensionPending
        if department in self.insisted_departments:
            raise errors.ReturnInsistedBefore
        assert self.dispatched_at is not None  # noqa: S101 — checked by _require_handling_department
        window = calendar.add_working_days(self.dispatched_at, limits.return_window).due_at
        if now > window:
            until = f"{window:%Y-%m-%d %H:%M}"
            raise errors.ReturnWindowPassed(
                f"已超过退单时限（转办后 {limits.return_window} 个工作日内，截至 {until}），须由本部门办理"
            )
        _text("reason", reason, max_len=2000)
        self.trigger_event(self.Returned, actor=actor, occurred_at=now, department=department, reason=reason)

    def insist_on_dispatch(self, *, opinion: str, actor: Actor, now: datetime) -> None:
        """坚持交办: the duty leader refuses the pending return; that department must handle the complaint."""
        _aware("now", now)
        self._require_leader(actor)
        self._require_not_merged()
        if self.pending_return is None:
            raise errors.NoReturnPending
        _text("opinion", opinion, max_len=2000)
        self.trigger_event(
            self.ReturnInsisted, actor=actor, occurred_at=now, department=self.pending_return, opinion=opinion
        )

    def redispatch(
        self,
        *,
        departments: Sequence[str],
        supervisor: str | None,
        instructions: str,
        actor: Actor,
        now: datetime,
        calendar: WorkingCalendar,
        limits: Limits,
    ) -> None:
        """改派 after a return: to other departments, the resolution deadline restarting now."""
        _aware("now", now)
        self._require_leader(actor)
        self._require_not_merged()
        if self.pending_return is None:
            raise errors.NoReturnPending
        classification = self._require_classified()
        depts = list(departments)
        if not depts or any(not isinstance(d, str) or not d.strip() for d in depts):
            raise errors.InvalidInput("departments", "至少指定一个承办部门")
        if len(set(depts)) != len(depts):
            raise errors.InvalidInput("departments", "承办部门重复")
        chosen = supervisor if supervisor is not None else (self.supervisor or "")
        _text("supervisor", chosen, max_len=200)
        deadline = deadline_for(ClockKind.resolution, now, calendar, limits, classification)
        self.trigger_event(
            self.Redispatched,
            actor=actor,
            occurred_at=now,
            departments=depts,
            supervisor=chosen,
            instructions=instructions or "",
            due_at=deadline.due_at,
            due_provisional=deadline.provisional,
        )

    # ------------------------------------------------------------------ 延期 extension

    def request_extension(self, *, days: int, reason: str, actor: Actor, now: datetime, limits: Limits) -> None:
        """申请延期 by a dispatched department, before the resolution deadline, at most ``limits.max_extensions``."""
        _aware("now", now)
        department = self._require_handling_department(actor, errors.ResolverRoleInvalid("只有承办部门可以申请延期"))
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_EXTENSION_DAYS:
            raise errors.InvalidInput("days", f"延期天数须为 1 至 {MAX_EXTENSION_DAYS} 个工作日")
        if self.paused_at is not None:
            raise errors.ClockPausedNow
        if self.pending_return is not None:
            raise errors.ReturnPending
        if self.pending_extension is not None:
            raise errors.ExtensionPending
        if self.extensions >= limits.max_extensions:
            raise errors.ExtensionLimitReached(f"延期次数已达上限（{limits.max_extensions} 次）")
        if self.due_at is not None and now > self.due_at:
            raise errors.ExtensionAfterDeadline
        _text("reason", reason, max_len=2000)
        self.trigger_event(
            self.ExtensionRequested, actor=actor, occurred_at=now, department=department, days=days, reason=reason
        )

    def approve_extension(
        self, *, opinion: str, actor: Actor, now: datetime, calendar: WorkingCalendar, limits: Limits
    ) -> None:
        """批准延期 by the duty leader: the deadline moves by the working days asked."""
        _aware("now", now)
        self._require_leader(actor)
        days = self._require_pending_extension()
        if self.extensions >= limits.max_extensions:
            raise errors.ExtensionLimitReached(f"延期次数已达上限（{limits.max_extensions} 次）")
        assert self.due_at is not None  # noqa: S101 — a dispatched complaint has a resolution deadline
        fresh = calendar.add_working_days(self.due_at, days)
        self.trigger_event(
            self.ExtensionApproved,
            actor=actor,
            occurred_at=now,
            days=days,
            opinion=opinion or "",
            previous_due_at=self.due_at,
            due_at=fresh.due_at,
            due_provisional=fresh.provisional or self.due_provisional,
        )

    def refuse_extension(self, *, reason: str, actor: Actor, now: datetime) -> None:
        """不予延期 by the duty leader, with a reason: the deadline stands."""
        _aware("now", now)
        self._require_leader(actor)
        self._require_pending_extension()
        _text("reason", reason, max_len=2000)
        self.trigger_event(self.ExtensionRefused, actor=actor, occurred_at=now, reason=reason)

    # ------------------------------------------------------------------ 中止 paused clock

    def pause_clock(
        self, *, reason: str, actor: Actor, now: datetime, calendar: WorkingCalendar, limits: Limits
    ) -> None:
        """中止计时 by a dispatched department while it waits for the person's materials (reason required)."""
        _aware("now", now)
        department = self._require_handling_department(actor, errors.ResolverRoleInvalid("只有承办部门可以中止计时"))
        if self.paused_at is not None:
            raise errors.ClockAlreadyPaused
        if self.pending_return is not None:
            raise errors.ReturnPending
        if self.due_at is not None and now > self.due_at:
            raise errors.PauseAfterDeadline
        _text("reason", reason, max_len=2000)
        limit = deadline_for(ClockKind.pause, now, calendar, limits)
        self.trigger_event(
            self.ClockPaused,
            actor=actor,
            occurred_at=now,
            department=department,
            reason=reason,
            round=self.pause_round + 1,
            pause_due_at=limit.due_at,
            pause_due_provisional=limit.provisional,
        )

    def resume_clock(self, *, actor: Actor, now: datetime, calendar: WorkingCalendar, note: str = "") -> None:
        """恢复计时 when the materials arrive: recorded by the window clerk, or by a hotline supplement.

        The resolution deadline moves by the working time the clock was paused.
        """
        _aware("now", now)
        if actor.role not in (Role.window_clerk, Role.hotline):
            raise errors.ResumeRoleInvalid
        self._require_not_merged()
        if self.paused_at is None:
            raise errors.ClockNotPaused
        _text("note", note, required=False, max_len=2000)
        assert self.due_at is not None  # noqa: S101 — only a dispatched complaint's clock is paused
        paused = calendar.working_seconds_between(self.paused_at, now)
        fresh = calendar.add_working_time(self.due_at, paused)
        self.trigger_event(
            self.ClockResumed,
            actor=actor,
            occurred_at=now,
            source="hotline" if actor.role is Role.hotline else "clerk",
            note=note or "",
            round=self.pause_round,
            paused_seconds=paused,
            previous_due_at=self.due_at,
            due_at=fresh.due_at,
            due_provisional=fresh.provisional or self.due_provisional,
        )

    def escalate(
        self,
        *,
        clock: ClockKind,
        level: int,
        due_at: datetime,
        reason: str,
        recipients: Sequence[str],
        actor: Actor,
        now: datetime,
        round_: int | None = None,
    ) -> None:
        """升级督办: raised by a policy, once per clock, level and rectification round."""
        _aware("now", now)
        if actor.role is not Role.system:
            raise errors.EscalationByPerson
        if level < 0:
            raise errors.InvalidInput("level", "升级级别不能为负（0 为差评整改通知，1、2 为逾期升级）")
        key_round = self.rectification_round if round_ is None else round_
        if level in self.escalated_levels(clock, key_round):
            raise errors.AlreadyEscalated
        self.trigger_event(
            self.Escalated,
            actor=actor,
            occurred_at=now,
            clock=clock,
            level=level,
            round=key_round,
            due_at=due_at,
            reason=reason,
            recipients=list(recipients),
        )

    def open_clocks(self, limits: Limits) -> list[tuple[ClockKind, int, datetime, datetime, int]]:
        """Each unmet clock: (clock, round, start, current due, limit in working days)."""
        out: list[tuple[ClockKind, int, datetime, datetime, int]] = []
        if self.status is Status.withdrawn:  # 撤诉 stops every clock
            return out
        kind = self.classification
        merged = self.status is Status.merged
        answered = self.dispatched_at is not None or self.first_resolved_at is not None
        if not answered and not merged:
            out.append((ClockKind.response, 0, self.received_at, self.response_due_at, limits.response))
        if kind is not None and self.due_at is not None and self.first_resolved_at is None and not merged:
            start = self.dispatched_at if kind.is_complex and self.dispatched_at else self.received_at
            if self.paused_at is None:  # a paused clock's deadline is fixed when it resumes
                out.append((ClockKind.resolution, 0, start, self.due_at, limits.resolution[kind]))
            elif self.pause_due_at is not None:
                out.append((ClockKind.pause, self.pause_round, self.paused_at, self.pause_due_at, limits.pause))
        r = self.rectification_round
        if self.status is Status.resolved and self.resolved_at and self.feedback_due_at:
            out.append((ClockKind.feedback, r, self.resolved_at, self.feedback_due_at, limits.feedback))
        if self.status is Status.fed_back and self.fed_back_at and self.callback_due_at:
            out.append((ClockKind.callback, r, self.fed_back_at, self.callback_due_at, limits.callback))
        if self.status is Status.rectifying and self.called_back_at and self.rectification_due_at:
            out.append(
                (ClockKind.rectification, r, self.called_back_at, self.rectification_due_at, limits.rectification)
            )
        return out

    def correct_deadlines(self, *, calendar: WorkingCalendar, limits: Limits, actor: Actor, now: datetime) -> int:
        """Recompute every open clock's deadline with ``calendar``; record each change. Returns how many."""
        _aware("now", now)
        if actor.role is not Role.system:
            raise errors.EscalationByPerson("时限更正只能由系统策略发起")
        changed = 0
        for clock, round_, start, due, days in self.open_clocks(limits):
            fresh = calendar.add_working_days(start, days)
            if clock is ClockKind.resolution:
                fresh = self.resolution_deadline(calendar, limits) or fresh
            if fresh.due_at != due:
                self.trigger_event(
                    self.DeadlineCorrected,
                    actor=actor,
                    occurred_at=now,
                    clock=clock,
                    round=round_,
                    previous_due_at=due,
                    due_at=fresh.due_at,
                    provisional=fresh.provisional,
                )
                changed += 1
        return changed

    def trigger_event(self, event_class: Any, **kwargs: Any) -> None:
        """Every event commits to the chain head before it and carries its own hash.

        Nothing follows a withdrawal (撤诉): a command that got this far is refused here.
        """
        self._require_not_withdrawn()
        super().trigger_event(
            event_class, **_sealed(event_class, self.id, self.version + 1, prev_hash=self.head_hash, **kwargs)
        )

    # ------------------------------------------------------------------ queries

    def escalated_levels(self, clock: ClockKind, round_: int) -> frozenset[int]:
        """The levels already raised for ``clock`` in ``round_`` (after 改分类, the resolution clock starts afresh)."""
        raised = self.escalations
        if clock is ClockKind.resolution:
            # after 改分类 or 改派 the resolution clock starts afresh
            cut = self.reclassified_at_escalation if self.reclassified_from is not None else 0
            raised = raised[max(cut, self.redispatched_at_escalation) :]
        return frozenset(lv for (k, lv, r) in raised if k is clock and r == round_)

    @property
    def needs_consultation(self) -> bool:
        """会商 is required with several departments, and for 很难办."""
        return len(self.departments) > 1 or self.classification is Classification.hard_to_do

    @property
    def is_open(self) -> bool:
        """Not yet closed by a satisfied call-back, nor withdrawn."""
        return self.status not in (Status.closed, Status.withdrawn)

    def already_recorded(self, message_id: str | None, event_type: str) -> bool:
        """True when the hotline's ``message_id`` was recorded as ``event_type`` (a retry: record nothing).

        The same id used for another kind of message is refused.
        """
        if message_id is None:
            return False
        seen = self.hotline_messages.get(message_id)
        if seen is None:
            return False
        if seen != event_type:
            label = EVENT_LABELS.get(seen, seen)
            raise errors.MessageIdReused(f"热线消息编号 {message_id} 已用于「{label}」")
        return True

    def note_message(self, message_id: str | None, event_type: str) -> None:
        """Remember the hotline's message id of an applied event."""
        if message_id is not None:
            self.hotline_messages = {**self.hotline_messages, message_id: event_type}

    def state(self) -> dict[str, Any]:
        """The aggregate's business state (for comparisons and the state query)."""
        return {k: v for k, v in vars(self).items() if not k.startswith("_")}

    # ------------------------------------------------------------------ helpers

    def _require_not_withdrawn(self) -> None:
        if self.status is Status.withdrawn:
            raise errors.AlreadyWithdrawn

    def _require_classified(self) -> Classification:
        if self.classification is None:
            raise errors.NotClassified
        return self.classification

    def _require_open_for_resolution(self) -> None:
        if self.status is Status.closed:
            raise errors.AlreadyClosed
        if self.status in (Status.resolved, Status.fed_back):
            raise errors.AlreadyResolved

    def _require_own_course(self) -> None:
        """Neither withdrawn (撤诉) nor merged into a master (并单): the complaint still takes its own steps."""
        self._require_not_withdrawn()
        self._require_not_merged()

    def _require_not_merged(self) -> None:
        if self.status is Status.merged:
            raise errors.AlreadyMerged("该诉求已并单，待主诉求办结后按其结果答复")

    @staticmethod
    def _require_leader(actor: Actor) -> None:
        if actor.role is not Role.duty_leader:
            raise errors.DecisionByLeader

    def _require_handling_department(self, actor: Actor, wrong_role: Any) -> str:
        """The actor's department, when it is one this complaint is with and the complaint is not yet resolved."""
        self._require_not_merged()
        if self.dispatched_at is None:
            raise errors.NotDispatched
        if self.status not in OPEN_FOR_HANDLING:
            raise errors.AlreadyClosed if self.status is Status.closed else errors.AlreadyResolved
        if actor.role is not Role.department:
            raise wrong_role if isinstance(wrong_role, errors.ComplaintError) else wrong_role()
        if actor.department not in self.departments:
            raise errors.NotResponsibleDepartment
        return str(actor.department)

    def _require_pending_extension(self) -> int:
        self._require_not_merged()
        if self.pending_extension is None:
            raise errors.NoExtensionPending
        if self.status not in OPEN_FOR_HANDLING:
            raise errors.AlreadyClosed if self.status is Status.closed else errors.AlreadyResolved
        return self.pending_extension

    def resolution_deadline(self, calendar: WorkingCalendar, limits: Limits) -> Deadline | None:
        """The resolution deadline from its start, the limit, and every extension and pause since, in order."""
        kind = self.classification
        if kind is None or self.due_at is None:
            return None
        start = self.dispatched_at if kind.is_complex and self.dispatched_at else self.received_at
        due = calendar.add_working_days(start, limits.resolution[kind])
        provisional = due.provisional
        for adjustment in self.resolution_adjustments:
            if adjustment[0] == "extend":
                due = calendar.add_working_days(due.due_at, int(adjustment[1]))
            else:
                paused = calendar.working_seconds_between(adjustment[1], adjustment[2])
                due = calendar.add_working_time(due.due_at, paused)
            provisional = provisional or due.provisional
        return Deadline(due.due_at, provisional)

    def _missing_before_dispatch(self) -> errors.ComplaintError:
        if self.officer_signature is None:
            return errors.OfficerSignatureMissing("尚未转办：缺少当天值班人员的签字")
        if self.leader_signature is None:
            return errors.LeaderSignatureMissing("尚未转办：缺少带班领导的签字")
        return errors.NotDispatched()
