"""The `complaints` application: one method per command; load, call the aggregate, save."""

from __future__ import annotations

import copy
import secrets
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, ClassVar
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

import structlog
from eventsourcing.application import AggregateNotFoundError, Application, ProcessingEvent
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import (
    IntegrityError,
    InterfaceError,
    JSONTranscoder,
    Notification,
    OperationalError,
    Recording,
    StoredEvent,
)

from application import deadline
from application.access_index import AccessIndexRow
from application.clock import Clock, SystemClock
from application.errors import (
    ComplaintNotFound,
    ConcurrentChange,
    DeadlineExceeded,
    IntakeConflict,
    StoreUnavailable,
    VersionMismatch,
)
from application.group_commit import COMMIT_BATCH, COMMIT_WINDOW_SECONDS, GroupCommit, Ticket
from application.slip_counter import Key, SlipClaims
from application.transcodings import register_domain_transcodings
from domain.calendar import WorkingCalendar
from domain.centres import DEFAULT_CENTRE, DEFAULT_CENTRE_NAME, SigningCentre
from domain.complaint import Complaint
from domain.roster import DutyDay, DutyRoster, RosterRow, SigningMode, month_of, plan_month
from domain.rules import ClockKind, Limits
from domain.slips import SlipBook, slip_number
from domain.values import Actor, Channel, Classification, Complainant, Role

log = structlog.get_logger("yousu.complaints")

INTAKE_NAMESPACE = uuid5(NAMESPACE_URL, "https://yousu.invalid/intake")
INTAKE_ATTEMPTS = 3  # an IntegrityError on an intake means the same intake was stored meanwhile: find it
COMMAND_ATTEMPTS = 8  # a command whose complaint a batch-mate changed first is decided again on the new state
# The complaint a request's scope check loaded a moment before its command (hand_over): the command decides
# on it first, saving a second load; should the store have moved on meanwhile, it decides again on a fresh load.
_handed: ContextVar[dict[UUID, Complaint] | None] = ContextVar("yousu_handed_complaint", default=None)


def new_salt() -> str:
    """A fresh random salt for one personal field (16 random bytes, hex): the domain is handed its randomness."""
    return secrets.token_hex(16)


def hand_over(complaint: Complaint) -> None:
    """Offer ``complaint``, just loaded, to the next command on it in this context (used at most once)."""
    _handed.set({complaint.id: complaint})


def _take_handed(complaint_id: UUID) -> Complaint | None:
    handed = _handed.get()
    return handed.pop(complaint_id, None) if handed else None


UNBUDGETED_WRITE_SECONDS = 30.0  # a batch member without a request budget (CLI, background loops)


class BatchConflict(IntegrityError):
    """An earlier command of the same group commit changed this aggregate: decide again on its new state."""


@dataclass
class Intake:
    """An intake whose slip number is claimed in its batch's transaction: ``build`` makes it once numbered."""

    centre: str
    day: date
    build: Callable[[str], Complaint]
    complaint: Complaint | None = None


@dataclass
class Work:
    """One caller's share of a group commit: events (or an intake to number), access index rows, its budget."""

    events: list[DomainEventProtocol[UUID]] = field(default_factory=list)
    aggregates: dict[UUID, Any] = field(default_factory=dict)
    access: list[AccessIndexRow] = field(default_factory=list)
    budget: deadline.Budget | None = None
    intake: Intake | None = None
    made: list[DomainEventProtocol[UUID]] = field(default_factory=list)  # the intake's events, once numbered
    recordings: list[Recording[UUID]] = field(default_factory=list)

    def originators(self) -> set[UUID]:
        """The aggregates this work writes to."""
        return {e.originator_id for e in self.events}


@dataclass(frozen=True)
class CommandResult:
    """What every command answers: enough for a client to read its own write."""

    id: UUID
    slip_no: str
    status: str
    version: int
    notification_id: int | None
    due_at: datetime | None = None
    created: bool = True


@dataclass(frozen=True)
class RecordedEvent:
    """One stored event with its recording time, the instant the application's clock gave its command."""

    version: int
    type: str
    event: Complaint.Event
    recorded_at: datetime


def intake_id(
    *,
    channel: Channel,
    external_ref: str | None,
    idempotency_key: str | None,
    caller: str,
    centre: str = DEFAULT_CENTRE,
) -> UUID | None:
    """A deterministic id for an intake that may be retried: one complaint per external ref, or per caller,
    centre and key.

    An Idempotency-Key is the caller's own at their centre: the same key from another user, or from the same
    user working for another centre, is another intake (otherwise a key could read back a complaint outside
    the caller's scope).
    """
    if external_ref:
        return uuid5(INTAKE_NAMESPACE, f"ref:{channel.value}:{external_ref}")
    if idempotency_key:
        return uuid5(INTAKE_NAMESPACE, f"ckey:{len(caller)}:{caller}:{len(centre)}:{centre}:{idempotency_key}")
    return None


def caller_key_id(idempotency_key: str | None, caller: str) -> UUID | None:
    """The id an Idempotency-Key gave when keys were scoped to the caller but not the centre (older intakes)."""
    return uuid5(INTAKE_NAMESPACE, f"key:{len(caller)}:{caller}:{idempotency_key}") if idempotency_key else None


def hotline_complaint_id(external_ref: str) -> UUID:
    """The complaint a 12345 work order became (the id its intake was given)."""
    found = intake_id(channel=Channel.hotline, external_ref=external_ref, idempotency_key=None, caller="")
    assert found is not None  # noqa: S101 — an external ref always gives an id
    return found


def legacy_key_id(idempotency_key: str | None) -> UUID | None:
    """The id an Idempotency-Key gave before keys were scoped to the caller (retries of older intakes)."""
    return uuid5(INTAKE_NAMESPACE, f"key:{idempotency_key}") if idempotency_key else None


@contextmanager
def store_errors() -> Iterator[None]:
    """Translate the store's connection failures into one error the API maps to 503."""
    try:
        yield
    except (OperationalError, InterfaceError) as exc:
        raise StoreUnavailable from exc


class ComplaintsApp(Application[UUID]):
    """Records complaints; the calendar, limits and clock are injected."""

    name = "complaints"
    env: ClassVar[dict[str, str]] = {
        "AGGREGATE_CACHE_MAXSIZE": "1000",
        "AGGREGATE_CACHE_FASTFORWARD": "y",
    }

    def __init__(
        self,
        env: dict[str, str] | None = None,
        *,
        clock: Clock | None = None,
        calendar: WorkingCalendar | None = None,
        limits: Limits | None = None,
        centres: Collection[str] | None = None,
        signed_by: Mapping[str, SigningCentre] | None = None,
        signing_mode: SigningMode,
        commit_window: float = COMMIT_WINDOW_SECONDS,
        commit_batch: int = COMMIT_BATCH,
    ) -> None:
        self.clock: Clock = clock or SystemClock()
        self.calendar = calendar or WorkingCalendar()
        self.limits = limits or Limits()
        self.centres: frozenset[str] = frozenset(centres or ()) | {DEFAULT_CENTRE}
        # centre → the centre whose roster signs its complex complaints (the reference's signed_by); a centre
        # not named signs for itself
        self.signed_by: dict[str, SigningCentre] = dict(signed_by or {})
        # no default here: the composition root passes YOUSU_SIGNING_MODE, whose default is the roster (fail-closed)
        self.signing_mode = signing_mode
        # every save of this process goes through one group commit (see save and _commit_batch)
        self.group_commit: GroupCommit[Work] = GroupCommit(
            self._commit_batch, window=commit_window, max_batch=commit_batch
        )
        self._seeded: set[Key] = set()  # counter rows known to exist (no legacy slip book to read)
        self._memory_slips: dict[Key, int] = {}  # the in-memory store's counter (unit tests)
        super().__init__(env)

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[UUID]]:
        """Save in this process's next group commit, unless the request was answered already or its time is up.

        Answers once the transaction holding these events has committed; raises what made it fail
        (IntegrityError for a conflict of these events alone, BatchConflict when a command of the
        same batch changed the same aggregate first). ``access_index`` rows are the only keyword.
        """
        deadline.check()  # the recorders check again right before COMMIT
        unknown = set(kwargs) - {"access_index"}
        if unknown:
            msg = f"save() takes only access_index, not {sorted(unknown)}"
            raise TypeError(msg)
        collected: ProcessingEvent[UUID] = ProcessingEvent()
        collected.collect_events(*objs)
        work = Work(
            events=collected.events,
            aggregates=collected.aggregates,
            access=list(kwargs.get("access_index", ())),
            budget=deadline.current(),
        )
        return self._submit(work).recordings

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        """Dates, enums and value objects, beside the library's UUID/Decimal/datetime."""
        super().register_transcodings(transcoder)
        register_domain_transcodings(transcoder)

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
        keyed = intake_id(
            channel=channel, external_ref=external_ref, idempotency_key=idempotency_key, caller=actor.id, centre=centre
        )
        # One id per request, fixed before the slip-number loop: an attempt whose COMMIT was answered
        # with an error may still have stored the complaint, and the next attempt must find it, not
        # record it again under another slip number.
        complaint_id = keyed or uuid4()
        # retries of intakes recorded under the earlier id schemes: found only by the same caller at the same centre
        earlier = [] if external_ref else [caller_key_id(idempotency_key, actor.id), legacy_key_id(idempotency_key)]
        with self.group_commit.preparing():
            for attempt in range(INTAKE_ATTEMPTS):
                if keyed is not None or attempt > 0:
                    existing = self._existing_intake(complaint_id, fingerprint)
                    for old in earlier:
                        if existing is None and old is not None:
                            existing = self._existing_intake(old, fingerprint, owner=actor.id, centre=centre)
                    if existing is not None:
                        return existing
                now = self.clock.now()
                day = self.calendar.local_day(now)

                def build(slip_no: str, now: datetime = now) -> Complaint:
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

                build(slip_number(centre, day, 1))  # a refused intake raises here and takes no number
                work = Work(intake=Intake(centre, day, build), budget=deadline.current())
                try:
                    with store_errors():
                        self._submit(work)
                except IntegrityError:
                    continue  # the same intake was stored concurrently: the next attempt returns it
                made = work.intake.complaint if work.intake is not None else None
                assert made is not None  # noqa: S101 — the commit numbered and made it
                self._log_provisional(work.recordings)
                return self._result(made, work.recordings)
            raise ConcurrentChange("受理繁忙，请重试")

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
    ) -> CommandResult:
        """会商; a duty leader hosting it is checked against the roster of the signing centre (``signing_centre``)."""

        def consult(c: Complaint, now: datetime) -> None:
            signer = self.signing_centre(c.centre)
            duty = self._duty(signer.code, now) if actor.role is Role.duty_leader else None
            c.consult(
                participants=participants,
                conclusion=conclusion,
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
                result=result,
                legal_basis=legal_basis,
                actor=actor,
                now=now,
                calendar=self.calendar,
                limits=self.limits,
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
        return self._replayable(
            self._command(
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
            )
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
        return self._replayable(
            self._command(
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
            )
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
        return self._replayable(
            self._command(
                complaint_id,
                expected_version,
                lambda c, now: c.add_supplement(
                    text=text, source=source, actor=actor, now=now, message_id=message_id, calendar=self.calendar
                ),
            )
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
        return self._replayable(
            self._command(
                complaint_id,
                expected_version,
                lambda c, now: c.withdraw(reason=reason, actor=actor, now=now, message_id=message_id),
            )
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
                self._evict(r.id)
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

    # ------------------------------------------------------------------ queries

    def get(self, complaint_id: UUID, *, version: int | None = None) -> Complaint:
        """The complaint now, or as it was at ``version``."""
        with store_errors():
            try:
                complaint: object = self.repository.get(complaint_id, version=version)
            except AggregateNotFoundError:
                raise ComplaintNotFound from None
        if not isinstance(complaint, Complaint):
            raise ComplaintNotFound
        return complaint

    def history(self, complaint_id: UUID) -> list[RecordedEvent]:
        """Every event of one complaint, in order, with its recording time (the event's timestamp)."""
        with store_errors():
            events = list(self.events.get(complaint_id))
        if not events or not isinstance(events[0], Complaint.Received):
            raise ComplaintNotFound
        return [
            RecordedEvent(
                version=e.originator_version,
                type=type(e).__name__,
                event=e,
                recorded_at=e.timestamp,
            )
            for e in events
            if isinstance(e, Complaint.Event)
        ]

    def version_as_of(self, complaint_id: UUID, as_of: datetime) -> int | None:
        """The last version recorded at or before ``as_of`` (None: the complaint did not exist yet)."""
        version: int | None = None
        for recorded in self.history(complaint_id):
            if recorded.recorded_at <= as_of:
                version = recorded.version
        return version

    def max_notification_id(self) -> int:
        """The newest notification id in the store (0 when empty)."""
        with store_errors():
            return self.recorder.max_notification_id() or 0

    def command(
        self,
        complaint_id: UUID,
        act: Callable[[Complaint, datetime], None],
        *,
        expected_version: int | None = None,
    ) -> CommandResult:
        """Record one command on a complaint: ``act(complaint, now)`` refuses or triggers its event.

        A new command needs no method here: its route passes the aggregate's command method (with this
        application's ``calendar``, ``limits`` or ``signing_mode`` where it takes them); see
        docs/adding-a-command.md. The methods above are the older commands' names for the same call.
        """
        return self._command(complaint_id, expected_version, act)

    # ------------------------------------------------------------------ internals

    def _command(
        self,
        complaint_id: UUID,
        expected_version: int | None,
        act: Callable[[Complaint, datetime], None],
    ) -> CommandResult:
        """Load, act, save in the next group commit: the one way every complaint command is recorded.

        When a command of the same batch changed this complaint first, the command is decided
        again on the new state (its rules may now refuse it; ``expected_version`` then no longer
        matches). A conflict with another process answers ConcurrentChange, as before.
        """
        with self.group_commit.preparing():
            handed = _take_handed(complaint_id)
            for _ in range(COMMAND_ATTEMPTS + (handed is not None)):
                was_handed = handed is not None
                complaint = handed if handed is not None else self.get(complaint_id)
                handed = None
                try:
                    if expected_version is not None and expected_version != complaint.version:
                        raise VersionMismatch(expected_version, complaint.version)
                    act(complaint, self.clock.now())
                except Exception:
                    if was_handed:
                        continue  # perhaps decided on a state the store has left: decide on the stored one
                    raise
                try:
                    with store_errors():
                        recordings = self.save(complaint)
                except BatchConflict:
                    self._evict(complaint_id)
                    continue
                except IntegrityError:
                    self._evict(complaint_id)
                    if was_handed:
                        continue  # another process wrote since the scope check: decide on the stored state
                    raise ConcurrentChange from None
                self._log_provisional(recordings)
                return self._result(complaint, recordings)
        raise ConcurrentChange

    # ------------------------------------------------------------------ group commit

    def _submit(self, work: Work) -> Work:
        """Hand ``work`` to the group commit; answers it once committed, or raises its own error."""
        ticket = self.group_commit.submit(work)
        if ticket.error is not None:
            error = ticket.error
            try:  # a batch-wide error is raised in every member's thread: each raises its own copy
                own = copy.copy(error)
            except Exception:
                own = error
            raise own from error if own is not error else None
        return work

    def _commit_batch(self, tickets: list[Ticket[Work]]) -> None:
        """Commit a batch in one transaction; a member that cannot be committed fails alone.

        * A member whose request was answered already (or is out of time) is left out (503).
        * A member writing an aggregate an earlier member writes is refused with BatchConflict
          (the command is decided again on the state the earlier one leaves).
        * Members answered while the batch was committing are named by the budget right before
          COMMIT: the transaction rolls back and the others are committed without them.
        * An IntegrityError (another process changed an aggregate, or stored the same intake)
          rolls the batch back; its members are then committed one by one, so only the
          conflicting one gets the error.
        """
        pending: list[Ticket[Work]] = []
        touched: set[UUID] = set()
        for ticket in tickets:
            work = ticket.work
            if work.budget is not None and not work.budget.alive():
                ticket.fail(DeadlineExceeded())
                continue
            mine = work.originators()
            if mine & touched:
                ticket.fail(BatchConflict("changed by an earlier command of the same batch"))
                continue
            touched |= mine
            pending.append(ticket)
        while pending:
            try:
                self._record_works([t.work for t in pending])
            except deadline.Abandoned as exc:
                for i in exc.members:
                    pending[i].fail(DeadlineExceeded())
                pending = [t for t in pending if not t.answered]
                continue
            except IntegrityError:
                if len(pending) == 1:
                    raise
                for ticket in pending:
                    self._commit_alone(ticket)
                return
            for ticket in pending:
                ticket.succeed()
            return

    def _commit_alone(self, ticket: Ticket[Work]) -> None:
        try:
            self._record_works([ticket.work])
        except deadline.Abandoned:
            ticket.fail(DeadlineExceeded())
        except Exception as exc:
            ticket.fail(exc)
        else:
            ticket.succeed()

    def _record_works(self, works: list[Work]) -> None:
        """One transaction: every work's events, their access index rows, and the intakes numbered in it."""
        events = [e for w in works for e in w.events]
        stored = [self.mapper.to_stored_event(e) for e in events]
        access = [row for w in works for row in w.access]
        intakes = [w for w in works if w.intake is not None]
        made_stored: list[StoredEvent] = []
        kwargs: dict[str, Any] = {}
        if access:
            kwargs["access_index"] = access
        counts: Counter[Key] = Counter()
        firsts: dict[Key, int] = {}
        if intakes:
            counts = Counter((w.intake.centre, w.intake.day) for w in intakes if w.intake is not None)

            def fill(firsts: dict[Key, int]) -> list[StoredEvent]:
                following = dict(firsts)
                made_stored.clear()
                for w in intakes:
                    assert w.intake is not None  # noqa: S101 — selected above
                    key = (w.intake.centre, w.intake.day)
                    complaint = w.intake.build(slip_number(key[0], key[1], following[key]))
                    following[key] += 1
                    w.intake.complaint = complaint
                    w.made = list(complaint.collect_events())
                    made_stored.extend(self.mapper.to_stored_event(e) for e in w.made)
                return list(made_stored)

            seeds = {key: self._legacy_issued(key) for key in counts if key not in self._seeded}
            claims = SlipClaims(counts=dict(counts), seeds=seeds, fill=fill)
            if getattr(self.recorder, "counts_slips", False):
                kwargs["slip_claims"] = claims
            else:  # the in-memory store: this process is the only writer, its leader the only one counting
                firsts = {k: self._memory_slips.get(k, seeds.get(k, 0)) + 1 for k in counts}
                stored = [*stored, *fill(firsts)]
        budget = deadline.BatchBudget([w.budget for w in works], UNBUDGETED_WRITE_SECONDS)
        with deadline.bound(budget):
            ids = self.recorder.insert_events(stored, **kwargs)
        for key, n in counts.items():
            if key in firsts:  # the in-memory counter moves only once its batch is stored
                self._memory_slips[key] = firsts[key] + n - 1
        self._seeded.update(counts)
        all_stored = stored if "slip_claims" not in kwargs else [*stored, *made_stored]
        self._answer(works, all_stored, list(ids or ()))

    def _answer(self, works: list[Work], stored: list[StoredEvent], ids: list[int]) -> None:
        """Each work's recordings (its events with their notification ids), in the order they were stored."""
        by_position = dict(zip(range(len(stored)), zip(stored, ids, strict=False), strict=False))
        position = 0
        ordered = [(w, w.events) for w in works] + [(w, w.made) for w in works if w.made]
        for work, domain_events in ordered:
            for event in domain_events:
                found = by_position.get(position)
                position += 1
                if found is None:
                    continue
                s, notification_id = found
                notification = Notification(
                    originator_id=s.originator_id,
                    originator_version=s.originator_version,
                    topic=s.topic,
                    state=s.state,
                    id=notification_id,
                )
                work.recordings.append(Recording(event, notification))
        cache = self.repository.cache
        if cache is not None and not self.repository.fastforward:
            for work in works:
                for aggregate_id, aggregate in work.aggregates.items():
                    cache.put(aggregate_id, aggregate)

    def _legacy_issued(self, key: Key) -> int:
        """Numbers the day's slip book issued before the counter existed (0: no book)."""
        centre, day = key
        with store_errors():
            try:
                book: object = self.repository.get(SlipBook.id_for(day, centre))
            except AggregateNotFoundError:
                return 0
        return book.issued if isinstance(book, SlipBook) else 0

    @staticmethod
    def _replayable(result: CommandResult) -> CommandResult:
        """A command that recorded nothing (its message id was recorded before) answers as a replay."""
        return result if result.notification_id is not None else replace(result, created=False)

    def _evict(self, aggregate_id: UUID) -> None:
        cache = self.repository.cache
        if cache is not None:
            with suppress(KeyError):
                cache.get(aggregate_id, evict=True)

    def _existing_intake(
        self, complaint_id: UUID, fingerprint: str | None, *, owner: str | None = None, centre: str | None = None
    ) -> CommandResult | None:
        """The intake already recorded under ``complaint_id`` (by ``owner`` at ``centre`` when given), else None."""
        try:
            complaint = self.get(complaint_id)
        except ComplaintNotFound:
            return None
        if owner is not None and (complaint.received_by is None or complaint.received_by.id != owner):
            return None
        if centre is not None and complaint.centre != centre:
            return None
        if fingerprint is not None and complaint.fingerprint not in (None, fingerprint):
            raise IntakeConflict(complaint.id)
        # The first intake's own notification id is not kept; the newest id is a safe upper bound
        # for a client that wants to read its own write.
        last = self.max_notification_id()
        return CommandResult(
            id=complaint.id,
            slip_no=complaint.slip_no,
            status=complaint.status.value,
            version=complaint.version,
            notification_id=last,
            due_at=complaint.due_at,
            created=False,
        )

    @staticmethod
    def _log_provisional(recordings: list[Recording[UUID]]) -> None:
        """A deadline counted Monday–Friday (no holiday schedule for its year) is logged when it is computed."""
        for r in recordings:
            e = r.domain_event
            for name, value in vars(e).items():
                if value is True and name.endswith("provisional"):
                    due_field = name.replace("_provisional", "_at") if name != "provisional" else "due_at"
                    due = getattr(e, due_field, None)
                    log.warning(
                        "provisional_deadline",
                        complaint_id=str(e.originator_id),
                        event_type=type(e).__name__,
                        due_at=due.isoformat() if isinstance(due, datetime) else None,
                    )

    @staticmethod
    def _result(complaint: Complaint, recordings: list[Recording[UUID]]) -> CommandResult:
        own = [r for r in recordings if r.domain_event.originator_id == complaint.id]
        return CommandResult(
            id=complaint.id,
            slip_no=complaint.slip_no,
            status=complaint.status.value,
            version=complaint.version,
            notification_id=own[-1].notification.id if own else None,
            due_at=complaint.due_at,
        )
