"""Every refused command raises one of these; nothing is recorded when one is raised."""

from __future__ import annotations


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


class AlreadyEscalated(NotAllowedInState):
    code = "already_escalated"
    detail = "该时限同一级别已升级"


class EscalationByPerson(NotAllowedInState):
    code = "escalation_by_person"
    detail = "升级只能由系统策略发起"
