"""The complaint's events beside the main line: 补充, 撤诉, 并单, 退单/改派, 延期 and 中止."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from domain.complaint.events_main import Event
from domain.complaint.state import ComplaintState
from domain.values import Status


class SupplementAdded(Event):
    """补充诉求/材料: the person adds to an open complaint, through the 12345 hotline or at the window."""

    TOPIC = "domain.complaint:Complaint.SupplementAdded"  # the topic stored events carry
    LABEL = "补充诉求/材料"  # as staff read it in a history

    text: str
    message_id: str | None  # the hotline's message id (idempotency); None at the window
    source: str  # one of SUPPLEMENT_SOURCES

    def apply(self, aggregate: Any) -> None:
        c: ComplaintState = aggregate
        c.note_message(self.message_id, "SupplementAdded")
        c.supplements += 1


class Withdrawn(Event):
    """撤诉: the person withdraws; the complaint closes as withdrawn and every running clock stops."""

    TOPIC = "domain.complaint:Complaint.Withdrawn"  # the topic stored events carry
    LABEL = "撤诉"  # as staff read it in a history

    reason: str
    message_id: str | None  # the hotline's message id (idempotency)

    def apply(self, aggregate: Any) -> None:
        c: ComplaintState = aggregate
        c.note_message(self.message_id, "Withdrawn")
        c.withdrawn_at = self.occurred_at
        c.withdrawal_reason = self.reason
        c.status = Status.withdrawn


# ------------------------------------------------------------------ 并单 merge


class Merged(Event):
    """并单: this complaint (the duplicate) is closed as merged into an earlier open one, its master."""

    TOPIC = "domain.complaint:Complaint.Merged"  # the topic stored events carry
    LABEL = "并单"  # as staff read it in a history

    master_id: UUID
    master_slip_no: str
    reason: str

    def apply(self, aggregate: Any) -> None:
        c: ComplaintState = aggregate
        c.merged_from_status = c.status
        c.merged_into = self.master_id
        c.merge_reason = self.reason
        c.status = Status.merged


class Unmerged(Event):
    """取消并单: the duplicate is handled on its own again, where it stood before the merge.

    ``response_due_at`` and ``due_at`` are the clocks that open again (None: already met / not started).
    """

    TOPIC = "domain.complaint:Complaint.Unmerged"  # the topic stored events carry
    LABEL = "取消并单"  # as staff read it in a history

    master_id: UUID
    reason: str
    to_status: Status  # where it stood before the merge
    response_due_at: datetime | None
    due_at: datetime | None

    def apply(self, aggregate: Any) -> None:
        c: ComplaintState = aggregate
        c.status = self.to_status
        c.merged_into = None
        c.merged_from_status = None
        c.merge_reason = ""


class AnsweredByMaster(Event):
    """The master was resolved: its result answers the duplicate, whose feedback and call-back follow."""

    TOPIC = "domain.complaint:Complaint.AnsweredByMaster"  # the topic stored events carry
    LABEL = "按主诉求答复"  # as staff read it in a history

    master_id: UUID
    result: str
    legal_basis: str | None
    feedback_due_at: datetime
    feedback_due_provisional: bool

    def apply(self, aggregate: Any) -> None:
        c: ComplaintState = aggregate
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

    TOPIC = "domain.complaint:Complaint.Returned"  # the topic stored events carry
    LABEL = "退单"  # as staff read it in a history

    department: str
    reason: str

    def apply(self, aggregate: Any) -> None:
        c: ComplaintState = aggregate
        c.pending_return = self.department
        c.returns += 1


class ReturnInsisted(Event):
    """坚持交办: the duty leader refuses the return; the department must handle the complaint."""

    TOPIC = "domain.complaint:Complaint.ReturnInsisted"  # the topic stored events carry
    LABEL = "坚持交办"  # as staff read it in a history

    department: str
    opinion: str

    def apply(self, aggregate: Any) -> None:
        c: ComplaintState = aggregate
        c.insisted_departments = (*c.insisted_departments, self.department)
        c.pending_return = None


class Redispatched(Event):
    """改派 to other departments; the resolution deadline restarts here."""

    TOPIC = "domain.complaint:Complaint.Redispatched"  # the topic stored events carry
    LABEL = "改派"  # as staff read it in a history

    departments: list[str]
    supervisor: str
    instructions: str
    due_at: datetime
    due_provisional: bool

    def apply(self, aggregate: Any) -> None:
        c: ComplaintState = aggregate
        c.departments = tuple(self.departments)
        # a department the complaint no longer is with has no handler for it any more
        c.handlers = {d: a for d, a in c.handlers.items() if d in self.departments}
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

    TOPIC = "domain.complaint:Complaint.ExtensionRequested"  # the topic stored events carry
    LABEL = "申请延期"  # as staff read it in a history

    department: str
    days: int
    reason: str

    def apply(self, aggregate: Any) -> None:
        c: ComplaintState = aggregate
        c.pending_extension = self.days


class ExtensionApproved(Event):
    """批准延期: the resolution deadline moves by the days asked; on-time closure counts against it."""

    TOPIC = "domain.complaint:Complaint.ExtensionApproved"  # the topic stored events carry
    LABEL = "批准延期"  # as staff read it in a history

    days: int
    opinion: str
    previous_due_at: datetime
    due_at: datetime
    due_provisional: bool

    def apply(self, aggregate: Any) -> None:
        c: ComplaintState = aggregate
        c.due_at = self.due_at
        c.due_provisional = self.due_provisional
        c.extensions += 1
        c.resolution_adjustments = (*c.resolution_adjustments, ("extend", self.days))
        c.pending_extension = None


class ExtensionRefused(Event):
    """不予延期: the deadline stands."""

    TOPIC = "domain.complaint:Complaint.ExtensionRefused"  # the topic stored events carry
    LABEL = "不予延期"  # as staff read it in a history

    reason: str

    def apply(self, aggregate: Any) -> None:
        c: ComplaintState = aggregate
        c.pending_extension = None


# ------------------------------------------------------------------ 中止 paused clock


class ClockPaused(Event):
    """中止计时 while waiting for the person's materials; the pause itself runs against a limit."""

    TOPIC = "domain.complaint:Complaint.ClockPaused"  # the topic stored events carry
    LABEL = "中止计时"  # as staff read it in a history

    department: str
    reason: str
    round: int  # the pause's number on this complaint (1, 2, …): its own clock for escalation
    pause_due_at: datetime
    pause_due_provisional: bool

    def apply(self, aggregate: Any) -> None:
        c: ComplaintState = aggregate
        c.paused_at = self.occurred_at
        c.pause_round = self.round
        c.pause_due_at = self.pause_due_at


class ClockResumed(Event):
    """恢复计时: materials arrived (recorded by the clerk or a hotline supplement).

    The resolution deadline moves by the working time paused (``paused_seconds``, working-day calendar).
    """

    TOPIC = "domain.complaint:Complaint.ClockResumed"  # the topic stored events carry
    LABEL = "恢复计时"  # as staff read it in a history

    source: str  # "clerk" | "hotline"
    note: str
    round: int
    paused_seconds: int
    previous_due_at: datetime
    due_at: datetime
    due_provisional: bool

    def apply(self, aggregate: Any) -> None:
        c: ComplaintState = aggregate
        if c.paused_at is not None:
            c.resolution_adjustments = (*c.resolution_adjustments, ("pause", c.paused_at, self.occurred_at))
        c.paused_at = None
        c.pause_due_at = None
        c.due_at = self.due_at
        c.due_provisional = self.due_provisional
