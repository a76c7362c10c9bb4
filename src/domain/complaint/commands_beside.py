"""The complaint's commands beside the main line: 补充, 撤诉, 并单, 退单/改派, 延期, 中止, and the clocks' own
(升级督办, 时限更正), which only the system raises.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from domain import errors
from domain.calendar import WorkingCalendar
from domain.complaint.checks import (
    MAX_EXTENSION_DAYS,
    MERGEABLE,
    SUPPLEMENT_SOURCES,
    check_aware,
    check_text,
)
from domain.complaint.events_beside import (
    AnsweredByMaster,
    ClockPaused,
    ClockResumed,
    ExtensionApproved,
    ExtensionRefused,
    ExtensionRequested,
    Merged,
    Redispatched,
    Returned,
    ReturnInsisted,
    SupplementAdded,
    Unmerged,
    Withdrawn,
)
from domain.complaint.events_main import DeadlineCorrected, Escalated
from domain.complaint.state import ComplaintState
from domain.rules import ClockKind, Limits, deadline_for
from domain.values import Actor, Role, Status


class BesideMainLine(ComplaintState):
    """The steps that stand beside the main line."""

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
        check_aware("now", now)
        if self.already_recorded(message_id, "SupplementAdded"):
            return
        if source not in SUPPLEMENT_SOURCES:
            raise errors.InvalidInput("source", "补充来源只能是 hotline 或 window")
        if source == "hotline":
            check_text("message_id", message_id, max_len=128)
        self._require_not_withdrawn()
        if self.status is Status.closed:
            raise errors.AlreadyClosed("该诉求已回访办结，不能再补充诉求或材料，请作为新诉求受理")
        check_text("text", text)
        self.trigger_event(
            SupplementAdded, actor=actor, occurred_at=now, text=text, message_id=message_id, source=source
        )
        if self.paused_at is not None and calendar is not None:
            self.resume_clock(actor=actor, now=now, calendar=calendar, note="补充诉求/材料到达")

    def withdraw(self, *, reason: str, actor: Actor, now: datetime, message_id: str | None = None) -> None:
        """撤诉: the person withdraws an open complaint; it closes as withdrawn (counted apart)."""
        check_aware("now", now)
        if self.already_recorded(message_id, "Withdrawn"):
            return
        self._require_not_withdrawn()
        if self.status is Status.closed:
            raise errors.AlreadyClosed("该诉求已回访办结，不能撤诉")
        check_text("reason", reason, max_len=2000)
        self.trigger_event(Withdrawn, actor=actor, occurred_at=now, reason=reason, message_id=message_id)

    # ------------------------------------------------------------------ 并单 merge

    def merge_into(self, master: ComplaintState, *, reason: str, actor: Actor, now: datetime) -> None:
        """并单 by the duty leader into an earlier open complaint about the same matter (same person or issue).

        The master must be another, earlier, open complaint of the same centre that is not itself merged.
        """
        check_aware("now", now)
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
        check_text("reason", reason, max_len=2000)
        self.trigger_event(
            Merged, actor=actor, occurred_at=now, master_id=master.id, master_slip_no=master.slip_no, reason=reason
        )

    def unmerge(self, *, reason: str, actor: Actor, now: datetime) -> None:
        """取消并单 by the duty leader, with a reason, before the master's result answered the duplicate."""
        check_aware("now", now)
        self._require_leader(actor)
        if self.status is not Status.merged or self.merged_into is None:
            raise errors.MergedAlreadyAnswered if self.answered_by_master else errors.NotMerged
        check_text("reason", reason, max_len=2000)
        answered = self.dispatched_at is not None or self.first_resolved_at is not None
        self.trigger_event(
            Unmerged,
            actor=actor,
            occurred_at=now,
            master_id=self.merged_into,
            reason=reason,
            to_status=self.merged_from_status or Status.received,
            response_due_at=None if answered else self.response_due_at,
            due_at=self.due_at if self.first_resolved_at is None else None,
        )

    def answer_from_master(
        self, master: ComplaintState, *, actor: Actor, now: datetime, calendar: WorkingCalendar, limits: Limits
    ) -> None:
        """The master's result answers the merged duplicate (a policy, once the master is resolved)."""
        check_aware("now", now)
        if actor.role is not Role.system:
            raise errors.EscalationByPerson("按主诉求答复由系统策略记录")
        if self.status is not Status.merged or self.merged_into != master.id:
            raise errors.NotMerged
        if master.result is None or master.first_resolved_at is None:
            raise errors.MasterNotResolved
        feedback = deadline_for(ClockKind.feedback, now, calendar, limits)
        self.trigger_event(
            AnsweredByMaster,
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
        check_aware("now", now)
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
        check_text("reason", reason, max_len=2000)
        self.trigger_event(Returned, actor=actor, occurred_at=now, department=department, reason=reason)

    def insist_on_dispatch(self, *, opinion: str, actor: Actor, now: datetime) -> None:
        """坚持交办: the duty leader refuses the pending return; that department must handle the complaint."""
        check_aware("now", now)
        self._require_leader(actor)
        self._require_not_merged()
        if self.pending_return is None:
            raise errors.NoReturnPending
        check_text("opinion", opinion, max_len=2000)
        self.trigger_event(
            ReturnInsisted, actor=actor, occurred_at=now, department=self.pending_return, opinion=opinion
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
        check_aware("now", now)
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
        check_text("supervisor", chosen, max_len=200)
        deadline = deadline_for(ClockKind.resolution, now, calendar, limits, classification)
        self.trigger_event(
            Redispatched,
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
        check_aware("now", now)
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
        check_text("reason", reason, max_len=2000)
        self.trigger_event(
            ExtensionRequested, actor=actor, occurred_at=now, department=department, days=days, reason=reason
        )

    def approve_extension(
        self, *, opinion: str, actor: Actor, now: datetime, calendar: WorkingCalendar, limits: Limits
    ) -> None:
        """批准延期 by the duty leader: the deadline moves by the working days asked."""
        check_aware("now", now)
        self._require_leader(actor)
        days = self._require_pending_extension()
        if self.extensions >= limits.max_extensions:
            raise errors.ExtensionLimitReached(f"延期次数已达上限（{limits.max_extensions} 次）")
        assert self.due_at is not None  # noqa: S101 — a dispatched complaint has a resolution deadline
        fresh = calendar.add_working_days(self.due_at, days)
        self.trigger_event(
            ExtensionApproved,
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
        check_aware("now", now)
        self._require_leader(actor)
        self._require_pending_extension()
        check_text("reason", reason, max_len=2000)
        self.trigger_event(ExtensionRefused, actor=actor, occurred_at=now, reason=reason)

    # ------------------------------------------------------------------ 中止 paused clock

    def pause_clock(
        self, *, reason: str, actor: Actor, now: datetime, calendar: WorkingCalendar, limits: Limits
    ) -> None:
        """中止计时 by a dispatched department while it waits for the person's materials (reason required)."""
        check_aware("now", now)
        department = self._require_handling_department(actor, errors.ResolverRoleInvalid("只有承办部门可以中止计时"))
        if self.paused_at is not None:
            raise errors.ClockAlreadyPaused
        if self.pending_return is not None:
            raise errors.ReturnPending
        if self.due_at is not None and now > self.due_at:
            raise errors.PauseAfterDeadline
        check_text("reason", reason, max_len=2000)
        limit = deadline_for(ClockKind.pause, now, calendar, limits)
        self.trigger_event(
            ClockPaused,
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
        check_aware("now", now)
        if actor.role not in (Role.window_clerk, Role.hotline):
            raise errors.ResumeRoleInvalid
        self._require_not_merged()
        if self.paused_at is None:
            raise errors.ClockNotPaused
        check_text("note", note, required=False, max_len=2000)
        assert self.due_at is not None  # noqa: S101 — only a dispatched complaint's clock is paused
        paused = calendar.working_seconds_between(self.paused_at, now)
        fresh = calendar.add_working_time(self.due_at, paused)
        self.trigger_event(
            ClockResumed,
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
        check_aware("now", now)
        if actor.role is not Role.system:
            raise errors.EscalationByPerson
        if level < 0:
            raise errors.InvalidInput("level", "升级级别不能为负（0 为差评整改通知，1、2 为逾期升级）")
        key_round = self.rectification_round if round_ is None else round_
        if level in self.escalated_levels(clock, key_round):
            raise errors.AlreadyEscalated
        self.trigger_event(
            Escalated,
            actor=actor,
            occurred_at=now,
            clock=clock,
            level=level,
            round=key_round,
            due_at=due_at,
            reason=reason,
            recipients=list(recipients),
        )

    def correct_deadlines(self, *, calendar: WorkingCalendar, limits: Limits, actor: Actor, now: datetime) -> int:
        """Recompute every open clock's deadline with ``calendar``; record each change. Returns how many."""
        check_aware("now", now)
        if actor.role is not Role.system:
            raise errors.EscalationByPerson("时限更正只能由系统策略发起")
        changed = 0
        for clock, round_, start, due, days in self.open_clocks(limits):
            fresh = calendar.add_working_days(start, days)
            if clock is ClockKind.resolution:
                fresh = self.resolution_deadline(calendar, limits) or fresh
            if fresh.due_at != due:
                self.trigger_event(
                    DeadlineCorrected,
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
