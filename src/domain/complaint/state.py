"""The state of a complaint: the fold of its events, the queries on it, and the guards its commands share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain import errors
from domain.audit import GENESIS
from domain.calendar import Deadline, WorkingCalendar
from domain.centres import DEFAULT_CENTRE
from domain.complaint.checks import EPOCH, OPEN_FOR_HANDLING
from domain.rules import ClockKind, Limits
from domain.values import Actor, Channel, Classification, Complainant, ComplainantType, Role, Status


@dataclass(frozen=True)
class Appeal:
    """One 差评申诉: the round whose rating it contests, who appealed, why, and the duty leader's decision."""

    round: int
    occurred_at: datetime
    actor: Actor
    reason: str
    upheld: bool | None = None  # None while it awaits the duty leader
    decided_by: Actor | None = None
    opinion: str = ""


@dataclass(frozen=True)
class HandlerAssignment:
    """指定承办人: the 业务骨干 a department's 负责人 named to handle the complaint for the department."""

    department: str
    handler_id: str  # the handler's user id (their token's ``sub``)
    handler_name: str
    assigned_by: Actor  # the department's 负责人: whoever assigned, whose name the result carries
    assigned_at: datetime


@dataclass(frozen=True)
class Consultation:
    """One 会商 as recorded: when, who recorded it, who took part and what they concluded."""

    occurred_at: datetime
    actor: Actor
    participants: tuple[str, ...]
    conclusion: str
    opinions: tuple[tuple[str, str], ...] = ()  # (participant, 意见) in the order given; older 会商 recorded none


class ComplaintState:
    """Every field of a complaint with its default; only the events' ``apply`` methods change them."""

    if TYPE_CHECKING:  # given by the aggregate (eventsourcing's Aggregate and Complaint.trigger_event)

        @property
        def id(self) -> UUID: ...

        def trigger_event(self, event_class: Any, **kwargs: Any) -> None: ...

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
        self.consultation_log: tuple[Consultation, ...] = ()
        self.officer_opinion = ""
        self.leader_opinion = ""
        self.feedback_method: str | None = None
        self.feedback_summary = ""
        self.result: str | None = None
        self.legal_basis: str | None = None
        self.resolved_at: datetime | None = None
        self.first_resolved_at: datetime | None = None
        self.resolved_by: Actor | None = None
        self.signed_off_by: str | None = None  # the resolving department's 负责人 (its handler's assigner), if any
        self.feedback_due_at: datetime | None = None
        self.fed_back_at: datetime | None = None
        self.callback_due_at: datetime | None = None
        self.rating: int | None = None
        self.ratings: tuple[int, ...] = ()
        self.called_back_at: datetime | None = None
        self.rectification_round = 0
        self.rectification_due_at: datetime | None = None
        self.appeals: tuple[Appeal, ...] = ()  # 差评申诉, in order; the last may await the duty leader
        self.handlers: dict[str, HandlerAssignment] = {}  # department → its assigned handler (指定承办人), the latest
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

    # ------------------------------------------------------------------ queries

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
            label = getattr(getattr(type(self), seen, None), "LABEL", seen)  # the event, on the aggregate
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

    def _require_handling_department(self, actor: Actor, wrong_role: Any, *, rectifying: bool = False) -> str:
        """The actor's department, when it is one this complaint is with and the complaint is not yet resolved
        (``rectifying``: or is in a rectification round, back with its departments)."""
        self._require_not_merged()
        if self.dispatched_at is None:
            raise errors.NotDispatched
        handling = (OPEN_FOR_HANDLING | {Status.rectifying}) if rectifying else OPEN_FOR_HANDLING
        if self.status not in handling:
            raise errors.AlreadyClosed if self.status is Status.closed else errors.AlreadyResolved
        if actor.role is not Role.department:
            raise wrong_role if isinstance(wrong_role, errors.ComplaintError) else wrong_role()
        if actor.department not in self.departments:
            raise errors.NotResponsibleDepartment
        return str(actor.department)

    def handler_of(self, department: str | None) -> HandlerAssignment | None:
        """The handler assigned for ``department`` (指定承办人), if any."""
        return self.handlers.get(department) if department is not None else None

    @property
    def set_aside_rounds(self) -> tuple[int, ...]:
        """The rounds whose 差评 an upheld appeal set aside."""
        return tuple(a.round for a in self.appeals if a.upheld)

    @property
    def pending_appeal(self) -> Appeal | None:
        """The 差评申诉 awaiting the duty leader, if any."""
        return self.appeals[-1] if self.appeals and self.appeals[-1].upheld is None else None

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
