"""The complaint's commands on its main line: 分类, 改分类, 签字, 转办, 会商, 指定承办人, 办结, 反馈 and 回访.

Each command checks its rules and either refuses (a ``ComplaintError``) or records one event.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from domain import errors
from domain.calendar import WorkingCalendar
from domain.centres import DEFAULT_CENTRE, SigningCentre
from domain.complaint.checks import (
    SATISFIED_THRESHOLD,
    check_aware,
    check_text,
)
from domain.complaint.events_main import (
    AppealDecided,
    CalledBack,
    Classified,
    Consulted,
    Dispatched,
    FedBack,
    HandlerAssigned,
    RatingAppealed,
    Reclassified,
    Resolved,
    Signed,
)
from domain.complaint.state import ComplaintState
from domain.roster import DutyDay, SigningMode, may_sign
from domain.rules import ClockKind, Limits, deadline_for
from domain.values import CLASSIFICATION_LABELS, Actor, Channel, Classification, Role, Status


class MainLine(ComplaintState):
    """The steps every complaint takes after 受理."""

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
        check_aware("now", now)
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
            Classified,
            actor=actor,
            occurred_at=now,
            classification=classification,
            reason=reason or "",
            due_at=due_at,
            due_provisional=provisional,
        )

    def reclassify(self, *, classification: Classification, reason: str, actor: Actor, now: datetime) -> None:
        """改分类: once, with a reason, a general complaint not solved on the spot becomes a complex kind."""
        check_aware("now", now)
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
        check_text("reason", reason, max_len=2000)
        self.trigger_event(
            Reclassified,
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
        mode: SigningMode,
        duty: DutyDay | None = None,
        signer: SigningCentre | None = None,
    ) -> None:
        """审核签字: the duty officer first, then the duty leader, two different people.

        In ``SigningMode.roster`` the signer must be on ``duty`` (the roster entry of ``signer``, the centre that
        signs this complaint's centre, for the day of ``now``; ``None`` when there is none) in the role signed,
        or be a named substitute.
        """
        check_aware("now", now)
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
        may_sign(duty, actor, actor.role, mode, signer=signer)
        self.trigger_event(Signed, actor=actor, occurred_at=now, signer_role=actor.role, opinion=opinion or "")

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
        acting_centre: str | None = None,
        signer: SigningCentre | None = None,
    ) -> None:
        """转办 to one or more departments with a supervisor; the resolution deadline is fixed here.

        By the duty leader of ``signer``, the centre that signs this complaint, or of the district hall (which
        leads the district); a leader of another centre (``acting_centre``, None: not checked) may not.
        """
        check_aware("now", now)
        self._require_own_course()
        classification = self._require_classified()
        if not classification.is_complex:
            raise errors.DispatchNotNeeded
        if signer is not None and acting_centre is not None and acting_centre not in (signer.code, DEFAULT_CENTRE):
            raise errors.NotSigningCentre(
                f"本诉求由{signer.name}当天值班人员和带班领导签字，由其带班领导转办；本中心的带班领导不能转办"
            )
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
        check_text("supervisor", supervisor, max_len=200)
        deadline = deadline_for(ClockKind.resolution, now, calendar, limits, classification)
        self.trigger_event(
            Dispatched,
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
        mode: SigningMode,
        duty: DutyDay | None = None,
        signer: SigningCentre | None = None,
        opinions: Mapping[str, str] | None = None,
    ) -> None:
        """会商 by the people concerned, while the complaint is with its departments: who took part, each one's
        意见 (``opinions``, participant → opinion; optional, but only for a participant) and the 结论.

        Only the duty leader (in ``SigningMode.roster``: the day's of ``signer``, the centre that signs this
        complaint, or a substitute) or a department it was
        dispatched to records it; with several departments, every one of them must take part.
        """
        check_aware("now", now)
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
            may_sign(duty, actor, Role.duty_leader, mode, act="主持会商", signer=signer)
        check_text("conclusion", conclusion)
        if any(not isinstance(p, str) or not p.strip() for p in participants):
            raise errors.InvalidInput("participants", "参会部门不能为空")
        if len(self.departments) > 1:
            missing = [d for d in self.departments if d not in participants]
            if missing:
                raise errors.ConsultParticipantsMissing(f"会商须有全部承办部门参加，缺少：{'、'.join(missing)}")
        given = {p: o for p, o in (opinions or {}).items() if o.strip()}
        strangers = [p for p in given if p not in participants]
        if strangers:
            raise errors.InvalidInput("opinions", f"意见须出自参会部门或人员，未参会：{'、'.join(strangers)}")
        for opinion in given.values():
            check_text("opinions", opinion)
        self.trigger_event(
            Consulted,
            actor=actor,
            occurred_at=now,
            participants=list(participants),
            conclusion=conclusion,
            opinions=given,
        )

    def assign_handler(
        self, *, department: str, handler_id: str, handler_name: str, actor: Actor, now: datetime
    ) -> None:
        """指定承办人 (窗口部门负责人…安排业务骨干进行办理): an account of a department the complaint is with, as
        that department's 负责人, names its handler while the department handles it (a rectification round
        included); the latest assignment stands. From then on only the handler or the assigner resolves for
        the department, and the result carries the assigner's name. That the handler is an account of the
        department is the caller's to check (the domain knows no accounts)."""
        check_aware("now", now)
        self._require_own_course()
        own = self._require_handling_department(
            actor, errors.ResolverRoleInvalid("只有承办部门的负责人可以指定承办人"), rectifying=True
        )
        if department != own:
            raise errors.NotResponsibleDepartment(f"只能为本部门指定承办人，不能为「{department}」指定")
        check_text("handler_id", handler_id, max_len=200)
        check_text("handler_name", handler_name, max_len=64)
        if any(mark in handler_name for mark in ",:"):  # the 台账 lists handlers as "部门:姓名,部门:姓名"
            raise errors.InvalidInput("handler_name", "承办人姓名不能含有英文逗号或冒号")
        self.trigger_event(
            HandlerAssigned,
            actor=actor,
            occurred_at=now,
            department=department,
            handler_id=handler_id,
            handler_name=handler_name,
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
        check_aware("now", now)
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
            self._require_assigned_resolver(actor)
            if self.needs_consultation and not self.consulted_in_round and self.rectification_round == 0:
                raise errors.ConsultationRequired
        elif actor.role is not Role.window_clerk:
            raise errors.ResolverRoleInvalid("一般性问题由窗口工作人员当场办结")
        check_text("result", result)
        if classification is Classification.cannot_do:
            check_text("legal_basis", legal_basis, required=False, max_len=2000)
            if legal_basis is None or not legal_basis.strip():
                raise errors.LegalBasisRequired
        feedback = deadline_for(ClockKind.feedback, now, calendar, limits)
        # the 负责人's sign-off: whoever assigned the resolving department's handler
        assigned = self.handler_of(actor.department) if actor.role is Role.department else None
        self.trigger_event(
            Resolved,
            actor=actor,
            occurred_at=now,
            result=result,
            legal_basis=legal_basis or None,
            feedback_due_at=feedback.due_at,
            feedback_due_provisional=feedback.provisional,
            signed_off_by=assigned.assigned_by.name if assigned is not None else None,
        )

    def _require_assigned_resolver(self, actor: Actor) -> None:
        """Once the actor's department assigned a handler, only that handler or its assigner resolves for it."""
        assigned = self.handler_of(actor.department)
        if assigned is None or actor.id in (assigned.handler_id, assigned.assigned_by.id):
            return
        head = assigned.assigned_by.name
        raise errors.NotAssignedHandler(
            f"本部门负责人 {head} 已指定 {assigned.handler_name} 承办，只有 {assigned.handler_name} 或 {head} 可以办结"
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
        check_aware("now", now)
        if self.already_recorded(message_id, "FedBack"):
            return
        self._require_own_course()
        if self.status is not Status.resolved:
            if self.status is Status.closed:
                raise errors.AlreadyClosed
            if self.status is Status.fed_back:
                raise errors.NotAllowedInState("已反馈，等待回访")
            raise errors.NotResolved
        check_text("method", method, max_len=64)
        callback = deadline_for(ClockKind.callback, now, calendar, limits)
        self.trigger_event(
            FedBack,
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
        check_aware("now", now)
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
            CalledBack,
            actor=actor,
            occurred_at=now,
            rating=rating,
            comment=comment or "",
            rectification_due_at=due_at,
            rectification_due_provisional=provisional,
            message_id=message_id,
        )

    def answer_on_the_spot(
        self,
        *,
        result: str,
        actor: Actor,
        now: datetime,
        calendar: WorkingCalendar,
        limits: Limits,
    ) -> None:
        """当场答复: a general question received at the window is solved and answered there and then.

        One command records the 办结 and the 反馈 (当面) at the same instant, so no separate 反馈 clock runs
        and none can pass. A general complaint not answered on the spot (one from the 12345 hotline, or one
        the person did not wait for) is resolved and fed back as two steps, under the 反馈 clock.
        """
        check_aware("now", now)
        self._require_own_course()
        if self.classification is not Classification.general or self.channel is not Channel.window:
            raise errors.NotOnTheSpot
        if self.rectification_round:
            raise errors.NotOnTheSpot("整改期间的办结与反馈分步记录")
        self.resolve(result=result, legal_basis=None, actor=actor, now=now, calendar=calendar, limits=limits)
        self.feed_back(method="当面", summary=result, actor=actor, now=now, calendar=calendar, limits=limits)

    def appeal_rating(self, *, reason: str, actor: Actor, now: datetime) -> None:
        """差评申诉: whoever resolves the complaint (its departments; the window for a general one) contests the
        round's 1–2 rating, once per round, while its rectification is open. The rectification clock runs on."""
        check_aware("now", now)
        self._require_own_course()
        if self.status is not Status.rectifying:
            raise errors.AppealNotOpen
        if self.classification is not None and self.classification.is_complex:
            if actor.role is not Role.department or actor.department not in self.departments:
                raise errors.AppealRoleInvalid
        elif actor.role is not Role.window_clerk:
            raise errors.AppealRoleInvalid
        if any(a.round == self.rectification_round for a in self.appeals):
            raise errors.AlreadyAppealed
        check_text("reason", reason, max_len=2000)
        self.trigger_event(RatingAppealed, actor=actor, occurred_at=now, round=self.rectification_round, reason=reason)

    def decide_appeal(self, *, upheld: bool, opinion: str, actor: Actor, now: datetime) -> None:
        """申诉审核 by the duty leader: upheld sets the 差评 aside (it leaves the satisfaction rate) and, unless
        the round was rectified meanwhile, closes the complaint; refused, the rectification goes on."""
        check_aware("now", now)
        self._require_not_withdrawn()
        self._require_leader(actor)
        appeal = self.pending_appeal
        if appeal is None:
            raise errors.NoAppealPending
        check_text("opinion", opinion, max_len=2000)
        self.trigger_event(
            AppealDecided, actor=actor, occurred_at=now, round=appeal.round, upheld=upheld, opinion=opinion
        )
