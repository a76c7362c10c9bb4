"""Every refused command raises one of these; nothing is recorded when one is raised."""

from __future__ import annotations

from collections.abc import Sequence


class ComplaintError(Exception):
    """Base of every refused complaint command; ``code`` is stable, ``detail`` is for staff."""

    code = "complaint_error"
    detail = "操作不被允许"

    def __init__(self, detail: str | None = None) -> None:
        self.detail = detail or type(self).detail
        super().__init__(self.detail)


class InvalidInput(ComplaintError):
    """A command's data is malformed (e.g. a rating outside 1–5)."""

    code = "invalid_input"
    detail = "输入无效"

    def __init__(self, field: str, detail: str) -> None:
        self.field = field
        super().__init__(detail)


class NotAllowedInState(ComplaintError):
    """The command does not fit where the complaint stands."""

    code = "not_allowed_in_state"
    detail = "当前状态不允许此操作"


class AlreadyClassified(NotAllowedInState):
    code = "already_classified"
    detail = "该诉求已分类，不能重复分类"


class NotClassified(NotAllowedInState):
    code = "not_classified"
    detail = "诉求尚未分类"


class SignatureNotNeeded(NotAllowedInState):
    code = "signature_not_needed"
    detail = "一般性问题当场办结，无需审核签字"


class OfficerSignatureMissing(NotAllowedInState):
    code = "officer_signature_missing"
    detail = "缺少当天值班人员的签字"


class LeaderSignatureMissing(NotAllowedInState):
    code = "leader_signature_missing"
    detail = "缺少带班领导的签字"


class AlreadySigned(NotAllowedInState):
    code = "already_signed"
    detail = "该角色已签字"


class SignerRoleInvalid(NotAllowedInState):
    code = "signer_role_invalid"
    detail = "只有当天值班人员或带班领导可以签字"


class DispatchNotNeeded(NotAllowedInState):
    code = "dispatch_not_needed"
    detail = "一般性问题由窗口当场办结，无需转办"


class AlreadyDispatched(NotAllowedInState):
    code = "already_dispatched"
    detail = "该诉求已转办"


class NotDispatched(NotAllowedInState):
    code = "not_dispatched"
    detail = "诉求尚未转办"


class ConsultationRequired(NotAllowedInState):
    code = "consultation_required"
    detail = "多部门或很难办的诉求须先会商，方可办结"


class LegalBasisRequired(NotAllowedInState):
    code = "legal_basis_required"
    detail = "办不了的诉求须注明法律或政策依据"


class NotResponsibleDepartment(NotAllowedInState):
    code = "not_responsible_department"
    detail = "该诉求未转办至您的部门"


class ResolverRoleInvalid(NotAllowedInState):
    code = "resolver_role_invalid"
    detail = "该诉求应由承办部门办结"


class AlreadyResolved(NotAllowedInState):
    code = "already_resolved"
    detail = "该诉求已办结"


class NotResolved(NotAllowedInState):
    code = "not_resolved"
    detail = "诉求尚未办结，不能反馈"


class NotFedBack(NotAllowedInState):
    code = "not_fed_back"
    detail = "尚未向群众反馈办理结果，不能回访"


class AlreadyClosed(NotAllowedInState):
    code = "already_closed"
    detail = "该诉求已回访办结"


class AlreadyWithdrawn(NotAllowedInState):
    code = "already_withdrawn"
    detail = "群众已撤诉，该诉求已关闭"


class MessageIdReused(NotAllowedInState):
    code = "message_id_reused"
    detail = "该热线消息编号已用于另一项操作"


class AlreadyEscalated(NotAllowedInState):
    code = "already_escalated"
    detail = "该时限同一级别已升级"


class EscalationByPerson(NotAllowedInState):
    code = "escalation_by_person"
    detail = "升级只能由系统策略发起"


class UnknownCentre(ComplaintError):
    """A centre code that is not configured."""

    code = "unknown_centre"
    detail = "未知的服务中心代码"


# ---------------------------------------------------------------------------------------- signing


class SameSigner(NotAllowedInState):
    code = "same_signer"
    detail = "值班人员与带班领导的签字须由两个不同的人作出"


class NoRosterToday(NotAllowedInState):
    code = "no_roster_today"
    detail = "今日未导入值班表，无法按值班表核对签字人；请管理员导入本月值班表"


class NotOnDuty(NotAllowedInState):
    code = "not_on_duty"
    detail = "您不在今日值班表上，不能以该角色签字"


class NotSigningCentre(NotAllowedInState):
    code = "not_signing_centre"
    detail = "本诉求由其他服务中心的带班领导签字并转办，本中心不能转办"


# ---------------------------------------------------------------------------------------- 会商


class ConsultantNotConcerned(NotAllowedInState):
    code = "consultant_not_concerned"
    detail = "会商只能由带班领导或承办部门发起"


class ConsultParticipantsMissing(NotAllowedInState):
    code = "consult_participants_missing"
    detail = "会商须有全部承办部门参加"


# ---------------------------------------------------------------------------------------- 改分类


class AlreadyReclassified(NotAllowedInState):
    code = "already_reclassified"
    detail = "该诉求已改过一次分类，不能再改"


class ReclassifyNotGeneral(NotAllowedInState):
    code = "reclassify_not_general"
    detail = "只有一般性问题可以改为复杂类别"


class ReclassifyAfterResolved(NotAllowedInState):
    code = "reclassify_after_resolved"
    detail = "诉求已办结，不能再改分类"


# ---------------------------------------------------------------------------------------- 值班表导入


class RosterRowInvalid(ComplaintError):
    """One row of a duty-roster import is wrong; nothing of the import is recorded."""

    code = "roster_row_invalid"
    detail = "值班表有误"

    def __init__(self, row: int, detail: str | None = None) -> None:
        self.row = row
        self.others: tuple[RosterRowInvalid, ...] = ()  # the other bad rows of the same file, in order
        super().__init__(f"第 {row} 行：{detail or type(self).detail}")

    @staticmethod
    def of_rows(problems: Sequence[RosterRowInvalid]) -> RosterRowInvalid:
        """The first bad row's refusal, carrying every other bad row (a file is answered with all its errors)."""
        first = problems[0]
        first.others = tuple(problems[1:])
        return first


class RosterLeaderTwice(RosterRowInvalid):
    code = "roster_leader_twice"
    detail = "同一天只能有一名带班领导"


class RosterNonWorkingDay(RosterRowInvalid):
    code = "roster_non_working_day"
    detail = "该日不是工作日，不能排班"


class RosterUnknownCentre(RosterRowInvalid):
    code = "roster_unknown_centre"
    detail = "未知的服务中心代码"


class RosterDuplicateDay(RosterRowInvalid):
    code = "roster_duplicate_day"
    detail = "同一中心同一天重复排班"


class RosterDayOutsideMonth(RosterRowInvalid):
    code = "roster_day_outside_month"
    detail = "日期不在导入的月份内"


class RosterOfficerMissing(RosterRowInvalid):
    code = "roster_officer_missing"
    detail = "缺少当天值班人员"


class RosterLeaderMissing(RosterRowInvalid):
    code = "roster_leader_missing"
    detail = "缺少带班领导"


class RosterOfficerIsLeader(RosterRowInvalid):
    code = "roster_officer_is_leader"
    detail = "同一人不能同时担任当天值班人员和带班领导（两个签字须由不同的人作出）"


# ---------------------------------------------------------------------------------------- 并单


class MergeIntoSelf(NotAllowedInState):
    code = "merge_into_self"
    detail = "不能将诉求并入其自身"


class MergeTargetClosed(NotAllowedInState):
    code = "merge_target_closed"
    detail = "主诉求已办结，不能并入"


class MergeTargetMerged(NotAllowedInState):
    code = "merge_target_merged"
    detail = "主诉求本身已并入其他诉求，请并入最终的主诉求"


class MergeTargetLater(NotAllowedInState):
    code = "merge_target_later"
    detail = "只能并入更早受理的诉求"


class MergeOtherCentre(NotAllowedInState):
    code = "merge_other_centre"
    detail = "不同服务中心的诉求不能并单"


class AlreadyMerged(NotAllowedInState):
    code = "already_merged"
    detail = "该诉求已并单"


class NotMerged(NotAllowedInState):
    code = "not_merged"
    detail = "该诉求未并单"


class MergedAlreadyAnswered(NotAllowedInState):
    code = "merged_already_answered"
    detail = "主诉求已办结，并单诉求已按主诉求答复，不能再取消并单"


class MasterNotResolved(NotAllowedInState):
    code = "master_not_resolved"
    detail = "主诉求尚未办结"


class DecisionByLeader(NotAllowedInState):
    code = "decision_by_leader"
    detail = "只有带班领导可以作出此决定"


# ---------------------------------------------------------------------------------------- 差评申诉


class AppealNotOpen(NotAllowedInState):
    code = "appeal_not_open"
    detail = "只有差评后的整改期间可以申诉"


class AppealRoleInvalid(NotAllowedInState):
    code = "appeal_role_invalid"
    detail = "只有办理该诉求的部门（一般性问题为窗口工作人员）可以申诉"


class AlreadyAppealed(NotAllowedInState):
    code = "already_appealed"
    detail = "本轮差评已申诉过，不能重复申诉"


class NoAppealPending(NotAllowedInState):
    code = "no_appeal_pending"
    detail = "没有待审核的差评申诉"


# ---------------------------------------------------------------------------------------- 指定承办人


class NotAssignedHandler(NotAllowedInState):
    code = "not_assigned_handler"
    detail = "本部门已指定承办人，只有承办人或指定承办人的负责人可以办结"


# ---------------------------------------------------------------------------------------- 当场答复


class NotOnTheSpot(NotAllowedInState):
    code = "not_on_the_spot"
    detail = "只有窗口受理的一般性问题可以当场答复"


# ---------------------------------------------------------------------------------------- 退单 / 改派


class ReturnWindowPassed(NotAllowedInState):
    code = "return_window_passed"
    detail = "已超过退单时限，须由本部门办理"


class ReturnPending(NotAllowedInState):
    code = "return_pending"
    detail = "退单待带班领导处理（改派或坚持交办）"


class NoReturnPending(NotAllowedInState):
    code = "no_return_pending"
    detail = "没有待处理的退单"


class ReturnInsistedBefore(NotAllowedInState):
    code = "return_insisted_before"
    detail = "带班领导已坚持交办，本部门须办理，不能再退单"


class ReturnNotAllowed(NotAllowedInState):
    code = "return_not_allowed"
    detail = "只有承办部门可以在办结前退单"


# ---------------------------------------------------------------------------------------- 延期


class ExtensionAfterDeadline(NotAllowedInState):
    code = "extension_after_deadline"
    detail = "办结时限已过，不能再申请延期"


class ExtensionLimitReached(NotAllowedInState):
    code = "extension_limit_reached"
    detail = "延期次数已达上限"


class ExtensionPending(NotAllowedInState):
    code = "extension_pending"
    detail = "已有延期申请待带班领导审批"


class NoExtensionPending(NotAllowedInState):
    code = "no_extension_pending"
    detail = "没有待审批的延期申请"


# ---------------------------------------------------------------------------------------- 中止


class ClockAlreadyPaused(NotAllowedInState):
    code = "clock_already_paused"
    detail = "办结时限已中止，等待补充材料"


class ClockNotPaused(NotAllowedInState):
    code = "clock_not_paused"
    detail = "办结时限未中止"


class ClockPausedNow(NotAllowedInState):
    code = "clock_paused"
    detail = "办结时限中止中（等待群众补充材料），请先登记材料到达、恢复计时"


class ResumeRoleInvalid(NotAllowedInState):
    code = "resume_role_invalid"
    detail = "材料到达由窗口工作人员登记或由热线补充诉求恢复计时"


class PauseAfterDeadline(NotAllowedInState):
    code = "pause_after_deadline"
    detail = "办结时限已过，不能再中止计时"
