"""The `complaints` application: one method per complaint command, and the duty roster.

Each command loads the complaint, calls the aggregate, saves: through the ``Store`` it extends, which holds
the group commit, the slip counter and the idempotent intake (see ``application.store``).
"""

from __future__ import annotations

import secrets
from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime
from typing import Unpack
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from application.errors import ConcurrentChange
from application.store import CommandResult, Store, StoreOptions, store_errors
from domain.centres import DEFAULT_CENTRE, DEFAULT_CENTRE_NAME, SigningCentre
from domain.complaint import Complaint
from domain.roster import DutyDay, DutyRoster, RosterRow, SigningMode, month_of, plan_month
from domain.rules import ClockKind
from domain.values import Actor, Channel, Classification, Complainant, Role


def new_salt() -> str:
    """A fresh random salt for one personal field (16 random bytes, hex): the domain is handed its randomness."""
    return secrets.token_hex(16)


class ComplaintsApp(Store):
    """Records complaints and the duty rosters; the centres and the signing mode are injected."""

    name = Store.name  # one store: the library names its tables and environment after it

    def __init__(
        self,
        env: dict[str, str] | None = None,
        *,
        centres: Collection[str] | None = None,
        signed_by: Mapping[str, SigningCentre] | None = None,
        signing_mode: SigningMode,
        **options: Unpack[StoreOptions],
    ) -> None:
        self.centres: frozenset[str] = frozenset(centres or ()) | {DEFAULT_CENTRE}
        # centre → the centre whose roster signs its complex complaints (the reference's signed_by); a centre
        # not named signs for itself
        self.signed_by: dict[str, SigningCentre] = dict(signed_by or {})
        # no default here: the composition root passes YOUSU_SIGNING_MODE, whose default is the roster (fail-closed)
        self.signing_mode = signing_mode
        super().__init__(env, **options)  # the clock, calendar, limits and group commit: the Store's

    # ------------------------------------------------------------------ commands

    def receive(  # noqa: PLR0913 — the intake slip has this many fields
        self,
        *,
        channel: Channel,
        content: str,
        category: str,
        complainant: Complainant,
        actor: Actor,
        received_at: datetime | None = None,
        external_ref: str | None = None,
        idempotency_key: str | None = None,
        fingerprint: str | None = None,
        centre: str = DEFAULT_CENTRE,
    ) -> CommandResult:
        """一窗受理 at ``centre``. A retried intake (same key or external_ref) returns the first complaint."""

        def make(complaint_id: UUID, slip_no: str, now: datetime) -> Complaint:
            return Complaint.receive(
                slip_no=slip_no,
                channel=channel,
                content=content,
                category=category,
                complainant=complainant,
                actor=actor,
                now=now,
                calendar=self.calendar,
                limits=self.limits,
                received_at=received_at,
                external_ref=external_ref,
                complaint_id=complaint_id,
                salt=new_salt,
                fingerprint=fingerprint,
                centre=centre,
                known_centres=self.centres,
            )

        return self.intake(
            make,
            channel=channel,
            external_ref=external_ref,
            idempotency_key=idempotency_key,
            caller=actor.id,
            centre=centre,
            fingerprint=fingerprint,
        )

    def classify(
        self,
        complaint_id: UUID,
        *,
        classification: Classification,
        reason: str,
        actor: Actor,
        expected_version: int | None = None,
    ) -> CommandResult:
        """按责分类."""
        return self._command(
            complaint_id,
            expected_version,
            lambda c, now: c.classify(
                classification=classification,
                reason=reason,
                actor=actor,
                now=now,
                calendar=self.calendar,
                limits=self.limits,
            ),
        )

    def reclassify(
        self,
        complaint_id: UUID,
        *,
        classification: Classification,
        reason: str,
        actor: Actor,
        expected_version: int | None = None,
    ) -> CommandResult:
        """改分类: a general complaint not solved on the spot becomes a complex kind."""
        return self._command(
            complaint_id,
            expected_version,
            lambda c, now: c.reclassify(classification=classification, reason=reason, actor=actor, now=now),
        )

    def sign(
        self, complaint_id: UUID, *, opinion: str, actor: Actor, expected_version: int | None = None
    ) -> CommandResult:
        """审核签字 (the signer's role from the actor), checked against the roster of the centre that signs for
        the complaint's centre (``signing_centre``)."""

        def sign(c: Complaint, now: datetime) -> None:
            signer = self.signing_centre(c.centre)
            duty = self._duty(signer.code, now)
            c.sign(opinion=opinion, actor=actor, now=now, duty=duty, mode=self.signing_mode, signer=signer)

        return self._command(complaint_id, expected_version, sign)

    def dispatch(
        self,
        complaint_id: UUID,
        *,
        departments: Sequence[str],
        supervisor: str,
        instructions: str,
        actor: Actor,
        acting_centre: str | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        """转办; fixes the resolution deadline. ``acting_centre``: the centre the leader works for (None: not
        checked); a street centre's leader may not dispatch what another centre signs (``signing_centre``)."""
        return self._command(
            complaint_id,
            expected_version,
            lambda c, now: c.dispatch(
                departments=departments,
                supervisor=supervisor,
                instructions=instructions,
                actor=actor,
                now=now,
                calendar=self.calendar,
                limits=self.limits,
                acting_centre=acting_centre,
                signer=self.signing_centre(c.centre),
            ),
        )

    def consult(
        self,
        complaint_id: UUID,
        *,
        participants: Sequence[str],
        conclusion: str,
        actor: Actor,
        expected_version: int | None = None,
        opinions: Mapping[str, str] | None = None,
    ) -> CommandResult:
        """会商 (each participant's 意见 in ``opinions``); a duty leader hosting it is checked against the roster
        of the signing centre (``signing_centre``)."""

        def consult(c: Complaint, now: datetime) -> None:
            signer = self.signing_centre(c.centre)
            duty = self._duty(signer.code, now) if actor.role is Role.duty_leader else None
            c.consult(
                participants=participants,
                conclusion=conclusion,
                opinions=opinions,
                actor=actor,
                now=now,
                duty=duty,
                mode=self.signing_mode,
                signer=signer,
            )

        return self._command(complaint_id, expected_version, consult)

    def resolve(
        self,
        complaint_id: UUID,
        *,
        result: str,
        legal_basis: str | None,
        actor: Actor,
        expected_version: int | None = None,
    ) -> CommandResult:
        """限时办结."""
        return self._command(
            complaint_id,
            expected_version,
            lambda c, now: c.resolve(
                result=result, legal_basis=legal_basis, actor=actor, now=now, calendar=self.calendar, limits=self.limits
            ),
        )

    def feed_back(
        self,
        complaint_id: UUID,
        *,
        method: str,
        summary: str,
        actor: Actor,
        expected_version: int | None = None,
        message_id: str | None = None,
    ) -> CommandResult:
        """及时反馈 (by the hotline's own centre: idempotent on its ``message_id``)."""
        return self._command(
            complaint_id,
            expected_version,
            lambda c, now: c.feed_back(
                method=method,
                summary=summary,
                actor=actor,
                now=now,
                calendar=self.calendar,
                limits=self.limits,
                message_id=message_id,
            ),
            replayable=True,
        )

    def call_back(
        self,
        complaint_id: UUID,
        *,
        rating: int,
        comment: str,
        actor: Actor,
        expected_version: int | None = None,
        message_id: str | None = None,
    ) -> CommandResult:
        """回访 (by the hotline's call-back centre: idempotent on its ``message_id``)."""
        return self._command(
            complaint_id,
            expected_version,
            lambda c, now: c.call_back(
                rating=rating,
                comment=comment,
                actor=actor,
                now=now,
                calendar=self.calendar,
                limits=self.limits,
                message_id=message_id,
            ),
            replayable=True,
        )

    def add_supplement(
        self,
        complaint_id: UUID,
        *,
        text: str,
        source: str,
        actor: Actor,
        message_id: str | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        """补充诉求/材料 to an open complaint (the hotline's: idempotent on its ``message_id``)."""
        return self._command(
            complaint_id,
            expected_version,
            lambda c, now: c.add_supplement(
                text=text, source=source, actor=actor, now=now, message_id=message_id, calendar=self.calendar
            ),
            replayable=True,
        )

    def withdraw(
        self,
        complaint_id: UUID,
        *,
        reason: str,
        actor: Actor,
        message_id: str | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        """撤诉: close an open complaint as withdrawn (the hotline's: idempotent on its ``message_id``)."""
        return self._command(
            complaint_id,
            expected_version,
            lambda c, now: c.withdraw(reason=reason, actor=actor, now=now, message_id=message_id),
            replayable=True,
        )

    def escalate(
        self,
        complaint_id: UUID,
        *,
        clock: ClockKind,
        level: int,
        due_at: datetime,
        reason: str,
        recipients: Sequence[str],
        actor: Actor,
        round_: int | None = None,
    ) -> CommandResult:
        """升级督办 (policies only)."""
        return self._command(
            complaint_id,
            None,
            lambda c, now: c.escalate(
                clock=clock,
                level=level,
                due_at=due_at,
                reason=reason,
                recipients=recipients,
                actor=actor,
                now=now,
                round_=round_,
            ),
        )

    def correct_deadlines(self, complaint_id: UUID, *, actor: Actor) -> int:
        """时限更正: recompute open clocks with the current calendar (policies only); returns changes."""
        changed = 0

        def act(c: Complaint, now: datetime) -> None:
            nonlocal changed
            changed = c.correct_deadlines(calendar=self.calendar, limits=self.limits, actor=actor, now=now)

        self._command(complaint_id, None, act)  # saving nothing when nothing changed is a no-op
        return changed

    # ------------------------------------------------------------------ 并单, 退单/改派, 延期, 中止

    def merge(
        self, complaint_id: UUID, *, master_id: UUID, reason: str, actor: Actor, expected_version: int | None = None
    ) -> CommandResult:
        """并单: the duplicate ``complaint_id`` is closed as merged into the earlier open ``master_id``."""
        return self._command(
            complaint_id,
            expected_version,
            lambda c, now: c.merge_into(self.get(master_id), reason=reason, actor=actor, now=now),
        )

    def unmerge(
        self, complaint_id: UUID, *, reason: str, actor: Actor, expected_version: int | None = None
    ) -> CommandResult:
        """取消并单."""
        return self._command(
            complaint_id, expected_version, lambda c, now: c.unmerge(reason=reason, actor=actor, now=now)
        )

    def answer_from_master(self, complaint_id: UUID, *, actor: Actor) -> CommandResult:
        """The master's result answers a merged duplicate (the merge policy only)."""
        return self._command(
            complaint_id,
            None,
            lambda c, now: c.answer_from_master(
                self.get(c.merged_into) if c.merged_into is not None else c,
                actor=actor,
                now=now,
                calendar=self.calendar,
                limits=self.limits,
            ),
        )

    def return_complaint(
        self, complaint_id: UUID, *, reason: str, actor: Actor, expected_version: int | None = None
    ) -> CommandResult:
        """退单 by a dispatched department within the return window."""
        return self._command(
            complaint_id,
            expected_version,
            lambda c, now: c.return_complaint(
                reason=reason, actor=actor, now=now, calendar=self.calendar, limits=self.limits
            ),
        )

    def insist_on_dispatch(
        self, complaint_id: UUID, *, opinion: str, actor: Actor, expected_version: int | None = None
    ) -> CommandResult:
        """坚持交办 (the duty leader refuses a return)."""
        return self._command(
            complaint_id, expected_version, lambda c, now: c.insist_on_dispatch(opinion=opinion, actor=actor, now=now)
        )

    def redispatch(
        self,
        complaint_id: UUID,
        *,
        departments: Sequence[str],
        supervisor: str | None,
        instructions: str,
        actor: Actor,
        expected_version: int | None = None,
    ) -> CommandResult:
        """改派 after a return; the resolution deadline restarts."""
        return self._command(
            complaint_id,
            expected_version,
            lambda c, now: c.redispatch(
                departments=departments,
                supervisor=supervisor,
                instructions=instructions,
                actor=actor,
                now=now,
                calendar=self.calendar,
                limits=self.limits,
            ),
        )

    def request_extension(
        self, complaint_id: UUID, *, days: int, reason: str, actor: Actor, expected_version: int | None = None
    ) -> CommandResult:
        """申请延期."""
        return self._command(
            complaint_id,
            expected_version,
            lambda c, now: c.request_extension(days=days, reason=reason, actor=actor, now=now, limits=self.limits),
        )

    def approve_extension(
        self, complaint_id: UUID, *, opinion: str, actor: Actor, expected_version: int | None = None
    ) -> CommandResult:
        """批准延期."""
        return self._command(
            complaint_id,
            expected_version,
            lambda c, now: c.approve_extension(
                opinion=opinion, actor=actor, now=now, calendar=self.calendar, limits=self.limits
            ),
        )

    def refuse_extension(
        self, complaint_id: UUID, *, reason: str, actor: Actor, expected_version: int | None = None
    ) -> CommandResult:
        """不予延期."""
        return self._command(
            complaint_id, expected_version, lambda c, now: c.refuse_extension(reason=reason, actor=actor, now=now)
        )

    def pause_clock(
        self, complaint_id: UUID, *, reason: str, actor: Actor, expected_version: int | None = None
    ) -> CommandResult:
        """中止计时."""
        return self._command(
            complaint_id,
            expected_version,
            lambda c, now: c.pause_clock(
                reason=reason, actor=actor, now=now, calendar=self.calendar, limits=self.limits
            ),
        )

    def resume_clock(
        self, complaint_id: UUID, *, note: str, actor: Actor, expected_version: int | None = None
    ) -> CommandResult:
        """恢复计时 (materials arrived)."""
        return self._command(
            complaint_id,
            expected_version,
            lambda c, now: c.resume_clock(actor=actor, now=now, calendar=self.calendar, note=note),
        )

    # ------------------------------------------------------------------ duty roster

    def check_roster(self, rows: Sequence[RosterRow], *, month: str) -> dict[str, list[DutyDay]]:
        """值班表预览: every row checked as an import would check it (the days per centre); nothing is saved."""
        return plan_month(rows, month=month, known_centres=self.centres, is_working_day=self.calendar.is_working_day)

    def import_roster(self, rows: Sequence[RosterRow], *, month: str, actor: Actor) -> dict[str, int]:
        """值班表导入: check every row first (nothing saved on a bad row), then import or replace each centre's month.

        Answers the number of days imported per centre.
        """
        plan = plan_month(rows, month=month, known_centres=self.centres, is_working_day=self.calendar.is_working_day)
        now = self.clock.now()
        rosters: list[DutyRoster] = []
        for centre, days in plan.items():
            existing = self.roster(centre, month)
            if existing is None:
                rosters.append(DutyRoster.import_month(centre=centre, month=month, days=days, actor=actor, now=now))
            else:
                existing.replace(days=days, actor=actor, now=now)
                rosters.append(existing)
        try:
            with store_errors():
                self.save(*rosters)  # one transaction: every centre of the file, or none
        except IntegrityError:
            for r in rosters:
                self.evict(r.id)
            raise ConcurrentChange("另一值班表导入同时进行，请重试") from None
        return {centre: len(days) for centre, days in plan.items()}

    def roster(self, centre: str, month: str) -> DutyRoster | None:
        """One centre's roster for a month (YYYY-MM), or None when none was imported."""
        with store_errors():
            try:
                found: object = self.repository.get(DutyRoster.id_for(centre, month))
            except AggregateNotFoundError:
                return None
        return found if isinstance(found, DutyRoster) else None

    def duty_on(self, centre: str, day: date) -> DutyDay | None:
        """Who is on duty at ``centre`` on ``day`` (None: no roster for that day)."""
        roster = self.roster(centre, month_of(day))
        return roster.on_duty(day) if roster is not None else None

    def signing_centre(self, centre: str) -> SigningCentre:
        """The centre whose day's roster signs ``centre``'s complex complaints (itself unless configured)."""
        return self.signed_by.get(centre) or SigningCentre(
            centre, DEFAULT_CENTRE_NAME if centre == DEFAULT_CENTRE else centre
        )

    def _duty(self, centre: str, now: datetime) -> DutyDay | None:
        if self.signing_mode is SigningMode.roles_only:
            return None
        return self.duty_on(centre, self.calendar.local_day(now))
